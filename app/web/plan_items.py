"""What a plan is made of, in the browser (officers): add, change and remove a priority, an action
(its leads ticked from the partnership's glossary) and a success measure. Each form is a page of its
own (app.web.plan_forms); a number already taken is the service's 409, shown beside the number."""

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.action_plan import PlanPriority
from app.models.action_plan_api import (
    ActionCreate,
    ActionUpdate,
    MeasureCreate,
    MeasureUpdate,
    PriorityCreate,
    PriorityUpdate,
)
from app.models.types import MAX_ID
from app.routing import Router
from app.services import action_plans, partnerships, permissions, plan_items, plan_roles, plan_tree
from app.services.plan_tree import ActionNode
from app.services.principal import Principal
from app.web import plan_forms
from app.web.forms import Form, FormData
from app.web.plan_forms import Field, ItemPage
from app.web.security import WebPrincipal

router = Router(tags=["web: action plans"])

PlanId = Path(ge=1, le=MAX_ID)
PriorityId = Path(ge=1, le=MAX_ID)
ActionId = Path(ge=1, le=MAX_ID)
MeasureId = Path(ge=1, le=MAX_ID)
NUMBER_HINT = "Leave empty for the next number"


def _plan_url(plan_id: int, priority_id: int | None = None, anchor: str = "") -> str:
    opened = f"?open={priority_id}" if priority_id else ""
    return f"/action-plans/{plan_id}{opened}{'#' + anchor if anchor else ''}"


def _caption(session: Session, by: Principal, plan_id: int) -> str:
    return action_plans.get_view(session, plan_id, by=by).plan.title


def _if_match(data: FormData) -> str | None:
    return Form.typed(data, ()).if_match


# --- priorities ---------------------------------------------------------------------------------


def _priority_fields(session: Session, by: Principal) -> list[Field]:
    areas = partnerships.current(session, by=by).improvement_areas
    return [
        Field("number", "Number", "number", hint=NUMBER_HINT),
        Field("title", "Priority", "textarea"),
        Field("success_criteria", "What success will look like", "lines", hint="One statement a line"),
        Field("areas", "Areas for improvement it answers", "checkboxes", options=tuple((a, a) for a in areas),
              hint="The partnership has no areas for improvement yet (Settings)"),
    ]


@router.get("/action-plans/{plan_id}/priorities/new", summary="Add a priority to a plan")
def new_priority(request: Request, session: SessionDep, by: WebPrincipal, plan_id: int = PlanId) -> Response:
    page = _new_priority_page(session, by, plan_id)
    return plan_forms.show(request, session, by, page, plan_forms.blank(page.fields))


def _new_priority_page(session: Session, by: Principal, plan_id: int) -> ItemPage:
    caption = _caption(session, by, plan_id)
    permissions.require_plan_editor(by)
    return ItemPage("Add a priority", caption, f"/action-plans/{plan_id}/priorities/new",
                    _priority_fields(session, by), "Add the priority", _plan_url(plan_id))


@router.post("/action-plans/{plan_id}/priorities/new", summary="Add a priority to a plan")
def add_priority(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                 plan_id: int = PlanId) -> Response:
    page = _new_priority_page(session, by, plan_id)
    form = plan_forms.typed(data, page.fields)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: plan_items.add_priority(session, plan_id, plan_forms.model(PriorityCreate, form, page.fields), by=by),
        done=lambda p: _plan_url(plan_id, p.id, f"priority-{p.id}"), banner="The priority was added")


def _priority_page(session: Session, by: Principal, priority: PlanPriority) -> ItemPage:
    permissions.require_plan_editor(by)
    return ItemPage(f"Change priority {priority.number}", _caption(session, by, priority.plan_id),
                    f"/priorities/{priority.id}/edit", _priority_fields(session, by), "Save the priority",
                    _plan_url(priority.plan_id, priority.id, f"priority-{priority.id}"),
                    delete_url=f"/priorities/{priority.id}/delete", delete_words=f"Delete priority {priority.number}",
                    extra={"delete_warning": "Its actions, their milestones and its success measures go with it."})


def _priority_form(session: Session, by: Principal, priority_id: int, page: ItemPage) -> Form:
    priority = plan_items.get_priority(session, priority_id, by=by)
    session.refresh(priority)
    return plan_forms.of(priority, page.fields)


@router.get("/priorities/{priority_id}/edit", summary="Change a priority")
def edit_priority(request: Request, session: SessionDep, by: WebPrincipal, priority_id: int = PriorityId) -> Response:
    priority = plan_items.get_priority(session, priority_id, by=by)
    page = _priority_page(session, by, priority)
    return plan_forms.show(request, session, by, page, plan_forms.of(priority, page.fields))


@router.post("/priorities/{priority_id}/edit", summary="Save a priority")
def save_priority(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  priority_id: int = PriorityId) -> Response:
    priority = plan_items.get_priority(session, priority_id, by=by)
    page = _priority_page(session, by, priority)
    form = plan_forms.typed(data, page.fields)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: plan_items.update_priority(session, priority_id, plan_forms.model(PriorityUpdate, form, page.fields),
                                           if_match=form.if_match, by=by),
        done=lambda p: _plan_url(p.plan_id, p.id, f"priority-{p.id}"), banner="The priority was saved",
        stored=lambda: plan_items.get_priority(session, priority_id, by=by))


@router.post("/priorities/{priority_id}/delete", summary="Delete a priority with its actions and milestones")
def delete_priority(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                    priority_id: int = PriorityId) -> Response:
    priority = plan_items.get_priority(session, priority_id, by=by)
    page = _priority_page(session, by, priority)
    plan_id, number, if_match = priority.plan_id, priority.number, _if_match(data)
    return plan_forms.delete(
        request, session, by, page, data,
        lambda: plan_items.delete_priority(session, priority_id, if_match=if_match, by=by),
        filled=lambda: _priority_form(session, by, priority_id, page), done=_plan_url(plan_id, anchor="priorities"),
        banner=f"Priority {number} was deleted")


# --- actions ------------------------------------------------------------------------------------


def _action_fields(session: Session, by: Principal) -> list[Field]:
    titles = plan_roles.role_titles(partnerships.current(session, by=by))
    return [
        Field("number", "Number within the priority", "number", hint=NUMBER_HINT),
        Field("description", "Action", "textarea"),
        Field("leads", "Lead", "checkboxes",
              options=tuple((code, f"{code}: {title}") for code, title in titles.items()),
              hint="The partnership has no lead roles yet (Settings)"),
        Field("time_frame", "When, in words", hint="For example “From Sept 2016” or “Termly”",
              width="govuk-input--width-20"),
        Field("start_on", "Starts", "date", hint="If it has a start date"),
        Field("end_on", "Ends", "date", hint="If it has an end date"),
    ]


def _new_action_page(session: Session, by: Principal, priority: PlanPriority) -> ItemPage:
    permissions.require_plan_editor(by)
    return ItemPage(f"Add an action to priority {priority.number}", _caption(session, by, priority.plan_id),
                    f"/priorities/{priority.id}/actions/new", _action_fields(session, by), "Add the action",
                    _plan_url(priority.plan_id, priority.id, f"priority-{priority.id}"))


@router.get("/priorities/{priority_id}/actions/new", summary="Add an action to a priority")
def new_action(request: Request, session: SessionDep, by: WebPrincipal, priority_id: int = PriorityId) -> Response:
    page = _new_action_page(session, by, plan_items.get_priority(session, priority_id, by=by))
    return plan_forms.show(request, session, by, page, plan_forms.blank(page.fields))


@router.post("/priorities/{priority_id}/actions/new", summary="Add an action to a priority")
def add_action(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
               priority_id: int = PriorityId) -> Response:
    page = _new_action_page(session, by, plan_items.get_priority(session, priority_id, by=by))
    form = plan_forms.typed(data, page.fields)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: plan_items.add_action(session, priority_id, plan_forms.model(ActionCreate, form, page.fields), by=by),
        done=_action_url, banner="The action was added")


def _action_url(node: ActionNode) -> str:
    return _plan_url(node.action.plan_id, node.action.priority_id, f"action-{node.action.id}")


def _action_page(session: Session, by: Principal, node: ActionNode) -> ItemPage:
    permissions.require_plan_editor(by)
    action = node.action
    return ItemPage(f"Change action {node.label}", _caption(session, by, action.plan_id),
                    f"/plan-actions/{action.id}/edit", _action_fields(session, by), "Save the action",
                    _action_url(node), delete_url=f"/plan-actions/{action.id}/delete",
                    delete_words=f"Delete action {node.label}",
                    extra={"delete_warning": "Its milestones go with it."})


def _action_form(session: Session, by: Principal, action_id: int, page: ItemPage) -> Form:
    node = plan_items.get_action(session, action_id, by=by)
    session.refresh(node.action)
    return plan_forms.of(node.action, page.fields, leads=node.leads)


@router.get("/plan-actions/{action_id}/edit", summary="Change an action")
def edit_action(request: Request, session: SessionDep, by: WebPrincipal, action_id: int = ActionId) -> Response:
    node = plan_items.get_action(session, action_id, by=by)
    page = _action_page(session, by, node)
    return plan_forms.show(request, session, by, page, plan_forms.of(node.action, page.fields, leads=node.leads))


@router.post("/plan-actions/{action_id}/edit", summary="Save an action")
def save_action(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                action_id: int = ActionId) -> Response:
    node = plan_items.get_action(session, action_id, by=by)
    page = _action_page(session, by, node)
    form = plan_forms.typed(data, page.fields)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: plan_items.update_action(session, action_id, plan_forms.model(ActionUpdate, form, page.fields),
                                         if_match=form.if_match, by=by),
        done=_action_url, banner=f"Action {node.label} was saved",
        stored=lambda: plan_items.get_action(session, action_id, by=by).action,
        labels={"number": "Number", "description": "Action", "time_frame": "When, in words"})


@router.post("/plan-actions/{action_id}/delete", summary="Delete an action with its milestones")
def delete_action(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  action_id: int = ActionId) -> Response:
    node = plan_items.get_action(session, action_id, by=by)
    page = _action_page(session, by, node)
    if_match, label = _if_match(data), node.label
    done = _plan_url(node.action.plan_id, node.action.priority_id, f"priority-{node.action.priority_id}")
    return plan_forms.delete(
        request, session, by, page, data,
        lambda: plan_items.delete_action(session, action_id, if_match=if_match, by=by),
        filled=lambda: _action_form(session, by, action_id, page), done=done, banner=f"Action {label} was deleted")


# --- success measures ---------------------------------------------------------------------------


def _measure_fields(session: Session, by: Principal, plan_id: int) -> list[Field]:
    priorities = _priorities(session, by, plan_id)
    return [
        Field("measure", "Measure", "textarea", hint="For example “KS2 indicators in the top 50% of LAs”"),
        Field("priority_id", "What it measures", "select",
              options=(("", "The whole plan"), *((str(p.id), f"Priority {p.number}: {p.title[:80]}")
                                                   for p in priorities))),
        Field("baseline", "Baseline", width="govuk-input--width-20"),
        Field("target", "Target", width="govuk-input--width-20"),
        Field("target_on", "Target date", "date"),
        Field("latest_value", "Latest value", width="govuk-input--width-20"),
        Field("latest_on", "Date of the latest value", "date"),
    ]


def _priorities(session: Session, by: Principal, plan_id: int) -> list[PlanPriority]:
    """The plan's priorities in order, for a measure's choice of what it measures."""
    return [node.priority for node in plan_tree.tree(session, plan_id, by=by).priorities]


def _new_measure_page(session: Session, by: Principal, plan_id: int) -> ItemPage:
    caption = _caption(session, by, plan_id)
    permissions.require_plan_editor(by)
    return ItemPage("Add a success measure", caption, f"/action-plans/{plan_id}/measures/new",
                    _measure_fields(session, by, plan_id), "Add the measure", _plan_url(plan_id, anchor="measures"))


@router.get("/action-plans/{plan_id}/measures/new", summary="Add a success measure to a plan")
def new_measure(request: Request, session: SessionDep, by: WebPrincipal, plan_id: int = PlanId) -> Response:
    page = _new_measure_page(session, by, plan_id)
    return plan_forms.show(request, session, by, page, plan_forms.blank(page.fields))


def _measure_url(measure) -> str:  # noqa: ANN001 (a SuccessMeasure)
    return _plan_url(measure.plan_id, measure.priority_id,
                     f"measure-{measure.id}" if measure.id else "measures")


@router.post("/action-plans/{plan_id}/measures/new", summary="Add a success measure to a plan")
def add_measure(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                plan_id: int = PlanId) -> Response:
    page = _new_measure_page(session, by, plan_id)
    form = plan_forms.typed(data, page.fields)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: plan_items.add_measure(session, plan_id, plan_forms.model(MeasureCreate, form, page.fields), by=by),
        done=_measure_url, banner="The success measure was added")


def _measure_page(session: Session, by: Principal, measure) -> ItemPage:  # noqa: ANN001
    permissions.require_plan_editor(by)
    return ItemPage("Change a success measure", _caption(session, by, measure.plan_id),
                    f"/measures/{measure.id}/edit", _measure_fields(session, by, measure.plan_id), "Save the measure",
                    _measure_url(measure), delete_url=f"/measures/{measure.id}/delete",
                    delete_words="Delete this success measure")


def _measure_form(session: Session, by: Principal, measure_id: int, page: ItemPage) -> Form:
    measure = plan_items.get_measure(session, measure_id, by=by)
    session.refresh(measure)
    return plan_forms.of(measure, page.fields)


@router.get("/measures/{measure_id}/edit", summary="Change a success measure")
def edit_measure(request: Request, session: SessionDep, by: WebPrincipal, measure_id: int = MeasureId) -> Response:
    measure = plan_items.get_measure(session, measure_id, by=by)
    page = _measure_page(session, by, measure)
    return plan_forms.show(request, session, by, page, plan_forms.of(measure, page.fields))


@router.post("/measures/{measure_id}/edit", summary="Save a success measure")
def save_measure(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                 measure_id: int = MeasureId) -> Response:
    measure = plan_items.get_measure(session, measure_id, by=by)
    page = _measure_page(session, by, measure)
    form = plan_forms.typed(data, page.fields)
    return plan_forms.submit(
        request, session, by, page, form,
        lambda: plan_items.update_measure(session, measure_id, plan_forms.model(MeasureUpdate, form, page.fields),
                                          if_match=form.if_match, by=by),
        done=_measure_url, banner="The success measure was saved",
        stored=lambda: plan_items.get_measure(session, measure_id, by=by))


@router.post("/measures/{measure_id}/delete", summary="Delete a success measure")
def delete_measure(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                   measure_id: int = MeasureId) -> Response:
    measure = plan_items.get_measure(session, measure_id, by=by)
    page = _measure_page(session, by, measure)
    if_match, done = _if_match(data), _plan_url(measure.plan_id, anchor="measures")
    return plan_forms.delete(
        request, session, by, page, data,
        lambda: plan_items.delete_measure(session, measure_id, if_match=if_match, by=by),
        filled=lambda: _measure_form(session, by, measure_id, page), done=done,
        banner="The success measure was deleted")
