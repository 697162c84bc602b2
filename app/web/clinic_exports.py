"""A clinic's agenda as a spreadsheet (CSV or XLSX): one line per flag of each school, with the
officer's explanation and the minutes, as the clinic saw them."""

from fastapi import APIRouter, Path
from fastapi.responses import Response

from app.deps import SessionDep
from app.errors import NotFound
from app.models.types import MAX_ID
from app.services import clinic_agenda, clinics, spreadsheets
from app.web.security import WebPrincipal

router = APIRouter(tags=["web: clinics"])

HEADER = ("item", "urn", "school", "school_severity", "la_category", "kind", "rule", "flag_severity", "category",
          "reason", "evidence", "explanation", "minutes")
TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def agenda_rows(items) -> list[tuple]:  # noqa: ANN001
    rows = []
    for item in items:
        snap = item.snapshot or {}
        head = (item.position, snap.get("urn"), snap.get("name"), snap.get("severity"), snap.get("la_category"),
                item.kind)
        tail = (item.explanation, item.minutes)
        for flag in snap.get("flags") or [{}]:
            rows.append((*head, flag.get("rule"), flag.get("severity"), flag.get("category"), flag.get("reason"),
                         flag.get("evidence") or None, *tail))
    return rows


@router.get("/clinics/{clinic_id}/agenda.{kind}", summary="A clinic's agenda as CSV or XLSX")
def agenda_export(kind: str, session: SessionDep, by: WebPrincipal,
                  clinic_id: int = Path(ge=1, le=MAX_ID)) -> Response:
    if kind not in TYPES:
        raise NotFound("the agenda downloads as .csv or .xlsx")
    clinic = clinics.get(session, clinic_id, by=by)
    rows = agenda_rows(clinic_agenda.items_of(session, [clinic.id])[clinic.id])
    body = (spreadsheets.to_csv(HEADER, rows) if kind == "csv"
            else spreadsheets.to_xlsx(f"Clinic {clinic.held_on.isoformat()}", HEADER, rows))
    name = f"clinic-{clinic.held_on.isoformat()}-agenda.{kind}"
    return Response(body, media_type=TYPES[kind], headers={"Content-Disposition": f'attachment; filename="{name}"'})
