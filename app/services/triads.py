"""Triads: two to four schools (three is usual) of one collaborative whose heads review each other,
for one academic year; a school is in at most one triad a year."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import Row, func, select
from sqlmodel import Session

from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models.collaborative import (
    Collaborative,
    CollaborativeSchool,
    ProposalAccept,
    Triad,
    TriadCreate,
    TriadSchool,
    TriadUpdate,
)
from app.models.school import School
from app.models.visit import TriadVisit
from app.services import concurrency, group_members, permissions
from app.services.collaboratives import (
    DEFAULT_LIMIT,
    Listed,
    ListFilters,
    Page,
    flush_or_conflict,
    keyset_page,
    resolve_urns,
)
from app.services.concurrency import require_match
from app.services.paging import clamp_limit
from app.services.principal import Principal, bind

USUAL_SIZE = 3
COLUMNS = tuple(getattr(Triad, c.name) for c in Triad.__table__.columns if c.name != "partnership_id")


def warnings_for(size: int) -> list[str]:
    """What the API says beside a triad that is not the usual three."""
    if size == USUAL_SIZE:
        return []
    return [f"a triad of {size} schools: three is usual, so that each head visits and is visited by two others"]


# --- lists ------------------------------------------------------------------------------------


def _filtered(stmt, filters: ListFilters):
    if filters.academic_year:
        stmt = stmt.where(Triad.academic_year.in_(filters.academic_year))
    if filters.collaborative_id:
        stmt = stmt.where(Triad.collaborative_id.in_(filters.collaborative_id))
    if filters.urn:
        holding = (select(TriadSchool.triad_id).join(School, School.id == TriadSchool.school_id)
                   .where(School.urn.in_(filters.urn)))
        stmt = stmt.where(Triad.id.in_(holding))
    return stmt


def members(session: Session, ids: Iterable[int]) -> dict[int, list[Row]]:
    """The schools (urn, name) of each triad, by URN: one query for a whole page."""
    return group_members.schools_of(session, TriadSchool, "triad_id", ids)


def page(session: Session, filters: ListFilters, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
         by: Principal) -> Page:
    """A page of the partnership's triads (every member may list them), three statements."""
    bind(session, by)
    by.require_read()
    rows, total, next_cursor = keyset_page(
        session, count=_filtered(select(func.count(Triad.id)), filters), rows=_filtered(select(*COLUMNS), filters),
        year_column=Triad.academic_year, id_column=Triad.id, limit=limit, cursor=cursor)
    schools = members(session, [r.id for r in rows]) if rows else {}
    return Page([Listed(r, schools[r.id]) for r in rows], total, clamp_limit(limit), next_cursor)


def get(session: Session, triad_id: int, *, by: Principal) -> Triad:
    """A triad of the caller's partnership, or 404 (also for another partnership's)."""
    bind(session, by)
    by.require_read()
    triad = session.scalars(select(Triad).where(Triad.id == triad_id)).first()
    if triad is None:
        raise NotFound(f"no triad {triad_id} in this partnership")
    return triad


def view(session: Session, triad: Triad) -> Listed:
    return Listed(triad, members(session, [triad.id])[triad.id])


# --- the rules --------------------------------------------------------------------------------


@dataclass
class Wanted:
    """A triad as asked for: its name and URNs, and where in the body they were (for errors)."""

    name: str | None  # None: the name is not changing
    urns: list[str]
    at: str = ""  # "" for a single triad's body, "triads.2." in a batch

    def field(self, name: str) -> str:
        return f"{self.at}{name}"


def _check(session: Session, collaborative: Collaborative, wanted: list[Wanted], *,
           own: Triad | None = None) -> list[list[Row]]:
    """The schools of each wanted triad, once every rule holds: known URNs, each a school of the
    collaborative (422), in no other triad that year (409), and no name used twice (422/409)."""
    errors: list[FieldError] = []
    conflicts: list[FieldError] = []
    schools = [resolve_urns(session, w.urns, field=w.field("schools"), errors=errors) for w in wanted]
    ids = [s.id for group in schools for s in group]
    in_collaborative = set(session.scalars(select(CollaborativeSchool.school_id).where(
        CollaborativeSchool.collaborative_id == collaborative.id, CollaborativeSchool.school_id.in_(ids)))) \
        if ids else set()
    placed_stmt = (select(TriadSchool.school_id, Triad.name).join(Triad, Triad.id == TriadSchool.triad_id)
                   .where(TriadSchool.school_id.in_(ids), TriadSchool.academic_year == collaborative.academic_year))
    if own is not None:
        placed_stmt = placed_stmt.where(TriadSchool.triad_id != own.id)
    placed = {r.school_id: r.name for r in session.execute(placed_stmt)} if ids else {}
    claimed: dict[int, str] = {}
    for w, group in zip(wanted, schools, strict=True):
        index = {urn: i for i, urn in enumerate(w.urns)}
        for school in group:
            where = w.field(f"schools.{index[school.urn]}")
            if school.id not in in_collaborative:
                errors.append(FieldError(where, f"URN {school.urn} is not a school of the collaborative "
                                                f"{collaborative.name!r} in {collaborative.academic_year}"))
            elif school.id in claimed:
                errors.append(FieldError(where, f"URN {school.urn} is also in {claimed[school.id]}"))
            elif school.id in placed:
                conflicts.append(FieldError(where, f"URN {school.urn} is already in the triad "
                                                   f"{placed[school.id]!r} in {collaborative.academic_year}; "
                                                   "a school is in one triad a year"))
            claimed.setdefault(school.id, w.at.rstrip(".") or "this triad")
    names: list[str] = []
    for w in wanted:
        if w.name is not None and w.name in names:
            errors.append(FieldError(w.field("name"), f"the name {w.name!r} is given twice"))
        elif w.name is not None:
            names.append(w.name)
    if errors:
        raise ValidationFailed(errors)
    taken_stmt = select(Triad.name).where(Triad.collaborative_id == collaborative.id, Triad.name.in_(names))
    if own is not None:
        taken_stmt = taken_stmt.where(Triad.id != own.id)
    taken = set(session.scalars(taken_stmt)) if names else set()
    conflicts.extend(FieldError(w.field("name"), f"the collaborative already has a triad called {w.name!r}")
                     for w in wanted if w.name in taken)
    if conflicts:
        raise Conflict("; ".join(f"{e.field}: {e.message}" for e in conflicts), errors=conflicts)
    return schools


def _collaborative_for(session: Session, collaborative_id: int) -> Collaborative:
    found = session.scalars(select(Collaborative).where(Collaborative.id == collaborative_id)).first()
    if found is None:
        raise ValidationFailed([FieldError("collaborative_id", f"no collaborative {collaborative_id} in this "
                                                               "partnership")])
    return found


def _make(session: Session, collaborative: Collaborative, name: str, school_ids: Iterable[int], *,
          by: Principal) -> Triad:
    triad = Triad(name=name, collaborative_id=collaborative.id, academic_year=collaborative.academic_year,
                  updated_by=by.label)
    session.add(triad)
    flush_or_conflict(session, what="triad")
    for school_id in school_ids:
        session.add(TriadSchool(triad_id=triad.id, school_id=school_id, academic_year=triad.academic_year))
    return triad


# --- changes ----------------------------------------------------------------------------------


def create(session: Session, data: TriadCreate, *, by: Principal) -> Triad:
    """Form a triad in a collaborative (an officer, or the collaborative's lead)."""
    bind(session, by)
    by.require_read()
    collaborative = _collaborative_for(session, data.collaborative_id)
    permissions.require_triad_edit(by, collaborative.id)
    if data.academic_year is not None and data.academic_year != collaborative.academic_year:
        raise ValidationFailed([FieldError("academic_year", f"the collaborative is for "
                                                            f"{collaborative.academic_year}")])
    [schools] = _check(session, collaborative, [Wanted(data.name, data.schools)])
    triad = _make(session, collaborative, data.name, (s.id for s in schools), by=by)
    flush_or_conflict(session, what="triad")
    return triad


def create_many(session: Session, collaborative: Collaborative, data: ProposalAccept, *,
                by: Principal) -> list[Triad]:
    """Form several triads of one collaborative at once, all or none (an accepted proposal)."""
    bind(session, by)
    permissions.require_triad_edit(by, collaborative.id)
    wanted = [Wanted(t.name, t.schools, f"triads.{i}.") for i, t in enumerate(data.triads)]
    groups = _check(session, collaborative, wanted)
    triads = [_make(session, collaborative, w.name, (s.id for s in group), by=by)
              for w, group in zip(wanted, groups, strict=True)]
    flush_or_conflict(session, what="triad")
    return triads


def update(session: Session, triad_id: int, data: TriadUpdate, *, if_match: str | None, by: Principal) -> Triad:
    """Rename a triad or change its schools (an officer, or its collaborative's lead)."""
    triad = get(session, triad_id, by=by)
    permissions.require_triad_edit(by, triad.collaborative_id)
    require_match(if_match, triad.version, what="triad")
    changes = data.model_dump(exclude_unset=True)
    nulled = sorted(k for k in ("name", "schools") if k in changes and changes[k] is None)
    if nulled:
        raise ValidationFailed([FieldError(k, "cannot be empty") for k in nulled])
    collaborative = session.get(Collaborative, triad.collaborative_id)
    renamed = "name" in changes and changes["name"] != triad.name
    urns = changes.get("schools")
    if renamed or urns is not None:
        wanted = Wanted(changes["name"] if renamed else None, urns or [])
        [schools] = _check(session, collaborative, [wanted], own=triad)
    keep = {s.id for s in schools} if urns is not None else set()
    current = {link.school_id: link for link in session.scalars(
        select(TriadSchool).where(TriadSchool.triad_id == triad.id))} if urns is not None else {}
    leaving = [link for school_id, link in current.items() if school_id not in keep]
    joining = keep - set(current)
    if renamed:
        triad.name = changes["name"]
    # Touched before anything is flushed, so that the change is one UPDATE and one version.
    if renamed or leaving or joining:
        triad.touch(by.label)
    for link in leaving:
        session.delete(link)
    flush_or_conflict(session, what="triad")
    for school_id in joining:
        session.add(TriadSchool(triad_id=triad.id, school_id=school_id, academic_year=triad.academic_year))
    flush_or_conflict(session, what="triad")
    return triad


def _refuse_visited(session: Session, triad_ids: list[int]) -> None:
    visits = session.scalar(select(func.count(TriadVisit.id)).where(TriadVisit.triad_id.in_(triad_ids)))
    if visits:
        raise Conflict(f"the triad has {visits} visit record(s); those are the record of its reviews and are not "
                       "deleted with it")


def delete(session: Session, triad_id: int, *, if_match: str | None, by: Principal) -> None:
    """Dissolve a triad (an officer, or its collaborative's lead); refused once it has visit records."""
    triad = get(session, triad_id, by=by)
    permissions.require_triad_edit(by, triad.collaborative_id)
    require_match(if_match, triad.version, what="triad")
    _refuse_visited(session, [triad.id])
    for link in session.scalars(select(TriadSchool).where(TriadSchool.triad_id == triad.id)):
        session.delete(link)
    session.flush()
    session.delete(triad)
    concurrency.flush(session, what="triad")


def copy_into(session: Session, source: Collaborative, copy: Collaborative, kept: set[int], *,
              warnings: list[str], by: Principal) -> list[Triad]:
    """The source collaborative's triads, made again in `copy` with the schools it kept (roll forward)."""
    triads = list(session.scalars(select(Triad).where(Triad.collaborative_id == source.id).order_by(Triad.id)))
    links: dict[int, list[int]] = defaultdict(list)
    if triads:
        for row in session.execute(select(TriadSchool.triad_id, TriadSchool.school_id)
                                   .where(TriadSchool.triad_id.in_([t.id for t in triads]))):
            links[row.triad_id].append(row.school_id)
    made = []
    for triad in triads:
        schools = sorted(i for i in links[triad.id] if i in kept)
        if len(schools) < 2:
            warnings.append(f"the triad {triad.name!r} would have {len(schools)} school(s) left and was not copied")
            continue
        made.append(_make(session, copy, triad.name, schools, by=by))
    flush_or_conflict(session, what="triad")
    return made


def pairs_in(session: Session, school_ids: Iterable[int], years: list[str]) -> set[frozenset[int]]:
    """The pairs of these schools that were in one triad together in any of these years."""
    ids = list(school_ids)
    if not ids or not years:
        return set()
    together: dict[int, list[int]] = defaultdict(list)
    for row in session.execute(select(TriadSchool.triad_id, TriadSchool.school_id)
                               .where(TriadSchool.academic_year.in_(years), TriadSchool.school_id.in_(ids))):
        together[row.triad_id].append(row.school_id)
    return {frozenset(pair) for group in together.values() for pair in combinations(sorted(group), 2)}
