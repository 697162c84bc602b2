"""Collaboratives: a year's phase group of schools, its lead headteacher (checked against their own
school's latest inspection) and budget; listed, read, changed, removed and rolled forward."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models.account import Membership, Role, ScopeKind, User
from app.models.collaborative import (
    Collaborative,
    CollaborativeCreate,
    CollaborativeSchool,
    CollaborativeUpdate,
    Triad,
    TriadSchool,
)
from app.models.school import School, SchoolStatus
from app.models.visit import TriadVisit
from app.services import accounts, concurrency, group_members, partnerships, permissions
from app.services.concurrency import require_match
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind
from app.services.standing import Standing, standings

DEFAULT_LIMIT = 50
# Lists are read in the order of their (partnership, academic year, id) index: by year, then as made.
ORDER = "academic_year"
COLUMNS = tuple(getattr(Collaborative, c.name) for c in Collaborative.__table__.columns if c.name != "partnership_id")


@dataclass
class ListFilters:
    """What the lists of collaboratives and triads filter by (each list of values is OR'd)."""

    academic_year: list[str] = field(default_factory=list)
    collaborative_id: list[int] = field(default_factory=list)
    urn: list[str] = field(default_factory=list)


@dataclass
class Listed:
    """A collaborative or triad as the API shows it: its columns, its schools (urn, name; by URN),
    and for a collaborative its lead's name."""

    record: Any
    schools: list[Row]
    lead_name: str | None = None


@dataclass
class Page:
    items: list[Listed]
    total: int
    limit: int
    next_cursor: str | None


# --- lists ------------------------------------------------------------------------------------


def keyset_page(session: Session, *, count, rows, year_column, id_column, limit: int,
                cursor: str | None) -> tuple[list[Row], int, str | None]:
    """One page of `rows` in (academic year, id) order after `cursor`, the `count` of all, and the
    next cursor: two statements, whatever the page size."""
    limit = clamp_limit(limit)
    key = SortKey(ORDER, year_column, False, str)
    after = decode_cursor(cursor, ORDER, str) if cursor else None
    total = session.scalar(count) or 0
    found = session.execute(apply_keyset(rows, key, id_column, after).limit(limit + 1)).all()
    next_cursor = None
    if len(found) > limit:
        last = found[limit - 1]
        next_cursor = encode_cursor(ORDER, last.academic_year, last.id)
    return found[:limit], total, next_cursor


def _filtered(stmt, filters: ListFilters):
    if filters.academic_year:
        stmt = stmt.where(Collaborative.academic_year.in_(filters.academic_year))
    if filters.collaborative_id:
        stmt = stmt.where(Collaborative.id.in_(filters.collaborative_id))
    if filters.urn:
        holding = (select(CollaborativeSchool.collaborative_id)
                   .join(School, School.id == CollaborativeSchool.school_id).where(School.urn.in_(filters.urn)))
        stmt = stmt.where(Collaborative.id.in_(holding))
    return stmt


def members(session: Session, ids: Iterable[int]) -> dict[int, list[Row]]:
    """The schools (urn, name) of each collaborative, by URN: one query for a whole page."""
    return group_members.schools_of(session, CollaborativeSchool, "collaborative_id", ids)


def page(session: Session, filters: ListFilters, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
         by: Principal) -> Page:
    """A page of the partnership's collaboratives (every member may list them), three statements."""
    bind(session, by)
    by.require_read()
    rows, total, next_cursor = keyset_page(
        session, count=_filtered(select(func.count(Collaborative.id)), filters),
        rows=_filtered(select(*COLUMNS, User.name.label("lead_name"))
                       .outerjoin(User, User.id == Collaborative.lead_user_id), filters),
        year_column=Collaborative.academic_year, id_column=Collaborative.id, limit=limit, cursor=cursor)
    schools = members(session, [r.id for r in rows]) if rows else {}
    return Page([Listed(r, schools[r.id], r.lead_name) for r in rows], total, clamp_limit(limit), next_cursor)


def get(session: Session, collaborative_id: int, *, by: Principal) -> Collaborative:
    """A collaborative of the caller's partnership, or 404 (also for another partnership's)."""
    bind(session, by)
    by.require_read()
    found = session.scalars(select(Collaborative).where(Collaborative.id == collaborative_id)).first()
    if found is None:
        raise NotFound(f"no collaborative {collaborative_id} in this partnership")
    return found


def view(session: Session, collaborative: Collaborative) -> Listed:
    """One collaborative with its schools and its lead's name, as the API shows it."""
    lead = session.get(User, collaborative.lead_user_id) if collaborative.lead_user_id else None
    return Listed(collaborative, members(session, [collaborative.id])[collaborative.id], lead.name if lead else None)


# --- the rules --------------------------------------------------------------------------------


def resolve_urns(session: Session, urns: list[str], *, field: str, errors: list[FieldError]) -> list[Row]:
    """The schools these URNs name (id, urn, name, status), in the order given; each unknown or
    repeated URN is an error on `field.<index>`."""
    rows = {r.urn: r for r in session.execute(
        select(School.id, School.urn, School.name, School.status).where(School.urn.in_(set(urns)))).all()} \
        if urns else {}
    found, seen = [], set()
    for i, urn in enumerate(urns):
        if urn in seen:
            errors.append(FieldError(f"{field}.{i}", f"URN {urn} is listed twice"))
        elif urn not in rows:
            errors.append(FieldError(f"{field}.{i}", f"no school with URN {urn} in this partnership"))
        else:
            found.append(rows[urn])
        seen.add(urn)
    return found


def lead_user(session: Session, user_id: int | None, errors: list[FieldError]) -> User | None:
    """The lead named, if a member of this partnership (any role); otherwise an error on lead_user_id."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    member = session.scalar(select(Membership.id).where(Membership.user_id == user_id).limit(1))
    if user is None or member is None or not user.is_active:
        errors.append(FieldError("lead_user_id", f"no member {user_id} in this partnership"))
        return None
    return user


def lead_problem(session: Session, user: User) -> str | None:
    """Why this lead needs an override reason, or None. Their own school is a school they hold the
    headteacher role over; with none, or any that is not below good, the check passes."""
    headed = select(Membership.scope_id).where(
        Membership.user_id == user.id, Membership.role == Role.headteacher.value,
        Membership.scope_kind == ScopeKind.school.value)
    schools = session.execute(
        select(School.id, School.urn, School.name, School.latest_headline, School.latest_inspected_on)
        .where(School.id.in_(headed))).all()
    if not schools:
        return None
    standing = standings(session, schools)
    if any(standing[s.id] != Standing.below_good for s in schools):
        return None
    school = min(schools, key=lambda s: s.urn)
    return (f"{user.name} heads {school.name} ({school.urn}), judged "
            f"{school.latest_headline.replace('_', ' ')} at its latest inspection on "
            f"{school.latest_inspected_on.isoformat()}: below good. Say why they lead the collaborative anyway")


def check_lead(session: Session, lead: User | None, reason: str | None, errors: list[FieldError]) -> None:
    if lead is not None and not reason:
        problem = lead_problem(session, lead)
        if problem:
            errors.append(FieldError("lead_override_reason", problem))


def _refuse_taken_name(session: Session, name: str, year: str, own_id: int | None = None) -> None:
    stmt = select(Collaborative.id).where(Collaborative.name == name, Collaborative.academic_year == year)
    if own_id is not None:
        stmt = stmt.where(Collaborative.id != own_id)
    if session.scalar(stmt.limit(1)) is not None:
        raise Conflict(f"there is already a collaborative called {name!r} in {year}",
                       errors=[FieldError("name", f"already used in {year}")])


def elsewhere(session: Session, school_ids: list[int], year: str, own_id: int | None) -> dict[int, str]:
    """Of these schools, those already in another collaborative that year, with its name."""
    if not school_ids:
        return {}
    stmt = (select(CollaborativeSchool.school_id, Collaborative.name)
            .join(Collaborative, Collaborative.id == CollaborativeSchool.collaborative_id)
            .where(CollaborativeSchool.school_id.in_(school_ids), CollaborativeSchool.academic_year == year))
    if own_id is not None:
        stmt = stmt.where(CollaborativeSchool.collaborative_id != own_id)
    return {r.school_id: r.name for r in session.execute(stmt)}


def _refuse_elsewhere(session: Session, urns: list[str], schools: list[Row], year: str, own_id: int | None) -> None:
    taken = elsewhere(session, [s.id for s in schools], year, own_id)
    if taken:
        index = {urn: i for i, urn in enumerate(urns)}
        errors = [FieldError(f"schools.{index[s.urn]}", f"URN {s.urn} is already in the collaborative "
                             f"{taken[s.id]!r} in {year}; a school is in one collaborative a year")
                  for s in schools if s.id in taken]
        raise Conflict("; ".join(e.message for e in errors), errors=errors)


def _refuse_closed(urns: list[str], schools: list[Row], errors: list[FieldError]) -> None:
    index = {urn: i for i, urn in enumerate(urns)}
    errors.extend(FieldError(f"schools.{index[s.urn]}", f"URN {s.urn} is closed") for s in schools
                  if s.status == SchoolStatus.closed.value)


def flush_or_conflict(session: Session, *, what: str) -> None:
    """Flush; a unique constraint that a writer beside us got to first is a conflict (409)."""
    try:
        concurrency.flush(session, what=what)
    except IntegrityError:
        raise Conflict(f"the {what} conflicts with a change made at the same moment (a name, or a school's "
                       "place that year); read it again") from None


def set_lead(session: Session, collaborative: Collaborative, previous: int | None, lead: User | None, *,
             by: Principal) -> None:
    """The lead headteacher role over this collaborative moves with its lead, in the same transaction."""
    if previous is not None and (lead is None or lead.id != previous):
        for membership in session.scalars(select(Membership).where(
                Membership.user_id == previous, Membership.role == Role.lead_headteacher.value,
                Membership.scope_kind == ScopeKind.collaborative.value, Membership.scope_id == collaborative.id)):
            session.delete(membership)
        session.flush()
    if lead is not None:
        accounts.grant(session, lead, partnerships.current(session, by=by), Role.lead_headteacher.value,
                       scope_kind=ScopeKind.collaborative.value, scope_id=collaborative.id)


# --- changes ----------------------------------------------------------------------------------


def add_members(session: Session, collaborative: Collaborative, school_ids: Iterable[int]) -> None:
    for school_id in school_ids:
        session.add(CollaborativeSchool(collaborative_id=collaborative.id, school_id=school_id,
                                        academic_year=collaborative.academic_year))


def create(session: Session, data: CollaborativeCreate, *, by: Principal) -> Collaborative:
    """Set up a collaborative for a year with its schools and lead (officers)."""
    bind(session, by)
    permissions.require_manage(by, "collaboratives")
    errors: list[FieldError] = []
    lead = lead_user(session, data.lead_user_id, errors)
    schools = resolve_urns(session, data.schools, field="schools", errors=errors)
    _refuse_closed(data.schools, schools, errors)
    check_lead(session, lead, data.lead_override_reason, errors)
    if errors:
        raise ValidationFailed(errors)
    _refuse_taken_name(session, data.name, data.academic_year)
    _refuse_elsewhere(session, data.schools, schools, data.academic_year, None)
    collaborative = Collaborative(**data.model_dump(mode="json", exclude={"schools"}), updated_by=by.label)
    collaborative.lead_override_reason = data.lead_override_reason or None  # a blank reason is none
    session.add(collaborative)
    flush_or_conflict(session, what="collaborative")
    add_members(session, collaborative, (s.id for s in schools))
    flush_or_conflict(session, what="collaborative")
    set_lead(session, collaborative, None, lead, by=by)
    return collaborative


def _in_its_triads(session: Session, collaborative: Collaborative, school_ids: set[int]) -> dict[int, str]:
    if not school_ids:
        return {}
    rows = session.execute(
        select(TriadSchool.school_id, Triad.name).join(Triad, Triad.id == TriadSchool.triad_id)
        .where(Triad.collaborative_id == collaborative.id, TriadSchool.school_id.in_(school_ids))).all()
    return {r.school_id: r.name for r in rows}


def update(session: Session, collaborative_id: int, data: CollaborativeUpdate, *, if_match: str | None,
           by: Principal) -> Collaborative:
    """Change a collaborative (officers): fields, members, lead; refusing a stale copy."""
    collaborative = get(session, collaborative_id, by=by)
    permissions.require_manage(by, "collaboratives")
    require_match(if_match, collaborative.version, what="collaborative")
    changes = data.model_dump(mode="json", exclude_unset=True)
    nulled = sorted(k for k in ("name", "phase", "schools") if k in changes and changes[k] is None)
    if nulled:
        raise ValidationFailed([FieldError(k, "cannot be empty") for k in nulled])
    errors: list[FieldError] = []
    previous = collaborative.lead_user_id
    lead_changed = "lead_user_id" in changes and changes["lead_user_id"] != previous
    if lead_changed:
        lead = lead_user(session, changes["lead_user_id"], errors)
    else:
        lead = session.get(User, previous) if previous is not None else None
    if lead_changed:
        # The reason was given for the previous lead; the new one needs their own, if any.
        changes.setdefault("lead_override_reason", None)
    if "lead_override_reason" in changes:
        changes["lead_override_reason"] = changes["lead_override_reason"] or None  # a blank reason is none
    if lead_changed or "lead_override_reason" in changes:
        check_lead(session, lead, changes.get("lead_override_reason", collaborative.lead_override_reason), errors)
    added: list[Row] = []
    removed: set[int] = set()
    if "schools" in changes:
        urns = changes.pop("schools")
        wanted = resolve_urns(session, urns, field="schools", errors=errors)
        current = set(session.scalars(select(CollaborativeSchool.school_id)
                                      .where(CollaborativeSchool.collaborative_id == collaborative.id)))
        added = [s for s in wanted if s.id not in current]
        removed = current - {s.id for s in wanted}
        _refuse_closed(urns, added, errors)
    if errors:
        raise ValidationFailed(errors)
    if "name" in changes and changes["name"] != collaborative.name:
        _refuse_taken_name(session, changes["name"], collaborative.academic_year, collaborative.id)
    if added:
        _refuse_elsewhere(session, data.schools, added, collaborative.academic_year, collaborative.id)
    in_triads = _in_its_triads(session, collaborative, removed)
    if in_triads:
        named = ", ".join(sorted(f"{name!r}" for name in set(in_triads.values())))
        raise Conflict(f"{len(in_triads)} of the schools left out are in its triads ({named}); take them out of "
                       "the triads first", errors=[FieldError("schools", f"schools in triads {named} cannot leave")])
    for key, value in changes.items():
        setattr(collaborative, key, value)
    # Touched before anything is flushed, so that the change is one UPDATE and one version.
    if session.is_modified(collaborative) or added or removed:
        collaborative.touch(by.label)
    if removed:
        for link in session.scalars(select(CollaborativeSchool).where(
                CollaborativeSchool.collaborative_id == collaborative.id, CollaborativeSchool.school_id.in_(removed))):
            session.delete(link)
        flush_or_conflict(session, what="collaborative")
    add_members(session, collaborative, (s.id for s in added))
    flush_or_conflict(session, what="collaborative")
    if lead_changed:
        set_lead(session, collaborative, previous, lead, by=by)
    return collaborative


def delete(session: Session, collaborative_id: int, *, if_match: str | None, by: Principal) -> None:
    """Remove a collaborative with its triads (officers); refused while a triad has visit records."""
    collaborative = get(session, collaborative_id, by=by)
    permissions.require_manage(by, "collaboratives")
    require_match(if_match, collaborative.version, what="collaborative")
    triads = list(session.scalars(select(Triad).where(Triad.collaborative_id == collaborative.id)))
    triad_ids = [t.id for t in triads]
    if triad_ids:
        visits = session.scalar(select(func.count(TriadVisit.id)).where(TriadVisit.triad_id.in_(triad_ids)))
        if visits:
            raise Conflict(f"its triads have {visits} visit record(s); those are the record of the year's reviews "
                           "and are not deleted with it")
        for link in session.scalars(select(TriadSchool).where(TriadSchool.triad_id.in_(triad_ids))):
            session.delete(link)
        session.flush()
    for triad in triads:
        session.delete(triad)
    for link in session.scalars(select(CollaborativeSchool)
                                .where(CollaborativeSchool.collaborative_id == collaborative.id)):
        session.delete(link)
    for membership in session.scalars(select(Membership).where(
            Membership.role == Role.lead_headteacher.value, Membership.scope_kind == ScopeKind.collaborative.value,
            Membership.scope_id == collaborative.id)):
        session.delete(membership)
    concurrency.flush(session, what="collaborative")
    session.delete(collaborative)
    concurrency.flush(session, what="collaborative")
