"""Editing a school's register entry in the browser: the first form written with app.web.forms,
and the model the later record forms copy (refusal keeps what was typed; a stale save shows the
conflict)."""

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.school import School, SchoolUpdate
from app.routing import Router
from app.services import accounts, partnerships, schools
from app.services.principal import Principal
from app.web.forms import Form, FormData, attempt, parse
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: schools"])

# Every field the form can show, in the order shown, in the words on the page.
LABELS = {
    "name": "Name",
    "phase": "Phase",
    "establishment_type": "Type of establishment",
    "trust_name": "Trust",
    "la_code": "Local authority code",
    "la_name": "Local authority",
    "status": "Status",
    "opened_on": "Opened",
    "closed_on": "Closed",
    "pupils": "Pupils on roll",
    "fsm_percent": "Free school meals (%)",
    "headteacher_name": "Headteacher",
    "headteacher_started_on": "Headteacher since",
    "postcode": "Postcode",
    "la_category": "LA category",
    "engaged": "Engaged in the network",
    "not_engaged_reason": "Why not engaged",
}


def _category_options(scheme: list[str], form: Form) -> list[tuple[str, str]]:
    """The scheme's categories; a stored one no longer in it stays shown (saving it is refused
    with the rule's message) rather than being silently dropped by the select."""
    options = [(c, c) for c in scheme]
    current = form.values.get("la_category")
    if current and current not in scheme:
        options.append((current, f"{current} (no longer in the scheme)"))
    return options


def _page(request: Request, session: Session, by: Principal, school: School, form: Form,
          fields: tuple[str, ...]) -> Response:
    context = {
        "active_nav": "schools",
        "school": school,
        "form": form,
        "fields": fields,
        "field_labels": LABELS,
        "scheme_options": _category_options(partnerships.current(session, by=by).category_scheme, form),
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
    }
    return render(request, "schools/edit.html", context, block="content", status_code=form.status_code)


@router.get("/schools/{urn}/edit", summary="The form to change a school's register entry")
def edit_school_form(urn: str, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """Officers only: a viewer gets the 403 page."""
    school = schools.get(session, urn, by=by)
    by.require_write()
    fields = schools.editable_fields(school)
    return _page(request, session, by, school, Form.of(school, fields), fields)


@router.post("/schools/{urn}/edit", summary="Save a school's register entry")
def edit_school(urn: str, request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """Saved: back to the school with a banner. Refused: the form again (422). Stale: the
    conflict (409), with the stored values beside the typed ones."""
    school = schools.get(session, urn, by=by)
    by.require_write()
    fields = schools.editable_fields(school)
    form = Form.typed(data, fields)
    with attempt(session, form):
        changes = parse(SchoolUpdate, form, fields)
        schools.update(session, urn, changes, if_match=form.if_match, by=by)
    if form.stale:
        session.refresh(school)
        form.conflict_with(school, {name: LABELS[name] for name in fields})
    if form.refused:
        return _page(request, session, by, school, form, fields)
    return redirect(request, f"/schools/{urn}", banner=f"The details of {school.name} were saved")
