"""The red-flag rules' checks on a school's inspections and figures: Ofsted, standards and
attendance (the others are in app.services.flag_checks_context), with the words they share.

Each check takes one school's facts (app.services.flag_data), the rule's thresholds in force and
the context (the day, the partnership's scales, the national figures), and returns a Flag or None.
Each reason is plain words for a clinic chair; its evidence says which figure, from when, against
which threshold.
"""

from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from app.models.flag import FlagCategory, Severity
from app.models.inspection import Framework
from app.services.flag_facts import Context, Figure, InspectionFacts, SchoolFacts
from app.services.flag_types import Details, Flag
from app.services.standing import Standing, standing_of

# Plain strings, read once: an enum member's .value is a descriptor call, and the rules ask ~10^5 times.
RED, AMBER = Severity.red.value, Severity.amber.value
OFSTED, STANDARDS, ATTENDANCE = FlagCategory.ofsted.value, FlagCategory.standards.value, FlagCategory.attendance.value
FINANCE, GOVERNANCE = FlagCategory.finance.value, FlagCategory.governance.value
LEADERSHIP_CATEGORY, NETWORK = FlagCategory.leadership.value, FlagCategory.network.value
KEY_JUDGEMENT_FRAMEWORKS = (Framework.graded.value, Framework.ungraded_2024.value)
REPORT_CARD = Framework.report_card.value
Check = Callable[[SchoolFacts, Mapping[str, Any], Context], Flag | None]


# --- words --------------------------------------------------------------------------------------

def number(value: float) -> str:
    """58.0 -> '58', 24.15 -> '24.15', 1234567 -> '1,234,567'."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def money(value: float) -> str:
    return f"£{number(round(abs(value)))}"


@lru_cache(maxsize=8192)
def day(value: date) -> str:
    """'12 March 2024' (the same dates recur across a partnership's schools: kept)."""
    return f"{value.day} {value:%B %Y}"


def words(name: str) -> str:
    return name.replace("_", " ")


KEY_GRADE_WORDS = {1: "outstanding", 2: "good", 3: "requires improvement", 4: "inadequate"}
LEADERSHIP = ("leadership_and_management", "leadership_and_governance")
REPORT_CARD_BELOW_EXPECTED = ("needs_attention", "urgent_improvement")


def _iso(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def figure_evidence(measure: str, figure: Figure, **more: Any) -> dict[str, Any]:
    return {"measure": measure, "value": figure.value, "academic_year": figure.academic_year,
            "source": figure.source, "as_of": _iso(figure.recorded_on), **more}


def inspection_evidence(inspection: InspectionFacts, **more: Any) -> dict[str, Any]:
    return {"inspected_on": inspection.inspected_on.isoformat(), "framework": inspection.framework,
            "headline": inspection.headline, **more}


def _key_judgements(inspection: InspectionFacts, grade: int) -> list[str]:
    """The key judgements graded `grade` (graded and ungraded_2024 inspections' 1-4 scale)."""
    if grade not in inspection.grades.values():  # most schools: no need to look closer
        return []
    return sorted(area for area, g in inspection.grades.items()
                  if isinstance(g, int) and not isinstance(g, bool) and g == grade)


def _and_more(judgements: list[str]) -> str:
    """' (and 2 more key judgements)' after the first of several; nothing for one."""
    if len(judgements) < 2:
        return ""
    return f" (and {len(judgements) - 1} more key judgement{'s' if len(judgements) > 2 else ''})"


def _on_key_judgement_scale(inspection: InspectionFacts | None) -> bool:
    return inspection is not None and inspection.framework in KEY_JUDGEMENT_FRAMEWORKS


# --- Ofsted ---------------------------------------------------------------------------------------

def ofsted_inadequate(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    latest = school.latest_inspection
    if not _on_key_judgement_scale(latest):
        return None
    fours = _key_judgements(latest, 4)
    if not (latest.category_of_concern or latest.overall_effectiveness == 4 or fours):
        return None

    def describe() -> Details:
        when = f"at its Ofsted inspection of {day(latest.inspected_on)}"
        if latest.category_of_concern:
            reason = f"In {words(latest.category_of_concern)} {when}"
        elif latest.overall_effectiveness == 4:
            reason = f"Judged inadequate overall {when}"
        else:
            reason = f"{words(fours[0]).capitalize()} judged inadequate {when}" + _and_more(fours)
        return reason, inspection_evidence(latest, overall_effectiveness=latest.overall_effectiveness,
                                           category_of_concern=latest.category_of_concern, judgements_graded_4=fours)
    return Flag("ofsted_inadequate", RED, OFSTED, describe=describe)


def ofsted_requires_improvement(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    latest = school.latest_inspection
    if not _on_key_judgement_scale(latest) or latest.category_of_concern or latest.overall_effectiveness == 4 \
            or _key_judgements(latest, 4):
        return None  # inadequate: ofsted_inadequate says so
    threes = _key_judgements(latest, 3)
    if not (latest.overall_effectiveness == 3 or threes):
        return None

    def describe() -> Details:
        when = f"at its Ofsted inspection of {day(latest.inspected_on)}"
        if latest.overall_effectiveness == 3:
            reason = f"Judged requires improvement overall {when}"
        else:
            reason = f"{words(threes[0]).capitalize()} judged requires improvement {when}" + _and_more(threes)
        return reason, inspection_evidence(latest, overall_effectiveness=latest.overall_effectiveness,
                                           judgements_graded_3=threes)
    return Flag("ofsted_requires_improvement", AMBER, OFSTED, describe=describe)


def _leadership_below_good(inspection: InspectionFacts) -> str | None:
    """The leadership judgement's grade when it is below good, else None."""
    for area in LEADERSHIP:
        grade = inspection.grades.get(area)
        if grade is None:
            continue
        if isinstance(grade, int) and not isinstance(grade, bool):
            if grade >= 3:
                return KEY_GRADE_WORDS[grade]
        elif grade in REPORT_CARD_BELOW_EXPECTED:
            return words(grade)
    return None


def ofsted_below_good_again(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    needed = t["inspections"]
    recent = school.inspections[:needed]
    if len(recent) < needed or any(standing_of(i.headline, i.grades) != Standing.below_good for i in recent):
        return None
    leadership = _leadership_below_good(recent[0])

    def describe() -> Details:
        dates = ", ".join(day(i.inspected_on) for i in recent)
        reason = f"Below good at its last {needed} Ofsted inspections ({dates})"
        if leadership:
            reason += f", with leadership {leadership} at the latest"
        return reason, {"inspections": [inspection_evidence(i) for i in recent], "threshold": needed,
                        "leadership_below_good": leadership}
    return Flag("ofsted_below_good_again", RED if leadership else AMBER, OFSTED, describe=describe)


def ofsted_report_card(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    latest = school.latest_inspection
    if latest is None or latest.framework != REPORT_CARD:
        return None
    urgent = sorted(a for a, g in latest.grades.items() if g == "urgent_improvement")
    attention = sorted(a for a, g in latest.grades.items() if g == "needs_attention")
    if not (latest.safeguarding == "not_met" or urgent or attention):
        return None

    def describe() -> Details:
        when = f"at its Ofsted inspection of {day(latest.inspected_on)}"
        if latest.safeguarding == "not_met":
            reason = f"Safeguarding not met {when}"
        elif urgent:
            reason = f"Urgent improvement needed in {', '.join(map(words, urgent))} {when}"
        else:
            reason = f"Needs attention in {', '.join(map(words, attention))} {when}"
        return reason, inspection_evidence(latest, safeguarding=latest.safeguarding, urgent_improvement=urgent,
                                           needs_attention=attention)
    severity = RED if latest.safeguarding == "not_met" or urgent else AMBER
    return Flag("ofsted_report_card", severity, OFSTED, describe=describe)


# --- standards ------------------------------------------------------------------------------------

def below_floor(measure: str, rule: str) -> Check:
    def check(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
        figure = school.latest(measure)
        if figure is None or not figure.value < t["floor"]:
            return None

        def describe() -> Details:
            reason = (f"{words(measure).capitalize()} {number(figure.value)} in {figure.academic_year}, below the "
                      f"floor of {number(t['floor'])}")
            return reason, figure_evidence(measure, figure, threshold=t["floor"], compared_with="floor")
        return Flag(rule, RED, STANDARDS, describe=describe)
    check.__name__ = rule
    return check


def falling(measure: str, rule: str) -> Check:
    def check(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
        latest, before = school.latest(measure), school.year_before(measure)
        if latest is None or before is None:
            return None
        fall = round(before.value - latest.value, 6)
        if not fall > t["margin"]:
            return None

        def describe() -> Details:
            reason = (f"{words(measure).capitalize()} fell by {number(fall)} to {number(latest.value)} in "
                      f"{latest.academic_year} (from {number(before.value)} in {before.academic_year}), more than "
                      f"the margin of {number(t['margin'])}")
            return reason, figure_evidence(measure, latest, previous_value=before.value,
                                           previous_year=before.academic_year, fall=fall, threshold=t["margin"],
                                           compared_with="margin")
        return Flag(rule, AMBER, STANDARDS, describe=describe)
    check.__name__ = rule
    return check


# --- attendance -----------------------------------------------------------------------------------

def above(measure: str, rule: str) -> Check:
    """Above the national figure of the same year (when the rule compares with it and one is
    recorded) or else the partnership's threshold: amber; more than `red_above_by` points above: red."""
    def check(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
        figure = school.latest(measure)
        if figure is None:
            return None
        national = ctx.national(measure, figure.academic_year) if t["compare_national"] else None
        compared, against = (national.value, "national") if national is not None else (t["threshold"], "threshold")
        if not figure.value > compared:
            return None
        red = round(figure.value - compared, 6) > t["red_above_by"]

        def describe() -> Details:
            what = (f"the national figure of {number(compared)}%" if against == "national"
                    else f"the partnership's threshold of {number(compared)}%")
            reason = f"{words(measure).capitalize()} {number(figure.value)}% in {figure.academic_year}, " + (
                f"more than {number(t['red_above_by'])} points above {what}" if red else f"above {what}")
            return reason, figure_evidence(measure, figure, threshold=compared, compared_with=against,
                                           red_above_by=t["red_above_by"],
                                           national_source=national.source if national is not None else None)
        return Flag(rule, RED if red else AMBER, ATTENDANCE, describe=describe)
    check.__name__ = rule
    return check


def exclusions_high(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    rate_figure = school.latest("exclusions_per_100")
    count = school.latest("exclusions")
    if rate_figure is not None and (count is None or rate_figure.academic_year >= count.academic_year):
        figure, rate, pupils = rate_figure, rate_figure.value, None
    elif count is not None:
        pupils = school.pupils_in(count.academic_year)
        if not pupils:
            return None
        figure, rate = count, round(count.value * 100 / pupils, 2)
    else:
        return None
    if not rate > t["per_100_pupils"]:
        return None

    def describe() -> Details:
        reason = (f"Exclusions {number(rate)} per 100 pupils in {figure.academic_year}, above the threshold of "
                  f"{number(t['per_100_pupils'])}")
        return reason, figure_evidence("exclusions_per_100" if pupils is None else "exclusions", figure,
                                       per_100_pupils=rate, pupils=pupils, threshold=t["per_100_pupils"],
                                       compared_with="threshold")
    return Flag("exclusions_high", AMBER, ATTENDANCE, describe=describe)
