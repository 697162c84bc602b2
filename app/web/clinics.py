"""Clinics in the browser: the list, planning one, and the chair's page (the agenda with each
school's flags and evidence, what changed since the last clinic, the workflow). Agenda items,
actions and targets are changed in app.web.clinic_items."""

from datetime import date
from typing import Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import Conflict, FieldError
from app.models.clinic import Clinic, ClinicStatus
from app.models.clinic_api import ClinicCreate, ClinicUpdate
from app.models.types import MAX_ID
from app.routing import Router
from app.services import accounts, clinic_actions, clinic_agenda, clinics, partnerships, permissions
from app.services.principal import Principal
from app.web.forms import Form, FormData, attempt, parse
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: clinics"])

ClinicId = Path(ge=1, le=MAX_ID)
STATUS_WORDS = {"planned": "Planned", "in_session": "In session", "minutes_draft": "Minutes in draft",
                "minutes_approved": "Minutes approved"}
# Each step's button, and who sees it (app.services.clinics.transition checks again).
STEPS = {
    ("planned", "in_session"): ("Open the clinic and make its agenda", permissions.manages),
    ("in_session", "minutes_draft"): ("Close the session: minutes to draft", permissions.records_minutes),
    ("minutes_draft", "in_session"): ("Back in session", permissions.records_minutes),
    ("minutes_draft", "minutes_approved"): ("Approve the minutes (locks the clinic)",
                                            lambda by: permissions.manages(by) or "clinic_chair" in by.roles),
}
SEVERITIES = ("red", "amber")
AGENDA_PAGE = 25
ALL_PAGES = 0  # `page=all`
CHANGES_SHOWN = 50  # of each list of what changed since the last clinic (all of them with page=all)
NEW_FIELDS = ("held_on", "meeting", "focus", "chair_name")


def _chrome(session: Session, by: Principal) -> dict[str, Any]:
    return {"active_nav": "clinics", "status_words": STATUS_WORDS,
            "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


@router.get("/clinics", summary="The partnership's clinics")
def list_clinics(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    result = clinics.page(session, limit=200, by=by)
    context = _chrome(session, by) | {"result": result, "today": date.today()}
    return render(request, "clinics/list.html", context)


def _new_page(request: Request, session: Session, by: Principal, form: Form) -> Response:
    cadence = partnerships.current(session, by=by).meeting_cadence
    context = _chrome(session, by) | {"form": form, "cadence": cadence}
    return render(request, "clinics/new.html", context, status_code=form.status_code)


@router.get("/clinics/new", summary="Plan a clinic")
def new_clinic_form(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    permissions.require_manage(by, "clinics")
    return _new_page(request, session, by, Form({name: "" for name in (*NEW_FIELDS, "attendees")}))


@router.post("/clinics", summary="Plan a clinic")
def create_clinic(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    permissions.require_manage(by, "clinics")
    form = Form.typed(data, (*NEW_FIELDS, "attendees"))
    made = None
    with attempt(session, form):
        raw = form.values.get("attendees") or ""
        attendees = [line.strip() for line in str(raw).splitlines() if line.strip()]
        made = clinics.create(session, parse(ClinicCreate, form, NEW_FIELDS, extra={"attendees": attendees}), by=by)
    if form.refused or made is None:
        form.errors = {("attendees" if k.startswith("attendees") else k): v for k, v in form.errors.items()}
        return _new_page(request, session, by, form)
    return redirect(request, f"/clinics/{made.id}", banner=f"The {made.meeting} clinic on {made.held_on:%d %B %Y} "
                                                           "was planned")


def _steps(by: Principal, clinic: Clinic) -> list[tuple[str, str]]:
    return [(to, words) for (start, to), (words, allowed) in STEPS.items()
            if start == clinic.status and allowed(by)]


def clinic_context(session: Session, by: Principal, clinic: Clinic, *, severity: str | None = None,
                   page: int = 1, editing: dict[str, Any] | None = None,
                   workflow: Form | None = None) -> dict[str, Any]:
    """What the chair's page shows: five queries for the clinic's parts, whatever their number. The
    agenda is shown AGENDA_PAGE items at a time (a region's clinic may hold hundreds of schools)."""
    by_severity = clinic_agenda.severity_counts(session, clinic.id)
    counts = {s: by_severity.get(s, 0) for s in SEVERITIES}
    item_count = sum(by_severity.values())
    matching = counts[severity] if severity else item_count
    if editing and editing.get("item"):  # the page that holds the item being edited
        page = clinic_agenda.place_of(session, clinic.id, editing["item"], severity=severity) // AGENDA_PAGE + 1
    pages = max(1, -(-matching // AGENDA_PAGE))
    changes_shown = CHANGES_SHOWN
    if page == ALL_PAGES:  # every item on one page, for printing the pack
        shown, page, pages = clinic_agenda.page_of(session, clinic.id, severity=severity), 1, 1
        changes_shown = None
    else:
        page = min(max(page, 1), pages)
        shown = clinic_agenda.page_of(session, clinic.id, severity=severity, offset=(page - 1) * AGENDA_PAGE,
                                      limit=AGENDA_PAGE)
    actions, carried, targets = clinic_actions.agreed_at(session, clinic)
    locked = clinic.status == clinics.LOCKED
    return _chrome(session, by) | {
        "clinic": clinic, "items": shown, "item_count": item_count, "severity": severity or "",
        "matching": matching, "page": page, "pages": pages, "first_shown": (page - 1) * AGENDA_PAGE + 1,
        "severity_counts": counts,
        "changes": clinic.changes or {}, "changes_shown": changes_shown,
        "actions": actions, "carried": carried, "targets": targets, "locked": locked,
        "can_minute": permissions.records_minutes(by) and not locked,
        "can_manage": permissions.manages(by) and not locked,
        "steps": _steps(by, clinic), "workflow": workflow or Form({"version": str(clinic.version)}),
        "editing": editing or {}, "forms_by_part": (editing or {}).get("forms", {}), "blank_form": Form({}),
        "today": date.today(),
    }


def show(request: Request, session: Session, by: Principal, clinic: Clinic, *, block: str | None = None,
         status_code: int = 200, banner: str | None = None, also: tuple[str, ...] = (),
         **parts: Any) -> Response:
    return render(request, "clinics/show.html", clinic_context(session, by, clinic, **parts), block=block,
                  status_code=status_code, banner=banner, also=also)


@router.get("/clinics/{clinic_id}", summary="A clinic: its agenda, what changed, its actions and targets")
def show_clinic(request: Request, session: SessionDep, by: WebPrincipal, clinic_id: int = ClinicId,
                severity: str | None = None, page: str | None = None) -> Response:
    """`severity` (red or amber) shows only those schools, `page` the agenda's later items; another
    value is the page again, 400, with the message beside the filter."""
    clinic = clinics.get(session, clinic_id, by=by)
    number = ALL_PAGES if page == "all" else (
        int(page) if page and page.isascii() and page.isdigit() and len(page) < 6 else None)
    if (severity and severity not in SEVERITIES) or (page and number is None):
        return show(request, session, by, clinic, block="agenda", status_code=400,
                    workflow=Form({"version": str(clinic.version)}, problem="Choose red or amber" if severity
                                  and severity not in SEVERITIES else "That page link is out of date"))
    return show(request, session, by, clinic, severity=severity or None, page=1 if number is None else number,
                block="agenda")


@router.post("/clinics/{clinic_id}/status", summary="Open a clinic, close its session or approve its minutes")
def change_status(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  clinic_id: int = ClinicId) -> Response:
    clinic = clinics.get(session, clinic_id, by=by)
    form = Form.typed(data, ("status",))
    with attempt(session, form):
        status = form.values.get("status") or ""
        if status not in STATUS_WORDS:
            raise Conflict("choose a step", errors=[FieldError("status", "choose a step")])
        clinics.update(session, clinic_id, ClinicUpdate(status=ClinicStatus(status)), if_match=form.if_match, by=by)
    if form.stale:
        session.refresh(clinic)
        form.problem = (f"{clinic.updated_by or 'Someone'} changed this clinic after you opened the page. "
                        "Check it below, then choose again")
        form.values["version"] = str(clinic.version)
    if form.refused:
        return show(request, session, by, clinic, status_code=form.status_code, workflow=form)
    words = {"in_session": "The clinic is open: its agenda was made from the flags as they stand now",
             "minutes_draft": "The session is closed: the minutes are in draft",
             "minutes_approved": "The minutes are approved and the clinic is locked; the next meeting is planned"}
    return redirect(request, f"/clinics/{clinic_id}",
                    banner=words.get(form.values["status"], "The clinic is back in session"))
