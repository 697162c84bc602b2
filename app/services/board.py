"""The partnership board: every school of the partnership at a glance, in this year's
collaboratives and their triads, then those in no collaborative (so a partnership whose schools all
came from GIAS sees each of them by name). Each school a tile: phase, Ofsted outcome, LA category,
its current red-flag severity, this term's triad visit and whether support is active; a summary
of the schools shown. Closed schools are left out unless asked for.

A fixed number of statements whatever the number of schools: the partnership, the year's
collaboratives and triads, the schools with their places in them, this term's triad visits, the
schools with active support, and the red-flag list's current results (app.services.flags: a fixed
number of reads, or one when the list's kept results stand, app.services.flag_cache). The board's
own reads go to the connection, each naming the partnership on every table it reads, as the
red-flag reads do (app.services.flag_data): the ORM's tenant guard added some 2 ms to each, as
much as the 80-school board's SQL took in all.

"Engaged" is the register's flag (app.models.school: engaged in the network, or not with a reason).
Support is active while a deployment is not yet completed, has begun (or has no start date) and
has not ended (or has no end date), unless the school declined it."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlmodel import Session

from app.errors import BadRequest, FieldError
from app.models.collaborative import Collaborative, CollaborativeSchool, Triad, TriadSchool
from app.models.school import Phase, School, SchoolStatus
from app.models.support import SchoolResponse, SupportDeployment, SupportOutcome
from app.models.visit import TriadVisit
from app.services import flag_cache, flags, partnerships, permissions
from app.services.collaborative_board import DONE
from app.services.flag_types import SEVERITY_ORDER
from app.services.principal import Principal, bind
from app.services.terms import Term, term_of

PHASE_CHOICES = [p.value for p in Phase]
NO_FLAGS = "none"
SEVERITY_CHOICES = [*flags.SEVERITIES, NO_FLAGS]
NOT_IN_ONE = "none"  # the collaborative filter's value for the schools in no collaborative
ENGAGED_CHOICES = {"": None, "yes": True, "no": False}
CLOSED_CHOICES = ("", "yes")
NOT_INSPECTED = "not_inspected"
UNCATEGORISED = "none"
HIDDEN = "hidden"  # a school whose flags the caller may not see (a headteacher's view of another school)

_SD = SupportDeployment.__table__.c
_S = School.__table__.c
_C = Collaborative.__table__.c
_CS = CollaborativeSchool.__table__.c
_T = Triad.__table__.c
_TS = TriadSchool.__table__.c
_V = TriadVisit.__table__.c


@dataclass
class BoardFilters:
    """As typed in the link: every value is checked by `check`."""

    phase: list[str] = field(default_factory=list)
    severity: list[str] = field(default_factory=list)
    collaborative: list[str] = field(default_factory=list)  # ids, or NOT_IN_ONE
    engaged: str = ""  # "", "yes" or "no"
    closed: str = ""  # "yes": closed schools too

    @property
    def any(self) -> bool:
        return bool(self.phase or self.severity or self.collaborative or self.engaged or self.closed)


@dataclass(slots=True)
class Tile:
    id: int
    urn: str
    name: str
    phase: str
    status: str
    engaged: bool
    latest_headline: str | None
    latest_inspected_on: date | None
    la_category: str | None
    collaborative_id: int | None
    triad_id: int | None
    severity: str | None = None  # red, amber, None for no flags; HIDDEN when not the caller's to see
    visit: str = "no_triad"  # this term's triad visit: done, in_progress, due, or no_triad
    hosted: bool = False  # the school hosts this term's visit (done or in progress)
    supported: bool = False  # active support


@dataclass
class TriadGroup:
    id: int
    name: str
    tiles: list[Tile]
    visit: str  # done, in_progress or due


@dataclass
class CollaborativeGroup:
    id: int
    name: str
    phase: str
    triads: list[TriadGroup]
    unassigned: list[Tile]  # in the collaborative, in none of its triads

    @property
    def school_count(self) -> int:
        return sum(len(t.tiles) for t in self.triads) + len(self.unassigned)


@dataclass
class BoardSummary:
    """The schools shown, counted: by Ofsted outcome (NOT_INSPECTED for none), by flag severity
    (NO_FLAGS, HIDDEN), by LA category (UNCATEGORISED); the triads shown whose visit this term is
    done, of those due one."""

    schools: int
    ofsted: dict[str, int]
    severity: dict[str, int]
    la_category: list[tuple[str, int]]  # the scheme's order, then others by name, then none
    visits_done: int
    visits_due: int
    supported: int
    not_engaged: int


@dataclass
class Board:
    academic_year: str
    term: Term
    collaboratives: list[CollaborativeGroup]
    not_in_one: list[Tile]
    summary: BoardSummary
    category_scheme: list[str]
    choices: list[tuple[int, str]]  # the year's collaboratives, for the filter
    flags_everywhere: bool  # the caller sees every school's flags


def _bad(field_name: str, message: str) -> FieldError:
    return FieldError(field_name, message, "query")


def check(filters: BoardFilters, collaborative_ids: Iterable[int]) -> None:
    """400 naming every filter whose value is not one of its choices."""
    known = {str(i) for i in collaborative_ids} | {NOT_IN_ONE}
    errors = []
    for name, values, allowed in (("phase", filters.phase, PHASE_CHOICES),
                                  ("severity", filters.severity, SEVERITY_CHOICES),
                                  ("collaborative", filters.collaborative, known)):
        bad = [v for v in values if v not in allowed]
        if bad:
            errors.append(_bad(name, f"unknown {name} {bad[0]!r}; use one of: {', '.join(sorted(allowed))}"))
    if filters.engaged not in ENGAGED_CHOICES:
        errors.append(_bad("engaged", "engaged is yes, no or empty"))
    if filters.closed not in CLOSED_CHOICES:
        errors.append(_bad("closed", "closed is yes or empty"))
    if errors:
        raise BadRequest(errors[0].message, errors=errors)


def _read(session: Session, stmt: Any) -> list[Row]:
    return session.connection().execute(stmt).all()


def year_collaboratives(session: Session, partnership_id: int, academic_year: str) -> list[tuple[int, str, str]]:
    """The year's collaboratives: (id, name, phase), by name."""
    rows = _read(session, select(_C.id, _C.name, _C.phase)
                 .where(_C.partnership_id == partnership_id, _C.academic_year == academic_year)
                 .order_by(_C.name, _C.id))
    return [tuple(r) for r in rows]


def choices(session: Session, *, by: Principal, today: date | None = None) -> list[tuple[int, str]]:
    """The collaboratives the filter offers (for a page whose filters were refused)."""
    bind(session, by)
    by.require_read()
    year = partnerships.academic_year_for(today or date.today())
    return [(i, name) for i, name, _ in year_collaboratives(session, by.partnership_id, year)]


def _severities(session: Session, by: Principal, today: date) -> dict[int, str]:
    """The worst severity of each flagged school the caller may see, as the red-flag list has them
    now: its kept results when they stand (app.services.flag_cache), else worked out once (and
    kept, as the list keeps them)."""
    keep = flag_cache.usable(session) and permissions.sees_every_flag(by)
    if keep:
        key = (flag_cache.stamp(session, by.partnership_id), today)  # read before the data
        kept = flag_cache.get(by.partnership_id, key)
        if kept is not None:
            return {s.school_id: min((sev for sev, _ in s.flags), key=SEVERITY_ORDER.__getitem__)
                    for s in kept.summaries if s.flags}
    listed = flags.listing(session, flags.FlagFilters(), by=by, today=today)
    if keep:
        flag_cache.put(by.partnership_id, key, [flag_cache.summary_of(s.id, s.name, s.flags) for s in listed])
    return {s.id: s.severity for s in listed if s.severity}


def _schools(session: Session, filters: BoardFilters, partnership_id: int, academic_year: str) -> list[Tile]:
    """The partnership's schools (filtered by phase, engagement, status and collaborative), each with
    its collaborative and triad this year, by name."""
    school, member, place = School.__table__, CollaborativeSchool.__table__, TriadSchool.__table__
    stmt = (select(_S.id, _S.urn, _S.name, _S.phase, _S.status, _S.engaged, _S.latest_headline,
                   _S.latest_inspected_on, _S.la_category, _CS.collaborative_id, _TS.triad_id)
            .select_from(school
                         .outerjoin(member, and_(_CS.school_id == _S.id, _CS.academic_year == academic_year,
                                                 _CS.partnership_id == partnership_id))
                         .outerjoin(place, and_(_TS.school_id == _S.id, _TS.academic_year == academic_year,
                                                _TS.partnership_id == partnership_id)))
            .where(_S.partnership_id == partnership_id))
    if not filters.closed:
        stmt = stmt.where(_S.status != SchoolStatus.closed.value)
    if filters.phase:
        stmt = stmt.where(_S.phase.in_(filters.phase))
    if ENGAGED_CHOICES[filters.engaged] is not None:
        stmt = stmt.where(_S.engaged.is_(ENGAGED_CHOICES[filters.engaged]))
    if filters.collaborative:
        ids = [int(v) for v in filters.collaborative if v != NOT_IN_ONE]
        wanted = [_CS.collaborative_id.in_(ids)] if ids else []
        if NOT_IN_ONE in filters.collaborative:
            wanted.append(_CS.collaborative_id.is_(None))
        stmt = stmt.where(or_(*wanted))
    rows = _read(session, stmt)
    tiles = [Tile(*row) for row in rows]
    tiles.sort(key=lambda t: (t.name.casefold(), t.urn))
    return tiles


def _visits(session: Session, partnership_id: int, term: Term) -> dict[int, tuple[str, set[int]]]:
    """This term's triad visits, by triad: its state (done, in_progress) and the schools hosting."""
    rows = _read(session, select(_V.triad_id, _V.school_id, _V.status)
                 .where(_V.partnership_id == partnership_id, _V.visit_date >= term.start,
                        _V.visit_date <= term.end, _V.triad_id.is_not(None)))
    found: dict[int, tuple[str, set[int]]] = {}
    for triad_id, school_id, status in rows:
        state, hosts = found.get(triad_id, ("in_progress", set()))
        hosts.add(school_id)
        found[triad_id] = ("done" if state == "done" or status in DONE else "in_progress", hosts)
    return found


def _supported(session: Session, partnership_id: int, today: date) -> set[int]:
    """The schools with active support today."""
    return set(session.connection().scalars(
        select(_SD.school_id).distinct()
        .where(_SD.partnership_id == partnership_id, _SD.outcome == SupportOutcome.not_yet_completed.value,
               or_(_SD.school_response.is_(None), _SD.school_response != SchoolResponse.declined.value),
               or_(_SD.start_on.is_(None), _SD.start_on <= today),
               or_(_SD.end_on.is_(None), _SD.end_on >= today))))


def _category_counts(tiles: list[Tile], scheme: list[str]) -> list[tuple[str, int]]:
    counted = Counter(t.la_category or UNCATEGORISED for t in tiles)
    order = [c for c in scheme if c in counted]
    order += sorted(c for c in counted if c not in scheme and c != UNCATEGORISED)
    if UNCATEGORISED in counted:
        order.append(UNCATEGORISED)
    return [(c, counted[c]) for c in order]


def _summary(tiles: list[Tile], triads: list[TriadGroup], scheme: list[str]) -> BoardSummary:
    return BoardSummary(
        schools=len(tiles),
        ofsted=dict(Counter(t.latest_headline or NOT_INSPECTED for t in tiles)),
        severity=dict(Counter(t.severity or NO_FLAGS for t in tiles)),
        la_category=_category_counts(tiles, scheme),
        visits_done=sum(1 for t in triads if t.visit == "done"),
        visits_due=len(triads),
        supported=sum(1 for t in tiles if t.supported),
        not_engaged=sum(1 for t in tiles if not t.engaged),
    )


def _severity_matches(tile: Tile, wanted: list[str]) -> bool:
    if tile.severity == HIDDEN:
        return False
    return (tile.severity or NO_FLAGS) in wanted


def board(session: Session, filters: BoardFilters, *, by: Principal, today: date | None = None) -> Board:
    """The board as the filters choose it; 400 naming each filter given a value it does not offer."""
    bind(session, by)
    by.require_read()
    today = today or date.today()
    year, term = partnerships.academic_year_for(today), term_of(today)
    scheme = list(partnerships.current(session, by=by).category_scheme or [])
    pid = by.partnership_id
    collaboratives = year_collaboratives(session, pid, year)
    check(filters, (c[0] for c in collaboratives))
    triad_rows = _read(session, select(_T.id, _T.name, _T.collaborative_id)
                       .where(_T.partnership_id == pid, _T.academic_year == year).order_by(_T.name, _T.id))
    tiles = _schools(session, filters, pid, year)
    visits = _visits(session, pid, term)
    supported = _supported(session, pid, today)
    severities = _severities(session, by, today)
    scope = permissions.flag_scope(session, by)
    for tile in tiles:
        tile.severity = severities.get(tile.id) if scope.everything or tile.id in scope.school_ids else HIDDEN
        tile.supported = tile.id in supported
        if tile.triad_id is not None:
            state, hosts = visits.get(tile.triad_id, ("due", set()))
            tile.visit, tile.hosted = state, tile.id in hosts
    if filters.severity:
        tiles = [t for t in tiles if _severity_matches(t, filters.severity)]

    by_triad: dict[int, list[Tile]] = {}
    by_collaborative: dict[int, list[Tile]] = {}
    not_in_one = []
    for tile in tiles:
        if tile.collaborative_id is None:
            not_in_one.append(tile)
        elif tile.triad_id is not None:
            by_triad.setdefault(tile.triad_id, []).append(tile)
        else:
            by_collaborative.setdefault(tile.collaborative_id, []).append(tile)
    triads_of: dict[int, list[TriadGroup]] = {}
    for triad_id, name, collaborative_id in triad_rows:
        if triad_id in by_triad:
            state = visits.get(triad_id, ("due", set()))[0]
            triads_of.setdefault(collaborative_id, []).append(TriadGroup(triad_id, name, by_triad[triad_id], state))
    groups = [CollaborativeGroup(i, name, phase, triads_of.get(i, []), by_collaborative.get(i, []))
              for i, name, phase in collaboratives if i in triads_of or i in by_collaborative]
    shown_triads = [t for g in groups for t in g.triads]
    return Board(year, term, groups, not_in_one, _summary(tiles, shown_triads, scheme), scheme,
                 [(i, name) for i, name, _ in collaboratives], scope.everything)
