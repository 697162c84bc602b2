"""A clinic's papers out of the service: the agenda as a spreadsheet (CSV or XLSX, one line per
flag of each school, with the officer's explanation and the minutes, as the clinic saw them), and
the papers for publication with chosen kinds of field redacted."""

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import Response

from app.deps import SessionDep
from app.errors import NotFound
from app.models.types import MAX_ID
from app.routing import Router
from app.services import accounts, clinic_actions, clinic_agenda, clinics, spreadsheets
from app.web.htmx import render
from app.web.security import WebPrincipal

router = Router(tags=["web: clinics"])

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


# What can be redacted from the published papers, in the words on the page.
REDACTABLE = {"schools": "School names and URNs", "explanations": "Officers' explanations", "minutes": "Minutes",
              "evidence": "Evidence (figures behind each flag)", "owners": "Who owns each action"}
REDACTED = "[redacted]"


def _published_item(item, redact: set[str], number: int) -> dict:  # noqa: ANN001
    snap = item.snapshot or {}
    return {
        "position": item.position,
        "school": f"School {number}" if "schools" in redact else f"{snap.get('name')} (URN {snap.get('urn')})",
        "severity": snap.get("severity"),
        "la_category": snap.get("la_category"),
        "flags": [{"severity": f.get("severity"), "reason": REDACTED if "schools" in redact and snap.get("name")
                   and snap.get("name") in (f.get("reason") or "") else f.get("reason"),
                   "evidence": None if "evidence" in redact else f.get("evidence")} for f in snap.get("flags") or []],
        "explanation": REDACTED if "explanations" in redact and item.explanation else item.explanation,
        "minutes": REDACTED if "minutes" in redact and item.minutes else item.minutes,
    }


@router.get("/clinics/{clinic_id}/publication", summary="A clinic's papers for publication, chosen fields redacted")
def publication(request: Request, session: SessionDep, by: WebPrincipal, clinic_id: int = Path(ge=1, le=MAX_ID),
                redact: Annotated[list[str] | None, Query()] = None) -> Response:
    """The agenda, minutes and actions as they would be published (clinic papers may be requested
    under the Freedom of Information Act), with the chosen kinds of field redacted. Printable."""
    clinic = clinics.get(session, clinic_id, by=by)
    chosen = set(redact or [])
    unknown = chosen - set(REDACTABLE)
    items = clinic_agenda.items_of(session, [clinic.id])[clinic.id]
    actions, carried, _ = clinic_actions.agreed_at(session, clinic)
    schools = {}
    for item in items:
        schools.setdefault((item.snapshot or {}).get("urn"), len(schools) + 1)
    context = {
        "active_nav": "clinics", "clinic": clinic, "redactable": REDACTABLE, "chosen": chosen - unknown,
        "problem": "Choose what to redact from the list" if unknown else None,
        "items": [_published_item(i, chosen, schools[(i.snapshot or {}).get("urn")]) for i in items],
        "actions": [{"text": a.record.text, "status": a.record.status, "due_on": a.record.due_on,
                     "owner": REDACTED if "owners" in chosen and a.record.owner else a.record.owner,
                     "school": (f"School {schools[a.urn]}" if a.urn in schools else REDACTED)
                     if "schools" in chosen and a.urn else a.school_name} for a in [*carried, *actions]],
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
    }
    return render(request, "clinics/publication.html", context, status_code=400 if unknown else 200)
