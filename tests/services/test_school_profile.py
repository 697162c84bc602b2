"""A school's profile (app.services.school_profile): each section on known data, what each role
may read of it, and a fixed number of statements whatever the school's history."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from app.db import all_tenants
from app.models.clinic import Clinic, ClinicAction, ClinicAgendaItem, ClinicTarget
from app.models.collaborative import Collaborative, Triad, TriadSchool
from app.models.flag import FlagRuleSetting, ManualFlag, NationalFigure, ReviewJudgement
from app.models.school import School, SchoolUpdate
from app.models.support import SupportDeployment
from app.models.visit import TriadVisit, VisitAction
from app.services import accounts, school_profile, schools
from app.services.partnerships import academic_year_for
from tests import factories
from tests.plan_web_setup import build_plan
from tests.visit_setup import head, viewer

TODAY = date(2026, 11, 26)
# Academic years, oldest first, ending with the current one.
YEARS = ["2019/20", "2020/21", "2021/22", "2022/23", "2023/24", "2024/25", "2025/26", "2026/27"]


def _add(session, *rows):  # noqa: ANN001, ANN202
    with all_tenants(session):
        session.add_all(rows)
        session.flush()
    return rows[0] if len(rows) == 1 else rows


@dataclass
class History:
    school: School
    partner: School
    plan_ids: list[int]
    action_ids: list[int]


def build_history(session, world, n: int, *, name: str = "Hazel Park Primary School") -> History:  # noqa: ANN001
    """A school with `n` of everything the profile shows: inspections, years of persistent absence
    and budget figures (with the national figure each year), triads (one a year, each with a
    partner school) and their graded visits with actions, clinics whose agenda holds the school,
    clinic actions and targets, support deployments (each from an action of one of its own plans),
    its own plans, manual flags and review judgements; and a change to its register entry."""
    ours = world.ours
    school = factories.make_school(session, ours, name=name, pupils=400, headteacher_started_on=date(2015, 9, 1))
    partner = factories.make_school(session, ours, name=f"Partner of {name}")
    years = YEARS[-n:]
    for i, year in enumerate(years):
        start = int(year[:4])
        factories.make_inspection(session, school, inspected_on=date(2010 + i, 5, 10), overall_effectiveness=2)
        factories.make_indicator(session, school, measure="persistent_absence", academic_year=year,
                                 value=20.0 + 2 * i, source="DfE", recorded_on=date(start + 1, 9, 1))
        factories.make_indicator(session, school, measure="budget_balance", academic_year=year,
                                 value=10000.0 - 30000 * i, source="LA finance", recorded_on=date(start + 1, 6, 30))
        _add(session, NationalFigure(partnership_id=ours.id, measure="persistent_absence", academic_year=year,
                                     value=18.0, source=f"DfE national statistics, for {name}"))
        group = _add(session, Collaborative(partnership_id=ours.id, name=f"{name} collaborative {year}",
                                            phase="primary", academic_year=year))
        triad = _add(session, Triad(partnership_id=ours.id, name=f"Triad {year}", collaborative_id=group.id,
                                    academic_year=year))
        _add(session, TriadSchool(partnership_id=ours.id, triad_id=triad.id, school_id=school.id, academic_year=year),
             TriadSchool(partnership_id=ours.id, triad_id=triad.id, school_id=partner.id, academic_year=year))
        visit = _add(session, TriadVisit(partnership_id=ours.id, kind="triad_review", triad_id=triad.id,
                                         school_id=school.id, visit_date=date(start, 11, 20),
                                         academic_year=academic_year_for(date(start, 11, 20)), grade=2,
                                         status="signed_off", visiting_heads=[], focus_areas=[]))
        _add(session, VisitAction(partnership_id=ours.id, visit_id=visit.id, text=f"Action of {year}", status="open"),
             VisitAction(partnership_id=ours.id, visit_id=visit.id, text=f"Done in {year}", status="done"))
        clinic = _add(session, Clinic(partnership_id=ours.id, held_on=date(start, 12, 1), academic_year=year,
                                      meeting="autumn", status="minutes_approved"))
        _add(session, ClinicAgendaItem(
            partnership_id=ours.id, clinic_id=clinic.id, position=1, kind="flagged", school_id=school.id,
            severity="amber", explanation=f"Explained in {year}",
            snapshot={"urn": school.urn, "name": name, "severity": "amber", "flags": [
                {"rule": "persistent_absence_high", "severity": "amber", "category": "attendance",
                 "reason": f"Persistent absence high in {year}", "evidence": {}}]}))
        _add(session, ClinicAction(partnership_id=ours.id, clinic_id=clinic.id, school_id=school.id,
                                   text=f"Attendance plan {year}", owner="HSI", due_on=date(start + 1, 3, 1)),
             ClinicTarget(partnership_id=ours.id, clinic_id=clinic.id, school_id=school.id,
                          outcome=f"Persistent absence under 20% by {year}"),
             ManualFlag(partnership_id=ours.id, school_id=school.id, kind="add", rule="manual", severity="amber",
                        category="leadership", reason=f"Concern raised in {year}", withdrawn_at=date(start, 12, 2)),
             ReviewJudgement(partnership_id=ours.id, school_id=school.id, academic_year=year,
                             strand="quality_of_education", partner_grade=3, self_grade=2))
    plan_ids, action_ids = [], []
    for i in range(n):
        built = build_plan(session, ours, title=f"{name} raising achievement plan {i + 1}", priorities=1, actions=1,
                           milestones=2, urn=school.urn)
        plan_ids.append(built.plan_id)
        action_ids.append(built.action_ids[0])
        _add(session, SupportDeployment(
            partnership_id=ours.id, school_id=school.id, academic_year=years[i], provider_kind="sle",
            provider_name="Sam Leader", provider_school_id=partner.id, objective=f"Improve attendance {i + 1}",
            days_planned=6.0, days_delivered=4.0, start_on=date(int(years[i][:4]), 10, 1),
            outcome="green" if i % 2 == 0 else "amber", origin_kind="plan_action",
            origin_plan_action_id=built.action_ids[0]))
    by = accounts.operator(ours)
    schools.update(session, school.urn, SchoolUpdate(headteacher_name="Priya Okafor"), if_match=f'"{school.version}"',
                   by=by)
    return History(school, partner, plan_ids, action_ids)


@pytest.fixture
def history(session, world):
    return build_history(session, world, 2)


def officer(world):  # noqa: ANN001, ANN201
    return accounts.operator(world.ours)


def profile_of(session, world, school, by=None):  # noqa: ANN001, ANN201
    return school_profile.build(session, school, by=by or officer(world), today=TODAY)


def test_the_trends_chart_the_figures_against_the_threshold_and_national(session, world, history):
    found = {t.measure: t for t in profile_of(session, world, history.school).trends}
    assert list(found) == ["persistent_absence", "budget_balance"]  # the rules' measures, in the register's order
    absence = found["persistent_absence"]
    assert absence.labels == ["2025/26", "2026/27"]
    assert absence.values == [20.0, 22.0]
    assert absence.nationals == [18.0, 18.0]
    assert absence.compared_nationally
    assert [(line.label, line.value) for line in absence.lines] == [("Threshold", 20.0)]
    budget = found["budget_balance"]
    assert budget.values == [10000.0, -20000.0]
    assert not budget.has_nationals
    assert [(line.label, line.value) for line in budget.lines] == [("Deficit let pass", 0.0)]
    assert any("deficit" in words for words in budget.rules)


def test_of_two_sources_for_a_year_the_later_recorded_is_charted(session, world):
    school = world.our_school
    early = factories.make_indicator(session, school, measure="attainment", academic_year="2025/26", value=60.0,
                                     source="School", recorded_on=date(2026, 7, 1))
    late = factories.make_indicator(session, school, measure="attainment", academic_year="2025/26", value=48.0,
                                    source="DfE", recorded_on=date(2026, 9, 1))
    trend = profile_of(session, world, school).trends[0]
    assert trend.values == [48.0]
    assert trend.latest.charted_id == late.id
    assert {r.id for r in trend.latest.rows} == {early.id, late.id}
    assert [(line.label, line.value) for line in trend.lines] == [("Floor", 50.0)]


def test_a_rule_switched_off_draws_no_line_and_a_changed_threshold_is_drawn(session, world, history):
    _add(session, FlagRuleSetting(partnership_id=world.ours.id, rule="budget_deficit", enabled=False, thresholds={}),
         FlagRuleSetting(partnership_id=world.ours.id, rule="persistent_absence_high", enabled=True,
                         thresholds={"threshold": 15.5}))
    found = {t.measure: t for t in profile_of(session, world, history.school).trends}
    assert found["budget_balance"].lines == []
    assert [line.value for line in found["persistent_absence"].lines] == [15.5]


def test_current_flags_carry_their_evidence(session, world, history):
    flags = profile_of(session, world, history.school).flags
    by_rule = {f.rule: f for f in flags}
    assert by_rule["budget_deficit"].severity == "red"
    assert by_rule["budget_deficit"].evidence["value"] == -20000.0
    assert by_rule["persistent_absence_high"].evidence["academic_year"] == "2026/27"
    assert flags[0].severity == "red"  # worst first


def test_the_clinics_record_the_flags_as_they_stood(session, world, history):
    clinics = profile_of(session, world, history.school).clinics
    assert [e.held_on for e in clinics.agenda] == [date(2026, 12, 1), date(2025, 12, 1)]  # newest first
    assert clinics.agenda[0].flags[0]["reason"] == "Persistent absence high in 2026/27"
    assert clinics.agenda[1].explanation == "Explained in 2025/26"
    assert [a.text for a, _ in clinics.actions] == ["Attendance plan 2026/27", "Attendance plan 2025/26"]
    assert [t.outcome for t, _ in clinics.targets][0] == "Persistent absence under 20% by 2026/27"


def test_triads_visits_and_grades(session, world, history):
    profile = profile_of(session, world, history.school)
    assert [t.name for t in profile.triads] == ["Triad 2026/27", "Triad 2025/26"]
    assert {urn for urn, _ in profile.triads[0].members} == {history.school.urn, history.partner.urn}
    assert [v.visit_date for v in profile.visits] == [date(2026, 11, 20), date(2025, 11, 20)]
    visit = profile.visits[0]
    assert (visit.grade, visit.grade_label, visit.triad_name) == (2, "Secure, with areas to develop", "Triad 2026/27")
    assert (visit.actions_open, visit.actions_total) == (1, 2)


def test_support_received_and_its_outcomes(session, world, history):
    profile = profile_of(session, world, history.school)
    assert [e.deployment.objective for e in profile.support] == ["Improve attendance 2", "Improve attendance 1"]
    assert profile.support[0].provider_urn == history.partner.urn
    assert profile.support_outcomes == {"green": 1, "amber": 1, "red": 0, "not_yet_completed": 0}
    assert profile.support_days == 8.0


def test_plans_naming_the_school(session, world, history):
    plans = profile_of(session, world, history.school).plans
    assert [p.id for p in plans.own] == sorted(history.plan_ids, reverse=True)
    assert all(plans.rollups[p].total == 2 for p in history.plan_ids)
    assert {a.id for a in plans.linked} == set(history.action_ids)
    linked = plans.linked[0]
    assert linked.label == "1.1" and linked.school_plan
    assert [m.description for m in linked.milestones] == ["Overdue visits", "Due today report"]


def test_a_partnership_plan_action_behind_the_support_is_named(session, world):
    school = world.our_school
    built = build_plan(session, world.ours, title="The partnership's plan", priorities=1, actions=2, milestones=1)
    _add(session, SupportDeployment(partnership_id=world.ours.id, school_id=school.id, academic_year="2026/27",
                                    provider_kind="nle", objective="Leadership coaching", outcome="not_yet_completed",
                                    origin_kind="plan_action", origin_plan_action_id=built.action_ids[1]))
    plans = profile_of(session, world, school).plans
    assert plans.own == []
    assert [(a.label, a.plan_title, a.school_plan) for a in plans.linked] == [("1.2", "The partnership's plan", False)]


def test_the_recent_changes(session, world, history):
    events = profile_of(session, world, history.school).audit
    assert len(events) == school_profile.AUDIT_LIMIT
    assert [e.id for e in events] == sorted((e.id for e in events), reverse=True)
    assert events[0].table_name == "school" and events[0].changes["headteacher_name"][1] == "Priya Okafor"
    tables = {e.table_name for e in profile_of(session, world, history.school).audit}
    assert {"school", "support_deployment"} <= tables


def test_a_school_with_nothing_recorded(session, world):
    profile = profile_of(session, world, world.our_school)
    assert profile.trends == [] and profile.flags == [] and profile.judgements == []
    assert (profile.clinics.agenda, profile.clinics.actions, profile.clinics.targets) == ([], [], [])
    assert profile.triads == [] and profile.visits == [] and profile.support == []
    assert profile.plans.own == [] and profile.plans.linked == []
    assert [e.table_name for e in profile.audit] == ["school"]  # its creation


def test_each_role_reads_only_its_sections(session, world, history):
    seen = profile_of(session, world, history.school, viewer(session, world.ours))
    assert seen.flags and seen.clinics.agenda and seen.visits
    assert seen.audit is None  # the audit trail is for officers and tokens
    stranger = head(session, world.ours, world.our_school)  # the head of another school
    seen = profile_of(session, world, history.school, stranger)
    assert seen.flags is None and seen.judgements is None and seen.clinics is None and seen.audit is None
    assert seen.visits == []
    assert seen.triads and seen.support and seen.plans.own  # what every member reads
    own_head = head(session, world.ours, history.school)
    seen = profile_of(session, world, history.school, own_head)
    assert seen.flags and len(seen.visits) == 2 and seen.clinics is None


def test_a_fixed_number_of_statements_whatever_the_history(session, world, count_statements):
    one = build_history(session, world, 1, name="Ash School")
    many = build_history(session, world, 6, name="Beech School")
    by = officer(world)
    counts = []
    for built in (one, many):
        session.expire_all()
        with count_statements() as counter:
            profile = school_profile.build(session, built.school, by=by, today=TODAY)
        counts.append(counter.count)
        assert profile.clinics.agenda and profile.audit
    assert len(many.plan_ids) == 6
    assert counts[0] == counts[1], counts
    assert counts[1] <= school_profile.MAX_STATEMENTS, counts


def test_milestones_overdue_are_rolled_up(session, world, history):
    plans = profile_of(session, world, history.school).plans
    linked = plans.linked[0]
    assert linked.rollup(date.today()).overdue == 1
    assert linked.rollup(date.today() - timedelta(days=30)).overdue == 0
