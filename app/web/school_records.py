"""Adding and correcting a school's inspections and indicators in the browser, on the form
pattern of app.web.forms (as the school's own form)."""

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import NotFound
from app.models.indicator import IndicatorCreate, IndicatorUpdate
from app.models.inspection import KEY_JUDGEMENTS, REPORT_CARD_AREAS, InspectionWrite
from app.models.school import School
from app.models.types import MAX_ID
from app.routing import Router
from app.services import accounts, indicators, inspections, schools
from app.services.principal import Principal
from app.web.forms import Form, FormData, attempt, parse
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: schools"])



def _record_id(raw: str) -> int:
    """An id typed in an address. One that cannot name a record is the 404 page, as any address
    that names nothing is in the browser (not a 422 about the address's shape)."""
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        raise NotFound("there is no such record")
    return int(raw)

INSPECTION_LABELS = {
    "inspected_on": "Date of inspection",
    "overall_effectiveness": "Overall effectiveness",
    "category_of_concern": "Category of concern",
    **{f"grades.{area}": area.replace("_", " ").capitalize() for area in (*KEY_JUDGEMENTS, *REPORT_CARD_AREAS)},
    "safeguarding": "Safeguarding",
    "report_url": "Link to the report",
    "source": "Where this came from",
}
INSPECTION_FIELDS = ("inspected_on", "overall_effectiveness", "category_of_concern", "safeguarding",
                     "report_url", "source")
GRADE_FIELDS = tuple(f"grades.{area}" for area in (*KEY_JUDGEMENTS, *REPORT_CARD_AREAS))

INDICATOR_LABELS = {"measure": "Measure", "academic_year": "Academic year", "value": "Value",
                    "source": "Source", "recorded_on": "Recorded on"}
INDICATOR_NEW = ("measure", "academic_year", "value", "source", "recorded_on")
INDICATOR_CORRECT = ("value", "recorded_on")


def _chrome(session: Session, by: Principal) -> dict[str, Any]:
    return {"active_nav": "schools",
            "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


def _writable_school(session: Session, urn: str, by: Principal) -> School:
    school = schools.get(session, urn, by=by)
    by.require_write()
    return school


# Inspections ----------------------------------------------------------------------------------

def _inspection_form_of(inspection: Any) -> Form:
    form = Form.of(inspection, INSPECTION_FIELDS)
    for area, grade in (inspection.grades or {}).items():
        form.values[f"grades.{area}"] = str(grade)
    return form


def _inspection_typed(data: FormData) -> Form:
    return Form.typed(data, (*INSPECTION_FIELDS, *GRADE_FIELDS))


def _inspection_write(form: Form) -> InspectionWrite:
    grades: dict[str, Any] = {}
    for name in GRADE_FIELDS:
        raw = str(form.values.get(name) or "").strip()
        if raw:
            grades[name.removeprefix("grades.")] = int(raw) if raw.isascii() and raw.isdigit() else raw
    return parse(InspectionWrite, form, INSPECTION_FIELDS, extra={"grades": grades})


def _inspection_page(request: Request, session: Session, by: Principal, school: School, form: Form,
                     inspection_id: int | None = None) -> Response:
    context = {"school": school, "form": form, "inspection_id": inspection_id, "field_labels": INSPECTION_LABELS,
               "key_judgements": KEY_JUDGEMENTS, "report_card_areas": REPORT_CARD_AREAS, **_chrome(session, by)}
    return render(request, "schools/inspection_form.html", context, status_code=form.status_code)


@router.get("/schools/{urn}/inspections/new", summary="The form to record an inspection")
def new_inspection_form(urn: str, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    school = _writable_school(session, urn, by)
    return _inspection_page(request, session, by, school, Form({}))


@router.post("/schools/{urn}/inspections", summary="Record an inspection")
def create_inspection(urn: str, request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    school = _writable_school(session, urn, by)
    form = _inspection_typed(data)
    with attempt(session, form):
        inspections.record(session, school, _inspection_write(form), by=by)
    if form.refused:
        return _inspection_page(request, session, by, school, form)
    return redirect(request, f"/schools/{urn}#inspections", banner="The inspection was recorded")


@router.get("/schools/{urn}/inspections/{inspection_id}/edit", summary="The form to correct an inspection")
def edit_inspection_form(urn: str, inspection_id: str, request: Request, session: SessionDep,
                         by: WebPrincipal) -> Response:
    school = _writable_school(session, urn, by)
    inspection = inspections.get(session, school, _record_id(inspection_id), by=by)
    return _inspection_page(request, session, by, school, _inspection_form_of(inspection), inspection.id)


@router.post("/schools/{urn}/inspections/{inspection_id}/edit", summary="Correct an inspection")
def edit_inspection(urn: str, inspection_id: str, request: Request, session: SessionDep, by: WebPrincipal,
                    data: FormData) -> Response:
    school = _writable_school(session, urn, by)
    inspection = inspections.get(session, school, _record_id(inspection_id), by=by)
    form = _inspection_typed(data)
    with attempt(session, form):
        inspections.replace(session, inspection, _inspection_write(form), if_match=form.if_match, by=by)
    if form.stale:
        session.refresh(inspection)
        stored = _inspection_form_of(inspection).values
        form.conflict_with(_Values(stored, inspection), {k: v for k, v in INSPECTION_LABELS.items()
                                                          if stored.get(k) or form.values.get(k)})
    if form.refused:
        return _inspection_page(request, session, by, school, form, inspection.id)
    return redirect(request, f"/schools/{urn}#inspections", banner="The inspection was corrected")


class _Values:
    """A stored record seen through its form's values (grades spread into one field each)."""

    def __init__(self, values: dict[str, str], record: Any) -> None:
        self._values, self.version = values, record.version
        self.updated_by, self.updated_at = record.updated_by, record.updated_at

    def __getattr__(self, name: str) -> str:
        return self._values.get(name, "")


# Indicators -----------------------------------------------------------------------------------

def _indicator_page(request: Request, session: Session, by: Principal, school: School, form: Form,
                    indicator: Any = None) -> Response:
    context = {"school": school, "form": form, "indicator": indicator, "field_labels": INDICATOR_LABELS,
               **_chrome(session, by)}
    return render(request, "schools/indicator_form.html", context, status_code=form.status_code)


@router.get("/schools/{urn}/indicators/new", summary="The form to record a figure")
def new_indicator_form(urn: str, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    school = _writable_school(session, urn, by)
    return _indicator_page(request, session, by, school, Form({}))


@router.post("/schools/{urn}/indicators", summary="Record a figure")
def create_indicator(urn: str, request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    school = _writable_school(session, urn, by)
    form = Form.typed(data, INDICATOR_NEW)
    with attempt(session, form):
        indicators.record(session, school, parse(IndicatorCreate, form, INDICATOR_NEW), by=by)
    if form.refused:
        return _indicator_page(request, session, by, school, form)
    return redirect(request, f"/schools/{urn}#indicators", banner="The figure was recorded")


@router.get("/schools/{urn}/indicators/{indicator_id}/edit", summary="The form to correct a figure")
def edit_indicator_form(urn: str, indicator_id: str, request: Request, session: SessionDep,
                        by: WebPrincipal) -> Response:
    school = _writable_school(session, urn, by)
    indicator = indicators.get(session, school, _record_id(indicator_id), by=by)
    return _indicator_page(request, session, by, school, Form.of(indicator, INDICATOR_CORRECT), indicator)


@router.post("/schools/{urn}/indicators/{indicator_id}/edit", summary="Correct a figure")
def edit_indicator(urn: str, indicator_id: str, request: Request, session: SessionDep, by: WebPrincipal,
                   data: FormData) -> Response:
    school = _writable_school(session, urn, by)
    indicator = indicators.get(session, school, _record_id(indicator_id), by=by)
    form = Form.typed(data, INDICATOR_CORRECT)
    with attempt(session, form):
        changes = parse(IndicatorUpdate, form, INDICATOR_CORRECT)
        indicators.update(session, indicator, changes, if_match=form.if_match, by=by)
    if form.stale:
        session.refresh(indicator)
        form.conflict_with(indicator, {name: INDICATOR_LABELS[name] for name in INDICATOR_CORRECT})
    if form.refused:
        return _indicator_page(request, session, by, school, form, indicator)
    return redirect(request, f"/schools/{urn}#indicators", banner="The figure was corrected")
