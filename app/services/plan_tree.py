"""A plan's tree (priorities -> actions -> milestones, with success measures) read in a fixed number
of queries, and what is worked out from it on read, never stored: whether a milestone is overdue,
and the roll-ups of each priority and of the plan.

The overdue rule is said once here (`is_overdue`, and `overdue_condition` for a query), and every
face asks it: due before today and not complete. Due today is not overdue yet; a milestone with no
due date ("ongoing") never is."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from sqlalchemy import ColumnElement, and_, not_, select
from sqlmodel import Session

from app.models.action_plan import (
    MILESTONE_SEVERITY,
    MilestoneStatus,
    PlanAction,
    PlanActionLead,
    PlanMilestone,
    PlanPriority,
    SuccessMeasure,
)
from app.services import plan_roles
from app.services.action_plans import PlanView, get_view
from app.services.principal import Principal

STATUSES = [s.value for s in MilestoneStatus]


def is_overdue(due_on: date | None, status: str, today: date | None = None) -> bool:
    """The one overdue rule: past its due date (before today) and not complete."""
    return due_on is not None and due_on < (today or date.today()) and status != MilestoneStatus.complete.value


def overdue_condition(today: date | None = None, *, overdue: bool = True) -> ColumnElement[bool]:
    """`is_overdue` as a WHERE clause on plan_milestone (or its negation, with `overdue=False`)."""
    condition = and_(PlanMilestone.due_on.is_not(None), PlanMilestone.due_on < (today or date.today()),
                     PlanMilestone.status != MilestoneStatus.complete.value)
    return condition if overdue else not_(condition)


class MilestoneLike(Protocol):
    due_on: date | None
    status: str


@dataclass(frozen=True)
class RollUp:
    """Counts by status (every status, zero included), how many are overdue, and the worst status
    (by MILESTONE_SEVERITY; None when there are no milestones)."""

    total: int
    by_status: dict[str, int]
    overdue: int
    worst_status: str | None

    def as_dict(self) -> dict:
        return {"total": self.total, "by_status": dict(self.by_status), "overdue": self.overdue,
                "worst_status": self.worst_status}


def roll_up(milestones: Iterable[MilestoneLike], today: date | None = None) -> RollUp:
    """The roll-up of some milestones (a priority's, or a plan's): a pure function of their rows."""
    today = today or date.today()
    by_status = dict.fromkeys(STATUSES, 0)
    overdue = 0
    worst: str | None = None
    for milestone in milestones:
        by_status[milestone.status] = by_status.get(milestone.status, 0) + 1
        overdue += is_overdue(milestone.due_on, milestone.status, today)
        if worst is None or MILESTONE_SEVERITY.get(milestone.status, 0) > MILESTONE_SEVERITY.get(worst, 0):
            worst = milestone.status
    return RollUp(sum(by_status.values()), by_status, overdue, worst)


def action_label(priority_number: int, action_number: int) -> str:
    """How an action is shown: action 3 of priority 2 is "2.3"."""
    return f"{priority_number}.{action_number}"


def leads_of(codes: Iterable[str], titles: dict[str, str]) -> list[dict[str, str]]:
    """An action's lead codes with their titles (a code since dropped from the glossary: its code)."""
    return [{"code": code, "title": titles.get(code, code)} for code in codes]


@dataclass
class ActionNode:
    action: PlanAction
    priority_number: int
    leads: list[str] = field(default_factory=list)
    milestones: list[PlanMilestone] = field(default_factory=list)

    @property
    def label(self) -> str:
        return action_label(self.priority_number, self.action.number)


@dataclass
class PriorityNode:
    priority: PlanPriority
    actions: list[ActionNode] = field(default_factory=list)
    measures: list[SuccessMeasure] = field(default_factory=list)

    def milestones(self) -> list[PlanMilestone]:
        return [m for node in self.actions for m in node.milestones]


@dataclass
class PlanTree:
    view: PlanView
    priorities: list[PriorityNode]
    measures: list[SuccessMeasure]  # the plan's own (not a priority's)
    titles: dict[str, str]  # the glossary, code -> title
    today: date

    def milestones(self) -> list[PlanMilestone]:
        return [m for node in self.priorities for m in node.milestones()]

    def rollup(self, node: PriorityNode | None = None) -> RollUp:
        return roll_up(node.milestones() if node else self.milestones(), self.today)


def _due_order(milestone: PlanMilestone) -> tuple:
    """A milestone's place under its action: by due date, the ongoing ones last, then as added."""
    return (milestone.due_on is None, milestone.due_on or date.min, milestone.id)


def tree(session: Session, plan_id: int, *, by: Principal, today: date | None = None) -> PlanTree:
    """The plan with everything under it: seven queries whatever its size (the plan with its owner
    and school, the glossary, then one read per table by the plan's id)."""
    view = get_view(session, plan_id, by=by)
    titles = plan_roles.role_titles(view.partnership)
    priorities = list(session.scalars(select(PlanPriority).where(PlanPriority.plan_id == plan_id)
                                      .order_by(PlanPriority.number)))
    nodes = {p.id: PriorityNode(p) for p in priorities}
    actions: dict[int, ActionNode] = {}
    for action in session.scalars(select(PlanAction).where(PlanAction.plan_id == plan_id)
                                  .order_by(PlanAction.priority_id, PlanAction.number)):
        node = nodes.get(action.priority_id)
        if node is not None:
            actions[action.id] = ActionNode(action, node.priority.number)
            node.actions.append(actions[action.id])
    for action_id, code in session.execute(select(PlanActionLead.action_id, PlanActionLead.code)
                                           .where(PlanActionLead.plan_id == plan_id)
                                           .order_by(PlanActionLead.action_id, PlanActionLead.position)):
        if action_id in actions:
            actions[action_id].leads.append(code)
    for milestone in session.scalars(select(PlanMilestone).where(PlanMilestone.plan_id == plan_id)):
        if milestone.action_id in actions:
            actions[milestone.action_id].milestones.append(milestone)
    for node in actions.values():
        node.milestones.sort(key=_due_order)
    own: list[SuccessMeasure] = []
    for measure in session.scalars(select(SuccessMeasure).where(SuccessMeasure.plan_id == plan_id)
                                   .order_by(SuccessMeasure.id)):
        (nodes[measure.priority_id].measures if measure.priority_id in nodes else own).append(measure)
    return PlanTree(view, list(nodes.values()), own, titles, today or date.today())
