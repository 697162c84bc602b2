"""The red-flag rules' checks on a school's context: finance, governance, leadership and context,
and the network (its triad reviews, the LA's category, clinic actions, review judgements)."""

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from app.services.flag_checks import (
    AMBER,
    FINANCE,
    GOVERNANCE,
    KEY_GRADE_WORDS,
    LEADERSHIP_CATEGORY,
    NETWORK,
    RED,
    day,
    figure_evidence,
    money,
    number,
    words,
)
from app.services.flag_facts import Context, SchoolFacts
from app.services.flag_types import Details, Flag

# --- finance --------------------------------------------------------------------------------------

ACADEMY_TYPES = re.compile(r"academy|free school|university technical|studio school|city technology", re.I)


def is_maintained(school: SchoolFacts) -> bool:
    """Maintained by the LA, as far as its type says (an unknown type counts as maintained)."""
    return maintained_type(school.establishment_type)


@lru_cache(maxsize=256)
def maintained_type(establishment_type: str | None) -> bool:
    """Whether a school of this establishment type is maintained by the LA (unknown: maintained)."""
    return not (establishment_type and ACADEMY_TYPES.search(establishment_type))


def budget_deficit(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    figure = school.latest("budget_balance")
    if figure is None or not figure.value < -t["deficit_over"]:
        return None

    def describe() -> Details:
        reason = f"A budget deficit of {money(figure.value)} in {figure.academic_year}"
        if t["deficit_over"]:
            reason += f", more than the {money(t['deficit_over'])} allowed"
        return reason, figure_evidence("budget_balance", figure, threshold=0.0 - t["deficit_over"],
                                       compared_with="threshold")
    return Flag("budget_deficit", RED, FINANCE, describe=describe)


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

    def describe() -> Details:
        reason = (f"A surplus of {money(figure.value)} in {figure.academic_year} ({money(per_pupil)} a pupil), "
                  f"above {money(t['per_pupil_over'])} a pupil")
        return reason, figure_evidence("budget_balance", figure, pupils=pupils, per_pupil=per_pupil,
                                       threshold=t["per_pupil_over"], compared_with="per_pupil_over")
    return Flag("excess_surplus", AMBER, FINANCE, describe=describe)


# --- governance -----------------------------------------------------------------------------------

def governor_vacancies(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    figure = school.latest("governor_vacancies")
    if figure is None or not figure.value > t["over"]:
        return None

    def describe() -> Details:
        reason = (f"{number(figure.value)} governor vacanc{'y' if figure.value == 1 else 'ies'} in "
                  f"{figure.academic_year}, more than {t['over']}")
        return reason, figure_evidence("governor_vacancies", figure, threshold=t["over"], compared_with="threshold")
    return Flag("governor_vacancies", RED, GOVERNANCE, describe=describe)


def governance_intervention(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    found = []
    for measure, what in (("warning_notice", "a warning notice issued"),
                          ("ieb", "an interim executive board in place")):
        figure = school.latest(measure)
        if figure is not None and figure.value >= 1:
            found.append((measure, what, figure))
    if not found:
        return None
    reason = "; ".join(f"{what} ({figure.academic_year})" for _, what, figure in found)
    return Flag("governance_intervention", RED, GOVERNANCE, reason[:1].upper() + reason[1:],
                {"figures": [figure_evidence(measure, figure) for measure, _, figure in found]})


# --- leadership and context -----------------------------------------------------------------------

@lru_cache(maxsize=256)
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
    new = started is not None and started > months_before(ctx.today, t["months"])
    if acting is not None and not acting.value >= 1:
        acting = None
    if not new and acting is None:
        return None

    def describe() -> Details:
        parts, evidence = [], {"threshold": t["months"], "compared_with": "months"}
        if new:
            verb = "starts" if started > ctx.today else "started"
            parts.append(f"a new headteacher ({verb} {day(started)}, within {t['months']} months)")
            evidence |= {"headteacher_started_on": started.isoformat(), "as_of": ctx.today.isoformat()}
        if acting is not None:
            parts.append(f"an acting headteacher ({acting.academic_year})")
            evidence |= {"acting_head": figure_evidence("acting_head", acting)}
        reason = "; ".join(parts)
        return reason[:1].upper() + reason[1:], evidence
    return Flag("new_or_acting_head", AMBER, LEADERSHIP_CATEGORY, describe=describe)


def senior_staff_changes(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    figure = school.latest("senior_staff_changes")
    if figure is None or not figure.value > t["over"]:
        return None

    def describe() -> Details:
        reason = f"{number(figure.value)} senior staff changes in {figure.academic_year}, more than {t['over']}"
        return reason, figure_evidence("senior_staff_changes", figure, threshold=t["over"],
                                       compared_with="threshold")
    return Flag("senior_staff_changes", AMBER, LEADERSHIP_CATEGORY, describe=describe)


def falling_roll(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    run = school.consecutive_years("roll", t["years"])
    if run is None:
        return None
    for earlier, later in zip(run, run[1:], strict=False):
        if later.value >= earlier.value:
            return None

    def describe() -> Details:
        figures = ", ".join(f"{number(f.value)} ({f.academic_year})" for f in run)
        reason = f"Roll fell each year for {t['years']} years: {figures}"
        return reason, figure_evidence("roll", run[-1], threshold=t["years"], compared_with="years",
                                       figures=[{"academic_year": f.academic_year, "value": f.value} for f in run])
    return Flag("falling_roll", AMBER, LEADERSHIP_CATEGORY, describe=describe)


BUILDING_GRADES = {1: "good", 2: "satisfactory", 3: "poor", 4: "bad"}


def poor_buildings(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    figure = school.latest("building_condition")
    if figure is None or not figure.value > t["worse_than"]:
        return None

    def describe() -> Details:
        grade = BUILDING_GRADES.get(int(figure.value), number(figure.value))
        reason = (f"Buildings in {grade} condition (graded {number(figure.value)} of 4) in {figure.academic_year}, "
                  f"worse than {t['worse_than']}")
        return reason, figure_evidence("building_condition", figure, threshold=t["worse_than"],
                                       compared_with="threshold")
    return Flag("poor_buildings", AMBER, LEADERSHIP_CATEGORY, describe=describe)


# --- the network --------------------------------------------------------------------------------

def triad_grade(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    visit = school.triad_visit
    worst = len(ctx.grade_labels)
    if visit is None or worst == 0 or visit.grade < worst or not visit.visit_date > months_before(
            ctx.today, t["within_months"]):
        return None

    def describe() -> Details:
        label = ctx.grade_labels[worst - 1]
        reason = f"Graded ‘{label}’ ({visit.grade} of {worst}) at its triad review on {day(visit.visit_date)}"
        return reason, {"visit_id": visit.id, "visit_date": visit.visit_date.isoformat(), "grade": visit.grade,
                        "label": label, "scale": worst, "threshold": t["within_months"],
                        "compared_with": "within_months"}
    return Flag("triad_grade", AMBER, NETWORK, describe=describe)


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

    def describe() -> Details:
        reason = f"In the LA's ‘{school.la_category}’ category"
        if severity == RED:
            reason += " (most support needed)"
        return reason, {"la_category": school.la_category, "scheme": list(scheme)}
    return Flag("la_category", severity, NETWORK, describe=describe)


def overdue_clinic_action(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    late = [a for a in school.open_actions if (ctx.today - a.due_on).days > t["days_over"]]
    if not late:
        return None

    def describe() -> Details:
        oldest = min(late, key=lambda a: (a.due_on, a.id))
        head = "A clinic action is" if len(late) == 1 else f"{len(late)} clinic actions are"
        reason = f"{head} overdue: ‘{oldest.text}’ was due {day(oldest.due_on)}"
        return reason, {
            "actions": [{"id": a.id, "clinic_id": a.clinic_id, "text": a.text, "due_on": a.due_on.isoformat()}
                        for a in sorted(late, key=lambda a: (a.due_on, a.id))],
            "as_of": ctx.today.isoformat(), "threshold": t["days_over"], "compared_with": "days_over"}
    return Flag("overdue_clinic_action", AMBER, NETWORK, describe=describe)


def review_judgement(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    judged = [j for j in school.judgements if j.partner_grade >= 3]
    if not judged:
        return None
    worst = max(j.partner_grade for j in judged)

    def describe() -> Details:
        strands = sorted(j.strand for j in judged if j.partner_grade == worst)
        year = judged[0].academic_year
        reason = (f"Judged {worst} ({KEY_GRADE_WORDS[worst]}) for {', '.join(map(words, strands))} at the "
                  f"{year} review")
        return reason, {"academic_year": year, "judgements": {j.strand: j.partner_grade for j in school.judgements}}
    return Flag("review_judgement", RED if worst >= 4 else AMBER, NETWORK, describe=describe)


def needs_plan(judgements) -> bool:  # noqa: ANN001 (JudgementFacts, or rows with partner_grade)
    """Seed 002: a school judged 3 or 4 on any strand at its latest review needs a Raising
    Achievement Plan. The one place that says so (app.services.action_plans lists the same schools)."""
    return any(j.partner_grade >= 3 for j in judgements)


def no_improvement_plan(school: SchoolFacts, t: Mapping[str, Any], ctx: Context) -> Flag | None:
    if school.active_plan or not needs_plan(school.judgements):
        return None

    def describe() -> Details:
        year = school.judgements[0].academic_year
        worst = max(j.partner_grade for j in school.judgements)
        return (f"Judged {worst} ({KEY_GRADE_WORDS[worst]}) at the {year} review, with no active action plan of "
                "its own", {"academic_year": year, "worst_grade": worst})
    return Flag("no_improvement_plan", AMBER, NETWORK, describe=describe)
