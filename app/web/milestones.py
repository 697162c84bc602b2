"""Milestones in the browser: a status and evidence note changed in place on the plan's page (a
holder of one of the action's lead codes, or an officer; others see no form and get 403), the
officers' forms to add and change one, and /my-milestones: what is due next for the lead role codes
the signed-in person holds, across the plans not closed."""

from datetime import date
from typing import Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.action_plan import MilestoneStatus
from app.models.action_plan_api import MilestoneCreate, MilestoneUpdate
from app.models.types import MAX_ID
from app.routing import Router
from app.services import action_plans, permissions, plan_items, plan_milestones, plan_overview, plan_roles
from app.services.plan_milestones import MilestoneView
from app.services.plan_tree import is_overdue
from app.services.principal import Principal
from app.web import plan_forms
from app.web.forms import Form, FormData, attempt, parse
from app.web.htmx import is_htmx, redirect, render
from app.web.plan_forms import Field, ItemPage
from app.web.plans import STATUS_WORDS, chrome, plan_context, show_plan
from app.web.security import WebPrincipal

router = Router(tags=["web: action plans"])

MilestoneId = Path(ge=1, le=MAX_ID)
ActionId = Path(ge=1, le=MAX_ID)
STATUS_FIELDS = ("status", "evidence")
PER_PAGE = 25
FIELDS = [
    Field("description", "Milestone", "textarea"),
    Field("due_on", "Due", "date", hint="Leave empty for an ongoing milestone"),
    Field("status", "Status", "select", options=tuple(STATUS_WORDS.items())),
    Field("evidence", "Evidence note", "textarea"),
    Field("evidence_links", "Links to evidence", "lines", hint="Web addresses (https://…), one a line"),
]


def _anchor(view: MilestoneView) -> str:
    """The milestone on its plan's page, its priority open."""
    return f"/action-plans/{view.milestone.plan_id}?open={view.priority_id}#milestone-{view.milestone.id}"


def _row(request: Request, session: Session, by: Principal, view: MilestoneView, *, form: Form | None,
         status_code: int = 200, banner: str | None = None) -> Response:
    """The milestone's row alone (htmx), with its priority's and the plan's roll-ups out of band
    once it changed."""
    m = view.milestone
    context = chrome(session, by) | plan_context(session, by, m.plan_id)
    tree = context["tree"]
    node = next((n for n in tree.priorities if n.priority.id == view.priority_id), None)
    context |= {"row": {"m": m, "can_update": True, "form": form,
                        "overdue": is_overdue(m.due_on, m.status, tree.today)},
                "row_rollup": {"rollup": tree.rollup(node), "priority_id": view.priority_id} if node else None}
    also = ("priority_rollup", "plan_rollup") if banner else ()
    return render(request, "plans/show.html", context, block="milestone_row", status_code=status_code,
                  banner=banner, also=also)


@router.post("/milestones/{milestone_id}", summary="Change a milestone's status and evidence note")
def update_status(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  milestone_id: int = MilestoneId) -> Response:
    """Saved: the row in place (htmx) or back to the plan (303). Refused: the row's form again with
    the message beside the field (422). Stale: the milestone as it is now beside what was typed (409)."""
    view = plan_milestones.get(session, milestone_id, by=by)
    permissions.require_milestone_update(by, set(view.leads), plan_roles.held_codes(session, by))
    form = Form.typed(data, STATUS_FIELDS)
    with attempt(session, form):
        plan_milestones.update(session, milestone_id, parse(MilestoneUpdate, form, STATUS_FIELDS),
                               if_match=form.if_match, by=by)
    m = view.milestone
    if form.stale:
        session.refresh(m)
        evidence = f" and the evidence note “{m.evidence}”" if m.evidence else " and no evidence note"
        form.problem = (f"This milestone was changed by someone else since you read it ({m.updated_by or 'someone'}): "
                        f"it is now “{STATUS_WORDS.get(m.status, m.status)}”{evidence}. Nothing was saved. What you "
                        "typed is kept below: save it again to replace theirs")
        form.values["version"] = str(m.version)
    if form.refused:
        if is_htmx(request):
            return _row(request, session, by, view, form=form, status_code=form.status_code)
        return show_plan(request, session, by, m.plan_id, status_code=form.status_code, forms={m.id: form},
                         open_id=view.priority_id)
    words = f"Milestone {view.action_label}: now “{STATUS_WORDS.get(m.status, m.status)}”"
    if is_htmx(request):
        return _row(request, session, by, view, form=None, banner=words)
    return redirect(request, _anchor(view), banner=words)


# --- officers' forms ------------------------------------------------------------------------------


def _page(session: Session, by: Principal, plan_id: int, *, title: str, action: str, submit: str,
          back_url: str) -> ItemPage:
    caption = action_plans.get_view(session, plan_id, by=by).plan.title
    return ItemPage(title, caption, action, FIELDS, submit, back_url)


@router.get("/plan-actions/{action_id}/milestones/new", summary="Add a milestone to an action")
def new_milestone(request: Request, session: SessionDep, by: WebPrincipal, action_id: int = ActionId) -> Response:
    node = plan_items.get_action(session, action_id, by=by)
    permissions.require_plan_editor(by)
    page = _page(session, by, node.action.plan_id, title=f"Add a milestone to action {node.label}",
                 action=f"/plan-actions/{action_id}/milestones/new", submit="Add the milestone",
                 back_url=f"/action-plans/{node.action.plan_id}?open={node.action.priority_id}#action-{action_id}")
    form = plan_forms.blank(FIELDS, status=MilestoneStatus.not_started.value)
    return plan_forms.show(request, session, by, page, form)


@router.post("/plan-actions/{action_id}/milestones/new", summary="Add a milestone to an action")
def add_milestone(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  action_id: int = ActionId) -> Response:
    node = plan_items.get_action(session, action_id, by=by)
    permissions.require_plan_editor(by)
    page = _page(session, by, node.action.plan_id, title=f"Add a milestone to action {node.label}",
                 action=f"/plan-actions/{action_id}/milestones/new", submit="Add the milestone",
                 back_url=f"/action-plans/{node.action.plan_id}?open={node.action.priority_id}#action-{action_id}")
    form = plan_forms.typed(data, FIELDS)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: plan_milestones.add(session, action_id, plan_forms.model(MilestoneCreate, form, FIELDS), by=by),
        done=_anchor, banner=f"A milestone was added to action {node.label}")


def _edit_page(session: Session, by: Principal, view: MilestoneView) -> ItemPage:
    return _page(session, by, view.milestone.plan_id, title=f"Change a milestone of action {view.action_label}",
                 action=f"/milestones/{view.milestone.id}/edit", submit="Save the milestone",
                 back_url=_anchor(view))


@router.get("/milestones/{milestone_id}/edit", summary="Change a milestone")
def edit_milestone(request: Request, session: SessionDep, by: WebPrincipal,
                   milestone_id: int = MilestoneId) -> Response:
    view = plan_milestones.get(session, milestone_id, by=by)
    permissions.require_plan_editor(by)
    return plan_forms.show(request, session, by, _edit_page(session, by, view), plan_forms.of(view.milestone, FIELDS))


@router.post("/milestones/{milestone_id}/edit", summary="Save a milestone")
def save_milestone(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                   milestone_id: int = MilestoneId) -> Response:
    view = plan_milestones.get(session, milestone_id, by=by)
    permissions.require_plan_editor(by)
    page = _edit_page(session, by, view)
    form = plan_forms.typed(data, FIELDS)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: plan_milestones.update(session, milestone_id, plan_forms.model(MilestoneUpdate, form, FIELDS),
                                       if_match=form.if_match, by=by),
        done=_anchor(view), banner=f"The milestone of action {view.action_label} was saved",
        stored=lambda: plan_milestones.get(session, milestone_id, by=by).milestone)


# --- what is due next for me ------------------------------------------------------------------------


@router.get("/my-milestones", summary="What is due next for the lead roles you hold, across plans")
def my_milestones(request: Request, session: SessionDep, by: WebPrincipal, page: str | None = None) -> Response:
    """Overdue first, then by due date, PER_PAGE at a time (`page=all`: every one). A page link that
    is not a number is the page again, 400, saying so."""
    shown_all = page == "all"
    number = 1 if page in (None, "", "all") else (
        int(page) if page.isascii() and page.isdigit() and len(page) < 6 else None)
    led = plan_overview.led_by_me(session, by=by, page=number or 1, per_page=None if shown_all else PER_PAGE)
    context: dict[str, Any] = chrome(session, by) | {
        "led": led, "today": date.today(), "page_problem": None if number is not None or shown_all
        else "That page link is out of date: this is the first page",
        "officers": [] if led.codes else plan_overview.officer_names(session, by=by),
    }
    return render(request, "plans/mine.html", context, status_code=400 if context["page_problem"] else 200)
