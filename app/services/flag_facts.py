"""What the red-flag rules see of a school and of its partnership: the facts that
app.services.flag_data gathers (for many schools at once) and the rules (app.services.flag_checks
and flag_checks_context) read. Plain data: nothing here reads the database."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from app.services.partnerships import previous_year


class Figure(NamedTuple):
    """A figure (an indicator figure as read, FigureRow, has the same fields, by name)."""

    academic_year: str
    value: float
    source: str
    recorded_on: date | str | None  # as stored: an ISO date string on SQLite
    id: int = 0


class FigureRow(NamedTuple):
    """An indicator figure as the figures' statement reads it: Figure's fields and more. Each row
    kept is made one of these plain tuples: a field of SQLAlchemy's row read by name costs ten times
    a tuple's, and the rules read about a million of them for a partnership of 25,000 schools."""

    school_id: int
    measure: str
    academic_year: str
    value: float
    source: str
    recorded_on: date | str | None  # as stored: an ISO date string on SQLite
    id: int


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
        """A figure of the school's (app.services.flag_data.add_figures does the same inline, for speed)."""
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
