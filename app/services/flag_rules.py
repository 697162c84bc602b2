"""The red-flag rules: their registry, each rule's thresholds (name, type, default, bounds) and
the data it reads. The checks themselves are small named functions in app.services.flag_checks and
flag_checks_context, each over one school's facts (app.services.flag_data gathers them for a whole
partnership in a fixed number of queries), returning nothing or a Flag.

A rule's thresholds have their defaults here, in code; a partnership's `flag_rule_setting` row
may switch the rule off or set any of them (app.services.flag_settings). docs/flags.md describes
every rule in the same words.
"""

from dataclasses import dataclass
from typing import Any

from app.models.flag import FlagCategory
from app.services import flag_checks as checks
from app.services import flag_checks_context as context
from app.services.flag_checks import Check, number


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
            return f"must be at least {number(self.minimum)}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {number(self.maximum)}"
        return None

    def coerce(self, value: Any) -> Any:
        return int(value) if self.kind is int else float(value) if self.kind is float else value


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
    history: tuple[str, ...] = ()  # measures of which it reads earlier years, not only the latest

    @property
    def defaults(self) -> dict[str, Any]:
        return {t.name: t.default for t in self.thresholds}

    def threshold(self, name: str) -> Threshold | None:
        return next((t for t in self.thresholds if t.name == name), None)


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
         "or serious weaknesses, inadequate overall, or any key judgement inadequate (4): red.",
         checks.ofsted_inadequate, reads=_INSPECTIONS),
    Rule("ofsted_requires_improvement", _OFSTED, "Latest inspection (graded, or key judgements only): requires "
         "improvement overall, or any key judgement requires improvement (3): amber.",
         checks.ofsted_requires_improvement, reads=_INSPECTIONS),
    Rule("ofsted_below_good_again", _OFSTED, "Below good at each of its last inspections in a row, each read on "
         "its own framework: amber; red if leadership is also below good at the latest.",
         checks.ofsted_below_good_again, (_t("inspections", int, 2, "How many inspections in a row", 2, 5),),
         reads=_INSPECTIONS),
    Rule("ofsted_report_card", _OFSTED, "Latest inspection a report card: safeguarding not met or any area "
         "urgent improvement: red; any area needs attention: amber.", checks.ofsted_report_card, reads=_INSPECTIONS),
    Rule("attainment_below_floor", _STANDARDS, "Latest attainment figure below the partnership's floor: red.",
         checks.below_floor("attainment", "attainment_below_floor"),
         (_t("floor", float, 50.0, "The floor; a figure below it is red", -1000, 1000),), ("attainment",)),
    Rule("progress_below_floor", _STANDARDS, "Latest progress figure below the partnership's floor: red.",
         checks.below_floor("progress", "progress_below_floor"),
         (_t("floor", float, -0.5, "The floor; a figure below it is red", -1000, 1000),), ("progress",)),
    Rule("attainment_falling", _STANDARDS, "Attainment fell since the year before by more than the margin: amber.",
         checks.falling("attainment", "attainment_falling"),
         (_t("margin", float, 5.0, "How far it may fall in a year before it is flagged", 0, 1000),),
         ("attainment",), history=("attainment",)),
    Rule("progress_falling", _STANDARDS, "Progress fell since the year before by more than the margin: amber.",
         checks.falling("progress", "progress_falling"),
         (_t("margin", float, 0.3, "How far it may fall in a year before it is flagged", 0, 1000),), ("progress",),
         history=("progress",)),
    Rule("absence_high", _ATTENDANCE, "Latest absence above the national figure (or the threshold): amber; far "
         "above: red.", checks.above("absence", "absence_high"), _attendance_thresholds(7.0, 2.0), ("absence",),
         ("nationals",)),
    Rule("persistent_absence_high", _ATTENDANCE, "Latest persistent absence above the national figure (or the "
         "threshold): amber; far above: red.", checks.above("persistent_absence", "persistent_absence_high"),
         _attendance_thresholds(20.0, 10.0), ("persistent_absence",), ("nationals",)),
    Rule("exclusions_high", _ATTENDANCE, "Exclusions per 100 pupils above the threshold: amber.",
         checks.exclusions_high,
         (_t("per_100_pupils", float, 10.0, "Exclusions per 100 pupils above which it is flagged", 0, 10000),),
         ("exclusions", "exclusions_per_100", "roll"), history=("roll",)),
    Rule("budget_deficit", _FINANCE, "Latest budget balance a deficit: red.", context.budget_deficit,
         (_t("deficit_over", float, 0.0, "A deficit of up to this many pounds is let pass", 0, 1e9),),
         ("budget_balance",)),
    Rule("excess_surplus", _FINANCE, "Latest budget balance a surplus of more than the threshold a pupil: amber "
         "(seed 001, 7.4: maintained schools' excess surpluses).", context.excess_surplus,
         (_t("per_pupil_over", float, 500.0, "Surplus a pupil, in pounds, above which it is excess", 0, 1e6),
          _t("maintained_only", bool, True, "Only LA-maintained schools (not academies or free schools)")),
         ("budget_balance", "roll"), history=("roll",)),
    Rule("governor_vacancies", _GOVERNANCE, "More governor vacancies than the threshold: red.",
         context.governor_vacancies,
         (_t("over", int, 2, "Vacancies above this many are flagged", 0, 100),), ("governor_vacancies",)),
    Rule("governance_intervention", _GOVERNANCE, "A warning notice issued or an interim executive board in place "
         "(latest figure 1): red.", context.governance_intervention, measures=("warning_notice", "ieb")),
    Rule("new_or_acting_head", _LEADERSHIP, "A headteacher who started within the last months, or an acting head: "
         "amber.", context.new_or_acting_head, (_t("months", int, 24, "How many months a head counts as new", 1, 120),),
         ("acting_head",)),
    Rule("senior_staff_changes", _LEADERSHIP, "More senior staff changes in the latest year than the threshold: "
         "amber.", context.senior_staff_changes, (_t("over", int, 1, "Changes above this many are flagged", 0, 100),),
         ("senior_staff_changes",)),
    Rule("falling_roll", _LEADERSHIP, "The roll lower each year over the last years: amber.", context.falling_roll,
         (_t("years", int, 3, "How many consecutive years' figures, each lower than the year before", 2, 10),),
         ("roll",), history=("roll",)),
    Rule("poor_buildings", _LEADERSHIP, "Buildings' condition graded worse than the threshold (1 good to 4 bad): "
         "amber.", context.poor_buildings, (_t("worse_than", int, 2, "Grades above this are poor", 1, 3),),
         ("building_condition",)),
    Rule("triad_grade", _NETWORK, "Latest signed-off triad review graded the network's worst grade: amber.",
         context.triad_grade, (_t("within_months", int, 12, "Only a review within this many months counts", 1, 60),),
         reads=("visits",)),
    Rule("la_category", _NETWORK, "In the LA category scheme's first category (most support needed): red; in the "
         "second, of a scheme of three or more: amber.", context.la_category,
         (_t("second_is_amber", bool, True, "Flag the second category amber (Peterborough's LA rated red and "
             "amber)"),)),
    Rule("overdue_clinic_action", _NETWORK, "An open clinic action for the school past its due date: amber.",
         context.overdue_clinic_action, (_t("days_over", int, 0, "Days past due before it is flagged", 0, 365),),
         reads=("actions",)),
    Rule("review_judgement", _NETWORK, "At the latest review (seed 002), any strand judged 3: amber; 4: red.",
         context.review_judgement, reads=("judgements",)),
    Rule("no_improvement_plan", _NETWORK, "Judged 3 or 4 on any strand at the latest review (seed 002) and no "
         "active action plan of its own (a Raising Achievement Plan): amber.", context.no_improvement_plan,
         reads=("judgements", "plans")),
)}

MANUAL_RULE = "manual"
