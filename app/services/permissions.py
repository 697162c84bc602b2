"""Who may do what. Every rule about roles lives here, and both faces ask it; nothing else checks
a role by name.

- officer, write token: everything; viewer, read token: read everything;
- lead headteacher (of a collaborative): edit its triads and their visits, sign them off, reopen;
- headteacher (of a school): create and edit visits hosted by their school while draft or
  submitted; read their triad and its visits;
- every member lists collaboratives and triads;
- clinic chair and clinic members: read every school's flags and the clinics, record minutes,
  actions and targets; the chair approves the minutes; officers do everything;
- lead headteachers and headteachers see the flags of their own schools only (a lead's: the
  schools of the collaboratives they lead), and no clinic.

A record the caller may not read is 404 (as another partnership's is); one they may read but not
change is 403.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlmodel import Session

from app.errors import Forbidden
from app.models.account import Role
from app.models.collaborative import CollaborativeSchool, TriadSchool
from app.models.visit import TriadVisit, VisitKind, VisitStatus
from app.services.principal import Principal

EDITABLE_BY_HEADTEACHER = frozenset({VisitStatus.draft.value, VisitStatus.submitted.value})


def sees_everything(by: Principal) -> bool:
    """Officers, viewers and tokens read the whole partnership."""
    if by.token_id is not None:
        return by.can_read
    return bool(by.roles & {Role.officer.value, Role.viewer.value})


def manages(by: Principal) -> bool:
    """Officers and write tokens change anything in the partnership."""
    return by.can_write


def leads(by: Principal, collaborative_id: int | None) -> bool:
    return collaborative_id is not None and collaborative_id in by.scoped(Role.lead_headteacher.value)


def heads(by: Principal, school_id: int | None) -> bool:
    return school_id is not None and school_id in by.scoped(Role.headteacher.value)


def require_manage(by: Principal, what: str) -> None:
    """Collaboratives, triads, settings: officers only."""
    if not manages(by):
        raise Forbidden(f"only an officer can change {what}")


def require_triad_edit(by: Principal, collaborative_id: int) -> None:
    """A triad changes by an officer or its collaborative's lead headteacher."""
    if not (manages(by) or leads(by, collaborative_id)):
        raise Forbidden("only an officer or the collaborative's lead headteacher can change its triads")


@dataclass(frozen=True)
class VisitScope:
    """Which visits a principal may read: all of them, or those of the collaboratives it leads,
    the triads its schools are in, and the visits its schools host."""

    everything: bool
    collaborative_ids: frozenset[int] = frozenset()
    school_ids: frozenset[int] = frozenset()
    triad_ids: frozenset[int] = frozenset()


def visit_scope(session: Session, by: Principal) -> VisitScope:
    """The principal's reach over visits (one query, for a headteacher's triads)."""
    if sees_everything(by):
        return VisitScope(True)
    schools = by.scoped(Role.headteacher.value)
    triads = frozenset(session.scalars(select(TriadSchool.triad_id).where(TriadSchool.school_id.in_(schools)))) \
        if schools else frozenset()
    return VisitScope(False, by.scoped(Role.lead_headteacher.value), schools, triads)


def readable_visits(scope: VisitScope, triad_collaborative: ColumnElement) -> ColumnElement[bool]:
    """A WHERE clause for the visits `scope` may read; `triad_collaborative` is the visit's triad's
    collaborative id as the query has it (a join or a subquery)."""
    if scope.everything:
        return true()
    conditions = []
    if scope.collaborative_ids:
        conditions.append(triad_collaborative.in_(scope.collaborative_ids))
    if scope.triad_ids:
        conditions.append(TriadVisit.triad_id.in_(scope.triad_ids))
    if scope.school_ids:
        conditions.append(TriadVisit.school_id.in_(scope.school_ids))
    return or_(*conditions) if conditions else false()


def can_read_visit(scope: VisitScope, visit: TriadVisit, collaborative_id: int | None) -> bool:
    return (scope.everything or (collaborative_id is not None and collaborative_id in scope.collaborative_ids)
            or visit.triad_id in scope.triad_ids or visit.school_id in scope.school_ids)


def can_create_visit(by: Principal, *, school_id: int, collaborative_id: int | None) -> bool:
    """An officer anywhere; a lead for their collaborative's triads; a headteacher for a visit their
    school hosts."""
    return manages(by) or leads(by, collaborative_id) or heads(by, school_id)


def can_edit_visit(by: Principal, visit: TriadVisit, collaborative_id: int | None) -> bool:
    """Whether the caller may change the record (a signed-off record is closed to everyone: the
    workflow answers that with 409, not this)."""
    if manages(by) or leads(by, collaborative_id):
        return True
    return heads(by, visit.school_id) and visit.status in EDITABLE_BY_HEADTEACHER


def can_sign_off(by: Principal, visit: TriadVisit, collaborative_id: int | None) -> bool:
    """Sign off and reopen: the collaborative's lead for a triad's visit; an officer for any (and
    the only one for a support partner's or a governing body's visit, which have no lead)."""
    if manages(by):
        return True
    return visit.kind == VisitKind.triad_review.value and leads(by, collaborative_id)


def require_audit_reader(by: Principal) -> None:
    """The audit trail: officers and tokens."""
    if not (by.token_id is not None and by.can_read) and Role.officer.value not in by.roles:
        raise Forbidden("only officers and API tokens can read the audit trail")


# --- red flags and clinics ----------------------------------------------------------------------

CLINIC_ROLES = frozenset({Role.clinic_chair.value, Role.clinic_member.value})


def sits_on_clinic(by: Principal) -> bool:
    return bool(by.roles & CLINIC_ROLES)


@dataclass(frozen=True)
class FlagScope:
    """Whose flags a principal may read: every school's, or those of `school_ids`."""

    everything: bool
    school_ids: frozenset[int] = frozenset()


def sees_every_flag(by: Principal) -> bool:
    """Whether the caller's flag scope is the whole partnership (no query needed to say)."""
    return sees_everything(by) or sits_on_clinic(by)


def flag_scope(session: Session, by: Principal) -> FlagScope:
    """Officers, viewers, tokens and the clinic read every school's flags; a headteacher their
    school's; a lead headteacher the schools of the collaboratives they lead (one query)."""
    if sees_every_flag(by):
        return FlagScope(True)
    schools = set(by.scoped(Role.headteacher.value))
    led = by.scoped(Role.lead_headteacher.value)
    if led:
        schools |= set(session.scalars(select(CollaborativeSchool.school_id)
                                       .where(CollaborativeSchool.collaborative_id.in_(led))))
    return FlagScope(False, frozenset(schools))


def require_flag_manager(by: Principal) -> None:
    """Manual flags, overrides and the rules' thresholds: officers (and write tokens)."""
    require_manage(by, "flags and their rules")


def reads_clinics(by: Principal) -> bool:
    return sees_everything(by) or sits_on_clinic(by)


def require_clinic_reader(by: Principal) -> None:
    """Clinics are for officers, viewers, tokens and the clinic's chair and members; anyone else
    is told so (403), as the clinic list is not a secret the way one school's record is."""
    if not reads_clinics(by):
        raise Forbidden("only officers and the clinic's chair and members can see clinics")


def records_minutes(by: Principal) -> bool:
    """Minutes, explanations, actions and targets: officers, the chair and the members."""
    return manages(by) or sits_on_clinic(by)


def require_minute_taker(by: Principal) -> None:
    if not records_minutes(by):
        raise Forbidden("only officers and the clinic's chair and members can record minutes and actions")


def require_chair(by: Principal) -> None:
    """Approving the minutes (which locks them): the chair, or an officer."""
    if not (manages(by) or Role.clinic_chair.value in by.roles):
        raise Forbidden("only the clinic's chair or an officer can approve the minutes")


# --- action plans and support deployments ---------------------------------------------------------


def require_plan_editor(by: Principal) -> None:
    """Plans, priorities, actions, success measures and role holders: officers (and write tokens)."""
    require_manage(by, "action plans")


def can_update_milestone(by: Principal, action_codes: frozenset[str] | set[str],
                         held_codes: frozenset[str] | set[str]) -> bool:
    """A milestone's status and evidence: officers, write tokens, and the holders of one of its
    action's lead role codes (`held_codes`: app.services.action_plans.held_codes)."""
    return manages(by) or bool(set(action_codes) & set(held_codes))


def require_milestone_update(by: Principal, action_codes: frozenset[str] | set[str],
                             held_codes: frozenset[str] | set[str]) -> None:
    if not can_update_milestone(by, action_codes, held_codes):
        raise Forbidden("only an officer or a holder of the action's lead role can update this milestone")


def require_support_writer(by: Principal) -> None:
    """Support deployments are recorded by officers and write tokens; every member and read token
    reads them."""
    require_manage(by, "support deployments")
