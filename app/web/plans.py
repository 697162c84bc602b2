"""Action plans in the browser: the list (with each plan's roll-up, and the schools judged 3 or 4
without an active plan), starting a plan, a plan's page (its priorities as collapsible sections,
actions and milestones in tables, roll-up badges, an overdue and status filter that works as a
plain link and in place with htmx), changing and removing a plan. What a plan is made of is
changed in app.web.plan_items; milestones (status in place, /my-milestones) in app.web.milestones.
Every rule is the services'; another partnership's plan is 404 there."""

from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import BadRequest
from app.models.action_plan import MilestoneStatus, PlanStatus
from app.models.action_plan_api import PlanCreate, PlanUpdate, month_text
from app.models.types import MAX_ID
from app.routing import Router
from app.services import accounts, action_plans, people, permissions, plan_overview, plan_roles, plan_tree
from app.services.action_plans import PlanFilters
from app.services.principal import Principal
from app.web import plan_forms
from app.web.forms import Form, FormData
from app.web.htmx import render
from app.web.plan_forms import Field, ItemPage
from app.web.security import WebPrincipal

router = Router(tags=["web: action plans"])

PlanId = Path(ge=1, le=MAX_ID)
OpenId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
PLAN_STATUS_WORDS = {PlanStatus.draft.value: "Draft", PlanStatus.active.value: "Active",
                     PlanStatus.closed.value: "Closed"}
PLAN_STATUS_COLOURS = {"draft": "grey", "active": "blue", "closed": "green"}
STATUS_WORDS = {MilestoneStatus.not_started.value: "Not started", MilestoneStatus.on_track.value: "On track",
                MilestoneStatus.at_risk.value: "At risk", MilestoneStatus.off_track.value: "Off track",
                MilestoneStatus.complete.value: "Complete"}
# Green, amber, red; grey before it starts, blue once done. The words are always shown too.
STATUS_COLOURS = {"on_track": "green", "at_risk": "orange", "off_track": "red", "not_started": "grey",
                  "complete": "blue"}
# The order a roll-up's counts are shown in: worst first.
BADGE_ORDER = ("off_track", "at_risk", "on_track", "not_started", "complete")
SCOPE_WORDS = {"": "Every plan", "partnership": "The partnership's plans", "school": "Schools' own plans"}
LIST_LIMIT = 25


def chrome(session: Session, by: Principal) -> dict[str, Any]:
    """What every plans page shows: the nav and the words for statuses."""
    return {"active_nav": "plans", "status_words": STATUS_WORDS, "status_colours": STATUS_COLOURS,
            "plan_status_words": PLAN_STATUS_WORDS, "plan_status_colours": PLAN_STATUS_COLOURS,
            "badge_order": BADGE_ORDER, "can_edit": permissions.manages(by),
            "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


# --- the list -----------------------------------------------------------------------------------


@router.get("/action-plans", summary="The partnership's action plans and schools' own plans")
def list_plans(request: Request, session: SessionDep, by: WebPrincipal, status: str | None = None,
               scope: str | None = None, cursor: str | None = None) -> Response:
    """`status` (draft, active, closed) and `scope` (partnership, school) filter; `cursor` pages on.
    A bad value is the page again, 400, with the message beside its filter."""
    filters = PlanFilters(status=[status] if status else [], scope=scope or None)
    problem: dict[str, str] = {}
    try:
        result = action_plans.page(session, filters, limit=LIST_LIMIT, cursor=cursor, by=by)
    except BadRequest as exc:
        problem = {e.field: e.message[:1].upper() + e.message[1:] for e in exc.errors} or {"cursor": exc.detail}
        result = action_plans.page(session, PlanFilters(), limit=LIST_LIMIT, by=by)
    context = chrome(session, by) | {
        "result": result, "status": status or "", "scope": scope or "", "cursor": cursor or "",
        "filter_errors": problem, "scope_words": SCOPE_WORDS,
        "rollups": plan_overview.rollups(session, [v.plan.id for v in result.views], by=by),
        "needing": action_plans.schools_needing_plan(session, by=by),
    }
    return render(request, "plans/list.html", context, block="results", status_code=400 if problem else 200)


# --- a plan's own fields --------------------------------------------------------------------------


def _plan_fields(session: Session, by: Principal) -> list[Field]:
    members: dict[str, str] = {}
    for member in people.list_members(session, by=by):
        members.setdefault(str(member.user_id), member.name)
    return [
        Field("title", "Title", hint='For example "Raising achievement plan 2016 to 2018"'),
        Field("period_start", "Starts", hint="A month, like 2016-05", width="govuk-input--width-10"),
        Field("period_end", "Ends", hint="A month, like 2018-09", width="govuk-input--width-10"),
        Field("owner_user_id", "Owner", "select", options=(("", "Nobody named"), *members.items())),
        Field("owner_urn", "School (for a school's own plan)", hint="Its URN; leave empty for the partnership's plan",
              width="govuk-input--width-10"),
        Field("status", "Status", "select", options=tuple(PLAN_STATUS_WORDS.items())),
    ]


def _plan_page(session: Session, by: Principal, *, plan_id: int | None = None, caption: str = "") -> ItemPage:
    fields = _plan_fields(session, by)
    if plan_id is None:
        return ItemPage("Start an action plan", caption, "/action-plans", fields, "Start the plan", "/action-plans")
    return ItemPage("Change the plan", caption, f"/action-plans/{plan_id}/edit", fields, "Save the plan",
                    f"/action-plans/{plan_id}", delete_url=f"/action-plans/{plan_id}/delete",
                    delete_words="Delete this plan",
                    extra={"delete_warning": "Its priorities, actions, milestones and success measures go with it."})


@router.get("/action-plans/new", summary="Start an action plan")
def new_plan(request: Request, session: SessionDep, by: WebPrincipal,
             urn: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """`urn` starts a school's own plan (from the list of schools that need one)."""
    permissions.require_plan_editor(by)
    page = _plan_page(session, by)
    values: dict[str, Any] = {"status": PlanStatus.draft.value, "owner_user_id": str(by.user_id or "")}
    if urn:
        values["owner_urn"] = urn
        values["title"] = "Raising achievement plan"
    return plan_forms.show(request, session, by, page, plan_forms.blank(page.fields, **values))


@router.post("/action-plans", summary="Start an action plan")
def create_plan(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    permissions.require_plan_editor(by)
    page = _plan_page(session, by)
    form = plan_forms.typed(data, page.fields)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: action_plans.create(session, plan_forms.model(PlanCreate, form, page.fields), by=by),
        done=lambda view: f"/action-plans/{view.plan.id}", banner="The plan was started")


@router.get("/action-plans/{plan_id}/edit", summary="Change a plan's title, period, owner, school or status")
def edit_plan(request: Request, session: SessionDep, by: WebPrincipal, plan_id: int = PlanId) -> Response:
    view = action_plans.get_view(session, plan_id, by=by)
    permissions.require_plan_editor(by)
    page = _plan_page(session, by, plan_id=plan_id, caption=view.plan.title)
    return plan_forms.show(request, session, by, page, _plan_form(session, by, plan_id, page))


def _plan_form(session: Session, by: Principal, plan_id: int, page: ItemPage) -> Form:
    """The plan's form filled from the plan as it is stored now."""
    view = action_plans.get_view(session, plan_id, by=by)
    session.refresh(view.plan)
    plan = view.plan
    return plan_forms.of(plan, page.fields, period_start=month_text(plan.period_start),
                         period_end=month_text(plan.period_end), owner_urn=view.owner_urn or "",
                         owner_user_id=plan.owner_user_id or "")


@router.post("/action-plans/{plan_id}/edit", summary="Save a plan's fields")
def save_plan(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
              plan_id: int = PlanId) -> Response:
    view = action_plans.get_view(session, plan_id, by=by)
    permissions.require_plan_editor(by)
    page = _plan_page(session, by, plan_id=plan_id, caption=view.plan.title)
    form = plan_forms.typed(data, page.fields)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: action_plans.update(session, plan_id, plan_forms.model(PlanUpdate, form, page.fields),
                                    if_match=form.if_match, by=by),
        done=f"/action-plans/{plan_id}", banner="The plan was saved",
        stored=lambda: action_plans.get_view(session, plan_id, by=by).plan,
        labels={"title": "Title", "status": "Status"})


@router.post("/action-plans/{plan_id}/delete", summary="Delete a plan with everything under it")
def delete_plan(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                plan_id: int = PlanId) -> Response:
    view = action_plans.get_view(session, plan_id, by=by)
    permissions.require_plan_editor(by)
    page = _plan_page(session, by, plan_id=plan_id, caption=view.plan.title)
    if_match = Form.typed(data, ()).if_match
    return plan_forms.delete(request, session, by, page, data,
                             lambda: action_plans.delete(session, plan_id, if_match=if_match, by=by),
                             filled=lambda: _plan_form(session, by, plan_id, page), done="/action-plans",
                             banner=f"The plan “{view.plan.title}” was deleted")


# --- a plan's page ------------------------------------------------------------------------------


def _filters(status: list[str], overdue: str | None) -> tuple[list[str], bool, str | None]:
    """The milestones filter from the query: statuses, overdue only, and the problem if one."""
    bad = [s for s in status if s and s not in STATUS_WORDS]
    if bad:
        return [], False, f"Choose a status from the list (not “{bad[0]}”)"
    if overdue not in (None, "", "0", "1", "true", "false"):
        return [], False, "That overdue link is out of date: use 1 for overdue milestones only"
    return [s for s in status if s], overdue in ("1", "true"), None


def plan_context(session: Session, by: Principal, plan_id: int, *, status: list[str] | None = None,
                 overdue: bool = False, open_id: int | None = None, filter_problem: str | None = None,
                 forms: dict[int, Form] | None = None, today: date | None = None) -> dict[str, Any]:
    """What a plan's page shows: the tree (seven queries whatever its size), the codes the caller
    holds (one), and what is worked out from them: roll-ups, who may update which milestone, which
    milestones the filter keeps and which priorities start open."""
    found = plan_tree.tree(session, plan_id, by=by, today=today)
    held = plan_roles.held_codes(session, by)
    manages = permissions.manages(by)
    forms = forms or {}
    status = status or []
    filtering = bool(status or overdue)
    updatable: set[int] = set()
    sections, shown, total = [], 0, 0
    for node in found.priorities:
        rollup = found.rollup(node)
        actions = []
        for action in node.actions:
            if permissions.can_update_milestone(by, set(action.leads), held):
                updatable.update(m.id for m in action.milestones)
            kept = [m for m in action.milestones
                    if (not status or m.status in status)
                    and (not overdue or plan_tree.is_overdue(m.due_on, m.status, found.today))]
            total += len(action.milestones)
            shown += len(kept)
            if kept or not filtering:
                actions.append((action, kept))
        if actions or not filtering:
            opened = (filtering or rollup.overdue > 0 or rollup.by_status.get("off_track", 0) > 0
                      or node.priority.id == open_id
                      or any(m.id in forms for _, kept in actions for m in kept))
            sections.append({"node": node, "rollup": rollup, "actions": actions, "open": opened})
    return {
        "tree": found, "view": found.view, "plan": found.view.plan, "titles": found.titles, "today": found.today,
        "plan_rollup": found.rollup(), "sections": sections, "shown": shown, "total": total,
        "filter_status": status, "filter_overdue": overdue, "filtering": filtering, "filter_problem": filter_problem,
        "updatable": updatable, "forms": forms, "held": held, "manages": manages,
        "status_choices": [("", "Any status"), *STATUS_WORDS.items()],
    }


def show_plan(request: Request, session: Session, by: Principal, plan_id: int, *, block: str | None = None,
              status_code: int = 200, banner: str | None = None, also: tuple[str, ...] = (),
              **parts: Any) -> Response:
    context = chrome(session, by) | plan_context(session, by, plan_id, **parts)
    return render(request, "plans/show.html", context, block=block, status_code=status_code, banner=banner,
                  also=also)


@router.get("/action-plans/{plan_id}", summary="An action plan: its priorities, actions and milestones")
def plan_page(request: Request, session: SessionDep, by: WebPrincipal, plan_id: int = PlanId,
              status: Annotated[list[str] | None, Query(max_length=20)] = None,
              overdue: Annotated[str | None, Query(max_length=10)] = None, open: OpenId = None) -> Response:
    """`overdue=1` keeps the overdue milestones, `status` those of a status (htmx: the priorities
    alone, in place). A bad filter: the page again, 400, with the message beside the filter."""
    statuses, late, problem = _filters(status or [], overdue)
    return show_plan(request, session, by, plan_id, block="priorities", status_code=400 if problem else 200,
                     status=statuses, overdue=late, open_id=open, filter_problem=problem)

