"""Clinics: School Performance Clinics and School Review Group meetings, one record for both.

A clinic is planned, opened (which generates its agenda: app.services.clinic_agenda), minuted,
and its minutes approved by the chair, which locks it and plans the next meeting of the
partnership's cadence. Everything agreed at a locked clinic stays as it was, except that its open
actions can still be closed at a later one."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import defer
from sqlmodel import Session

from app.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from app.models.base import utcnow
from app.models.clinic import Clinic, ClinicStatus
from app.models.clinic_api import ClinicCreate, ClinicUpdate
from app.services import concurrency, partnerships, permissions
from app.services.concurrency import require_match
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind

DEFAULT_LIMIT = 50
SORT = "-held_on"
STEPS = {
    (ClinicStatus.planned, ClinicStatus.in_session): "open",
    (ClinicStatus.in_session, ClinicStatus.minutes_draft): "close",
    (ClinicStatus.minutes_draft, ClinicStatus.minutes_approved): "approve",
    (ClinicStatus.minutes_draft, ClinicStatus.in_session): "resume",
}
LOCKED = ClinicStatus.minutes_approved.value


@dataclass
class ClinicPageResult:
    items: list[Clinic]
    total: int
    limit: int
    next_cursor: str | None


# --- reading ------------------------------------------------------------------------------------


def get(session: Session, clinic_id: int, *, by: Principal, lock: bool = False) -> Clinic:
    """A clinic of the caller's partnership that they may see; 404 for another partnership's."""
    bind(session, by)
    permissions.require_clinic_reader(by)
    stmt = select(Clinic).where(Clinic.id == clinic_id).options(defer(Clinic.baseline))
    found = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if found is None:
        raise NotFound(f"no clinic {clinic_id} in this partnership")
    return found


def _after(cursor: str) -> tuple[date, int]:
    value, row_id = decode_cursor(cursor, SORT, str)
    try:
        return date.fromisoformat(value), row_id
    except ValueError:
        message = "the cursor is not one this service issued"
        raise BadRequest(message, errors=[FieldError("cursor", message, "query")]) from None


def page(session: Session, *, academic_year: list[str] | None = None, status: list[str] | None = None,
         limit: int = DEFAULT_LIMIT, cursor: str | None = None, by: Principal) -> ClinicPageResult:
    """The partnership's clinics, newest first: two statements."""
    bind(session, by)
    permissions.require_clinic_reader(by)
    bad = [s for s in status or [] if s not in ClinicStatus.__members__]
    if bad:
        message = f"unknown status {bad[0]!r}; use one of: {', '.join(ClinicStatus)}"
        raise BadRequest(message, errors=[FieldError("status", message, "query")])
    limit = clamp_limit(limit)

    def filtered(stmt):  # noqa: ANN001, ANN202
        if academic_year:
            stmt = stmt.where(Clinic.academic_year.in_(academic_year))
        if status:
            stmt = stmt.where(Clinic.status.in_(status))
        return stmt

    total = session.scalar(filtered(select(func.count(Clinic.id)))) or 0
    key = SortKey(SORT, Clinic.held_on, True, str)
    rows = list(session.scalars(apply_keyset(filtered(select(Clinic).options(defer(Clinic.baseline))), key, Clinic.id,
                                             _after(cursor) if cursor else None).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(SORT, last.held_on.isoformat(), last.id)
    return ClinicPageResult(rows[:limit], total, limit, next_cursor)


def previous_of(session: Session, clinic: Clinic) -> Clinic | None:
    """The latest clinic held before this one that was opened (whose agenda "what changed" compares with)."""
    return session.scalars(
        select(Clinic).where(Clinic.id != clinic.id, Clinic.opened_at.is_not(None),
                             (Clinic.held_on < clinic.held_on)
                             | ((Clinic.held_on == clinic.held_on) & (Clinic.id < clinic.id)))
        .order_by(Clinic.held_on.desc(), Clinic.id.desc()).limit(1)
    ).first()


# --- the cadence ----------------------------------------------------------------------------------


def _meeting_for(cadence: list[dict], held_on: date, asked: str | None) -> dict:
    """The cadence's meeting named `asked`, or the one of `held_on`'s month (else the latest one
    before it in the school year); 422 on `meeting` for a name the cadence does not have."""
    if asked is not None:
        for meeting in cadence:
            if meeting["meeting"].casefold() == asked.strip().casefold():
                return meeting
        names = ", ".join(m["meeting"] for m in cadence)
        raise ValidationFailed([FieldError("meeting", f"not one of this partnership's meetings: {names}")])

    def school_month(month: int) -> int:  # September is the first month of the school year
        return (month - 9) % 12

    before = [m for m in cadence if school_month(m["month"]) <= school_month(held_on.month)]
    if before:
        return max(before, key=lambda m: school_month(m["month"]))
    return min(cadence, key=lambda m: school_month(m["month"]))


def next_meeting(cadence: list[dict], held_on: date) -> tuple[dict, date]:
    """The cadence's next meeting after `held_on`, and a date for it (the same day of its month)."""
    for offset in range(1, 13):
        month_start = (held_on.replace(day=1) + timedelta(days=32 * offset)).replace(day=1)
        for meeting in cadence:
            if meeting["month"] == month_start.month:
                day = min(held_on.day, 28)
                return meeting, month_start.replace(day=day)
    raise ValueError("a cadence has at least one meeting")


# --- writing ------------------------------------------------------------------------------------


def create(session: Session, data: ClinicCreate, *, by: Principal) -> Clinic:
    """Plan a clinic (officers)."""
    bind(session, by)
    permissions.require_manage(by, "clinics")
    partnership = partnerships.current(session, by=by)
    meeting = _meeting_for(partnership.meeting_cadence, data.held_on, data.meeting)
    clinic = Clinic(held_on=data.held_on, academic_year=partnerships.academic_year_for(data.held_on),
                    meeting=meeting["meeting"], focus=data.focus if data.focus is not None else meeting.get("focus"),
                    chair_name=data.chair_name, attendees=list(data.attendees), status=ClinicStatus.planned.value,
                    updated_by=by.label)
    session.add(clinic)
    session.flush()
    return clinic


def refuse_locked(clinic: Clinic, what: str = "it") -> None:
    if clinic.status == LOCKED:
        raise Conflict(f"clinic {clinic.id}'s minutes are approved, so {what} cannot be changed",
                       errors=[FieldError("status", "the clinic is locked: its minutes are approved")])


def update(session: Session, clinic_id: int, data: ClinicUpdate, *, if_match: str | None,
           by: Principal) -> Clinic:
    """Change some fields (officers), or take a step of the workflow (`status` on its own)."""
    clinic = get(session, clinic_id, by=by, lock=True)
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    status = changes.pop("status", None)
    if status is not None and changes:
        raise ValidationFailed([FieldError("status", "change the status on its own, without other changes")])
    if status is None:
        permissions.require_manage(by, "clinics")
    require_match(if_match, clinic.version, what="clinic")
    if status is not None:
        return transition(session, clinic, ClinicStatus(status), by=by)
    refuse_locked(clinic)
    nulled = [name for name in ("held_on", "attendees") if name in changes and changes[name] is None]
    if nulled:
        raise ValidationFailed([FieldError(name, "cannot be empty") for name in nulled])
    if "held_on" in changes and clinic.status != ClinicStatus.planned.value:
        raise Conflict("a clinic that has met keeps its date",
                       errors=[FieldError("held_on", "the clinic has been opened: its date stays")])
    for name, value in changes.items():
        setattr(clinic, name, list(value) if name == "attendees" else value)
    if "held_on" in changes:
        clinic.academic_year = partnerships.academic_year_for(clinic.held_on)
    if session.is_modified(clinic):
        clinic.touch(by.label)
        concurrency.flush(session, what="clinic")
    return clinic


def transition(session: Session, clinic: Clinic, to: ClinicStatus, *, by: Principal) -> Clinic:
    """planned -> in_session (generates the agenda) -> minutes_draft (-> back to in_session) ->
    minutes_approved (the chair or an officer; locks the clinic and plans the next meeting)."""
    from app.services import clinic_agenda  # the agenda reads flags, which read clinic actions

    current = ClinicStatus(clinic.status)
    if to == current:
        raise Conflict(f"the clinic is {current.value} already",
                       errors=[FieldError("status", f"already {current.value}")])
    step = STEPS.get((current, to))
    if step is None:
        allowed = [t.value for (s, t) in STEPS if s == current] or ["nothing: it is locked"]
        raise Conflict(f"a {current.value} clinic cannot become {to.value}",
                       errors=[FieldError("status", f"a {current.value} clinic can only become "
                                                    f"{' or '.join(allowed)}")])
    if step == "approve":
        permissions.require_chair(by)
    elif step == "open":
        permissions.require_manage(by, "clinics")
    else:
        permissions.require_minute_taker(by)
    now = utcnow()
    if step == "open":
        clinic_agenda.generate(session, clinic, by=by)
        clinic.opened_at = now
    elif step == "approve":
        clinic.approved_at, clinic.approved_by = now, by.label
    clinic.status = to.value
    clinic.touch(by.label)
    concurrency.flush(session, what="clinic")
    if step == "approve":
        plan_next(session, clinic, by=by)
    return clinic


def plan_next(session: Session, clinic: Clinic, *, by: Principal) -> Clinic | None:
    """Once a clinic's minutes are approved, the next meeting of the cadence is planned (unless a
    later clinic is planned already): its minutes open the next clinic."""
    later = session.scalar(select(func.count(Clinic.id)).where(Clinic.held_on > clinic.held_on))
    if later:
        return None
    cadence = partnerships.current(session, by=by).meeting_cadence
    meeting, held_on = next_meeting(cadence, clinic.held_on)
    nxt = Clinic(held_on=held_on, academic_year=partnerships.academic_year_for(held_on), meeting=meeting["meeting"],
                 focus=meeting.get("focus"), chair_name=clinic.chair_name, attendees=list(clinic.attendees),
                 status=ClinicStatus.planned.value, updated_by=by.label)
    session.add(nxt)
    session.flush()
    return nxt


def delete(session: Session, clinic_id: int, *, if_match: str | None, by: Principal) -> None:
    """Remove a clinic while it is only planned (officers); 409 once it has met."""
    clinic = get(session, clinic_id, by=by, lock=True)
    permissions.require_manage(by, "clinics")
    require_match(if_match, clinic.version, what="clinic")
    if clinic.status != ClinicStatus.planned.value:
        raise Conflict("only a planned clinic can be deleted; one that has met is part of the record",
                       errors=[FieldError("status", f"the clinic is {clinic.status}")])
    session.delete(clinic)
    concurrency.flush(session, what="clinic")
