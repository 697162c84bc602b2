"""A school's indicator trends for its profile: each measure's figures over the years held, one
value a year (as the red-flag rules choose it: of two sources for one year, the one recorded last),
beside the national figure of each year and the partnership's thresholds for the measure, as the
red-flag rules have them in force (app.services.flag_settings). A rule switched off draws no line.

Two statements, whatever the school's history: its figures, and the national figures of the
measures it has."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.models.flag import NationalFigure
from app.models.indicator import KNOWN_MEASURES, Indicator
from app.services.flag_settings import RuleSetting


@dataclass(frozen=True)
class Line:
    """A threshold drawn across a chart: its short label, value and what crossing it means."""

    label: str
    value: float
    meaning: str


@dataclass(frozen=True)
class ThresholdOf:
    """Where a measure's threshold lives: a rule, one of its thresholds, the sign it is drawn with
    (a deficit allowed of £5,000 is a line at −5,000), and what crossing it means."""

    rule: str
    threshold: str
    label: str
    meaning: str
    sign: int = 1


# The measures the red-flag rules compare with a threshold of the partnership's (app.services.flag_rules).
THRESHOLDS: dict[str, tuple[ThresholdOf, ...]] = {
    "attainment": (ThresholdOf("attainment_below_floor", "floor", "Floor", "below the floor is a red flag"),),
    "progress": (ThresholdOf("progress_below_floor", "floor", "Floor", "below the floor is a red flag"),),
    "absence": (ThresholdOf("absence_high", "threshold", "Threshold",
                            "above it is an amber flag when there is no national figure to compare with"),),
    "persistent_absence": (ThresholdOf("persistent_absence_high", "threshold", "Threshold",
                                       "above it is an amber flag when there is no national figure to compare with"),),
    "exclusions_per_100": (ThresholdOf("exclusions_high", "per_100_pupils", "Threshold",
                                       "above it is an amber flag"),),
    "budget_balance": (ThresholdOf("budget_deficit", "deficit_over", "Deficit let pass",
                                   "a deficit beyond it is a red flag", -1),),
    "governor_vacancies": (ThresholdOf("governor_vacancies", "over", "Threshold", "above it is a red flag"),),
    "senior_staff_changes": (ThresholdOf("senior_staff_changes", "over", "Threshold", "above it is an amber flag"),),
    "building_condition": (ThresholdOf("poor_buildings", "worse_than", "Threshold",
                                       "a grade above it (worse) is an amber flag"),),
}
# The measures compared with the national figure of the same year, and the rule that says so.
NATIONAL_RULES = {"absence": "absence_high", "persistent_absence": "persistent_absence_high"}


@dataclass
class YearRow:
    """One academic year of a measure: the figure charted, the national figure, every row held."""

    academic_year: str
    value: float | None
    national: float | None
    rows: list[Indicator] = field(default_factory=list)
    charted_id: int | None = None  # the row charted, when the year has several (two sources)


@dataclass
class Trend:
    measure: str
    years: list[YearRow]
    lines: list[Line]
    compared_nationally: bool  # the rules compare it with the national figure (and the rule is on)
    rules: list[str]  # the descriptions of the enabled rules that read the measure

    @property
    def labels(self) -> list[str]:
        return [y.academic_year for y in self.years]

    @property
    def values(self) -> list[float | None]:
        return [y.value for y in self.years]

    @property
    def nationals(self) -> list[float | None]:
        return [y.national for y in self.years]

    @property
    def has_nationals(self) -> bool:
        return any(y.national is not None for y in self.years)

    @property
    def latest(self) -> YearRow:
        return self.years[-1]


def _order(measure: str) -> tuple[int, str]:
    return (KNOWN_MEASURES.index(measure) if measure in KNOWN_MEASURES else len(KNOWN_MEASURES), measure)


def _stands(row: Indicator, held: Indicator | None) -> bool:
    """Whether `row` stands over `held` for the same year: recorded later, or entered later the same day."""
    return held is None or (row.recorded_on, row.id) > (held.recorded_on, held.id)


def _lines(measure: str, settings: dict[str, RuleSetting]) -> list[Line]:
    found = []
    for where in THRESHOLDS.get(measure, ()):
        setting = settings.get(where.rule)
        if setting is None or not setting.enabled:
            continue
        value = setting.thresholds.get(where.threshold)
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.append(Line(where.label, where.sign * float(value) + 0.0, where.meaning))  # + 0.0: never −0
    return found


def _rule_words(measure: str, settings: dict[str, RuleSetting]) -> list[str]:
    return [s.rule.description for s in settings.values() if s.enabled and measure in s.rule.measures]


def nationals_for(session: Session, measures: Iterable[str]) -> dict[tuple[str, str], float]:
    """The national figure of each (measure, year) among `measures`: of several sources, the last
    entered stands (as the red-flag rules read them). One statement."""
    found: dict[tuple[str, str], float] = {}
    wanted = sorted(set(measures))
    if not wanted:
        wanted = [""]  # still one statement, so that the count does not depend on the school's figures
    stmt = select(NationalFigure.measure, NationalFigure.academic_year, NationalFigure.value) \
        .where(NationalFigure.measure.in_(wanted)).order_by(NationalFigure.id)
    for measure, year, value in session.execute(stmt):
        found[(measure, year)] = value
    return found


def trends(figures: list[Indicator], nationals: dict[tuple[str, str], float],
           settings: dict[str, RuleSetting]) -> list[Trend]:
    """Each measure the school has figures for, oldest year first, in the order the register lists
    measures (the rules' measures first)."""
    by_measure: dict[str, dict[str, YearRow]] = {}
    chosen: dict[tuple[str, str], Indicator] = {}
    for row in figures:
        years = by_measure.setdefault(row.measure, {})
        year = years.setdefault(row.academic_year, YearRow(row.academic_year, None, None))
        year.rows.append(row)
        key = (row.measure, row.academic_year)
        if _stands(row, chosen.get(key)):
            chosen[key] = row
            year.value, year.charted_id = row.value, row.id
    found = []
    for measure in sorted(by_measure, key=_order):
        years = [by_measure[measure][y] for y in sorted(by_measure[measure])]
        for year in years:
            year.national = nationals.get((measure, year.academic_year))
            year.rows.sort(key=lambda r: (r.source, r.id))
        rule = settings.get(NATIONAL_RULES.get(measure, ""))
        compared = rule is not None and rule.enabled and bool(rule.thresholds.get("compare_national"))
        found.append(Trend(measure, years, _lines(measure, settings), compared, _rule_words(measure, settings)))
    return found


def chart_of(trend: Trend) -> dict[str, Any]:
    """What the chart macro (components/charts.html) draws for a trend."""
    series = [{"name": "This school", "values": trend.values, "style": "school"}]
    if trend.has_nationals:
        series.append({"name": "National", "values": trend.nationals, "style": "national"})
    return {"labels": trend.labels, "series": series,
            "lines": [{"name": line.label, "value": line.value} for line in trend.lines]}
