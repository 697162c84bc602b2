"""What the red-flag rules read, gathered for many schools at once.

`load` reads a partnership's schools (or some of them) and everything the rules need in a fixed
number of statements, whatever the number of schools: the schools; their latest inspections (a
window over each school's history); the indicator figures of the measures the rules read, from
the last few academic years; the national figures; each school's latest signed-off triad review;
open clinic actions past their due date; the latest year's review judgements; and the manual
flags in force. The rules (app.services.flag_rules) then run in Python over `SchoolFacts`.

Only schools that are open (or proposed to close) have flags.
"""

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
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
from app.services.partnerships import academic_year_for, previous_year

FLAGGED_STATUSES = (SchoolStatus.open.value, SchoolStatus.proposed_to_close.value)
# Past this many schools, a statement reads the whole partnership and the schools not asked for
# are left out in Python: a list of ids as long as a partnership is slower than the scan it avoids.
MAX_IDS_IN_SQL = 500


class Figure(NamedTuple):
    """A figure (an indicator row as read has the same fields, by name)."""

    academic_year: str
    value: float
    source: str
    recorded_on: date | str | None  # as stored: an ISO date string on SQLite
    id: int = 0


class InspectionFacts(NamedTuple):
    inspected_on: date
    framework: str
    overall_effectiveness: int | None
    category_of_concern: str | None
    safeguarding: str | None
    grades: dict[str, Any]
    headline: str


class VisitFacts(NamedTuple):
    id: int
    visit_date: date
    grade: int


class ActionFacts(NamedTuple):
    id: int
    clinic_id: int
    text: str
    due_on: date


class JudgementFacts(NamedTuple):
    academic_year: str
    strand: str
    partner_grade: int


_NO_YEARS: dict[str, Figure] = {}


@dataclass(slots=True)
class SchoolFacts:
    """One school as the rules see it."""

    id: int
    urn: str
    name: str
    phase: str
    establishment_type: str | None
    pupils: int | None
    headteacher_started_on: date | None
    la_category: str | None
    inspections: list[InspectionFacts] = field(default_factory=list)  # newest first
    # measure -> academic year -> figure, for the measures whose history a rule reads (Needs.history)
    figures: dict[str, dict[str, Figure]] = field(default_factory=dict)
    triad_visit: VisitFacts | None = None
    open_actions: list[ActionFacts] = field(default_factory=list)  # open and past due
    judgements: list[JudgementFacts] = field(default_factory=list)  # the latest year's
    manual: list[Any] = field(default_factory=list)  # ManualFlag rows in force
    active_plan: bool = False  # has an action plan of its own that is active (Needs.plans)
    _latest: dict[str, Figure] = field(default_factory=dict)  # each measure's latest figure

    @property
    def latest_inspection(self) -> InspectionFacts | None:
        return self.inspections[0] if self.inspections else None

    def add(self, measure: str, figure: Figure) -> None:
        """A figure of the school's (load() does the same inline, for speed)."""
        self.figures.setdefault(measure, {})[figure.academic_year] = figure
        held = self._latest.get(measure)
        if held is None or figure.academic_year >= held.academic_year:
            self._latest[measure] = figure

    def latest(self, measure: str) -> Figure | None:
        """The figure of the latest academic year that has one."""
        return self._latest.get(measure)

    def year_before(self, measure: str) -> Figure | None:
        """The figure of the academic year before the latest one, if there is one."""
        latest = self.latest(measure)
        return self.figures[measure].get(previous_year(latest.academic_year)) if latest else None

    def consecutive_years(self, measure: str, count: int) -> list[Figure] | None:
        """The figures of the latest `count` academic years, oldest first, if each year has one."""
        latest = self.latest(measure)
        if latest is None:
            return None
        years, year = self.figures[measure], latest.academic_year
        if len(years) < count:
            return None
        run = []
        for _ in range(count):
            figure = years.get(year)
            if figure is None:
                return None
            run.append(figure)
            year = previous_year(year)
        return run[::-1]

    def pupils_in(self, academic_year: str) -> float | None:
        """The roll of that year if recorded, else the register's number of pupils."""
        roll = self.figures.get("roll", _NO_YEARS).get(academic_year)
        return roll.value if roll is not None and roll.value > 0 else self.pupils


@dataclass(frozen=True)
class Context:
    """What every rule may read besides the school: the day, the partnership's scales, the nation."""

    today: date
    category_scheme: tuple[str, ...]
    grade_labels: tuple[str, ...]
    nationals: dict[tuple[str, str], Figure] = field(default_factory=dict)

    def national(self, measure: str, academic_year: str) -> Figure | None:
        return self.nationals.get((measure, academic_year))


@dataclass(frozen=True)
class Needs:
    """Which of the reads the enabled rules need (a read no enabled rule needs is skipped)."""

    inspections: int = 0  # how many of each school's latest inspections
    measures: frozenset[str] = frozenset()
    history: frozenset[str] = frozenset()  # measures whose every year is kept, not only the latest
    years: int = 6  # indicator figures from this many academic years back
    nationals: bool = False
    visits_since: date | None = None
    actions: bool = False
    judgements: bool = False
    plans: bool = False


# The reads are Core statements on the session's connection, each naming its partnership: the rows
# come back as plain tuples, without the ORM's per-row work (a partnership of 25,000 schools has
# about 400,000 indicator figures to read).
_S, _I, _F = School.__table__.c, Inspection.__table__.c, Indicator.__table__.c
_N, _V, _A = NationalFigure.__table__.c, TriadVisit.__table__.c, ClinicAction.__table__.c
_J, _P = ReviewJudgement.__table__.c, ActionPlan.__table__.c
SCHOOL_COLUMNS = (_S.id, _S.urn, _S.name, _S.phase, _S.establishment_type, _S.pupils, _S.headteacher_started_on,
                  _S.la_category)


def _limited(stmt: Any, column: Any, ids: Collection[int] | None) -> Any:
    return stmt.where(column.in_(ids)) if _few(ids) else stmt


def _few(ids: Collection[int] | None) -> bool:
    return ids is not None and len(ids) <= MAX_IDS_IN_SQL


def _tenant(column: Any, partnership_id: int, ids: Collection[int] | None) -> Any:
    """The partnership's condition, on a table the schools' own index leads to. For a few schools
    it is written `partnership_id + 0 = ?`, which no index serves: SQLite, without statistics,
    would otherwise walk the partnership's index (351,000 figures at 25,000 schools, 140 ms) rather
    than look each school up; PostgreSQL chooses by its statistics either way."""
    return (column + 0) == partnership_id if _few(ids) else column == partnership_id


def _rows(session: Session, stmt: Any) -> Any:
    return session.connection().execute(stmt).all()


def load_schools(session: Session, *, partnership_id: int, school_ids: Collection[int] | None = None,
                 urns: Collection[str] | None = None) -> dict[int, SchoolFacts]:
    """The schools that can have flags, by id (all of the partnership's, or those named)."""
    stmt = select(*SCHOOL_COLUMNS).where(_tenant(_S.partnership_id, partnership_id, school_ids),
                                         _S.status.in_(FLAGGED_STATUSES))
    stmt = _limited(stmt, _S.id, school_ids)
    if urns is not None:
        stmt = stmt.where(_S.urn.in_(urns))
    wanted = set(school_ids) if school_ids is not None else None
    return {row[0]: SchoolFacts(*row) for row in _rows(session, stmt) if wanted is None or row[0] in wanted}


def load(session: Session, schools: dict[int, SchoolFacts], *, partnership_id: int, needs: Needs, today: date,
         whole_partnership: bool) -> dict[tuple[str, str], Figure]:
    """Fill in each school's facts; returns the national figures. A fixed number of statements."""
    ids = None if whole_partnership else list(schools)
    if not schools:
        return {}
    if needs.inspections:
        _inspections(session, schools, ids, partnership_id, needs.inspections)
    if needs.measures:
        oldest = academic_year_for(today)
        for _ in range(needs.years):
            oldest = previous_year(oldest)
        _figures(session, schools, ids, partnership_id, needs.measures, needs.history, oldest)
    nationals = _nationals(session, partnership_id) if needs.nationals else {}
    if needs.visits_since is not None:
        _visits(session, schools, ids, partnership_id, needs.visits_since)
    if needs.actions:
        _actions(session, schools, ids, partnership_id, today)
    if needs.judgements:
        _judgements(session, schools, ids, partnership_id)
    if needs.plans:
        _plans(session, schools, ids, partnership_id)
    _manual(session, schools, ids)
    return nationals


def _inspections(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, partnership_id: int,
                 depth: int) -> None:
    # Every inspection of the schools, newest first within each school; the first `depth` of each
    # kept. A window numbering each school's inspections sorted them twice (three times as long).
    # The grades as stored, parsed only for those kept.
    stmt = select(_I.school_id, _I.inspected_on, _I.framework, _I.overall_effectiveness, _I.category_of_concern,
                  _I.safeguarding, type_coerce(_I.grades, String), _I.headline).where(
        _tenant(_I.partnership_id, partnership_id, ids)).order_by(_I.school_id, _I.inspected_on.desc(), _I.id.desc())
    for school_id, on, framework, overall, concern, safeguarding, grades, headline in _rows(
            session, _limited(stmt, _I.school_id, ids)):
        facts = schools.get(school_id)
        if facts is not None and len(facts.inspections) < depth:
            facts.inspections.append(InspectionFacts(on, framework, overall, concern, safeguarding,
                                                     _grades(grades), headline))


def _grades(stored: str | dict | None) -> dict[str, Any]:
    """Grades as the driver gives them: JSON text on SQLite, already parsed by psycopg."""
    if not stored:
        return {}
    return stored if isinstance(stored, dict) else json.loads(stored)


def _figures(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, partnership_id: int,
             measures: Iterable[str], history: frozenset[str], oldest_year: str) -> None:
    # recorded_on as stored (an ISO date string on SQLite): parsing 400,000 dates to show a few is waste.
    stmt = select(_F.school_id, _F.measure, _F.academic_year, _F.value, _F.source,
                  type_coerce(_F.recorded_on, String).label("recorded_on"), _F.id).where(
        _tenant(_F.partnership_id, partnership_id, ids), _F.measure.in_(sorted(measures)),
        _F.academic_year >= oldest_year)
    # Two sources for one year: the one recorded last (then the one entered last) stands.
    for row in _rows(session, _limited(stmt, _F.school_id, ids)):
        facts = schools.get(row[0])
        if facts is None:
            continue
        measure, year = row[1], row[2]
        held = facts._latest.get(measure)
        if held is None or year > held[2] or (year == held[2] and (row[5], row[6]) > (held[5], held[6])):
            facts._latest[measure] = row
        if measure in history:
            years = facts.figures.get(measure)
            if years is None:
                facts.figures[measure] = {year: row}
            else:
                held = years.get(year)
                if held is None or (row[5], row[6]) > (held[5], held[6]):
                    years[year] = row


def _nationals(session: Session, partnership_id: int) -> dict[tuple[str, str], Figure]:
    found: dict[tuple[str, str], Figure] = {}
    stmt = select(_N.measure, _N.academic_year, _N.value, _N.source, _N.id).where(
        _N.partnership_id == partnership_id).order_by(_N.id)
    for measure, year, value, source, row_id in _rows(session, stmt):
        found[(measure, year)] = Figure(year, value, source, None, row_id)  # the last entered stands
    return found


def _visits(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, partnership_id: int,
            since: date) -> None:
    stmt = select(_V.id, _V.school_id, _V.visit_date, _V.grade).where(
        _tenant(_V.partnership_id, partnership_id, ids), _V.kind == VisitKind.triad_review.value,
        _V.status == VisitStatus.signed_off.value, _V.grade.is_not(None), _V.visit_date > since)
    for row_id, school_id, visit_date, grade in _rows(session, _limited(stmt, _V.school_id, ids)):
        facts = schools.get(school_id)
        if facts is None:
            continue
        held = facts.triad_visit
        if held is None or (visit_date, row_id) > (held.visit_date, held.id):
            facts.triad_visit = VisitFacts(row_id, visit_date, grade)


def _actions(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, partnership_id: int,
             today: date) -> None:
    stmt = select(_A.id, _A.clinic_id, _A.school_id, _A.text, _A.due_on).where(
        _A.partnership_id == partnership_id, _A.status == ClinicActionStatus.open.value, _A.due_on < today,
        _A.school_id.is_not(None))
    for row_id, clinic_id, school_id, text, due_on in _rows(session, _limited(stmt, _A.school_id, ids)):
        facts = schools.get(school_id)
        if facts is not None:
            facts.open_actions.append(ActionFacts(row_id, clinic_id, text, due_on))


def _judgements(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, partnership_id: int) -> None:
    # Every judgement of the schools, each school's latest year kept (a correlated max() per row read
    # every judgement of the partnership per row; a grouped max() joined back took three times this).
    stmt = select(_J.school_id, _J.academic_year, _J.strand, _J.partner_grade).where(
        _tenant(_J.partnership_id, partnership_id, ids))
    for school_id, year, strand, grade in _rows(session, _limited(stmt, _J.school_id, ids)):
        facts = schools.get(school_id)
        if facts is None:
            continue
        held = facts.judgements
        if held and year < held[0].academic_year:
            continue
        if held and year > held[0].academic_year:
            held.clear()
        held.append(JudgementFacts(year, strand, grade))


def _plans(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, partnership_id: int) -> None:
    # The schools with an active plan of their own (few: a partnership's plan has no school).
    stmt = select(_P.school_id).distinct().where(_P.partnership_id == partnership_id,
                                                 _P.status == PlanStatus.active.value, _P.school_id.is_not(None))
    for (school_id,) in _rows(session, _limited(stmt, _P.school_id, ids)):
        facts = schools.get(school_id)
        if facts is not None:
            facts.active_plan = True


def _manual(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None) -> None:
    """The manual flags in force, as records (few; the ORM's tenant filter applies)."""
    stmt = select(ManualFlag).where(ManualFlag.withdrawn_at.is_(None)).order_by(ManualFlag.id)
    for flag in session.scalars(_limited(stmt, ManualFlag.school_id, ids)):
        facts = schools.get(flag.school_id)
        if facts is not None:
            facts.manual.append(flag)


def since_months(today: date, months: int) -> date:
    """A generous lower bound for a date `months` months back (the rule applies the exact one)."""
    return today - timedelta(days=31 * months + 1)
