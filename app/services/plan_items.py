"""What a plan is made of: its priorities, their numbered actions (with lead role codes) and its
success measures. Officers and write tokens add, change and remove them; another partnership's is
404. Milestones are in plan_milestones.py.

Anything added under a plan, or renumbered, first locks the plan's row (action_plans.hold), so two
clients taking "the next number" at once take turns; a number already taken is 409, also when two
clients race for it (the unique constraints answer, and their error is turned into 409)."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from app.errors import Conflict, FieldError, NotFound, PreconditionFailed, ValidationFailed
from app.models.action_plan import PlanAction, PlanActionLead, PlanPriority, SuccessMeasure
from app.models.action_plan_api import (
    ActionCreate,
    ActionUpdate,
    MeasureCreate,
    MeasureUpdate,
    PriorityCreate,
    PriorityUpdate,
)
from app.models.partnership import Partnership
from app.services import action_plans, concurrency, partnerships, permissions, plan_roles
from app.services.concurrency import require_match
from app.services.plan_tree import ActionNode
from app.services.principal import Principal, bind


def _editor(session: Session, by: Principal) -> None:
    bind(session, by)
    by.require_read()


@contextmanager
def taken_number(what: str) -> Iterator[None]:
    """Turn the unique constraint's error (a number taken by someone at the same moment) into 409,
    and a lost race on a version into 412."""
    try:
        yield
    except IntegrityError:
        raise Conflict(f"that {what} number was taken by someone else at the same moment; read the plan again",
                       errors=[FieldError("number", "taken by someone else at the same moment")]) from None
    except StaleDataError:
        raise PreconditionFailed(f"the {what} was changed by someone else at the same moment; read it again") \
            from None


def _refuse_taken(what: str, number: int, where: str) -> None:
    raise Conflict(f"{where} already has {what} {number}",
                   errors=[FieldError("number", f"{what} {number} is taken; choose another or leave it out")])


def _not_null(changes: dict, names: tuple[str, ...]) -> None:
    nulled = [name for name in names if name in changes and changes[name] is None]
    if nulled:
        raise ValidationFailed([FieldError(name, "cannot be empty") for name in nulled])


# --- priorities ---------------------------------------------------------------------------------


def _check_areas(partnership: Partnership, areas: list[str]) -> None:
    known = set(partnership.improvement_areas)
    errors = [FieldError(f"areas.{n}", f"{area!r} is not one of this partnership's areas for improvement")
              for n, area in enumerate(areas) if area not in known]
    if errors:
        raise ValidationFailed(errors)


def get_priority(session: Session, priority_id: int, *, by: Principal) -> PlanPriority:
    _editor(session, by)
    priority = session.scalars(select(PlanPriority).where(PlanPriority.id == priority_id)).first()
    if priority is None:
        raise NotFound(f"no priority {priority_id} in this partnership")
    return priority


def _priority_number_taken(session: Session, plan_id: int, number: int, *, but: int | None = None) -> bool:
    stmt = select(PlanPriority.id).where(PlanPriority.plan_id == plan_id, PlanPriority.number == number)
    found = session.scalar(stmt)
    return found is not None and found != but


def add_priority(session: Session, plan_id: int, data: PriorityCreate, *, by: Principal) -> PlanPriority:
    """A priority at the end of the plan, or numbered (409 if the number is taken)."""
    _editor(session, by)
    action_plans.hold(session, plan_id)
    permissions.require_plan_editor(by)
    _check_areas(partnerships.current(session, by=by), data.areas)
    number = data.number
    if number is None:
        number = (session.scalar(select(func.max(PlanPriority.number)).where(PlanPriority.plan_id == plan_id))
                  or 0) + 1
    elif _priority_number_taken(session, plan_id, number):
        _refuse_taken("priority", number, "the plan")
    priority = PlanPriority(plan_id=plan_id, number=number, title=data.title,
                            success_criteria=list(data.success_criteria), areas=list(data.areas),
                            updated_by=by.label)
    session.add(priority)
    with taken_number("priority"):
        session.flush()
    return priority


def update_priority(session: Session, priority_id: int, data: PriorityUpdate, *, if_match: str | None,
                    by: Principal) -> PlanPriority:
    priority = get_priority(session, priority_id, by=by)
    permissions.require_plan_editor(by)
    require_match(if_match, priority.version, what="priority")
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    _not_null(changes, ("number", "title", "success_criteria", "areas"))
    if "areas" in changes:
        _check_areas(partnerships.current(session, by=by), changes["areas"])
    if "number" in changes and changes["number"] != priority.number:
        action_plans.hold(session, priority.plan_id)
        if _priority_number_taken(session, priority.plan_id, changes["number"], but=priority.id):
            _refuse_taken("priority", changes["number"], "the plan")
    for name, value in changes.items():
        setattr(priority, name, list(value) if isinstance(value, list) else value)
    if session.is_modified(priority):
        priority.touch(by.label)
        with taken_number("priority"):
            session.flush()
    return priority


def delete_priority(session: Session, priority_id: int, *, if_match: str | None, by: Principal) -> None:
    """Remove a priority with its actions, their milestones and its success measures."""
    priority = get_priority(session, priority_id, by=by)
    permissions.require_plan_editor(by)
    require_match(if_match, priority.version, what="priority")
    session.delete(priority)
    concurrency.flush(session, what="priority")


# --- actions ------------------------------------------------------------------------------------


def get_action(session: Session, action_id: int, *, by: Principal) -> ActionNode:
    """An action with its priority's number and its lead codes (two queries), or 404."""
    _editor(session, by)
    row = session.execute(select(PlanAction, PlanPriority.number)
                          .join(PlanPriority, PlanPriority.id == PlanAction.priority_id)
                          .where(PlanAction.id == action_id)).first()
    if row is None:
        raise NotFound(f"no action {action_id} in this partnership")
    leads = list(session.scalars(select(PlanActionLead.code).where(PlanActionLead.action_id == action_id)
                                 .order_by(PlanActionLead.position)))
    return ActionNode(row[0], row[1], leads)


def _check_dates(start_on, end_on) -> None:  # noqa: ANN001
    if start_on is not None and end_on is not None and end_on < start_on:
        raise ValidationFailed([FieldError("end_on", "the action cannot end before it starts")])


def _leads(session: Session, by: Principal, codes: list[str]) -> list[str]:
    partnership = partnerships.current(session, by=by)
    plan_roles.check_codes(partnership, codes, "leads")
    return list(dict.fromkeys(codes))


def _action_number_taken(session: Session, priority_id: int, number: int, *, but: int | None = None) -> bool:
    found = session.scalar(select(PlanAction.id).where(PlanAction.priority_id == priority_id,
                                                       PlanAction.number == number))
    return found is not None and found != but


def _write_leads(session: Session, action: PlanAction, codes: list[str]) -> None:
    for position, code in enumerate(codes):
        session.add(PlanActionLead(plan_id=action.plan_id, action_id=action.id, code=code, position=position))


def add_action(session: Session, priority_id: int, data: ActionCreate, *, by: Principal) -> ActionNode:
    """An action at the end of its priority, or numbered (409 if the number is taken there)."""
    priority = get_priority(session, priority_id, by=by)
    action_plans.hold(session, priority.plan_id)
    permissions.require_plan_editor(by)
    codes = _leads(session, by, data.leads)
    _check_dates(data.start_on, data.end_on)
    number = data.number
    if number is None:
        number = (session.scalar(select(func.max(PlanAction.number)).where(PlanAction.priority_id == priority_id))
                  or 0) + 1
    elif _action_number_taken(session, priority_id, number):
        _refuse_taken("action", number, f"priority {priority.number}")
    action = PlanAction(plan_id=priority.plan_id, priority_id=priority_id, number=number,
                        description=data.description, time_frame=data.time_frame, start_on=data.start_on,
                        end_on=data.end_on, updated_by=by.label)
    session.add(action)
    with taken_number("action"):
        session.flush()
        _write_leads(session, action, codes)
        session.flush()
    return ActionNode(action, priority.number, codes)


def update_action(session: Session, action_id: int, data: ActionUpdate, *, if_match: str | None,
                  by: Principal) -> ActionNode:
    node = get_action(session, action_id, by=by)
    action = node.action
    permissions.require_plan_editor(by)
    require_match(if_match, action.version, what="action")
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    _not_null(changes, ("number", "description", "leads"))
    _check_dates(changes.get("start_on", action.start_on), changes.get("end_on", action.end_on))
    if "number" in changes and changes["number"] != action.number:
        action_plans.hold(session, action.plan_id)
        if _action_number_taken(session, action.priority_id, changes["number"], but=action.id):
            _refuse_taken("action", changes["number"], f"priority {node.priority_number}")
    codes = _leads(session, by, changes.pop("leads")) if "leads" in changes else None
    for name, value in changes.items():
        setattr(action, name, value)
    relead = codes is not None and codes != node.leads
    if session.is_modified(action) or relead:
        action.touch(by.label)
        with taken_number("action"):
            if relead:
                session.execute(delete(PlanActionLead).where(PlanActionLead.partnership_id == by.partnership_id,
                                                             PlanActionLead.action_id == action.id))
                _write_leads(session, action, codes)
                node.leads = codes
            session.flush()
    return node


def delete_action(session: Session, action_id: int, *, if_match: str | None, by: Principal) -> None:
    """Remove an action with its milestones."""
    node = get_action(session, action_id, by=by)
    permissions.require_plan_editor(by)
    require_match(if_match, node.action.version, what="action")
    session.delete(node.action)
    concurrency.flush(session, what="action")


# --- success measures ---------------------------------------------------------------------------


def get_measure(session: Session, measure_id: int, *, by: Principal) -> SuccessMeasure:
    _editor(session, by)
    measure = session.scalars(select(SuccessMeasure).where(SuccessMeasure.id == measure_id)).first()
    if measure is None:
        raise NotFound(f"no success measure {measure_id} in this partnership")
    return measure


def _check_priority(session: Session, plan_id: int, priority_id: int | None) -> None:
    if priority_id is None:
        return
    found = session.scalar(select(PlanPriority.id).where(PlanPriority.id == priority_id,
                                                         PlanPriority.plan_id == plan_id))
    if found is None:
        raise ValidationFailed([FieldError("priority_id", f"no priority {priority_id} in this plan")])


def add_measure(session: Session, plan_id: int, data: MeasureCreate, *, by: Principal) -> SuccessMeasure:
    """A success measure of the plan, or of one of its priorities (`priority_id`)."""
    _editor(session, by)
    action_plans.hold(session, plan_id)
    permissions.require_plan_editor(by)
    _check_priority(session, plan_id, data.priority_id)
    measure = SuccessMeasure(plan_id=plan_id, updated_by=by.label, **data.model_dump())
    session.add(measure)
    session.flush()
    return measure


def update_measure(session: Session, measure_id: int, data: MeasureUpdate, *, if_match: str | None,
                   by: Principal) -> SuccessMeasure:
    """Change a measure (its latest value as figures come in)."""
    measure = get_measure(session, measure_id, by=by)
    permissions.require_plan_editor(by)
    require_match(if_match, measure.version, what="success measure")
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    _not_null(changes, ("measure",))
    if "priority_id" in changes and changes["priority_id"] != measure.priority_id:
        action_plans.hold(session, measure.plan_id)
        _check_priority(session, measure.plan_id, changes["priority_id"])
    for name, value in changes.items():
        setattr(measure, name, value)
    if session.is_modified(measure):
        measure.touch(by.label)
        concurrency.flush(session, what="success measure")
    return measure


def delete_measure(session: Session, measure_id: int, *, if_match: str | None, by: Principal) -> None:
    measure = get_measure(session, measure_id, by=by)
    permissions.require_plan_editor(by)
    require_match(if_match, measure.version, what="success measure")
    session.delete(measure)
    concurrency.flush(session, what="success measure")
