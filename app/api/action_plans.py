"""Action plans through HTTP: /api/v1/action-plans (with `?include=tree`), a plan's milestones, and a
school's own plans under /api/v1/schools/{urn}/action-plans. What a plan is made of (priorities,
actions, milestones, success measures) is in app.api.plan_items."""

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import Query, Response, status

from app.api import plan_items
from app.api.deps import CurrentPrincipal, IfMatch, SchoolFromPath, no_null
from app.api.plan_items import PlanId, action_public, measure_public, milestone_item, milestone_public, priority_public
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.action_plan import MilestoneStatus, PlanStatus
from app.models.action_plan_api import (
    MilestonePage,
    PlanCreate,
    PlanDetail,
    PlanPage,
    PlanScope,
    PlanUpdate,
    month_text,
)
from app.models.school import URN
from app.models.types import Date
from app.routing import Router
from app.services import action_plans, plan_milestones, plan_tree
from app.services.action_plans import DEFAULT_LIMIT, PlanFilters, PlanView
from app.services.concurrency import etag
from app.services.paging import MAX_LIMIT
from app.services.plan_milestones import MilestoneFilters

router = Router(tags=["action plans"])
router.include_router(plan_items.router)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500, json_schema_extra=no_null,
                                     description="`next_cursor` from the page before")]
PlanStatusFilter = Annotated[list[PlanStatus] | None, Query(alias="status", json_schema_extra=no_null)]

_PLAN = ("id", "title", "owner_user_id", "status", "version", "created_at", "updated_at", "updated_by")


class Include(StrEnum):
    tree = "tree"


def plan_public(view: PlanView) -> dict:
    plan = view.plan
    return {name: getattr(plan, name) for name in _PLAN} | {
        "period_start": month_text(plan.period_start), "period_end": month_text(plan.period_end),
        "owner_name": view.owner_name, "owner_urn": view.owner_urn, "owner_school_name": view.owner_school_name,
        "scope": view.scope}


def tree_public(found: plan_tree.PlanTree) -> dict:
    today, titles = found.today, found.titles
    priorities = [
        priority_public(node.priority) | {
            "actions": [action_public(action, titles) | {
                "milestones": [milestone_public(m, today) for m in action.milestones]} for action in node.actions],
            "success_measures": [measure_public(m) for m in node.measures],
            "rollup": found.rollup(node).as_dict()}
        for node in found.priorities
    ]
    return plan_public(found.view) | {"priorities": priorities,
                                      "success_measures": [measure_public(m) for m in found.measures],
                                      "rollup": found.rollup().as_dict()}


def _page(result: action_plans.PlanPageResult) -> dict:
    return {"items": [plan_public(v) for v in result.views], "total": result.total, "limit": result.limit,
            "next_cursor": result.next_cursor}


@router.get("/action-plans", response_model=PlanPage, responses=problem_responses(400))
def list_plans(
    session: SessionDep,
    by: CurrentPrincipal,
    plan_status: PlanStatusFilter = None,
    urn: Annotated[list[URN] | None, Query(json_schema_extra=no_null,
                                           description="School plans of these schools")] = None,
    scope: Annotated[PlanScope | None, Query(json_schema_extra=no_null,
                                             description="The partnership's plans, or schools' own")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    """Page through the partnership's plans and schools' own plans, newest first; repeat a filter
    to OR its values. Follow `next_cursor` until it is null."""
    filters = PlanFilters(status=[s.value for s in plan_status or []], urn=urn or [],
                          scope=scope.value if scope else None)
    return _page(action_plans.page(session, filters, limit=limit, cursor=cursor, by=by))


@router.post("/action-plans", status_code=status.HTTP_201_CREATED, response_model=PlanDetail,
             responses=problem_responses(400, 403))
def create_plan(data: PlanCreate, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """Start a plan: the partnership's, or a school's own (`owner_urn`). Months are like `2016-05`."""
    view = action_plans.create(session, data, by=by)
    response.headers["ETag"] = etag(view.plan.version)
    response.headers["Location"] = f"/api/v1/action-plans/{view.plan.id}"
    return plan_public(view)


@router.get("/action-plans/{plan_id}", response_model=PlanDetail, responses=problem_responses(404))
def get_plan(plan_id: PlanId, session: SessionDep, by: CurrentPrincipal, response: Response,
             include: Annotated[Include | None, Query(json_schema_extra=no_null,
                                                      description="`tree`: its priorities, actions, milestones, "
                                                                  "success measures and roll-ups")] = None) -> dict:
    """One plan and its ETag; with `include=tree`, everything under it, in a fixed number of queries."""
    if include is Include.tree:
        found = plan_tree.tree(session, plan_id, by=by)
        response.headers["ETag"] = etag(found.view.plan.version)
        return tree_public(found)
    view = action_plans.get_view(session, plan_id, by=by)
    response.headers["ETag"] = etag(view.plan.version)
    return plan_public(view)


@router.patch("/action-plans/{plan_id}", response_model=PlanDetail,
              responses=problem_responses(400, 403, 404, 412, 428))
def update_plan(plan_id: PlanId, data: PlanUpdate, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch,
                response: Response) -> dict:
    """Change a plan's title, period, owner, school or status. Send `If-Match`."""
    view = action_plans.update(session, plan_id, data, if_match=if_match, by=by)
    response.headers["ETag"] = etag(view.plan.version)
    return plan_public(view)


@router.delete("/action-plans/{plan_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 412, 428))
def delete_plan(plan_id: PlanId, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch) -> None:
    """Remove a plan with everything under it. Send `If-Match`."""
    action_plans.delete(session, plan_id, if_match=if_match, by=by)


@router.get("/action-plans/{plan_id}/milestones", response_model=MilestonePage, responses=problem_responses(400, 404))
def list_milestones(
    plan_id: PlanId,
    session: SessionDep,
    by: CurrentPrincipal,
    milestone_status: Annotated[list[MilestoneStatus] | None, Query(alias="status", json_schema_extra=no_null)] = None,
    overdue: Annotated[bool | None, Query(json_schema_extra=no_null,
                                          description="Past due and not complete (or, false, the others)")] = None,
    lead: Annotated[str | None, Query(max_length=20, json_schema_extra=no_null,
                                      description="A lead role code: the milestones of the actions it leads")] = None,
    due_before: Annotated[Date | None, Query(json_schema_extra=no_null, description="Due before this day")] = None,
    due_after: Annotated[Date | None, Query(json_schema_extra=no_null, description="Due after this day")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    """A plan's milestones in the order they were added, each with its priority's and action's
    numbers and the action's leads; repeat `status` to OR its values."""
    today = date.today()
    filters = MilestoneFilters(status=[s.value for s in milestone_status or []], overdue=overdue, lead=lead,
                               due_before=due_before, due_after=due_after)
    result = plan_milestones.page(session, plan_id, filters, limit=limit, cursor=cursor, by=by, today=today)
    return {"items": [milestone_item(v, result.titles, today) for v in result.views], "total": result.total,
            "limit": result.limit, "next_cursor": result.next_cursor}


@router.get("/schools/{urn}/action-plans", response_model=PlanPage, responses=problem_responses(400, 404))
def list_school_plans(school: SchoolFromPath, session: SessionDep, by: CurrentPrincipal,
                      plan_status: PlanStatusFilter = None, limit: Limit = DEFAULT_LIMIT,
                      cursor: Cursor = None) -> dict:
    """A school's own plans (its Raising Achievement Plans), newest first."""
    filters = PlanFilters(status=[s.value for s in plan_status or []], school_id=school.id)
    return _page(action_plans.page(session, filters, limit=limit, cursor=cursor, by=by))
