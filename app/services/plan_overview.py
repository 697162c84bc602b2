"""What the plans' pages show beside the services' own reads: the roll-up of each plan on a page of
plans (one grouped query, whatever the page's size), the milestones a person leads across the
plans not closed (/my-milestones: overdue first, then by due date), and the officers to ask for a
lead role. Every rule is the one said elsewhere: overdue is plan_tree.overdue_condition, a roll-up
is plan_tree.RollUp, a lead is a code held through plan_role_holder."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlmodel import Session

from app.models.account import Membership, Role, User
from app.models.action_plan import (
    MILESTONE_SEVERITY,
    ActionPlan,
    MilestoneStatus,
    PlanAction,
    PlanActionLead,
    PlanMilestone,
    PlanPriority,
    PlanStatus,
)
from app.services import partnerships, plan_roles
from app.services.plan_tree import STATUSES, RollUp, action_label, overdue_condition
from app.services.principal import Principal, bind


def rollups(session: Session, plan_ids: list[int], *, by: Principal,
            today: date | None = None) -> dict[int, RollUp]:
    """Each plan's roll-up (every plan named gets one, an empty plan's with no worst status): one
    query counting its milestones by status, and how many of each are overdue."""
    bind(session, by)
    by.require_read()
    counts: dict[int, dict[str, int]] = {plan_id: dict.fromkeys(STATUSES, 0) for plan_id in plan_ids}
    overdue: dict[int, int] = dict.fromkeys(plan_ids, 0)
    if plan_ids:
        late = func.sum(case((overdue_condition(today or date.today()), 1), else_=0))
        for plan_id, status, count, late_count in session.execute(
                select(PlanMilestone.plan_id, PlanMilestone.status, func.count(PlanMilestone.id), late)
                .where(PlanMilestone.plan_id.in_(sorted(set(plan_ids))))
                .group_by(PlanMilestone.plan_id, PlanMilestone.status)):
            counts[plan_id][status] = count
            overdue[plan_id] += int(late_count or 0)
    found = {}
    for plan_id, by_status in counts.items():
        present = [status for status, count in by_status.items() if count]
        worst = max(present, key=lambda s: MILESTONE_SEVERITY.get(s, 0)) if present else None
        found[plan_id] = RollUp(sum(by_status.values()), by_status, overdue[plan_id], worst)
    return found


@dataclass
class LedMilestone:
    """A milestone the person leads, with its plan and its place in it."""

    milestone: PlanMilestone
    plan_id: int
    plan_title: str
    priority_id: int
    priority_number: int
    action_number: int
    action_description: str
    leads: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return action_label(self.priority_number, self.action_number)


@dataclass
class LedPage:
    codes: list[str]  # the lead role codes the person holds, in the glossary's order
    rows: list[LedMilestone]
    total: int
    page: int
    pages: int
    per_page: int | None  # None: every one on one page
    titles: dict[str, str]  # the glossary


def led_by_me(session: Session, *, by: Principal, page: int = 1, per_page: int | None = 25,
              today: date | None = None) -> LedPage:
    """The milestones not complete, of plans not closed, whose action one of the codes the caller
    holds leads: overdue first, then by due date (the ongoing ones last). Four queries, whatever
    the number: the codes held, the page with the count of them all (a window over the same
    selection), the page's leads, and the glossary's partnership; one more to find the last page
    when `page` is past it.

    The milestones are reached from the lead codes (ix_plan_action_lead_code, then
    ix_plan_milestone_lead on the action), never by reading every milestone of the partnership;
    a plan not closed is a list of ids the planner looks each row up in."""
    bind(session, by)
    by.require_read()
    today = today or date.today()
    partnership = partnerships.current(session, by=by)
    titles = plan_roles.role_titles(partnership)
    codes = plan_roles.ordered(partnership, plan_roles.held_codes(session, by))
    if not codes:
        return LedPage([], [], 0, 1, 1, per_page, titles)
    rows, total = _led_page(session, codes, page, per_page, today)
    pages = 1 if per_page is None else max(1, -(-total // per_page))
    if not rows and page > 1:  # past the last page: the count says which is the last
        total = session.scalar(select(func.count(PlanMilestone.id)).where(*_led(codes))) or 0
        pages = 1 if per_page is None else max(1, -(-total // per_page))
        rows, total = _led_page(session, codes, pages, per_page, today) if total else ([], 0)
        page = pages
    page = min(max(page, 1), pages)
    action_ids = sorted({row.milestone.action_id for row in rows})
    if action_ids:
        leads: dict[int, list[str]] = {}
        # By the page's plans as well as its actions: the plan is what the leads are indexed by.
        for action_id, code in session.execute(select(PlanActionLead.action_id, PlanActionLead.code)
                                               .where(PlanActionLead.plan_id.in_({row.plan_id for row in rows}),
                                                      PlanActionLead.action_id.in_(action_ids))
                                               .order_by(PlanActionLead.action_id, PlanActionLead.position)):
            leads.setdefault(action_id, []).append(code)
        for row in rows:
            row.leads = leads.get(row.milestone.action_id, [])
    return LedPage(codes, rows, total, page, pages, per_page, titles)


def _led(codes: list[str]) -> tuple:
    """WHERE: not complete, of a plan not closed, its action led by one of `codes`."""
    led = select(PlanActionLead.action_id).where(PlanActionLead.code.in_(sorted(codes)))
    open_plans = select(ActionPlan.id).where(ActionPlan.status != PlanStatus.closed.value)
    return (PlanMilestone.action_id.in_(led), PlanMilestone.status != MilestoneStatus.complete.value,
            PlanMilestone.plan_id.in_(open_plans))


def _led_page(session: Session, codes: list[str], page: int, per_page: int | None,
              today: date) -> tuple[list[LedMilestone], int]:
    """One page of the led milestones, and how many there are in all: the page is chosen on the
    milestones alone (with the count as a window over them), then joined to its plans and actions.
    None of them is complete, so overdue (plan_tree.overdue_condition) is "due before today" and
    ordering by due date, the ongoing ones last, puts the overdue first; the overdue test stays
    in the order so that the two cannot drift apart."""
    order = (case((overdue_condition(today), 0), else_=1), PlanMilestone.due_on.is_(None), PlanMilestone.due_on,
             PlanMilestone.id)
    chosen = select(PlanMilestone.id, func.count().over().label("total")).where(*_led(codes)).order_by(*order)
    if per_page is not None:
        chosen = chosen.offset((max(page, 1) - 1) * per_page).limit(per_page)
    chosen = chosen.subquery()
    found = session.execute(
        select(PlanMilestone, ActionPlan.title, PlanAction.priority_id, PlanPriority.number, PlanAction.number,
               PlanAction.description, chosen.c.total)
        .join(chosen, chosen.c.id == PlanMilestone.id)
        .join(ActionPlan, ActionPlan.id == PlanMilestone.plan_id)
        .join(PlanAction, PlanAction.id == PlanMilestone.action_id)
        .join(PlanPriority, PlanPriority.id == PlanAction.priority_id)
        .order_by(*order)).all()
    total = found[0][-1] if found else 0
    return [LedMilestone(m, m.plan_id, *rest[:-1]) for m, *rest in found], total


def officer_names(session: Session, *, by: Principal) -> list[str]:
    """The partnership's officers by name: whom to ask for a lead role (one query)."""
    bind(session, by)
    by.require_read()
    return list(session.scalars(select(User.name).join(Membership, Membership.user_id == User.id)
                                .where(Membership.role == Role.officer.value).distinct().order_by(User.name)))
