"""What the red-flag rules read, gathered for many schools at once.

`load` reads a partnership's schools (or some of them) and everything the rules need in a fixed
number of statements, whatever the number of schools: the schools; their latest inspections (a
window over each school's history); the indicator figures of the measures the rules read, from
the last few academic years; the national figures; each school's latest signed-off triad review;
open clinic actions past their due date; the latest year's review judgements; and the manual
flags in force. The rules (app.services.flag_rules) then run in Python over `SchoolFacts`.

Only schools that are open (or proposed to close) have flags.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.models.clinic import ClinicAction, ClinicActionStatus
from app.models.flag import ManualFlag, NationalFigure, ReviewJudgement
from app.models.indicator import Indicator
from app.models.inspection import Inspection
from app.models.school import School, SchoolStatus
from app.models.visit import TriadVisit, VisitKind, VisitStatus

FLAGGED_STATUSES = (SchoolStatus.open.value, SchoolStatus.proposed_to_close.value)
# Past this many schools, a statement reads the whole partnership and the schools not asked for
# are left out in Python: a list of ids as long as a partnership is slower than the scan it avoids.
MAX_IDS_IN_SQL = 500


class Figure(NamedTuple):
    academic_year: str
    value: float
    source: str
    recorded_on: date | None
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


def previous_year(academic_year: str) -> str:
    """'2024/25' -> '2023/24'."""
    start = int(academic_year[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def academic_year_of(day: date) -> str:
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


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
    figures: dict[str, dict[str, Figure]] = field(default_factory=dict)  # measure -> academic year -> figure
    triad_visit: VisitFacts | None = None
    open_actions: list[ActionFacts] = field(default_factory=list)  # open and past due
    judgements: list[JudgementFacts] = field(default_factory=list)  # the latest year's
    manual: list[Any] = field(default_factory=list)  # ManualFlag rows in force

    @property
    def latest_inspection(self) -> InspectionFacts | None:
        return self.inspections[0] if self.inspections else None

    def latest(self, measure: str) -> Figure | None:
        years = self.figures.get(measure)
        return years[max(years)] if years else None

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
        roll = self.figures.get("roll", {}).get(academic_year)
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
    years: int = 6  # indicator figures from this many academic years back
    nationals: bool = False
    visits_since: date | None = None
    actions: bool = False
    judgements: bool = False


SCHOOL_COLUMNS = (School.id, School.urn, School.name, School.phase, School.establishment_type, School.pupils,
                  School.headteacher_started_on, School.la_category)


def _limited(stmt: Any, column: Any, ids: Collection[int] | None) -> Any:
    return stmt.where(column.in_(ids)) if ids is not None and len(ids) <= MAX_IDS_IN_SQL else stmt


def load_schools(session: Session, *, school_ids: Collection[int] | None = None,
                 urns: Collection[str] | None = None) -> dict[int, SchoolFacts]:
    """The schools that can have flags, by id (all of the partnership's, or those named)."""
    stmt = select(*SCHOOL_COLUMNS).where(School.status.in_(FLAGGED_STATUSES))
    stmt = _limited(stmt, School.id, school_ids)
    if urns is not None:
        stmt = stmt.where(School.urn.in_(urns))
    wanted = set(school_ids) if school_ids is not None else None
    return {row.id: SchoolFacts(*row) for row in session.execute(stmt) if wanted is None or row.id in wanted}


def load(session: Session, schools: dict[int, SchoolFacts], *, partnership_id: int, needs: Needs, today: date,
         whole_partnership: bool) -> dict[tuple[str, str], Figure]:
    """Fill in each school's facts; returns the national figures. A fixed number of statements."""
    ids = None if whole_partnership else list(schools)
    if not schools:
        return {}
    if needs.inspections:
        _inspections(session, schools, ids, partnership_id, needs.inspections)
    if needs.measures:
        oldest = academic_year_of(today)
        for _ in range(needs.years):
            oldest = previous_year(oldest)
        _figures(session, schools, ids, needs.measures, oldest)
    nationals = _nationals(session) if needs.nationals else {}
    if needs.visits_since is not None:
        _visits(session, schools, ids, needs.visits_since)
    if needs.actions:
        _actions(session, schools, ids, today)
    if needs.judgements:
        _judgements(session, schools, ids)
    _manual(session, schools, ids)
    return nationals


def _inspections(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, partnership_id: int,
                 depth: int) -> None:
    rank = func.row_number().over(partition_by=Inspection.school_id,
                                  order_by=(Inspection.inspected_on.desc(), Inspection.id.desc())).label("rank")
    inner = select(Inspection.school_id, Inspection.inspected_on, Inspection.framework,
                   Inspection.overall_effectiveness, Inspection.category_of_concern, Inspection.safeguarding,
                   Inspection.grades, Inspection.headline, rank).where(Inspection.partnership_id == partnership_id)
    inner = _limited(inner, Inspection.school_id, ids).subquery()
    stmt = select(inner).where(inner.c.rank <= depth).order_by(inner.c.school_id, inner.c.rank)
    for row in session.execute(stmt):
        facts = schools.get(row.school_id)
        if facts is not None:
            facts.inspections.append(InspectionFacts(row.inspected_on, row.framework, row.overall_effectiveness,
                                                     row.category_of_concern, row.safeguarding, row.grades or {},
                                                     row.headline))


def _figures(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, measures: Iterable[str],
             oldest_year: str) -> None:
    stmt = select(Indicator.school_id, Indicator.measure, Indicator.academic_year, Indicator.value, Indicator.source,
                  Indicator.recorded_on, Indicator.id).where(Indicator.measure.in_(sorted(measures)),
                                                             Indicator.academic_year >= oldest_year)
    for school_id, measure, year, value, source, recorded_on, row_id in session.execute(_limited(
            stmt, Indicator.school_id, ids)):
        facts = schools.get(school_id)
        if facts is None:
            continue
        years = facts.figures.setdefault(measure, {})
        held = years.get(year)
        # Two sources for one year: the one recorded last (then the one entered last) stands.
        if held is None or (recorded_on, row_id) > (held.recorded_on, held.id):
            years[year] = Figure(year, value, source, recorded_on, row_id)


def _nationals(session: Session) -> dict[tuple[str, str], Figure]:
    found: dict[tuple[str, str], Figure] = {}
    stmt = select(NationalFigure.measure, NationalFigure.academic_year, NationalFigure.value, NationalFigure.source,
                  NationalFigure.id).order_by(NationalFigure.id)
    for measure, year, value, source, row_id in session.execute(stmt):
        found[(measure, year)] = Figure(year, value, source, None, row_id)  # the last entered stands
    return found


def _visits(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, since: date) -> None:
    stmt = select(TriadVisit.id, TriadVisit.school_id, TriadVisit.visit_date, TriadVisit.grade).where(
        TriadVisit.kind == VisitKind.triad_review.value, TriadVisit.status == VisitStatus.signed_off.value,
        TriadVisit.grade.is_not(None), TriadVisit.visit_date > since)
    for row_id, school_id, visit_date, grade in session.execute(_limited(stmt, TriadVisit.school_id, ids)):
        facts = schools.get(school_id)
        if facts is None:
            continue
        held = facts.triad_visit
        if held is None or (visit_date, row_id) > (held.visit_date, held.id):
            facts.triad_visit = VisitFacts(row_id, visit_date, grade)


def _actions(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None, today: date) -> None:
    stmt = select(ClinicAction.id, ClinicAction.clinic_id, ClinicAction.school_id, ClinicAction.text,
                  ClinicAction.due_on).where(ClinicAction.status == ClinicActionStatus.open.value,
                                             ClinicAction.due_on < today, ClinicAction.school_id.is_not(None))
    for row_id, clinic_id, school_id, text, due_on in session.execute(_limited(stmt, ClinicAction.school_id, ids)):
        facts = schools.get(school_id)
        if facts is not None:
            facts.open_actions.append(ActionFacts(row_id, clinic_id, text, due_on))


def _judgements(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None) -> None:
    later = aliased(ReviewJudgement)
    latest_year = select(func.max(later.academic_year)).where(later.school_id == ReviewJudgement.school_id)
    stmt = select(ReviewJudgement.school_id, ReviewJudgement.academic_year, ReviewJudgement.strand,
                  ReviewJudgement.partner_grade).where(ReviewJudgement.academic_year == latest_year.scalar_subquery())
    for school_id, year, strand, grade in session.execute(_limited(stmt, ReviewJudgement.school_id, ids)):
        facts = schools.get(school_id)
        if facts is not None:
            facts.judgements.append(JudgementFacts(year, strand, grade))


def _manual(session: Session, schools: dict[int, SchoolFacts], ids: list[int] | None) -> None:
    stmt = select(ManualFlag).where(ManualFlag.withdrawn_at.is_(None)).order_by(ManualFlag.id)
    for flag in session.scalars(_limited(stmt, ManualFlag.school_id, ids)):
        facts = schools.get(flag.school_id)
        if facts is not None:
            facts.manual.append(flag)


def since_months(today: date, months: int) -> date:
    """A generous lower bound for a date `months` months back (the rule applies the exact one)."""
    return today - timedelta(days=31 * months + 1)
