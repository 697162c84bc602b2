"""The example plan (docs/examples/plan.csv) and the demo's copy of it, its dates moved on to today."""

from datetime import date, timedelta

from sqlalchemy import select

from app.db import all_tenants
from app.models.action_plan import ActionPlan, PlanMilestone, SuccessMeasure
from app.services import accounts, demo, demo_plans, plan_csv


def milestones(session, plan_id: int) -> list[PlanMilestone]:
    with all_tenants(session):
        return list(session.scalars(select(PlanMilestone).where(PlanMilestone.plan_id == plan_id)))


def test_the_example_imports_as_written_and_exports_the_same_file(session, world):
    by = accounts.principal_for(session, world.officer, world.ours.id)
    written = demo_plans.EXAMPLE.read_bytes()
    result = plan_csv.import_bytes(session, written, by=by)
    assert (result.priorities, result.actions, result.milestones, result.measures) == (5, 17, 32, 3)
    assert result.title == "Raising standards together: the partnership's improvement plan"
    assert plan_csv.export(session, result.plan_id, by=by)[1] == b"\xef\xbb\xbf" + written
    statuses = {m.status for m in milestones(session, result.plan_id)}
    assert statuses == {"complete", "on_track", "at_risk", "off_track", "not_started"}
    assert sum(m.due_on is None for m in milestones(session, result.plan_id)) == 3


def test_the_dates_move_with_today_and_the_mix_stays(session, world):
    for today in (demo_plans.AS_OF - timedelta(days=45), demo_plans.AS_OF, date.today()):
        built = demo_plans.build(session, world.ours, world.officer, today=today)
        got = milestones(session, built.plan_id)
        overdue = [m for m in got if m.due_on is not None and m.due_on < today and m.status != "complete"]
        soon = [m for m in got if m.due_on is not None and today <= m.due_on <= today + timedelta(days=28)]
        assert (len(overdue), len(soon)) == (4, 4), today
        plan = session.get(ActionPlan, built.plan_id)
        shift = today - demo_plans.AS_OF
        assert plan.period_start == (date(2025, 9, 1) + shift).replace(day=1)
        assert plan.status == "active" and plan.owner_user_id == world.officer.id
        with all_tenants(session):
            latest = session.scalars(select(SuccessMeasure.latest_on).where(SuccessMeasure.plan_id == built.plan_id)
                                     .order_by(SuccessMeasure.id)).all()
        assert latest[0] == date(2025, 12, 15) + shift


def test_the_demo_partnership_has_the_plan(session):
    built = demo.build(session)
    with all_tenants(session):
        plan = session.scalar(select(ActionPlan).where(ActionPlan.partnership_id == built.partnership.id))
        events = session.scalars(select(PlanMilestone.updated_by).where(PlanMilestone.plan_id == plan.id)).all()
    assert plan.title == "Raising standards together: the partnership's improvement plan"
    assert len(events) == 32 and set(events) == {"Sam Officer"}
