"""A plan for the plans' page tests: built through the services as the partnership's operator, with
priorities, actions led by glossary codes, and milestones overdue, due today, later and ongoing."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from app.models.account import User
from app.models.action_plan_api import (
    ActionCreate,
    MeasureCreate,
    MilestoneCreate,
    PlanCreate,
    PriorityCreate,
)
from app.models.partnership import Partnership
from app.services import accounts, action_plans, plan_items, plan_milestones, plan_roles

TODAY = date.today()


@dataclass
class BuiltPlan:
    plan_id: int
    priority_ids: list[int] = field(default_factory=list)
    action_ids: list[int] = field(default_factory=list)
    milestone_ids: dict[str, int] = field(default_factory=dict)  # by description


def build_plan(session: Session, partnership: Partnership, *, title: str = "Raising standards 2025 to 2027",
               priorities: int = 2, actions: int = 2, milestones: int = 2, status: str = "active",
               urn: str | None = None) -> BuiltPlan:
    """Priority 1's first action (led by HSI) has one overdue milestone ("Overdue visits"), one due
    today, one off track later; the rest (led by SIM / DCS) are on track or ongoing."""
    by = accounts.operator(partnership)
    view = action_plans.create(session, PlanCreate(title=title, period_start=f"{TODAY.year - 1}-09",
                                                   period_end=f"{TODAY.year + 1}-08", status=status,
                                                   owner_urn=urn), by=by)
    built = BuiltPlan(view.plan.id)
    for p in range(1, priorities + 1):
        priority = plan_items.add_priority(session, built.plan_id, PriorityCreate(
            title=f"Priority title {p}", success_criteria=[f"Success statement {p}"],
            areas=["Progress at key stage 2"] if p == 1 else []), by=by)
        built.priority_ids.append(priority.id)
        for a in range(1, actions + 1):
            leads = ["HSI"] if (p, a) == (1, 1) else ["SIM", "DCS"]
            node = plan_items.add_action(session, priority.id, ActionCreate(
                description=f"Action text {p}.{a}", leads=leads, time_frame="Termly"), by=by)
            built.action_ids.append(node.action.id)
            for n in range(1, milestones + 1):
                if (p, a, n) == (1, 1, 1):
                    desc, due, status_ = "Overdue visits", TODAY - timedelta(days=3), "on_track"
                elif (p, a, n) == (1, 1, 2):
                    desc, due, status_ = "Due today report", TODAY, "off_track"
                else:
                    desc = f"Milestone {p}.{a}.{n}"
                    due = None if n % 3 == 0 else TODAY + timedelta(days=10 * n + p + a)
                    status_ = "on_track"
                made = plan_milestones.add(session, node.action.id, MilestoneCreate(
                    description=desc, due_on=due, status=status_), by=by)
                built.milestone_ids[desc] = made.milestone.id
    plan_items.add_measure(session, built.plan_id, MeasureCreate(
        measure="KS2 indicators in the top 50% of LAs", baseline="Bottom 25%", target="Top 50%",
        target_on=date(TODAY.year + 1, 9, 1), latest_value="Top 60%"), by=by)
    return built


def hold(session: Session, partnership: Partnership, user: User, *codes: str) -> None:
    plan_roles.set_holder_codes(session, user.id, codes, by=accounts.operator(partnership))
