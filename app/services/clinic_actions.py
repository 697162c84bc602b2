"""What clinics agree: actions (carried to every later clinic until done or dropped) and targets
(an outcome a school is to reach, reviewed at a later clinic). Officers, the chair and the members
record them; nothing agreed at a locked clinic changes, except that its open actions can be closed
and its targets reviewed at a later clinic."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, select
from sqlmodel import Session

from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models.clinic import Clinic, ClinicAction, ClinicActionStatus, ClinicStatus, ClinicTarget
from app.models.clinic_api import ClinicActionCreate, ClinicActionUpdate, TargetCreate, TargetUpdate
from app.models.school import School
from app.services import concurrency, permissions
from app.services.clinics import LOCKED, get, refuse_locked
from app.services.concurrency import require_match
from app.services.principal import Principal, bind

OPEN = ClinicActionStatus.open.value


@dataclass
class Agreed:
    """An action or target with its school's URN and name, as the faces show it."""

    record: ClinicAction | ClinicTarget
    urn: str | None
    school_name: str | None

    @property
    def overdue(self) -> bool:
        record = self.record
        return (isinstance(record, ClinicAction) and record.status == OPEN and record.due_on is not None
                and record.due_on < date.today())


def _school(session: Session, urn: str | None, field: str = "urn") -> Row | None:
    if urn is None:
        return None
    school = session.execute(select(School.id, School.urn, School.name).where(School.urn == urn)).first()
    if school is None:
        raise ValidationFailed([FieldError(field, f"no school with URN {urn} in this partnership")])
    return school


def _with_schools(session: Session, records: list) -> list[Agreed]:
    ids = {r.school_id for r in records if r.school_id is not None}
    names = {r.id: r for r in session.execute(select(School.id, School.urn, School.name)
                                              .where(School.id.in_(ids)))} if ids else {}
    return [Agreed(r, names[r.school_id].urn if r.school_id in names else None,
                   names[r.school_id].name if r.school_id in names else None) for r in records]


# --- reading ------------------------------------------------------------------------------------


def agreed_at(session: Session, clinic: Clinic) -> tuple[list[Agreed], list[Agreed], list[Agreed]]:
    """The clinic's own actions, the open actions carried forward from earlier clinics, and its
    targets (with those of earlier clinics still to be reviewed): four queries."""
    actions = list(session.scalars(select(ClinicAction).where(ClinicAction.clinic_id == clinic.id)
                                   .order_by(ClinicAction.id)))
    earlier = select(Clinic.id).where((Clinic.held_on < clinic.held_on)
                                      | ((Clinic.held_on == clinic.held_on) & (Clinic.id < clinic.id)))
    carried = list(session.scalars(
        select(ClinicAction).where(ClinicAction.clinic_id.in_(earlier),
                                   (ClinicAction.status == OPEN) | (ClinicAction.closed_at_clinic_id == clinic.id))
        .order_by(ClinicAction.due_on.is_(None), ClinicAction.due_on, ClinicAction.id)))
    targets = list(session.scalars(
        select(ClinicTarget).where((ClinicTarget.clinic_id == clinic.id)
                                   | ((ClinicTarget.clinic_id.in_(earlier))
                                      & (ClinicTarget.reviewed_at_clinic_id.is_(None)
                                         | (ClinicTarget.reviewed_at_clinic_id == clinic.id))))
        .order_by(ClinicTarget.id)))
    together = _with_schools(session, [*actions, *carried, *targets])
    return together[:len(actions)], together[len(actions):len(actions) + len(carried)], \
        together[len(actions) + len(carried):]


def open_actions(session: Session, *, by: Principal) -> list[Agreed]:
    """Every open action of every clinic, soonest due first (the flags' "overdue action" rule and
    the red-flag pages read these)."""
    bind(session, by)
    rows = list(session.scalars(select(ClinicAction).where(ClinicAction.status == OPEN)
                                .order_by(ClinicAction.due_on.is_(None), ClinicAction.due_on, ClinicAction.id)))
    return _with_schools(session, rows)


def get_action(session: Session, action_id: int, *, by: Principal) -> Agreed:
    bind(session, by)
    permissions.require_clinic_reader(by)
    action = session.scalars(select(ClinicAction).where(ClinicAction.id == action_id)).first()
    if action is None:
        raise NotFound(f"no clinic action {action_id} in this partnership")
    return _with_schools(session, [action])[0]


# --- actions ------------------------------------------------------------------------------------


def add_action(session: Session, clinic_id: int, data: ClinicActionCreate, *, by: Principal) -> Agreed:
    """Agree an action at a clinic that has met and is not locked."""
    clinic = get(session, clinic_id, by=by, lock=True)
    permissions.require_minute_taker(by)
    refuse_locked(clinic, "its actions")
    if clinic.status == ClinicStatus.planned.value:
        raise Conflict("actions are agreed once the clinic is in session",
                       errors=[FieldError("status", "the clinic has not met yet")])
    school = _school(session, data.urn)
    action = ClinicAction(clinic_id=clinic.id, school_id=school.id if school else None, text=data.text,
                          owner=data.owner, due_on=data.due_on, updated_by=by.label)
    session.add(action)
    session.flush()
    return Agreed(action, school.urn if school else None, school.name if school else None)


def update_action(session: Session, action_id: int, data: ClinicActionUpdate, *, if_match: str | None,
                  by: Principal) -> Agreed:
    """Change an action's words (not once its clinic is locked), or close it (done or dropped, with
    a note) or reopen it, at its own clinic or a later one."""
    agreed = get_action(session, action_id, by=by)
    action = agreed.record
    permissions.require_minute_taker(by)
    require_match(if_match, action.version, what="action")
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    words = {k: v for k, v in changes.items() if k in ("text", "owner", "due_on")}
    if words:
        origin = session.scalar(select(Clinic.status).where(Clinic.id == action.clinic_id))
        if origin == LOCKED:
            raise Conflict("the action was agreed at a clinic whose minutes are approved: its words stay; "
                           "close it with a note, or agree a new one",
                           errors=[FieldError(next(iter(words)), "agreed at a locked clinic")])
        if "text" in words and words["text"] is None:
            raise ValidationFailed([FieldError("text", "cannot be empty")])
    if "status" in changes:
        _close(session, action, changes, by=by)
    for name, value in words.items():
        setattr(action, name, value)
    if "note" in changes:
        action.note = changes["note"]
    if session.is_modified(action):
        action.touch(by.label)
        concurrency.flush(session, what="action")
    return agreed


def _close(session: Session, action: ClinicAction, changes: dict, *, by: Principal) -> None:
    status = changes["status"]
    if status is None:
        raise ValidationFailed([FieldError("status", "cannot be empty")])
    status = ClinicActionStatus(status).value
    if status == OPEN:
        action.status, action.closed_at_clinic_id = OPEN, None
        return
    closing = changes.get("clinic_id")
    if closing is not None:
        clinic = session.scalars(select(Clinic).where(Clinic.id == closing)).first()
        if clinic is None:
            raise ValidationFailed([FieldError("clinic_id", f"no clinic {closing} in this partnership")])
        refuse_locked(clinic, "what it closed")
    if status == ClinicActionStatus.dropped.value and not (changes.get("note") or action.note):
        raise ValidationFailed([FieldError("note", "say why the action is dropped")])
    action.status, action.closed_at_clinic_id = status, closing


# --- targets ------------------------------------------------------------------------------------


def add_target(session: Session, clinic_id: int, data: TargetCreate, *, by: Principal) -> Agreed:
    clinic = get(session, clinic_id, by=by, lock=True)
    permissions.require_minute_taker(by)
    refuse_locked(clinic, "its targets")
    school = _school(session, data.urn)
    target = ClinicTarget(clinic_id=clinic.id, school_id=school.id, outcome=data.outcome,
                          target_date=data.target_date, updated_by=by.label)
    session.add(target)
    session.flush()
    return Agreed(target, school.urn, school.name)


def update_target(session: Session, target_id: int, data: TargetUpdate, *, if_match: str | None,
                  by: Principal) -> Agreed:
    """Change a target's outcome or date (not once its clinic is locked), or review it at a later clinic."""
    bind(session, by)
    permissions.require_minute_taker(by)
    target = session.scalars(select(ClinicTarget).where(ClinicTarget.id == target_id)).first()
    if target is None:
        raise NotFound(f"no target {target_id} in this partnership")
    require_match(if_match, target.version, what="target")
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    if {"outcome", "target_date"} & set(changes):
        origin = session.scalar(select(Clinic.status).where(Clinic.id == target.clinic_id))
        if origin == LOCKED:
            raise Conflict("the target was agreed at a clinic whose minutes are approved: review it instead",
                           errors=[FieldError("outcome", "agreed at a locked clinic")])
        if "outcome" in changes and changes["outcome"] is None:
            raise ValidationFailed([FieldError("outcome", "cannot be empty")])
    reviewing = changes.get("reviewed_at_clinic_id")
    if reviewing is not None:
        clinic = session.scalars(select(Clinic).where(Clinic.id == reviewing)).first()
        if clinic is None:
            raise ValidationFailed([FieldError("reviewed_at_clinic_id", f"no clinic {reviewing} in this partnership")])
        refuse_locked(clinic, "its reviews")
    for name, value in changes.items():
        setattr(target, name, value)
    if session.is_modified(target):
        target.touch(by.label)
        concurrency.flush(session, what="target")
    return _with_schools(session, [target])[0]
