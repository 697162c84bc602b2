"""A visit record in the browser: read it, change one section in place, move it through its
workflow, and see its history. Agreed actions are in app.web.visit_actions; the sections' forms in
app.web.visit_forms. Every rule is the services': these routes only read forms and draw pages."""

from typing import Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import Conflict, FieldError, NotFound
from app.models.types import MAX_ID
from app.models.visit import VisitKind, VisitStatus, VisitUpdate
from app.routing import Router
from app.services import accounts, audit, partnerships, permissions, visit_rules, visit_workflow, visits
from app.services.principal import Principal
from app.services.visits import VisitView
from app.web import visit_forms
from app.web.forms import Form, FormData, attempt
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal
from app.web.visit_forms import SectionForm

router = Router(tags=["web: visits"])

KIND_WORDS = {VisitKind.triad_review.value: "Triad peer review",
              VisitKind.support_partner.value: "Support partner visit",
              VisitKind.governance_review.value: "Governing body peer review"}
STATUS_WORDS = {VisitStatus.draft.value: "Draft", VisitStatus.submitted.value: "Submitted",
                VisitStatus.signed_off.value: "Signed off"}
# What each step of the workflow is called on its button.
STEP_WORDS = {(VisitStatus.draft, VisitStatus.submitted): "Submit the record for sign-off",
              (VisitStatus.submitted, VisitStatus.signed_off): "Sign off the record",
              (VisitStatus.signed_off, VisitStatus.submitted): "Reopen the record"}
SECTIONS = tuple(visit_forms.SECTION_TITLES)


def _areas(session: Session, by: Principal, view: VisitView) -> tuple[str, ...]:
    return tuple(visit_rules.allowed_areas(partnerships.current(session, by=by).focus_areas, view.visit).values())


def _steps(by: Principal, view: VisitView) -> list[tuple[str, str]]:
    """The workflow's next steps that the caller may take: (status to send, button words)."""
    visit, current = view.visit, VisitStatus(view.visit.status)
    may_edit = permissions.can_edit_visit(by, visit, view.collaborative_id)
    may_sign = permissions.can_sign_off(by, visit, view.collaborative_id)
    steps = []
    for to in visit_workflow.next_statuses(current):
        if (to == VisitStatus.submitted and current == VisitStatus.draft and may_edit) or (
                current != VisitStatus.draft and may_sign):
            steps.append((to.value, STEP_WORDS[(current, to)]))
    return steps


def _context(session: Session, by: Principal, view: VisitView, *, section: SectionForm | None = None,
             workflow: Form | None = None, actions: dict[str, Any] | None = None) -> dict[str, Any]:
    visit = view.visit
    editable = (permissions.can_edit_visit(by, visit, view.collaborative_id)
                and visit.status != VisitStatus.signed_off.value)
    return {
        "active_nav": "collaboratives",
        "view": view,
        "visit": visit,
        "triad": {"id": visit.triad_id, "name": view.triad_name} if visit.triad_id else None,
        "kind_words": KIND_WORDS,
        "status_words": STATUS_WORDS,
        "labels": visit_forms.LABELS,
        "section_titles": visit_forms.SECTION_TITLES,
        "grade_labels": view.grade_labels,
        "editable": editable,
        "editing": section,
        "steps": _steps(by, view),
        "workflow": workflow or Form({"version": str(visit.version)}),
        "actions_form": (actions or {}).get("form") or Form({}),
        "action_problem": (actions or {}).get("problem"),
        "history": audit.history(session, "triad_visit", visit.id),
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
    }


def page(request: Request, session: Session, by: Principal, view: VisitView, *, block: str | None = None,
         status_code: int = 200, banner: str | None = None, also: tuple[str, ...] = (),
         **parts: Any) -> Response:
    """The visit page, or one of its blocks for htmx (others it made stale sent with it, out of band)."""
    return render(request, "visits/show.html", _context(session, by, view, **parts), block=block,
                  status_code=status_code, banner=banner, also=also)


VisitId = Path(ge=1, le=MAX_ID)


@router.get("/visits/{visit_id}", summary="A visit record")
def show_visit(request: Request, session: SessionDep, by: WebPrincipal, visit_id: int = VisitId) -> Response:
    return page(request, session, by, visits.get(session, visit_id, by=by))


def _section_or_404(section: str) -> str:
    if section not in SECTIONS:
        raise NotFound(f"a visit record has no section {section!r}")
    return section


def _editable(by: Principal, view: VisitView) -> None:
    visits.require_edit(by, view)
    visits.refuse_signed_off(view.visit.status)


@router.get("/visits/{visit_id}/edit/{section}", summary="Change one section of a visit record")
def edit_section_form(section: str, request: Request, session: SessionDep, by: WebPrincipal,
                      visit_id: int = VisitId) -> Response:
    """The page with that section as a form (htmx: the section alone, swapped in place)."""
    _section_or_404(section)
    view = visits.get(session, visit_id, by=by)
    _editable(by, view)
    form = visit_forms.of_visit(section, view.visit, _areas(session, by, view))
    return page(request, session, by, view, block=f"section_{section}", section=form)


@router.post("/visits/{visit_id}/edit/{section}", summary="Save one section of a visit record")
def save_section(section: str, request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                 visit_id: int = VisitId) -> Response:
    """Saved: the section read-only again (htmx), with the record's history and workflow brought up
    to date; otherwise back to the record. Refused: the section's form, 422. Stale: 409, the stored
    record beside what was typed."""
    _section_or_404(section)
    view = visits.get(session, visit_id, by=by)
    form = visit_forms.typed(section, data, _areas(session, by, view))
    with attempt(session, form.form), visit_forms.renamed(form):
        visits.update(session, visit_id, visit_forms.to_update(form), if_match=form.form.if_match, by=by)
    if form.form.stale:
        view = visits.get(session, visit_id, by=by)
        session.refresh(view.visit)
        visit_forms.conflict(form, view.visit, view.grade_labels)
    if form.form.refused:
        return page(request, session, by, view, block=f"section_{section}", section=form,
                    status_code=form.form.status_code)
    words = f"{visit_forms.SECTION_TITLES[section]}: your changes were saved"
    if request.headers.get("hx-request") == "true":
        return page(request, session, by, view, block=f"section_{section}", banner=words,
                    also=("workflow", "history"))
    return redirect(request, f"/visits/{visit_id}#section-{section}", banner=words)


@router.post("/visits/{visit_id}/status", summary="Submit, sign off or reopen a visit record")
def change_status(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  visit_id: int = VisitId) -> Response:
    """A step of the workflow. Refused (the record is not ready, or no reason to reopen): the page,
    422, saying what is missing. Stale: 409, asking to look at the record again."""
    view = visits.get(session, visit_id, by=by)
    before = view.visit.status
    form = Form.typed(data, ("status", "reason"))
    with attempt(session, form):
        status = form.values.get("status") or ""
        if status not in STATUS_WORDS:
            raise Conflict("choose a step of the workflow", errors=[FieldError("status", "choose a step")])
        if status == before:
            raise Conflict(f"the record is {STATUS_WORDS[status].lower()} already",
                           errors=[FieldError("status", f"the record is {STATUS_WORDS[status].lower()} already")])
        reason = form.values.get("reason")
        update = VisitUpdate(status=VisitStatus(status),
                             reason=reason if isinstance(reason, str) and reason.strip() else None)
        visits.update(session, visit_id, update, if_match=form.if_match, by=by)
    if form.stale:
        view = visits.get(session, visit_id, by=by)
        session.refresh(view.visit)
        form.problem = (f"{view.visit.updated_by or 'Someone'} changed this record after you opened it. "
                        "Check it below, then choose again")
        form.values["version"] = str(view.visit.version)
    if form.refused:
        return page(request, session, by, view, status_code=form.status_code, workflow=form)
    words = ("The record was reopened" if before == VisitStatus.signed_off.value
             else "The record was signed off" if form.values["status"] == VisitStatus.signed_off.value
             else "The record was submitted for sign-off")
    return redirect(request, f"/visits/{visit_id}", banner=words)
