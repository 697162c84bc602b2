"""The query plans of the action plans' lists, on the engine under test: the plans list, a plan's
milestones list (with each filter, and a second page), the plan's tree and the schools that need a
plan read their rows through indexes led by the partnership or by the parent's key, never by a
full scan of a partnership's table; the milestones page comes in index order, unsorted.

Two partnerships' plans are made so that the planner has other tenants' rows to pass over. On
PostgreSQL scans and sorts are priced out (tests/services/test_query_plans.py's `plans`), so one
left in the plan means that no index could serve the query."""

import re
from datetime import date, timedelta

import pytest

from app.db import as_tenant
from app.models.action_plan_api import ActionCreate, MilestoneCreate, PlanCreate, PriorityCreate
from app.models.flag import ReviewJudgement
from app.services import accounts, action_plans, plan_items, plan_milestones, plan_overview, plan_roles, plan_tree
from app.services.action_plans import PlanFilters
from app.services.plan_milestones import MilestoneFilters
from tests import factories
from tests.flag_setup import add
from tests.services.test_query_plans import plans

TABLES = ("action_plan|plan_priority|plan_action|plan_action_lead|plan_milestone|plan_success_measure|"
          "plan_role_holder|school|review_judgement|app_user|membership|partnership")
_SQLITE_SCAN = re.compile(rf"^SCAN ({TABLES})\b")
_PG_SCAN = re.compile(rf"^Seq Scan on ({TABLES})$")
TODAY = date(2026, 11, 26)


def assert_indexed(found, *, ordered: bool = False) -> None:
    for statement, steps in found:
        for step in steps:
            assert not _SQLITE_SCAN.match(step) and not _PG_SCAN.match(step), f"full scan: {step}\n{statement}"
            if ordered and " LIMIT " in statement.replace("\n", " "):
                assert "TEMP B-TREE FOR ORDER BY" not in step and step != "Sort", f"sorted page: {step}\n{statement}"


def _fill(session, partnership, *, plans_count: int = 3) -> list[int]:  # noqa: ANN001
    by = accounts.operator(partnership)
    schools = [factories.make_school(session, partnership) for _ in range(3)]
    made = []
    for n in range(plans_count):
        plan = action_plans.create(session, PlanCreate(
            title=f"Plan {n}", period_start="2025-09", period_end="2027-07",
            owner_urn=schools[n % 3].urn if n % 2 else None, status=("active", "draft")[n % 2]), by=by)
        made.append(plan.plan.id)
        for p in range(2):
            priority = plan_items.add_priority(session, plan.plan.id, PriorityCreate(title=f"Priority {p}"), by=by)
            for a in range(2):
                node = plan_items.add_action(session, priority.id, ActionCreate(
                    description=f"Action {a}", leads=[("HSI", "DCS", "SIM")[a], "SIO"]), by=by)
                for m in range(3):
                    plan_milestones.add(session, node.action.id, MilestoneCreate(
                        description=f"Milestone {m}", due_on=TODAY + timedelta(days=30 * (m - 1)),
                        status=("on_track", "at_risk", "complete")[m]), by=by)
    for school in schools:
        add(session, ReviewJudgement(partnership_id=partnership.id, school_id=school.id, academic_year="2025/26",
                                     strand="overall_effectiveness", partner_grade=3))
    return made


@pytest.fixture
def filled(session, world):
    with as_tenant(session, world.theirs.id):
        _fill(session, world.theirs, plans_count=1)
    ours = _fill(session, world.ours)
    return accounts.operator(world.ours), ours


PLAN_FILTERS = {
    "none": PlanFilters(),
    "status": PlanFilters(status=["active"]),
    "scope": PlanFilters(scope="school"),
    "partnership's": PlanFilters(scope="partnership"),
    "urn": PlanFilters(urn=["100001", "100002"]),
}


@pytest.mark.parametrize("name", PLAN_FILTERS)
def test_the_plans_list(session, engine, filled, name):
    by, _ = filled
    filters = PLAN_FILTERS[name]
    first = action_plans.page(session, filters, limit=1, by=by)
    assert_indexed(plans(session, engine, lambda: action_plans.page(session, filters, limit=1, by=by)))
    if first.next_cursor:
        assert_indexed(plans(session, engine, lambda: action_plans.page(session, filters, limit=1,
                                                                         cursor=first.next_cursor, by=by)))


def test_a_schools_own_plans(session, engine, filled, world):
    by, _ = filled
    filters = PlanFilters(school_id=world.our_school.id)
    assert_indexed(plans(session, engine, lambda: action_plans.page(session, filters, by=by)))


MILESTONE_FILTERS = {
    "none": MilestoneFilters(),
    "status": MilestoneFilters(status=["at_risk", "on_track"]),
    "overdue": MilestoneFilters(overdue=True),
    "not overdue": MilestoneFilters(overdue=False),
    "lead": MilestoneFilters(lead="HSI"),
    "due dates": MilestoneFilters(due_after=TODAY - timedelta(days=60), due_before=TODAY),
}


@pytest.mark.parametrize("name", MILESTONE_FILTERS)
def test_the_milestones_list(session, engine, filled, name):
    by, ours = filled
    filters = MILESTONE_FILTERS[name]

    def page(cursor=None):  # noqa: ANN001, ANN202
        return plan_milestones.page(session, ours[1], filters, limit=2, cursor=cursor, by=by, today=TODAY)

    first = page()
    assert first.views, "the filter chose nothing: the plan would not be read"
    assert_indexed(plans(session, engine, page), ordered=name == "none")
    assert first.next_cursor
    assert_indexed(plans(session, engine, lambda: page(first.next_cursor)), ordered=name == "none")


def test_the_tree(session, engine, filled):
    by, ours = filled
    assert_indexed(plans(session, engine, lambda: plan_tree.tree(session, ours[0], by=by, today=TODAY)))


def test_the_schools_that_need_a_plan(session, engine, filled):
    by, _ = filled
    assert action_plans.schools_needing_plan(session, by=by)
    assert_indexed(plans(session, engine, lambda: action_plans.schools_needing_plan(session, by=by)))


def test_what_a_person_leads(session, engine, filled, world):
    """/my-milestones reaches the milestones from the codes' actions (ix_plan_milestone_lead),
    never by reading every milestone of the partnership through a plan index."""
    head = factories.make_user(session, world.ours, "viewer")
    plan_roles.set_holder_codes(session, head.id, ["HSI"], by=accounts.operator(world.ours))
    by = accounts.principal_for(session, head, world.ours.id)
    led = plan_overview.led_by_me(session, by=by, per_page=2, today=TODAY)
    assert led.total and len(led.rows) == 2
    found = plans(session, engine, lambda: plan_overview.led_by_me(session, by=by, per_page=2, today=TODAY))
    assert_indexed(found)
    if engine.dialect.name == "sqlite":
        steps = [step for _, all_steps in found for step in all_steps if " plan_milestone " in f"{step} "]
        assert any("ix_plan_milestone_lead" in step for step in steps), steps
        assert not any("ix_plan_milestone_plan_due" in step or "ix_plan_milestone_partnership_plan" in step
                       for step in steps), steps
