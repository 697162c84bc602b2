"""Every red-flag rule at, just below and just above its threshold, over one school's facts (what
app.services.flag_data reads; tests/services/test_flags.py reads them from the database)."""

from datetime import date

import pytest

from app.services import flag_checks_context
from app.services.flag_data import (
    ActionFacts,
    Context,
    Figure,
    InspectionFacts,
    JudgementFacts,
    SchoolFacts,
    VisitFacts,
)
from app.services.flag_rules import RULES

TODAY = date(2026, 11, 26)
LABELS = ("Strong", "Secure, with areas to develop", "Needs support")


def school(**overrides) -> SchoolFacts:
    values = {"id": 1, "urn": "100001", "name": "Alder Primary School", "phase": "primary",
              "establishment_type": "Community school", "pupils": 200, "headteacher_started_on": None,
              "la_category": None} | overrides
    extra = {k: values.pop(k) for k in ("inspections", "triad_visit", "open_actions", "judgements") if k in values}
    facts = SchoolFacts(**values)
    for name, value in extra.items():
        setattr(facts, name, value)
    return facts


def with_figures(facts: SchoolFacts, measure: str, *pairs: tuple[str, float]) -> SchoolFacts:
    for n, (year, value) in enumerate(pairs, 1):
        facts.add(measure, Figure(year, value, "DfE", date(2026, 7, 15), n))
    return facts


def ctx(**overrides) -> Context:
    values = {"today": TODAY, "category_scheme": ("red", "amber", "green"), "grade_labels": LABELS,
              "nationals": {}} | overrides
    return Context(**values)


def run(rule: str, facts: SchoolFacts, context: Context | None = None, **thresholds):
    unknown = set(thresholds) - set(RULES[rule].defaults)
    assert not unknown, unknown
    return RULES[rule].check(facts, RULES[rule].defaults | thresholds, context or ctx())


def inspection(on: date = date(2023, 5, 10), framework: str = "graded", overall=None, concern=None,
               safeguarding=None, grades=None, headline="good") -> InspectionFacts:
    return InspectionFacts(on, framework, overall, concern, safeguarding, grades or {}, headline)


def test_the_registry_names_each_rule_once_with_typed_defaults():
    assert len(RULES) == 24
    for name, rule in RULES.items():
        assert rule.name == name and rule.description.endswith(".")
        for threshold in rule.thresholds:
            assert threshold.problem(threshold.default) is None, (name, threshold.name)
            assert isinstance(threshold.default, threshold.kind)


# --- Ofsted ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("latest", "flagged"), [
    (inspection(overall=4, headline="inadequate"), "Judged inadequate overall"),
    (inspection(overall=4, concern="special_measures", headline="special_measures"), "In special measures"),
    (inspection(overall=2, grades={"leadership_and_management": 4}), "Leadership and management judged inadequate"),
    (inspection(date(2025, 1, 10), "ungraded_2024", grades={"quality_of_education": 4, "personal_development": 4},
                headline="no_overall_grade"), "(and 1 more key judgement)"),
    (inspection(overall=3, grades={"leadership_and_management": 3}, headline="requires_improvement"), None),
    (inspection(date(2026, 1, 5), "report_card", grades={"inclusion": "urgent_improvement"},
                headline="urgent_improvement"), None),  # a report card: ofsted_report_card's
])
def test_ofsted_inadequate_at_4_not_at_3(latest, flagged):
    flag = run("ofsted_inadequate", school(inspections=[latest]))
    if flagged is None:
        assert flag is None
    else:
        assert (flag.severity, flag.category) == ("red", "ofsted") and flagged in flag.reason
        assert flag.evidence["inspected_on"] == latest.inspected_on.isoformat()


def test_ofsted_inadequate_reads_only_the_latest_inspection():
    older = inspection(date(2019, 1, 1), overall=4, headline="inadequate")
    assert run("ofsted_inadequate", school(inspections=[inspection(), older])) is None


@pytest.mark.parametrize(("latest", "severity"), [
    (inspection(overall=3, headline="requires_improvement"), "amber"),
    (inspection(overall=2, grades={"sixth_form_provision": 3}), "amber"),
    (inspection(date(2025, 1, 10), "ungraded_2024", grades={"quality_of_education": 3},
                headline="no_overall_grade"), "amber"),
    (inspection(overall=2, grades={"quality_of_education": 2}), None),  # just better: good
    (inspection(overall=4, headline="inadequate"), None),  # worse: red, from ofsted_inadequate
    (inspection(overall=3, grades={"personal_development": 4}, headline="requires_improvement"), None),
])
def test_ofsted_requires_improvement_at_3_only(latest, severity):
    flag = run("ofsted_requires_improvement", school(inspections=[latest]))
    assert (flag.severity if flag else None) == severity
    if flag:
        assert "requires improvement" in flag.reason and "10 May 2023" in flag.reason or "2025" in flag.reason


RI = inspection(date(2024, 3, 12), overall=3, grades={"leadership_and_management": 2}, headline="requires_improvement")
RI_WEAK_LEADERS = inspection(date(2024, 3, 12), overall=3, grades={"leadership_and_management": 3},
                             headline="requires_improvement")
RI_BEFORE = inspection(date(2021, 5, 3), overall=3, headline="requires_improvement")
GOOD_BEFORE = inspection(date(2021, 5, 3), overall=2, headline="good")


@pytest.mark.parametrize(("history", "inspections", "severity"), [
    ([RI, RI_BEFORE], 2, "amber"),  # at: two in a row
    ([RI, GOOD_BEFORE], 2, None),  # just below: one
    ([RI], 2, None),  # only one inspection
    ([RI, RI_BEFORE, inspection(date(2018, 1, 1), overall=4, headline="inadequate")], 2, "amber"),  # above: three
    ([RI, RI_BEFORE], 3, None),  # the threshold raised past the history
    ([RI_WEAK_LEADERS, RI_BEFORE], 2, "red"),
    ([inspection(date(2026, 1, 5), "report_card", grades={"leadership_and_governance": "needs_attention"},
                 headline="needs_attention"), RI_BEFORE], 2, "red"),
    ([inspection(date(2025, 1, 10), "ungraded_2024", grades={"quality_of_education": 3},
                 headline="no_overall_grade"), RI_BEFORE], 2, "amber"),  # read on its own framework
    ([inspection(date(2025, 1, 10), "ungraded_2024", grades={"quality_of_education": 2},
                 headline="no_overall_grade"), RI_BEFORE], 2, None),
])
def test_ofsted_below_good_again(history, inspections, severity):
    flag = run("ofsted_below_good_again", school(inspections=history), inspections=inspections)
    assert (flag.severity if flag else None) == severity
    if flag:
        assert flag.reason.startswith(f"Below good at its last {inspections} Ofsted inspections (")
        assert flag.evidence["threshold"] == inspections


@pytest.mark.parametrize(("safeguarding", "grades", "severity", "words"), [
    ("not_met", {"inclusion": "strong_standard"}, "red", "Safeguarding not met"),
    ("met", {"achievement": "urgent_improvement", "inclusion": "needs_attention"}, "red", "Urgent improvement"),
    ("met", {"achievement": "needs_attention"}, "amber", "Needs attention in achievement"),
    ("met", {"achievement": "expected_standard"}, None, None),  # just better
])
def test_ofsted_report_card(safeguarding, grades, severity, words):
    latest = inspection(date(2026, 1, 20), "report_card", safeguarding=safeguarding, grades=grades, headline="x")
    flag = run("ofsted_report_card", school(inspections=[latest]))
    assert (flag.severity if flag else None) == severity
    if flag:
        assert flag.reason.startswith(words) and "20 January 2026" in flag.reason


def test_ofsted_report_card_ignores_older_frameworks():
    assert run("ofsted_report_card", school(inspections=[inspection(overall=4, headline="inadequate")])) is None


# --- standards ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "measure", "floor", "value", "flagged"), [
    ("attainment_below_floor", "attainment", 50.0, 50.0, False),  # at the floor
    ("attainment_below_floor", "attainment", 50.0, 49.9, True),  # just below
    ("attainment_below_floor", "attainment", 50.0, 50.1, False),  # just above
    ("progress_below_floor", "progress", -0.5, -0.5, False),
    ("progress_below_floor", "progress", -0.5, -0.51, True),
    ("progress_below_floor", "progress", -0.5, -0.49, False),
])
def test_below_floor(rule, measure, floor, value, flagged):
    facts = with_figures(school(), measure, ("2024/25", 70.0), ("2025/26", value))
    flag = run(rule, facts, floor=floor)
    assert (flag is not None) == flagged
    if flag:
        assert (flag.severity, flag.category) == ("red", "standards")
        expected = {"measure": measure, "value": value, "academic_year": "2025/26", "threshold": floor,
                    "source": "DfE", "as_of": "2026-07-15"}
        assert flag.evidence.items() >= expected.items()
        assert "2025/26" in flag.reason and "below the floor of" in flag.reason


def test_below_floor_reads_the_latest_year_only():
    facts = with_figures(school(), "attainment", ("2024/25", 20.0), ("2025/26", 60.0))
    assert run("attainment_below_floor", facts) is None


@pytest.mark.parametrize(("rule", "measure", "margin", "before", "after", "flagged"), [
    ("attainment_falling", "attainment", 5.0, 65.0, 60.0, False),  # fell by exactly the margin
    ("attainment_falling", "attainment", 5.0, 65.0, 59.9, True),  # just beyond
    ("attainment_falling", "attainment", 5.0, 65.0, 60.1, False),  # just within
    ("progress_falling", "progress", 0.3, 0.2, -0.1, False),
    ("progress_falling", "progress", 0.3, 0.2, -0.11, True),
    ("progress_falling", "progress", 0.3, 0.2, -0.09, False),
])
def test_falling_since_last_year(rule, measure, margin, before, after, flagged):
    facts = with_figures(school(), measure, ("2024/25", before), ("2025/26", after))
    flag = run(rule, facts, margin=margin)
    assert (flag is not None) == flagged
    if flag:
        assert flag.severity == "amber" and flag.evidence["previous_year"] == "2024/25"
        assert flag.evidence["threshold"] == margin


def test_falling_needs_the_year_just_before():
    facts = with_figures(school(), "attainment", ("2023/24", 80.0), ("2025/26", 60.0))
    assert run("attainment_falling", facts) is None


# --- attendance -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "measure", "value", "severity"), [
    # the threshold (7%): at, just below, just above; the red margin (2 points above it): at, just above
    ("absence_high", "absence", 7.0, None), ("absence_high", "absence", 6.9, None),
    ("absence_high", "absence", 7.1, "amber"), ("absence_high", "absence", 9.0, "amber"),
    ("absence_high", "absence", 9.1, "red"),
    # 20%, and 10 points above it
    ("persistent_absence_high", "persistent_absence", 20.0, None),
    ("persistent_absence_high", "persistent_absence", 19.9, None),
    ("persistent_absence_high", "persistent_absence", 20.1, "amber"),
    ("persistent_absence_high", "persistent_absence", 30.0, "amber"),
    ("persistent_absence_high", "persistent_absence", 30.1, "red"),
])
def test_attendance_against_the_partnership_threshold(rule, measure, value, severity):
    flag = run(rule, with_figures(school(), measure, ("2025/26", value)))
    assert (flag.severity if flag else None) == severity
    if flag:
        assert flag.evidence["compared_with"] == "threshold"
        assert flag.evidence["threshold"] == RULES[rule].defaults["threshold"]
        assert "partnership's threshold" in flag.reason and f"{value:g}% in 2025/26" in flag.reason


@pytest.mark.parametrize(("value", "severity"), [(18.0, None), (17.9, None), (18.1, "amber"), (28.0, "amber"),
                                                 (28.1, "red")])
def test_persistent_absence_against_the_national_figure(value, severity):
    national = {("persistent_absence", "2025/26"): Figure("2025/26", 18.0, "DfE national", None, 1)}
    facts = with_figures(school(), "persistent_absence", ("2025/26", value))
    flag = run("persistent_absence_high", facts, ctx(nationals=national))
    assert (flag.severity if flag else None) == severity
    if flag:
        assert flag.evidence["compared_with"] == "national" and flag.evidence["national_source"] == "DfE national"
        assert "national figure of 18%" in flag.reason


def test_national_figure_of_another_year_or_switched_off_leaves_the_threshold():
    national = {("absence", "2024/25"): Figure("2024/25", 5.0, "DfE", None, 1)}
    facts = with_figures(school(), "absence", ("2025/26", 6.0))
    assert run("absence_high", facts, ctx(nationals=national)) is None  # 6.0 is under the 7.0 threshold
    national = {("absence", "2025/26"): Figure("2025/26", 5.0, "DfE", None, 1)}
    assert run("absence_high", facts, ctx(nationals=national)).severity == "amber"
    assert run("absence_high", facts, ctx(nationals=national), compare_national=False) is None


@pytest.mark.parametrize(("excluded", "flagged"), [(20, False), (19, False), (21, True)])
def test_exclusions_per_100_pupils_from_a_count_and_the_roll(excluded, flagged):
    facts = with_figures(school(pupils=150), "exclusions", ("2025/26", excluded))
    with_figures(facts, "roll", ("2025/26", 200))  # the year's roll, not the register's 150
    flag = run("exclusions_high", facts)
    assert (flag is not None) == flagged
    if flag:
        assert flag.evidence["per_100_pupils"] == 10.5 and flag.evidence["pupils"] == 200


@pytest.mark.parametrize(("rate", "flagged"), [(10.0, False), (9.9, False), (10.1, True)])
def test_exclusions_per_100_as_recorded(rate, flagged):
    facts = with_figures(school(), "exclusions_per_100", ("2025/26", rate))
    flag = run("exclusions_high", facts)
    assert (flag is not None) == flagged
    if flag:
        assert flag.reason == "Exclusions 10.1 per 100 pupils in 2025/26, above the threshold of 10"


def test_exclusions_without_a_roll_cannot_be_judged():
    assert run("exclusions_high", with_figures(school(pupils=None), "exclusions", ("2025/26", 90))) is None


# --- finance --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("balance", "allowed", "flagged"), [
    (0.0, 0.0, False), (-1.0, 0.0, True), (1.0, 0.0, False),
    (-10000.0, 10000.0, False), (-10001.0, 10000.0, True), (-9999.0, 10000.0, False),
])
def test_budget_deficit(balance, allowed, flagged):
    flag = run("budget_deficit", with_figures(school(), "budget_balance", ("2025/26", balance)), deficit_over=allowed)
    assert (flag is not None) == flagged
    if flag:
        assert flag.severity == "red" and flag.reason.startswith(f"A budget deficit of £{abs(balance):,.0f}")


@pytest.mark.parametrize(("balance", "flagged"), [(100_000.0, False), (99_800.0, False), (100_200.0, True)])
def test_excess_surplus_a_pupil(balance, flagged):
    facts = with_figures(school(pupils=200), "budget_balance", ("2025/26", balance))
    flag = run("excess_surplus", facts)  # 500 a pupil: 100,000 for 200 pupils
    assert (flag is not None) == flagged
    if flag:
        assert flag.severity == "amber" and flag.evidence["per_pupil"] == 501.0
        assert flag.reason == "A surplus of £100,200 in 2025/26 (£501 a pupil), above £500 a pupil"


def test_excess_surplus_is_for_maintained_schools_unless_told():
    facts = with_figures(school(establishment_type="Academy converter"), "budget_balance", ("2025/26", 900_000.0))
    assert run("excess_surplus", facts) is None
    assert run("excess_surplus", facts, maintained_only=False).severity == "amber"


# --- governance -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("vacancies", "flagged"), [(2, False), (1, False), (3, True)])
def test_governor_vacancies(vacancies, flagged):
    flag = run("governor_vacancies", with_figures(school(), "governor_vacancies", ("2025/26", vacancies)))
    assert (flag is not None) == flagged
    if flag:
        assert flag.severity == "red" and flag.reason == "3 governor vacancies in 2025/26, more than 2"


@pytest.mark.parametrize(("measure", "value", "words"), [
    ("warning_notice", 1, "A warning notice issued (2025/26)"), ("ieb", 1, "An interim executive board in place"),
    ("warning_notice", 0, None), ("ieb", 0.5, None), ("ieb", 2, "An interim executive board"),
])
def test_governance_intervention(measure, value, words):
    flag = run("governance_intervention", with_figures(school(), measure, ("2025/26", value)))
    assert (flag.reason if flag else None) is None if words is None else flag.reason.startswith(words)
    if flag:
        assert flag.severity == "red"


def test_a_later_year_without_a_notice_clears_it():
    facts = with_figures(school(), "warning_notice", ("2024/25", 1), ("2025/26", 0))
    assert run("governance_intervention", facts) is None


# --- leadership and context -----------------------------------------------------------------------

@pytest.mark.parametrize(("started", "flagged"), [
    (date(2024, 11, 26), False),  # exactly 24 months before today
    (date(2024, 11, 25), False),  # just longer ago
    (date(2024, 11, 27), True),  # just within
    (date(2027, 1, 1), True),  # appointed, starting later
])
def test_new_head(started, flagged):
    flag = run("new_or_acting_head", school(headteacher_started_on=started))
    assert (flag is not None) == flagged
    if flag:
        assert flag.severity == "amber" and "within 24 months" in flag.reason
        assert flag.evidence["headteacher_started_on"] == started.isoformat()


def test_an_acting_head():
    flag = run("new_or_acting_head", with_figures(school(), "acting_head", ("2025/26", 1)))
    assert flag.reason == "An acting headteacher (2025/26)"
    assert run("new_or_acting_head", with_figures(school(), "acting_head", ("2025/26", 0))) is None


@pytest.mark.parametrize(("changes", "flagged"), [(1, False), (0, False), (2, True)])
def test_senior_staff_changes(changes, flagged):
    flag = run("senior_staff_changes", with_figures(school(), "senior_staff_changes", ("2025/26", changes)))
    assert (flag is not None) == flagged


@pytest.mark.parametrize(("figures", "flagged"), [
    ((("2023/24", 300), ("2024/25", 290), ("2025/26", 280)), True),  # three years, each lower
    ((("2024/25", 290), ("2025/26", 280)), False),  # two: just below
    ((("2022/23", 310), ("2023/24", 300), ("2024/25", 290), ("2025/26", 280)), True),  # four: above
    ((("2023/24", 300), ("2024/25", 300), ("2025/26", 280)), False),  # level one year
    ((("2023/24", 300), ("2024/25", 290), ("2025/26", 295)), False),  # rose in the latest
    ((("2022/23", 300), ("2024/25", 290), ("2025/26", 280)), False),  # a year missing
])
def test_falling_roll(figures, flagged):
    flag = run("falling_roll", with_figures(school(), "roll", *figures))
    assert (flag is not None) == flagged
    if flag:
        assert flag.reason == "Roll fell each year for 3 years: 300 (2023/24), 290 (2024/25), 280 (2025/26)"


@pytest.mark.parametrize(("grade", "flagged"), [(2, False), (1, False), (3, True), (4, True)])
def test_poor_buildings(grade, flagged):
    flag = run("poor_buildings", with_figures(school(), "building_condition", ("2025/26", grade)))
    assert (flag is not None) == flagged
    if flag and grade == 3:
        assert flag.reason == "Buildings in poor condition (graded 3 of 4) in 2025/26, worse than 2"


# --- the network --------------------------------------------------------------------------------

@pytest.mark.parametrize(("grade", "visited", "flagged"), [
    (3, date(2026, 10, 1), True), (2, date(2026, 10, 1), False),
    (3, date(2025, 11, 26), False),  # exactly 12 months ago
    (3, date(2025, 11, 27), True),  # just within
])
def test_triad_grade_at_the_worst_of_the_scale(grade, visited, flagged):
    flag = run("triad_grade", school(triad_visit=VisitFacts(7, visited, grade)))
    assert (flag is not None) == flagged
    if flag:
        assert flag.reason.startswith("Graded ‘Needs support’ (3 of 3) at its triad review on")
        assert flag.evidence["visit_id"] == 7


def test_triad_grade_follows_the_partnership_scale():
    four = ("A", "B", "C", "D")
    assert run("triad_grade", school(triad_visit=VisitFacts(7, date(2026, 10, 1), 3)), ctx(grade_labels=four)) is None


@pytest.mark.parametrize(("category", "second_is_amber", "severity"), [
    ("red", True, "red"), ("amber", True, "amber"), ("amber", False, None), ("green", True, None), (None, True, None),
])
def test_la_category(category, second_is_amber, severity):
    flag = run("la_category", school(la_category=category), second_is_amber=second_is_amber)
    assert (flag.severity if flag else None) == severity


def test_la_category_follows_the_scheme():
    scheme = ("priority 1", "priority 2", "priority 3")
    flag = run("la_category", school(la_category="priority 1"), ctx(category_scheme=scheme))
    assert flag.severity == "red" and flag.reason == "In the LA's ‘priority 1’ category (most support needed)"
    assert run("la_category", school(la_category="amber"), ctx(category_scheme=("amber", "green"))).severity == "red"
    assert run("la_category", school(la_category="green"), ctx(category_scheme=("amber", "green"))) is None


@pytest.mark.parametrize(("due", "days_over", "flagged"), [
    (date(2026, 11, 25), 0, True), (date(2026, 11, 26), 0, False),
    (date(2026, 11, 16), 10, False), (date(2026, 11, 15), 10, True), (date(2026, 11, 17), 10, False),
])
def test_overdue_clinic_action(due, days_over, flagged):
    action = ActionFacts(3, 9, "Agree a reading plan with the trust", due)
    flag = run("overdue_clinic_action", school(open_actions=[action]), days_over=days_over)
    assert (flag is not None) == flagged
    if flag:
        assert flag.reason.startswith("A clinic action is overdue: ‘Agree a reading plan with the trust’ was due")
        assert flag.evidence["actions"][0]["id"] == 3


@pytest.mark.parametrize(("grades", "severity"), [((2, 2), None), ((2, 3), "amber"), ((3, 4), "red"), ((1, 1), None)])
def test_review_judgement(grades, severity):
    judged = [JudgementFacts("2026/27", "overall_effectiveness", grades[0]),
              JudgementFacts("2026/27", "leadership_and_management", grades[1])]
    flag = run("review_judgement", school(judgements=judged))
    assert (flag.severity if flag else None) == severity
    if flag and severity == "red":
        assert flag.reason == "Judged 4 (inadequate) for leadership and management at the 2026/27 review"


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 11, 26), 24, date(2024, 11, 26)), (date(2026, 3, 31), 1, date(2026, 2, 28)),
    (date(2028, 3, 30), 1, date(2028, 2, 29)), (date(2026, 1, 15), 13, date(2024, 12, 15)),
])
def test_months_before(day, months, expected):
    assert flag_checks_context.months_before(day, months) == expected


def test_every_measure_the_rules_read_is_a_known_measure():
    from app.models.indicator import KNOWN_MEASURES

    assert {m for rule in RULES.values() for m in rule.measures} <= set(KNOWN_MEASURES)
