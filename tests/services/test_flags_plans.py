"""The red flag for a school judged 3 or 4 at its review without an active action plan of its own
(seed 002: such a school agrees a Raising Achievement Plan)."""

from datetime import date

from app.models.action_plan import ActionPlan
from app.services import flags
from tests import factories
from tests.flag_setup import TODAY, add, judgement, principal


def plan_rules(session, officer, school) -> dict[str, str]:
    return {f.rule: f.severity for f in flags.for_school(session, school, by=officer, today=TODAY)
            if f.rule == "no_improvement_plan"}


def school_plan(session, school, status: str) -> ActionPlan:
    return add(session, ActionPlan(partnership_id=school.partnership_id, school_id=school.id, status=status,
                                   title="Raising achievement", period_start=date(2026, 9, 1),
                                   period_end=date(2027, 7, 1)))


def test_judged_3_without_a_plan_is_amber_and_an_active_plan_clears_it(session, world):
    officer = principal(session, world.ours)
    school = factories.make_school(session, world.ours)
    judgement(session, school, "quality_of_education", 3)
    found = flags.for_school(session, school, by=officer, today=TODAY)
    flag = next(f for f in found if f.rule == "no_improvement_plan")
    assert flag.severity == "amber" and flag.category == "network"
    assert flag.reason.startswith("Judged 3 (requires improvement) at the ") and "no active action plan" in flag.reason
    plan = school_plan(session, school, "draft")
    assert plan_rules(session, officer, school) == {"no_improvement_plan": "amber"}  # a draft is not yet a plan
    plan.status = "active"
    session.flush()
    assert plan_rules(session, officer, school) == {}


def test_a_school_judged_2_or_with_only_a_partnership_plan_or_a_closed_one(session, world):
    officer = principal(session, world.ours)
    good = factories.make_school(session, world.ours)
    judgement(session, good, "quality_of_education", 2)
    assert plan_rules(session, officer, good) == {}
    weak = factories.make_school(session, world.ours)
    judgement(session, weak, "leadership_and_management", 4)
    add(session, ActionPlan(partnership_id=world.ours.id, title="The partnership's plan", status="active",
                            period_start=date(2026, 9, 1), period_end=date(2027, 7, 1)))
    school_plan(session, weak, "closed")
    assert plan_rules(session, officer, weak) == {"no_improvement_plan": "amber"}


def test_another_partnerships_active_plan_for_the_same_urn_does_not_count(session, world):
    officer = principal(session, world.ours)
    ours = factories.make_school(session, world.ours)
    judgement(session, ours, "quality_of_education", 3)
    theirs = factories.make_school(session, world.theirs, urn=ours.urn)
    school_plan(session, theirs, "active")
    assert plan_rules(session, officer, ours) == {"no_improvement_plan": "amber"}
