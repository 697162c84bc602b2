"""What a plan is made of, through HTTP: priorities, actions, milestones and success measures. Each
has its own ETag (its `version`); PATCH and DELETE need it in If-Match."""

from datetime import date
from typing import Annotated

from fastapi import Path, Response, status

from app.api.deps import CurrentPrincipal, IfMatch
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.action_plan import PlanMilestone, PlanPriority, SuccessMeasure
from app.models.action_plan_api import (
    ActionCreate,
    ActionPublic,
    ActionUpdate,
    MeasureCreate,
    MeasurePublic,
    MeasureUpdate,
    MilestoneCreate,
    MilestoneItem,
    MilestoneUpdate,
    PriorityCreate,
    PriorityPublic,
    PriorityUpdate,
)
from app.models.types import MAX_ID
from app.routing import Router
from app.services import plan_items, plan_milestones
from app.services.concurrency import etag
from app.services.plan_milestones import MilestoneView
from app.services.plan_tree import ActionNode, is_overdue, leads_of

router = Router(tags=["action plans"])

PlanId = Annotated[int, Path(ge=1, le=MAX_ID, description="The plan's id")]
PriorityId = Annotated[int, Path(ge=1, le=MAX_ID, description="The priority's id")]
ActionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The action's id")]
MilestoneId = Annotated[int, Path(ge=1, le=MAX_ID, description="The milestone's id")]
MeasureId = Annotated[int, Path(ge=1, le=MAX_ID, description="The success measure's id")]

_STAMP = ("version", "created_at", "updated_at", "updated_by")
_PRIORITY = ("id", "plan_id", "number", "title", "success_criteria", "areas", *_STAMP)
_ACTION = ("id", "plan_id", "priority_id", "number", "description", "time_frame", "start_on", "end_on", *_STAMP)
_MILESTONE = ("id", "plan_id", "action_id", "description", "due_on", "status", "evidence", "evidence_links", *_STAMP)
_MEASURE = ("id", "plan_id", "priority_id", "measure", "baseline", "target", "target_on", "latest_value",
            "latest_on", *_STAMP)


def priority_public(priority: PlanPriority) -> dict:
    return {name: getattr(priority, name) for name in _PRIORITY}


def action_public(node: ActionNode, titles: dict[str, str]) -> dict:
    return {name: getattr(node.action, name) for name in _ACTION} | {
        "label": node.label, "leads": leads_of(node.leads, titles)}


def milestone_public(milestone: PlanMilestone, today: date) -> dict:
    return {name: getattr(milestone, name) for name in _MILESTONE} | {
        "overdue": is_overdue(milestone.due_on, milestone.status, today)}


def milestone_item(view: MilestoneView, titles: dict[str, str], today: date) -> dict:
    return milestone_public(view.milestone, today) | {
        "priority_id": view.priority_id, "priority_number": view.priority_number,
        "action_number": view.action_number, "action_label": view.action_label,
        "leads": leads_of(view.leads, titles)}


def measure_public(measure: SuccessMeasure) -> dict:
    return {name: getattr(measure, name) for name in _MEASURE}


def _tagged(response: Response, version: int, location: str | None = None) -> None:
    response.headers["ETag"] = etag(version)
    if location:
        response.headers["Location"] = location


# --- priorities ---------------------------------------------------------------------------------


@router.post("/action-plans/{plan_id}/priorities", status_code=status.HTTP_201_CREATED,
             response_model=PriorityPublic, responses=problem_responses(400, 403, 404, 409))
def create_priority(plan_id: PlanId, data: PriorityCreate, session: SessionDep, by: CurrentPrincipal,
                    response: Response) -> dict:
    """Add a priority (numbered after the last unless `number` is given; a number taken is 409)."""
    priority = plan_items.add_priority(session, plan_id, data, by=by)
    _tagged(response, priority.version, f"/api/v1/priorities/{priority.id}")
    return priority_public(priority)


@router.patch("/priorities/{priority_id}", response_model=PriorityPublic,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_priority(priority_id: PriorityId, data: PriorityUpdate, session: SessionDep, by: CurrentPrincipal,
                    if_match: IfMatch, response: Response) -> dict:
    """Change a priority. Send its `If-Match`."""
    priority = plan_items.update_priority(session, priority_id, data, if_match=if_match, by=by)
    _tagged(response, priority.version)
    return priority_public(priority)


@router.delete("/priorities/{priority_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 412, 428))
def delete_priority(priority_id: PriorityId, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch) -> None:
    """Remove a priority with its actions, their milestones and its success measures."""
    plan_items.delete_priority(session, priority_id, if_match=if_match, by=by)


# --- actions ------------------------------------------------------------------------------------


@router.post("/priorities/{priority_id}/actions", status_code=status.HTTP_201_CREATED,
             response_model=ActionPublic, responses=problem_responses(400, 403, 404, 409))
def create_action(priority_id: PriorityId, data: ActionCreate, session: SessionDep, by: CurrentPrincipal,
                  response: Response) -> dict:
    """Add an action to a priority (numbered after its last unless `number` is given), led by one or
    more of the partnership's lead role codes."""
    node = plan_items.add_action(session, priority_id, data, by=by)
    _tagged(response, node.action.version, f"/api/v1/plan-actions/{node.action.id}")
    return action_public(node, plan_milestones.titles(session, by=by))


@router.patch("/plan-actions/{action_id}", response_model=ActionPublic,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_action(action_id: ActionId, data: ActionUpdate, session: SessionDep, by: CurrentPrincipal,
                  if_match: IfMatch, response: Response) -> dict:
    """Change an action (its leads are replaced by those sent). Send its `If-Match`."""
    node = plan_items.update_action(session, action_id, data, if_match=if_match, by=by)
    _tagged(response, node.action.version)
    return action_public(node, plan_milestones.titles(session, by=by))


@router.delete("/plan-actions/{action_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 412, 428))
def delete_action(action_id: ActionId, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch) -> None:
    """Remove an action with its milestones."""
    plan_items.delete_action(session, action_id, if_match=if_match, by=by)


# --- milestones ---------------------------------------------------------------------------------


@router.post("/plan-actions/{action_id}/milestones", status_code=status.HTTP_201_CREATED,
             response_model=MilestoneItem, responses=problem_responses(400, 403, 404))
def create_milestone(action_id: ActionId, data: MilestoneCreate, session: SessionDep, by: CurrentPrincipal,
                     response: Response) -> dict:
    """Add a milestone to an action (with no `due_on` it is ongoing)."""
    view = plan_milestones.add(session, action_id, data, by=by)
    _tagged(response, view.milestone.version, f"/api/v1/milestones/{view.milestone.id}")
    return milestone_item(view, plan_milestones.titles(session, by=by), date.today())


@router.get("/milestones/{milestone_id}", response_model=MilestoneItem, responses=problem_responses(404))
def get_milestone(milestone_id: MilestoneId, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """One milestone with its priority's and action's numbers and leads, and its ETag."""
    view = plan_milestones.get(session, milestone_id, by=by)
    _tagged(response, view.milestone.version)
    return milestone_item(view, plan_milestones.titles(session, by=by), date.today())


@router.patch("/milestones/{milestone_id}", response_model=MilestoneItem,
              responses=problem_responses(400, 403, 404, 412, 428))
def update_milestone(milestone_id: MilestoneId, data: MilestoneUpdate, session: SessionDep, by: CurrentPrincipal,
                     if_match: IfMatch, response: Response) -> dict:
    """Update a milestone: its status, evidence and links (officers, and holders of one of the
    action's lead roles), or its description and due date (officers). Send its `If-Match`."""
    view = plan_milestones.update(session, milestone_id, data, if_match=if_match, by=by)
    _tagged(response, view.milestone.version)
    return milestone_item(view, plan_milestones.titles(session, by=by), date.today())


# --- success measures ---------------------------------------------------------------------------


@router.post("/action-plans/{plan_id}/success-measures", status_code=status.HTTP_201_CREATED,
             response_model=MeasurePublic, responses=problem_responses(400, 403, 404))
def create_measure(plan_id: PlanId, data: MeasureCreate, session: SessionDep, by: CurrentPrincipal,
                   response: Response) -> dict:
    """Add a success measure to the plan, or to one of its priorities (`priority_id`)."""
    measure = plan_items.add_measure(session, plan_id, data, by=by)
    _tagged(response, measure.version, f"/api/v1/success-measures/{measure.id}")
    return measure_public(measure)


@router.patch("/success-measures/{measure_id}", response_model=MeasurePublic,
              responses=problem_responses(400, 403, 404, 412, 428))
def update_measure(measure_id: MeasureId, data: MeasureUpdate, session: SessionDep, by: CurrentPrincipal,
                   if_match: IfMatch, response: Response) -> dict:
    """Change a success measure (its latest value as figures come in). Send its `If-Match`."""
    measure = plan_items.update_measure(session, measure_id, data, if_match=if_match, by=by)
    _tagged(response, measure.version)
    return measure_public(measure)


@router.delete("/success-measures/{measure_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 412, 428))
def delete_measure(measure_id: MeasureId, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch) -> None:
    """Remove a success measure."""
    plan_items.delete_measure(session, measure_id, if_match=if_match, by=by)
