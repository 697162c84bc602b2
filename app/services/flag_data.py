"""What the red-flag rules read, gathered for many schools at once.

`load` reads a partnership's schools (or some of them) and everything the rules need in a fixed
number of statements, whatever the number of schools: the schools; their latest inspections (a
window over each school's history); the indicator figures of the measures the rules read, from
the last few academic years; the national figures; each school's latest signed-off triad review;
open clinic actions past their due date; the latest year's review judgements; and the manual
flags in force. The rules (app.services.flag_rules) then run in Python over `SchoolFacts`
(app.services.flag_facts).

Each read is a statement (built by `reads`, from what the enabled rules need) and a plain function
that takes its rows, as tuples, into the schools' facts. The service runs the statements through
its session; bench/raw_flags.py compiles the same statements once, with bind parameters for the
partnership and the dates, runs them on the DB-API connection and gives the rows to the same
functions.

Only schools that are open (or proposed to close) have flags.
"""

import json
from collections.abc import Callable, Collection, Iterable
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import String, select, type_coerce
from sqlmodel import Session

from app.models.action_plan import ActionPlan, PlanStatus
from app.models.clinic import ClinicAction, ClinicActionStatus
from app.models.flag import ManualFlag, NationalFigure, ReviewJudgement
from app.models.indicator import Indicator
from app.models.inspection import Inspection
from app.models.school import School, SchoolStatus
from app.models.visit import TriadVisit, VisitKind, VisitStatus
from app.services.flag_facts import (  # noqa: F401 (the facts' types, imported from here too)
    ActionFacts,
    Context,
    Figure,
    FigureRow,
    InspectionFacts,
    JudgementFacts,
    Needs,
    SchoolFacts,
    VisitFacts,
)
from app.services.partnerships import academic_year_for, previous_year

FLAGGED_STATUSES = (SchoolStatus.open.value, SchoolStatus.proposed_to_close.value)
# Past this many schools, a statement reads the whole partnership and the schools not asked for
# are left out in Python: a list of ids as long as a partnership is slower than the scan it avoids.
MAX_IDS_IN_SQL = 500

# The reads are Core statements on the session's connection, each naming its partnership: the rows
# come back as plain tuples, without the ORM's per-row work (a partnership of 25,000 schools has
# about 400,000 indicator figures to read).
_S, _I, _F = School.__table__.c, Inspection.__table__.c, Indicator.__table__.c
_N, _V, _A = NationalFigure.__table__.c, TriadVisit.__table__.c, ClinicAction.__table__.c
_J, _P, _M = ReviewJudgement.__table__.c, ActionPlan.__table__.c, ManualFlag.__table__.c
SCHOOL_COLUMNS = (_S.id, _S.urn, _S.name, _S.phase, _S.establishment_type, _S.pupils, _S.headteacher_started_on,
                  _S.la_category)
Schools = dict[int, SchoolFacts]


class Read(NamedTuple):
    """One of the reads: its statement, and what takes its rows into the schools' facts (returning
    what the read gives besides, the national figures). `orm`: the statement selects ManualFlag
    records, through the session's tenant guard (its Core twin, for bench/raw_flags.py, names the
    partnership itself)."""

    name: str
    statement: Any
    assemble: Callable[[Schools, Iterable], Any]
    orm: bool = False


def _limited(stmt: Any, column: Any, ids: Collection[int] | None) -> Any:
    return stmt.where(column.in_(ids)) if _few(ids) else stmt


def _few(ids: Collection[int] | None) -> bool:
    return ids is not None and len(ids) <= MAX_IDS_IN_SQL


def _tenant(column: Any, partnership_id: Any, ids: Collection[int] | None) -> Any:
    """The partnership's condition, on a table the schools' own index leads to. For a few schools
    it is written `partnership_id + 0 = ?`, which no index serves: SQLite, without statistics,
    would otherwise walk the partnership's index (351,000 figures at 25,000 schools, 140 ms) rather
    than look each school up; PostgreSQL chooses by its statistics either way."""
    return (column + 0) == partnership_id if _few(ids) else column == partnership_id


def _rows(session: Session, stmt: Any) -> Any:
    return session.connection().execute(stmt).all()


def oldest_year(today: date, years: int) -> str:
    """The academic year `years` years before today's: the oldest figures read."""
    oldest = academic_year_for(today)
    for _ in range(years):
        oldest = previous_year(oldest)
    return oldest


def since_months(today: date, months: int) -> date:
    """A generous lower bound for a date `months` months back (the rule applies the exact one)."""
    return today - timedelta(days=31 * months + 1)


# --- the session's reads ------------------------------------------------------------------------

def load_schools(session: Session, *, partnership_id: int, school_ids: Collection[int] | None = None,
                 urns: Collection[str] | None = None) -> Schools:
    """The schools that can have flags, by id (all of the partnership's, or those named)."""
    return schools_from_rows(_rows(session, schools_statement(partnership_id, school_ids, urns)), school_ids)


def load(session: Session, schools: Schools, *, partnership_id: int, needs: Needs, today: date,
         whole_partnership: bool) -> dict[tuple[str, str], Figure]:
    """Fill in each school's facts; returns the national figures. A fixed number of statements."""
    if not schools:
        return {}
    nationals: dict[tuple[str, str], Figure] = {}
    plan = reads(needs, partnership_id=partnership_id, ids=None if whole_partnership else list(schools),
                 today=today, oldest=oldest_year(today, needs.years), since=needs.visits_since)
    for read in plan:  # each read's rows let go as soon as they are taken in
        found = read.assemble(schools, session.scalars(read.statement) if read.orm else _rows(session, read.statement))
        if read.name == "nationals":
            nationals = found
    return nationals


# --- the statements -----------------------------------------------------------------------------

def schools_statement(partnership_id: Any, school_ids: Collection[int] | None = None,
                      urns: Collection[str] | None = None) -> Any:
    stmt = select(*SCHOOL_COLUMNS).where(_tenant(_S.partnership_id, partnership_id, school_ids),
                                         _S.status.in_(FLAGGED_STATUSES))
    stmt = _limited(stmt, _S.id, school_ids)
    return stmt.where(_S.urn.in_(urns)) if urns is not None else stmt


def schools_from_rows(rows: Iterable, school_ids: Collection[int] | None = None) -> Schools:
    wanted = set(school_ids) if school_ids is not None else None
    return {row[0]: SchoolFacts(*row) for row in rows if wanted is None or row[0] in wanted}


def reads(needs: Needs, *, partnership_id: Any, ids: list[int] | None, today: Any, oldest: Any, since: Any,
          manual_partnership: Any = None) -> list[Read]:
    """The reads the enabled rules need, in order, after the schools'. `partnership_id`, `today`,
    `oldest` (the oldest academic year of figures) and `since` (the earliest triad review) are
    values, or bind parameters for a statement compiled once; `ids`: the schools asked for (None:
    the whole partnership). `manual_partnership`: name the partnership in the manual flags' statement
    itself, a Core statement (the session's tenant guard does it otherwise)."""
    found = []
    if needs.inspections:
        # Every inspection of the schools, newest first within each school; the first `depth` of each
        # kept. A window numbering each school's inspections sorted them twice (three times as long).
        # The grades as stored, parsed only for those kept.
        stmt = select(_I.school_id, _I.inspected_on, _I.framework, _I.overall_effectiveness, _I.category_of_concern,
                      _I.safeguarding, type_coerce(_I.grades, String), _I.headline).where(
            _tenant(_I.partnership_id, partnership_id, ids)).order_by(_I.school_id, _I.inspected_on.desc(),
                                                                      _I.id.desc())
        depth = needs.inspections
        found.append(Read("inspections", _limited(stmt, _I.school_id, ids),
                          lambda schools, rows: add_inspections(schools, rows, depth)))
    if needs.measures:
        # recorded_on as stored (an ISO date string on SQLite): parsing 400,000 dates to show a few is waste.
        stmt = select(_F.school_id, _F.measure, _F.academic_year, _F.value, _F.source,
                      type_coerce(_F.recorded_on, String).label("recorded_on"), _F.id).where(
            _tenant(_F.partnership_id, partnership_id, ids), _F.measure.in_(sorted(needs.measures)),
            _F.academic_year >= oldest)
        history = needs.history
        found.append(Read("figures", _limited(stmt, _F.school_id, ids),
                          lambda schools, rows: add_figures(schools, rows, history)))
    if needs.nationals:
        stmt = select(_N.measure, _N.academic_year, _N.value, _N.source, _N.id).where(
            _N.partnership_id == partnership_id).order_by(_N.id)
        found.append(Read("nationals", stmt, lambda schools, rows: nationals_from_rows(rows)))
    if needs.visits_since is not None:
        stmt = select(_V.id, _V.school_id, _V.visit_date, _V.grade).where(
            _tenant(_V.partnership_id, partnership_id, ids), _V.kind == VisitKind.triad_review.value,
            _V.status == VisitStatus.signed_off.value, _V.grade.is_not(None), _V.visit_date > since)
        found.append(Read("visits", _limited(stmt, _V.school_id, ids), add_visits))
    if needs.actions:
        stmt = select(_A.id, _A.clinic_id, _A.school_id, _A.text, _A.due_on).where(
            _A.partnership_id == partnership_id, _A.status == ClinicActionStatus.open.value, _A.due_on < today,
            _A.school_id.is_not(None))
        found.append(Read("actions", _limited(stmt, _A.school_id, ids), add_actions))
    if needs.judgements:
        # Every judgement of the schools, each school's latest year kept (a correlated max() per row read
        # every judgement of the partnership per row; a grouped max() joined back took three times this).
        stmt = select(_J.school_id, _J.academic_year, _J.strand, _J.partner_grade).where(
            _tenant(_J.partnership_id, partnership_id, ids))
        found.append(Read("judgements", _limited(stmt, _J.school_id, ids), add_judgements))
    if needs.plans:
        # The schools with an active plan of their own (few: a partnership's plan has no school).
        stmt = select(_P.school_id).distinct().where(_P.partnership_id == partnership_id,
                                                     _P.status == PlanStatus.active.value, _P.school_id.is_not(None))
        found.append(Read("plans", _limited(stmt, _P.school_id, ids), add_plans))
    # The manual flags in force, as records (few; the ORM's tenant filter applies).
    if manual_partnership is None:
        stmt = select(ManualFlag).where(ManualFlag.withdrawn_at.is_(None)).order_by(ManualFlag.id)
        found.append(Read("manual", _limited(stmt, ManualFlag.school_id, ids), add_manual, orm=True))
    else:
        stmt = select(*_M).where(_M.withdrawn_at.is_(None), _M.partnership_id == manual_partnership).order_by(_M.id)
        found.append(Read("manual", _limited(stmt, _M.school_id, ids), add_manual))
    return found


# --- the rows into facts ------------------------------------------------------------------------

def add_inspections(schools: Schools, rows: Iterable, depth: int) -> None:
    parsed: dict[str, dict] = {}  # the same few grades recur across a partnership: each text parsed once
    for school_id, on, framework, overall, concern, safeguarding, grades, headline in rows:
        facts = schools.get(school_id)
        if facts is not None and len(facts.inspections) < depth:
            if grades.__class__ is str:
                found = parsed.get(grades)
                if found is None:
                    found = parsed[grades] = _grades(grades)
                grades = found
            facts.inspections.append(InspectionFacts(on, framework, overall, concern, safeguarding,
                                                     grades or {}, headline))


def _grades(stored: str | dict | None) -> dict[str, Any]:
    """Grades as the driver gives them: JSON text on SQLite, already parsed by psycopg."""
    if not stored:
        return {}
    return stored if isinstance(stored, dict) else json.loads(stored)


def add_figures(schools: Schools, rows: Iterable, history: frozenset[str]) -> None:
    # Two sources for one year: the one recorded last (then the one entered last) stands. A row
    # kept is made a FigureRow (once, whether kept as the latest, in the history, or both). A
    # school's rows mostly come together: its facts are looked up again only when the school changes.
    new = tuple.__new__
    school_id = facts = latest = kept_years = None
    for row in rows:
        if row[0] != school_id:
            school_id = row[0]
            facts = schools.get(school_id)
            if facts is not None:
                latest, kept_years = facts._latest, facts.figures
        if facts is None:
            continue
        measure, year = row[1], row[2]
        held = latest.get(measure)
        figure = None
        if held is None or year > held[2] or (year == held[2] and (row[5], row[6]) > (held[5], held[6])):
            figure = latest[measure] = new(FigureRow, row)
        if measure in history:
            years = kept_years.get(measure)
            if years is None:
                kept_years[measure] = {year: figure or new(FigureRow, row)}
            else:
                held = years.get(year)
                if held is None or (row[5], row[6]) > (held[5], held[6]):
                    years[year] = figure or new(FigureRow, row)


def nationals_from_rows(rows: Iterable) -> dict[tuple[str, str], Figure]:
    found: dict[tuple[str, str], Figure] = {}
    for measure, year, value, source, row_id in rows:
        found[(measure, year)] = Figure(year, value, source, None, row_id)  # the last entered stands
    return found


def add_visits(schools: Schools, rows: Iterable) -> None:
    for row_id, school_id, visit_date, grade in rows:
        facts = schools.get(school_id)
        if facts is None:
            continue
        held = facts.triad_visit
        if held is None or (visit_date, row_id) > (held.visit_date, held.id):
            facts.triad_visit = VisitFacts(row_id, visit_date, grade)


def add_actions(schools: Schools, rows: Iterable) -> None:
    for row_id, clinic_id, school_id, text, due_on in rows:
        facts = schools.get(school_id)
        if facts is not None:
            facts.open_actions.append(ActionFacts(row_id, clinic_id, text, due_on))


def add_judgements(schools: Schools, rows: Iterable) -> None:
    for school_id, year, strand, grade in rows:
        facts = schools.get(school_id)
        if facts is None:
            continue
        held = facts.judgements
        if held and year < held[0].academic_year:
            continue
        if held and year > held[0].academic_year:
            held.clear()
        held.append(JudgementFacts(year, strand, grade))


def add_plans(schools: Schools, rows: Iterable) -> None:
    for (school_id,) in rows:
        facts = schools.get(school_id)
        if facts is not None:
            facts.active_plan = True


def add_manual(schools: Schools, rows: Iterable) -> None:
    """ManualFlag records (or rows with the same fields by name), in id order."""
    for flag in rows:
        facts = schools.get(flag.school_id)
        if facts is not None:
            facts.manual.append(flag)
