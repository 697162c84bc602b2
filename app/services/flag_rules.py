"""The red-flag rules: each a small named function over one school's facts (app.services.flag_data
gathers them for a whole partnership in a fixed number of queries) that returns nothing or a Flag.

A rule's thresholds have their defaults here, in code; a partnership's `flag_rule_setting` row
may switch the rule off or set any of them (app.services.flags). Each reason is plain words for a
clinic chair; its evidence says which figure, from when, against which threshold. docs/flags.md
describes every rule in the same words.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.models.flag import FlagCategory, Severity
from app.models.inspection import Framework, Headline
from app.services.flag_data import Context, Figure, InspectionFacts, SchoolFacts
from app.services.flag_types import Flag
from app.services.standing import Standing, standing_of

RED, AMBER = Severity.red.value, Severity.amber.value


@dataclass(frozen=True)
class Threshold:
    """One setting of a rule: its kind (float, int or bool), default, bounds and meaning."""

    name: str
    kind: type
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None

    @property
    def type_name(self) -> str:
        return {float: "number", int: "integer", bool: "boolean"}[self.kind]

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value` for this threshold, in words, or None."""
        if self.kind is bool:
            return None if isinstance(value, bool) else "must be true or false"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a whole number" if self.kind is int else "must be a number"
        if self.kind is int and isinstance(value, float) and not value.is_integer():
            return "must be a whole number"
        if value != value or value in (float("inf"), float("-inf")):
            return "must be a number"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {_number(self.minimum)}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {_number(self.maximum)}"
        return None

    def coerce(self, value: Any) -> Any:
        return int(value) if self.kind is int else float(value) if self.kind is float else value


Check = Callable[[SchoolFacts, Mapping[str, Any], Context], Flag | None]


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    description: str
    check: Check
    thresholds: tuple[Threshold, ...] = ()
    # What it reads beyond the school's register entry: indicator measures, and any of
    # "inspections", "nationals", "visits", "actions", "judgements" (app.services.flag_data.Needs).
    measures: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()

    @property
    def defaults(self) -> dict[str, Any]:
        return {t.name: t.default for t in self.thresholds}

    def threshold(self, name: str) -> Threshold | None:
        return next((t for t in self.thresholds if t.name == name), None)


# --- words --------------------------------------------------------------------------------------

def _number(value: float) -> str:
    """58.0 -> '58', 24.15 -> '24.15', 1234567 -> '1,234,567'."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _money(value: float) -> str:
    return f"£{_number(round(abs(value)))}"


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _words(name: str) -> str:
    return name.replace("_", " ")


HEADLINE_WORDS = {h.value: _words(h.value) for h in Headline} | {
    Headline.no_overall_grade.value: "no overall grade", Headline.safeguarding_not_met.value: "safeguarding not met"}
KEY_GRADE_WORDS = {1: "outstanding", 2: "good", 3: "requires improvement", 4: "inadequate"}
LEADERSHIP = ("leadership_and_management", "leadership_and_governance")
REPORT_CARD_BELOW_EXPECTED = ("needs_attention", "urgent_improvement")


def _figure_evidence(measure: str, figure: Figure, **more: Any) -> dict[str, Any]:
    return {"measure": measure, "value": figure.value, "academic_year": figure.academic_year,
            "source": figure.source, "as_of": figure.recorded_on.isoformat() if figure.recorded_on else None, **more}


def _inspection_evidence(inspection: InspectionFacts, **more: Any) -> dict[str, Any]:
    return {"inspected_on": inspection.inspected_on.isoformat(), "framework": inspection.framework,
            "headline": inspection.headline, **more}


def _key_judgements(inspection: InspectionFacts, grade: int) -> list[str]:
    """The key judgements graded `grade` (graded and ungraded_2024 inspections' 1-4 scale)."""
    return sorted(area for area, g in inspection.grades.items()
                  if isinstance(g, int) and not isinstance(g, bool) and g == grade)


def _on_key_judgement_scale(inspection: InspectionFacts | None) -> bool:
    return inspection is not None and inspection.framework in (Framework.graded.value, Framework.ungraded_2024.value)


# --- Ofsted ---------------------------------------------------------------------------------------

def ofsted_inadequate(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    latest = school.latest_inspection
    if not _on_key_judgement_scale(latest):
        return None
    fours = _key_judgements(latest, 4)
    when = f"at its Ofsted inspection of {_day(latest.inspected_on)}"
    if latest.category_of_concern:
        reason = f"In {_words(latest.category_of_concern)} {when}"
    elif latest.overall_effectiveness == 4:
        reason = f"Judged inadequate overall {when}"
    elif fours:
        reason = f"{_words(fours[0]).capitalize()} judged inadequate {when}" + (
            f" (and {len(fours) - 1} more key judgement{'s' if len(fours) > 2 else ''})" if len(fours) > 1 else "")
    else:
        return None
    return Flag("ofsted_inadequate", RED, FlagCategory.ofsted.value, reason, _inspection_evidence(
        latest, overall_effectiveness=latest.overall_effectiveness, category_of_concern=latest.category_of_concern,
        judgements_graded_4=fours))


def ofsted_requires_improvement(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    latest = school.latest_inspection
    if not _on_key_judgement_scale(latest) or latest.category_of_concern or latest.overall_effectiveness == 4 \
            or _key_judgements(latest, 4):
        return None  # inadequate: ofsted_inadequate says so
    threes = _key_judgements(latest, 3)
    when = f"at its Ofsted inspection of {_day(latest.inspected_on)}"
    if latest.overall_effectiveness == 3:
        reason = f"Judged requires improvement overall {when}"
    elif threes:
        reason = f"{_words(threes[0]).capitalize()} judged requires improvement {when}" + (
            f" (and {len(threes) - 1} more key judgement{'s' if len(threes) > 2 else ''})" if len(threes) > 1 else "")
    else:
        return None
    return Flag("ofsted_requires_improvement", AMBER, FlagCategory.ofsted.value, reason, _inspection_evidence(
        latest, overall_effectiveness=latest.overall_effectiveness, judgements_graded_3=threes))


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
            return _words(grade)
    return None


def ofsted_below_good_again(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    needed = t["inspections"]
    recent = school.inspections[:needed]
    if len(recent) < needed or any(standing_of(i.headline, i.grades) != Standing.below_good for i in recent):
        return None
    leadership = _leadership_below_good(recent[0])
    dates = ", ".join(_day(i.inspected_on) for i in recent)
    reason = f"Below good at its last {needed} Ofsted inspections ({dates})"
    if leadership:
        reason += f", with leadership {leadership} at the latest"
    return Flag("ofsted_below_good_again", RED if leadership else AMBER, FlagCategory.ofsted.value, reason,
                {"inspections": [_inspection_evidence(i) for i in recent], "threshold": needed,
                 "leadership_below_good": leadership})


def ofsted_report_card(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    latest = school.latest_inspection
    if latest is None or latest.framework != Framework.report_card.value:
        return None
    urgent = sorted(a for a, g in latest.grades.items() if g == "urgent_improvement")
    attention = sorted(a for a, g in latest.grades.items() if g == "needs_attention")
    when = f"at its Ofsted inspection of {_day(latest.inspected_on)}"
    if latest.safeguarding == "not_met":
        severity, reason = RED, f"Safeguarding not met {when}"
    elif urgent:
        severity, reason = RED, f"Urgent improvement needed in {', '.join(map(_words, urgent))} {when}"
    elif attention:
        severity, reason = AMBER, f"Needs attention in {', '.join(map(_words, attention))} {when}"
    else:
        return None
    return Flag("ofsted_report_card", severity, FlagCategory.ofsted.value, reason, _inspection_evidence(
        latest, safeguarding=latest.safeguarding, urgent_improvement=urgent, needs_attention=attention))


# --- standards ------------------------------------------------------------------------------------

def _below_floor(measure: str, rule: str) -> Check:
    def check(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
        figure = school.latest(measure)
        if figure is None or not figure.value < t["floor"]:
            return None
        reason = (f"{_words(measure).capitalize()} {_number(figure.value)} in {figure.academic_year}, below the "
                  f"floor of {_number(t['floor'])}")
        return Flag(rule, RED, FlagCategory.standards.value, reason,
                    _figure_evidence(measure, figure, threshold=t["floor"], compared_with="floor"))
    check.__name__ = rule
    return check


def _falling(measure: str, rule: str) -> Check:
    def check(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
        latest, before = school.latest(measure), school.year_before(measure)
        if latest is None or before is None:
            return None
        fall = round(before.value - latest.value, 6)
        if not fall > t["margin"]:
            return None
        reason = (f"{_words(measure).capitalize()} fell by {_number(fall)} to {_number(latest.value)} in "
                  f"{latest.academic_year} (from {_number(before.value)} in {before.academic_year}), more than "
                  f"the margin of {_number(t['margin'])}")
        return Flag(rule, AMBER, FlagCategory.standards.value, reason, _figure_evidence(
            measure, latest, previous_value=before.value, previous_year=before.academic_year, fall=fall,
            threshold=t["margin"], compared_with="margin"))
    check.__name__ = rule
    return check


# --- attendance -----------------------------------------------------------------------------------

def _above(measure: str, rule: str) -> Check:
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
        what = (f"the national figure of {_number(compared)}%" if against == "national"
                else f"the partnership's threshold of {_number(compared)}%")
        reason = f"{_words(measure).capitalize()} {_number(figure.value)}% in {figure.academic_year}, " + (
            f"more than {_number(t['red_above_by'])} points above {what}" if red else f"above {what}")
        return Flag(rule, RED if red else AMBER, FlagCategory.attendance.value, reason, _figure_evidence(
            measure, figure, threshold=compared, compared_with=against, red_above_by=t["red_above_by"],
            national_source=national.source if national is not None else None))
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
    reason = (f"Exclusions {_number(rate)} per 100 pupils in {figure.academic_year}, above the threshold of "
              f"{_number(t['per_100_pupils'])}")
    return Flag("exclusions_high", AMBER, FlagCategory.attendance.value, reason, _figure_evidence(
        "exclusions_per_100" if pupils is None else "exclusions", figure, per_100_pupils=rate, pupils=pupils,
        threshold=t["per_100_pupils"], compared_with="threshold"))


# --- finance --------------------------------------------------------------------------------------

ACADEMY_TYPES = re.compile(r"academy|free school|university technical|studio school|city technology", re.I)


def is_maintained(school: SchoolFacts) -> bool:
    """Maintained by the LA, as far as its type says (an unknown type counts as maintained)."""
    return not (school.establishment_type and ACADEMY_TYPES.search(school.establishment_type))


def budget_deficit(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    figure = school.latest("budget_balance")
    if figure is None or not figure.value < -t["deficit_over"]:
        return None
    reason = f"A budget deficit of {_money(figure.value)} in {figure.academic_year}"
    if t["deficit_over"]:
        reason += f", more than the {_money(t['deficit_over'])} allowed"
    return Flag("budget_deficit", RED, FlagCategory.finance.value, reason, _figure_evidence(
        "budget_balance", figure, threshold=0.0 - t["deficit_over"], compared_with="threshold"))


def excess_surplus(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    figure = school.latest("budget_balance")
    if figure is None or figure.value <= 0 or (t["maintained_only"] and not is_maintained(school)):
        return None
    pupils = school.pupils_in(figure.academic_year)
    if not pupils:
        return None
    per_pupil = round(figure.value / pupils, 2)
    if not per_pupil > t["per_pupil_over"]:
        return None
    reason = (f"A surplus of {_money(figure.value)} in {figure.academic_year} ({_money(per_pupil)} a pupil), "
              f"above {_money(t['per_pupil_over'])} a pupil")
    return Flag("excess_surplus", AMBER, FlagCategory.finance.value, reason, _figure_evidence(
        "budget_balance", figure, pupils=pupils, per_pupil=per_pupil, threshold=t["per_pupil_over"],
        compared_with="per_pupil_over"))


# --- governance -----------------------------------------------------------------------------------

def governor_vacancies(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    figure = school.latest("governor_vacancies")
    if figure is None or not figure.value > t["over"]:
        return None
    count = _number(figure.value)
    reason = (f"{count} governor vacanc{'y' if figure.value == 1 else 'ies'} in {figure.academic_year}, more than "
              f"{t['over']}")
    return Flag("governor_vacancies", RED, FlagCategory.governance.value, reason, _figure_evidence(
        "governor_vacancies", figure, threshold=t["over"], compared_with="threshold"))


def governance_intervention(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    found = []
    for measure, words in (("warning_notice", "a warning notice issued"),
                           ("ieb", "an interim executive board in place")):
        figure = school.latest(measure)
        if figure is not None and figure.value >= 1:
            found.append((measure, words, figure))
    if not found:
        return None
    reason = "; ".join(f"{words} ({figure.academic_year})" for _, words, figure in found)
    return Flag("governance_intervention", RED, FlagCategory.governance.value, reason[:1].upper() + reason[1:],
                {"figures": [_figure_evidence(measure, figure) for measure, _, figure in found]})


# --- leadership and context -----------------------------------------------------------------------

def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day where it has no such day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def new_or_acting_head(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    started = school.headteacher_started_on
    acting = school.latest("acting_head")
    cutoff = months_before(ctx.today, t["months"])
    parts, evidence = [], {"threshold": t["months"], "compared_with": "months"}
    if started is not None and started > cutoff:
        verb = "starts" if started > ctx.today else "started"
        parts.append(f"a new headteacher ({verb} {_day(started)}, within {t['months']} months)")
        evidence |= {"headteacher_started_on": started.isoformat(), "as_of": ctx.today.isoformat()}
    if acting is not None and acting.value >= 1:
        parts.append(f"an acting headteacher ({acting.academic_year})")
        evidence |= {"acting_head": _figure_evidence("acting_head", acting)}
    if not parts:
        return None
    reason = "; ".join(parts)
    return Flag("new_or_acting_head", AMBER, FlagCategory.leadership.value, reason[:1].upper() + reason[1:], evidence)


def senior_staff_changes(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    figure = school.latest("senior_staff_changes")
    if figure is None or not figure.value > t["over"]:
        return None
    reason = f"{_number(figure.value)} senior staff changes in {figure.academic_year}, more than {t['over']}"
    return Flag("senior_staff_changes", AMBER, FlagCategory.leadership.value, reason, _figure_evidence(
        "senior_staff_changes", figure, threshold=t["over"], compared_with="threshold"))


def falling_roll(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    run = school.consecutive_years("roll", t["years"])
    if run is None or any(later.value >= earlier.value for earlier, later in zip(run, run[1:], strict=False)):
        return None
    figures = ", ".join(f"{_number(f.value)} ({f.academic_year})" for f in run)
    reason = f"Roll fell each year for {t['years']} years: {figures}"
    return Flag("falling_roll", AMBER, FlagCategory.leadership.value, reason, _figure_evidence(
        "roll", run[-1], figures=[{"academic_year": f.academic_year, "value": f.value} for f in run],
        threshold=t["years"], compared_with="years"))


BUILDING_GRADES = {1: "good", 2: "satisfactory", 3: "poor", 4: "bad"}


def poor_buildings(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    figure = school.latest("building_condition")
    if figure is None or not figure.value > t["worse_than"]:
        return None
    words = BUILDING_GRADES.get(int(figure.value), _number(figure.value))
    reason = (f"Buildings in {words} condition (graded {_number(figure.value)} of 4) in {figure.academic_year}, "
              f"worse than {t['worse_than']}")
    return Flag("poor_buildings", AMBER, FlagCategory.leadership.value, reason, _figure_evidence(
        "building_condition", figure, threshold=t["worse_than"], compared_with="threshold"))


# --- the network --------------------------------------------------------------------------------

def triad_grade(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    visit = school.triad_visit
    worst = len(ctx.grade_labels)
    if visit is None or worst == 0 or visit.grade < worst or not visit.visit_date > months_before(
            ctx.today, t["within_months"]):
        return None
    label = ctx.grade_labels[worst - 1]
    reason = f"Graded ‘{label}’ ({visit.grade} of {worst}) at its triad review on {_day(visit.visit_date)}"
    return Flag("triad_grade", AMBER, FlagCategory.network.value, reason, {
        "visit_id": visit.id, "visit_date": visit.visit_date.isoformat(), "grade": visit.grade, "label": label,
        "scale": worst, "threshold": t["within_months"], "compared_with": "within_months"})


def la_category(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    scheme = ctx.category_scheme
    if not school.la_category or not scheme:
        return None
    if school.la_category == scheme[0]:
        severity = RED
    elif t["second_is_amber"] and len(scheme) >= 3 and school.la_category == scheme[1]:
        severity = AMBER
    else:
        return None
    reason = f"In the LA's ‘{school.la_category}’ category"
    if severity == RED:
        reason += " (most support needed)"
    return Flag("la_category", severity, FlagCategory.network.value, reason,
                {"la_category": school.la_category, "scheme": list(scheme)})


def overdue_clinic_action(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    late = [a for a in school.open_actions if (ctx.today - a.due_on).days > t["days_over"]]
    if not late:
        return None
    oldest = min(late, key=lambda a: (a.due_on, a.id))
    head = "A clinic action is" if len(late) == 1 else f"{len(late)} clinic actions are"
    reason = f"{head} overdue: ‘{oldest.text}’ was due {_day(oldest.due_on)}"
    return Flag("overdue_clinic_action", AMBER, FlagCategory.network.value, reason, {
        "actions": [{"id": a.id, "clinic_id": a.clinic_id, "text": a.text, "due_on": a.due_on.isoformat()}
                    for a in sorted(late, key=lambda a: (a.due_on, a.id))],
        "as_of": ctx.today.isoformat(), "threshold": t["days_over"], "compared_with": "days_over"})


def review_judgement(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    judged = [j for j in school.judgements if j.partner_grade >= 3]
    if not judged:
        return None
    worst = max(j.partner_grade for j in judged)
    strands = sorted(j.strand for j in judged if j.partner_grade == worst)
    year = judged[0].academic_year
    reason = (f"Judged {worst} ({KEY_GRADE_WORDS[worst]}) for {', '.join(map(_words, strands))} at the "
              f"{year} review")
    return Flag("review_judgement", RED if worst >= 4 else AMBER, FlagCategory.network.value, reason, {
        "academic_year": year, "judgements": {j.strand: j.partner_grade for j in school.judgements}})


# --- the registry ---------------------------------------------------------------------------------

def _t(name: str, kind: type, default: Any, description: str, minimum: float | None = None,
       maximum: float | None = None) -> Threshold:
    return Threshold(name, kind, default, description, minimum, maximum)


_OFSTED, _STANDARDS, _ATTENDANCE = FlagCategory.ofsted.value, FlagCategory.standards.value, \
    FlagCategory.attendance.value
_FINANCE, _GOVERNANCE = FlagCategory.finance.value, FlagCategory.governance.value
_LEADERSHIP, _NETWORK = FlagCategory.leadership.value, FlagCategory.network.value


def _attendance_thresholds(threshold: float, red_above_by: float) -> tuple[Threshold, ...]:
    return (
        _t("threshold", float, threshold, "The partnership's threshold, in %: above it is amber (used when "
           "there is no national figure to compare with, or compare_national is false)", 0, 100),
        _t("compare_national", bool, True, "Compare with the national figure of the same year when one is "
           "recorded"),
        _t("red_above_by", float, red_above_by, "Percentage points above the figure compared with that make it "
           "red", 0, 100),
    )


_INSPECTIONS = ("inspections",)

RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("ofsted_inadequate", _OFSTED, "Latest inspection (graded, or key judgements only): in special measures "
         "or serious weaknesses, inadequate overall, or any key judgement inadequate (4): red.", ofsted_inadequate,
         reads=_INSPECTIONS),
    Rule("ofsted_requires_improvement", _OFSTED, "Latest inspection (graded, or key judgements only): requires "
         "improvement overall, or any key judgement requires improvement (3): amber.", ofsted_requires_improvement,
         reads=_INSPECTIONS),
    Rule("ofsted_below_good_again", _OFSTED, "Below good at each of its last inspections in a row, each read on "
         "its own framework: amber; red if leadership is also below good at the latest.", ofsted_below_good_again,
         (_t("inspections", int, 2, "How many inspections in a row", 2, 5),), reads=_INSPECTIONS),
    Rule("ofsted_report_card", _OFSTED, "Latest inspection a report card: safeguarding not met or any area "
         "urgent improvement: red; any area needs attention: amber.", ofsted_report_card, reads=_INSPECTIONS),
    Rule("attainment_below_floor", _STANDARDS, "Latest attainment figure below the partnership's floor: red.",
         _below_floor("attainment", "attainment_below_floor"),
         (_t("floor", float, 50.0, "The floor; a figure below it is red", -1000, 1000),), ("attainment",)),
    Rule("progress_below_floor", _STANDARDS, "Latest progress figure below the partnership's floor: red.",
         _below_floor("progress", "progress_below_floor"),
         (_t("floor", float, -0.5, "The floor; a figure below it is red", -1000, 1000),), ("progress",)),
    Rule("attainment_falling", _STANDARDS, "Attainment fell since the year before by more than the margin: amber.",
         _falling("attainment", "attainment_falling"),
         (_t("margin", float, 5.0, "How far it may fall in a year before it is flagged", 0, 1000),),
         ("attainment",)),
    Rule("progress_falling", _STANDARDS, "Progress fell since the year before by more than the margin: amber.",
         _falling("progress", "progress_falling"),
         (_t("margin", float, 0.3, "How far it may fall in a year before it is flagged", 0, 1000),), ("progress",)),
    Rule("absence_high", _ATTENDANCE, "Latest absence above the national figure (or the threshold): amber; far "
         "above: red.", _above("absence", "absence_high"), _attendance_thresholds(7.0, 2.0), ("absence",),
         ("nationals",)),
    Rule("persistent_absence_high", _ATTENDANCE, "Latest persistent absence above the national figure (or the "
         "threshold): amber; far above: red.", _above("persistent_absence", "persistent_absence_high"),
         _attendance_thresholds(20.0, 10.0), ("persistent_absence",), ("nationals",)),
    Rule("exclusions_high", _ATTENDANCE, "Exclusions per 100 pupils above the threshold: amber.", exclusions_high,
         (_t("per_100_pupils", float, 10.0, "Exclusions per 100 pupils above which it is flagged", 0, 10000),),
         ("exclusions", "exclusions_per_100", "roll")),
    Rule("budget_deficit", _FINANCE, "Latest budget balance a deficit: red.", budget_deficit,
         (_t("deficit_over", float, 0.0, "A deficit of up to this many pounds is let pass", 0, 1e9),),
         ("budget_balance",)),
    Rule("excess_surplus", _FINANCE, "Latest budget balance a surplus of more than the threshold a pupil: amber "
         "(seed 001, 7.4: maintained schools' excess surpluses).", excess_surplus,
         (_t("per_pupil_over", float, 500.0, "Surplus a pupil, in pounds, above which it is excess", 0, 1e6),
          _t("maintained_only", bool, True, "Only LA-maintained schools (not academies or free schools)")),
         ("budget_balance", "roll")),
    Rule("governor_vacancies", _GOVERNANCE, "More governor vacancies than the threshold: red.", governor_vacancies,
         (_t("over", int, 2, "Vacancies above this many are flagged", 0, 100),), ("governor_vacancies",)),
    Rule("governance_intervention", _GOVERNANCE, "A warning notice issued or an interim executive board in place "
         "(latest figure 1): red.", governance_intervention, measures=("warning_notice", "ieb")),
    Rule("new_or_acting_head", _LEADERSHIP, "A headteacher who started within the last months, or an acting head: "
         "amber.", new_or_acting_head, (_t("months", int, 24, "How many months a head counts as new", 1, 120),),
         ("acting_head",)),
    Rule("senior_staff_changes", _LEADERSHIP, "More senior staff changes in the latest year than the threshold: "
         "amber.", senior_staff_changes, (_t("over", int, 1, "Changes above this many are flagged", 0, 100),),
         ("senior_staff_changes",)),
    Rule("falling_roll", _LEADERSHIP, "The roll lower each year over the last years: amber.", falling_roll,
         (_t("years", int, 3, "How many consecutive years' figures, each lower than the year before", 2, 10),),
         ("roll",)),
    Rule("poor_buildings", _LEADERSHIP, "Buildings' condition graded worse than the threshold (1 good to 4 bad): "
         "amber.", poor_buildings, (_t("worse_than", int, 2, "Grades above this are poor", 1, 3),),
         ("building_condition",)),
    Rule("triad_grade", _NETWORK, "Latest signed-off triad review graded the network's worst grade: amber.",
         triad_grade, (_t("within_months", int, 12, "Only a review within this many months counts", 1, 60),),
         reads=("visits",)),
    Rule("la_category", _NETWORK, "In the LA category scheme's first category (most support needed): red; in the "
         "second, of a scheme of three or more: amber.", la_category,
         (_t("second_is_amber", bool, True, "Flag the second category amber (Peterborough's LA rated red and "
             "amber)"),)),
    Rule("overdue_clinic_action", _NETWORK, "An open clinic action for the school past its due date: amber.",
         overdue_clinic_action, (_t("days_over", int, 0, "Days past due before it is flagged", 0, 365),),
         reads=("actions",)),
    Rule("review_judgement", _NETWORK, "At the latest review (seed 002), any strand judged 3: amber; 4: red.",
         review_judgement, reads=("judgements",)),
)}

MANUAL_RULE = "manual"
