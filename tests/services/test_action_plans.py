"""Action plans' rules in the services: the overdue rule and the roll-ups (pure functions), who may
update a milestone, numbers taken by two writers at once, and the schools that need a plan."""

import threading
from datetime import date, timedelta

import pytest
from alembic import command
from sqlalchemy import select
from sqlmodel import Session

from app.db import all_tenants, as_tenant, build_engine, new_session
from app.errors import Conflict, Forbidden, NotFound
from app.models.account import Role
from app.models.action_plan import PlanMilestone, PlanPriority
from app.models.action_plan_api import (
    ActionCreate,
    MilestoneCreate,
    MilestoneUpdate,
    PlanCreate,
    PlanUpdate,
    PriorityCreate,
)
from app.models.flag import ReviewJudgement
from app.services import accounts, action_plans, plan_items, plan_milestones, plan_roles, tokens
from app.services.plan_tree import is_overdue, overdue_condition, roll_up
from tests import factories
from tests.conftest import alembic_config
from tests.flag_setup import add

TODAY = date(2026, 11, 26)
YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)


class Row:
    def __init__(self, status: str, due_on: date | None = None) -> None:
        self.status, self.due_on = status, due_on


class TestOverdueAndRollUps:
    @pytest.mark.parametrize(("due_on", "status", "overdue"), [
        (YESTERDAY, "on_track", True),
        (YESTERDAY, "not_started", True),
        (YESTERDAY, "complete", False),
        (TODAY, "off_track", False),
        (TOMORROW, "off_track", False),
        (None, "off_track", False),
    ])
    def test_overdue_is_past_due_and_not_complete(self, due_on, status, overdue):
        assert is_overdue(due_on, status, TODAY) is overdue

    def test_the_query_asks_the_same_rule(self, session, world):
        plan, action = _plan_with_action(session, world)
        cases = [(YESTERDAY, "on_track"), (YESTERDAY, "complete"), (TODAY, "at_risk"), (None, "off_track"),
                 (TOMORROW, "not_started"), (date(2020, 1, 1), "off_track")]
        by = accounts.operator(world.ours)
        for due_on, status in cases:
            plan_milestones.add(session, action.id, MilestoneCreate(description=f"{status} {due_on}", due_on=due_on,
                                                                    status=status), by=by)
        rows = list(session.scalars(select(PlanMilestone).where(PlanMilestone.plan_id == plan.plan.id)))
        for wanted in (True, False):
            found = set(session.scalars(select(PlanMilestone.id).where(PlanMilestone.plan_id == plan.plan.id,
                                                                       overdue_condition(TODAY, overdue=wanted))))
            assert found == {m.id for m in rows if is_overdue(m.due_on, m.status, TODAY) is wanted}
        assert len(found) == 4

    def test_a_roll_up_counts_by_status_overdue_and_the_worst(self):
        rolled = roll_up([Row("complete", YESTERDAY), Row("on_track", YESTERDAY), Row("on_track", TODAY),
                          Row("at_risk", None), Row("not_started", TOMORROW)], TODAY)
        assert rolled.total == 5 and rolled.overdue == 1 and rolled.worst_status == "at_risk"
        assert rolled.by_status == {"complete": 1, "not_started": 1, "on_track": 2, "at_risk": 1, "off_track": 0}
        assert roll_up([Row("complete"), Row("off_track"), Row("at_risk")], TODAY).worst_status == "off_track"
        assert roll_up([Row("complete"), Row("on_track")], TODAY).worst_status == "on_track"
        assert roll_up([Row("on_track"), Row("not_started")], TODAY).worst_status == "not_started"
        assert roll_up([Row("complete")], TODAY).worst_status == "complete"

    def test_an_empty_priority_rolls_up_to_nothing(self):
        rolled = roll_up([], TODAY)
        assert (rolled.total, rolled.overdue, rolled.worst_status) == (0, 0, None)
        assert set(rolled.by_status.values()) == {0} and len(rolled.by_status) == 5

    def test_due_today_yesterday_and_never_in_a_roll_up(self):
        assert roll_up([Row("on_track", TODAY)], TODAY).overdue == 0
        assert roll_up([Row("on_track", YESTERDAY)], TODAY).overdue == 1
        assert roll_up([Row("on_track", None)], TODAY).overdue == 0


def _plan_with_action(session: Session, world, leads: tuple[str, ...] = ("HSI",)):  # noqa: ANN001, ANN202
    by = accounts.operator(world.ours)
    plan = action_plans.create(session, PlanCreate(title="Plan", period_start="2016-05", period_end="2018-09"),
                               by=by)
    priority = plan_items.add_priority(session, plan.plan.id, PriorityCreate(title="Leadership"), by=by)
    node = plan_items.add_action(session, priority.id, ActionCreate(description="Visit", leads=list(leads)), by=by)
    return plan, node.action


class TestWhoUpdatesAMilestone:
    @pytest.fixture
    def milestone(self, session, world):
        _, action = _plan_with_action(session, world, ("HSI", "SIM"))
        data = MilestoneCreate(description="Schools visited", due_on=YESTERDAY)
        view = plan_milestones.add(session, action.id, data, by=accounts.operator(world.ours))
        return view.milestone

    def person(self, session, world, role: str = Role.viewer.value, codes: tuple[str, ...] = ()):  # noqa: ANN201
        user = factories.make_user(session, world.ours, role)
        if codes:
            plan_roles.set_holder_codes(session, user.id, codes, by=accounts.operator(world.ours))
        return accounts.principal_for(session, user, world.ours.id)

    def token(self, session, world, scopes: str):  # noqa: ANN201
        return tokens.authenticate(session, factories.make_token(session, world.ours, scopes))[0]

    def update(self, session, milestone, by, **changes):  # noqa: ANN001, ANN201
        return plan_milestones.update(session, milestone.id, MilestoneUpdate(**changes),
                                      if_match=f'"{milestone.version}"', by=by)

    def test_an_officer_and_a_write_token_change_anything(self, session, world, milestone):
        officer = accounts.principal_for(session, world.officer, world.ours.id)
        self.update(session, milestone, officer, description="Every school visited", due_on=TODAY)
        self.update(session, milestone, self.token(session, world, "read write"), status="complete")
        assert (milestone.description, milestone.status, milestone.version) == ("Every school visited", "complete", 3)

    def test_a_holder_of_one_of_the_codes_changes_status_and_evidence_only(self, session, world, milestone):
        holder = self.person(session, world, codes=("SIM",))
        view = self.update(session, milestone, holder, status="at_risk", evidence="Two visits left",
                           evidence_links=["https://example.org/visits"])
        assert (view.milestone.status, view.milestone.evidence, view.milestone.updated_by) == (
            "at_risk", "Two visits left", holder.user_name)
        for change in ({"description": "Fewer visits"}, {"due_on": TOMORROW}, {"status": "complete", "due_on": None}):
            with pytest.raises(Forbidden):
                self.update(session, milestone, holder, **change)
        assert milestone.due_on == YESTERDAY and milestone.status == "at_risk"

    @pytest.mark.parametrize("who", ["viewer", "holder of another code", "read token", "headteacher"])
    def test_others_may_read_but_not_update(self, session, world, milestone, who):
        by = {"viewer": lambda: self.person(session, world),
              "holder of another code": lambda: self.person(session, world, codes=("DCS", "CM")),
              "read token": lambda: self.token(session, world, "read"),
              "headteacher": lambda: self._head(session, world)}[who]()
        assert plan_milestones.get(session, milestone.id, by=by).milestone.id == milestone.id
        with pytest.raises(Forbidden):
            self.update(session, milestone, by, status="complete")
        with pytest.raises(Forbidden):
            plan_items.add_priority(session, milestone.plan_id, PriorityCreate(title="Mine"), by=by)
        with pytest.raises(Forbidden):
            action_plans.update(session, milestone.plan_id, PlanUpdate(title="Mine"), if_match='"1"', by=by)

    def _head(self, session, world):  # noqa: ANN001, ANN202
        user = factories.make_user(session)
        with all_tenants(session):
            accounts.grant(session, user, world.ours, Role.headteacher.value, scope_kind="school",
                           scope_id=world.our_school.id)
        plan_roles.set_holder_codes(session, user.id, ["DCS"], by=accounts.operator(world.ours))
        return accounts.principal_for(session, user, world.ours.id)

    def test_another_partnerships_milestone_is_not_found(self, session, world, milestone):
        theirs = accounts.operator(world.theirs)
        with as_tenant(session, world.theirs.id):
            with pytest.raises(NotFound):
                plan_milestones.get(session, milestone.id, by=theirs)
            with pytest.raises(NotFound):
                action_plans.get_view(session, milestone.plan_id, by=theirs)
            with pytest.raises(NotFound):
                self.update(session, milestone, theirs, status="complete")


class TestNumbersTakenAtOnce:
    def test_a_number_the_check_missed_is_409_not_500(self, session, world, monkeypatch):
        """The unique constraint's error (another writer inserted the number between the check and
        the insert) becomes 409."""
        plan, action = _plan_with_action(session, world)
        by = accounts.operator(world.ours)
        monkeypatch.setattr(plan_items, "_priority_number_taken", lambda *a, **k: False)
        monkeypatch.setattr(plan_items, "_action_number_taken", lambda *a, **k: False)
        with pytest.raises(Conflict) as caught:
            plan_items.add_priority(session, plan.plan.id, PriorityCreate(title="Again", number=1), by=by)
        assert caught.value.errors[0].field == "number"
        session.rollback()

    def test_two_writers_racing_for_numbers(self, fresh_database_url):
        """On a real database, two clients at once: the same number ends as one saved and one 409,
        and two "next" priorities get different numbers (the plan's row is locked on PostgreSQL;
        SQLite's writers take turns)."""
        command.upgrade(alembic_config(fresh_database_url), "head")
        engine = build_engine(fresh_database_url, busy_timeout_ms=5000)
        try:
            with new_session(write=True, engine=engine) as session:
                partnership = factories.make_partnership(session, slug="plans-race")
                session.commit()
                by = accounts.operator(partnership)
                plan_id = action_plans.create(session, PlanCreate(title="P", period_start="2016-05",
                                                                  period_end="2018-09"), by=by).plan.id
                session.commit()

            def race(make: PriorityCreate) -> list[str]:
                outcomes: list[str] = []
                start = threading.Barrier(2)

                def writer() -> None:
                    with new_session(write=True, engine=engine) as session:
                        try:
                            start.wait(5)
                            plan_items.add_priority(session, plan_id, make, by=by)
                            session.commit()
                            outcomes.append("saved")
                        except Conflict:
                            session.rollback()
                            outcomes.append("409")
                        except Exception as exc:  # noqa: BLE001 (the test reports any other failure)
                            outcomes.append(f"error: {exc!r}")

                threads = [threading.Thread(target=writer) for _ in range(2)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(20)
                return sorted(outcomes)

            assert race(PriorityCreate(title="Same", number=5)) == ["409", "saved"]
            assert race(PriorityCreate(title="Next")) == ["saved", "saved"]
            with new_session(write=False, engine=engine) as session, all_tenants(session):
                numbers = sorted(session.scalars(select(PlanPriority.number).where(PlanPriority.plan_id == plan_id)))
            assert numbers == [5, 6, 7]
        finally:
            engine.dispose()


class TestSchoolsNeedingAPlan:
    def judge(self, session, school, year: str, grades: dict[str, int]) -> None:
        for strand, grade in grades.items():
            add(session, ReviewJudgement(partnership_id=school.partnership_id, school_id=school.id,
                                         academic_year=year, strand=strand, partner_grade=grade))

    def test_judged_3_or_4_at_the_latest_review_and_no_active_plan(self, session, world):
        by = accounts.operator(world.ours)
        school = {name: factories.make_school(session, world.ours, name=name) for name in
                  ("Ash", "Beech", "Cedar", "Damson", "Elm", "Fir")}
        self.judge(session, school["Ash"], "2025/26", {"overall_effectiveness": 3, "leadership_and_management": 2})
        self.judge(session, school["Beech"], "2025/26", {"quality_of_education": 4})
        self.judge(session, school["Cedar"], "2024/25", {"overall_effectiveness": 4})  # better since
        self.judge(session, school["Cedar"], "2025/26", {"overall_effectiveness": 2})
        self.judge(session, school["Damson"], "2025/26", {"overall_effectiveness": 2})  # judged well
        self.judge(session, school["Elm"], "2025/26", {"overall_effectiveness": 3})  # has an active plan
        self.judge(session, school["Fir"], "2025/26", {"overall_effectiveness": 3})  # its plan is a draft
        for name, status in (("Elm", "active"), ("Fir", "draft")):
            action_plans.create(session, PlanCreate(title="RAP", period_start="2025-09", period_end="2026-07",
                                                    owner_urn=school[name].urn, status=status), by=by)
        their = factories.make_school(session, world.theirs, name="Another's")
        self.judge(session, their, "2025/26", {"overall_effectiveness": 4})

        found = action_plans.schools_needing_plan(session, by=by)
        assert [(s.name, s.academic_year, s.worst_grade) for s in found] == [
            ("Ash", "2025/26", 3), ("Beech", "2025/26", 4), ("Fir", "2025/26", 3)]
        assert found[0].urn == school["Ash"].urn

    def test_a_partnership_without_judgements_lists_none(self, session, world):
        factories.make_school(session, world.ours)
        assert action_plans.schools_needing_plan(session, by=accounts.operator(world.ours)) == []
