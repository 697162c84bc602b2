"""A plan's milestones: added under an action by officers, updated through the year (status and
evidence) by officers or by whoever holds one of the action's lead role codes, and listed with
filters (status, overdue, lead, due dates) a page at a time, each with its priority's and action's
numbers and the action's leads, in a fixed number of queries whatever the page's size."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from app.errors import FieldError, Forbidden, NotFound, ValidationFailed
from app.models.action_plan import ActionPlan, PlanAction, PlanActionLead, PlanMilestone, PlanPriority
from app.models.action_plan_api import MilestoneCreate, MilestoneUpdate
from app.services import action_plans, concurrency, partnerships, permissions, plan_items, plan_roles
from app.services.concurrency import require_match
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.plan_tree import action_label, overdue_condition
from app.services.principal import Principal, bind

DEFAULT_LIMIT = 50
SORT = "id"  # in the order they were added
# What the holder of one of the action's lead roles may change; the rest is an officer's.
HOLDER_FIELDS = frozenset({"status", "evidence", "evidence_links"})
NOT_NULL = ("description", "status", "evidence_links")


@dataclass
class MilestoneView:
    """A milestone with its place in the plan and its action's lead codes."""

    milestone: PlanMilestone
    priority_id: int
    priority_number: int
    action_number: int
    leads: list[str] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return action_label(self.priority_number, self.action_number)


@dataclass
class MilestoneFilters:
    status: list[str] = field(default_factory=list)
    overdue: bool | None = None
    lead: str | None = None  # a role code: milestones of the actions it leads
    due_before: date | None = None  # due strictly before
    due_after: date | None = None  # due strictly after


@dataclass
class MilestonePageResult:
    views: list[MilestoneView]
    total: int
    limit: int
    next_cursor: str | None
    titles: dict[str, str]


def _placed():  # noqa: ANN202
    return (select(PlanMilestone, PlanAction.priority_id, PlanPriority.number, PlanAction.number)
            .join(PlanAction, PlanAction.id == PlanMilestone.action_id)
            .join(PlanPriority, PlanPriority.id == PlanAction.priority_id))


def _leads(session: Session, plan_id: int, action_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if action_ids:
        for action_id, code in session.execute(
                select(PlanActionLead.action_id, PlanActionLead.code)
                .where(PlanActionLead.plan_id == plan_id, PlanActionLead.action_id.in_(sorted(set(action_ids))))
                .order_by(PlanActionLead.action_id, PlanActionLead.position)):
            found.setdefault(action_id, []).append(code)
    return found


def get(session: Session, milestone_id: int, *, by: Principal) -> MilestoneView:
    """A milestone with its place in the plan and its leads (two queries), or 404."""
    bind(session, by)
    by.require_read()
    row = session.execute(_placed().where(PlanMilestone.id == milestone_id)).first()
    if row is None:
        raise NotFound(f"no milestone {milestone_id} in this partnership")
    milestone = row[0]
    return MilestoneView(*row, leads=_leads(session, milestone.plan_id, [milestone.action_id]).get(
        milestone.action_id, []))


def titles(session: Session, *, by: Principal) -> dict[str, str]:
    return plan_roles.role_titles(partnerships.current(session, by=by))


def add(session: Session, action_id: int, data: MilestoneCreate, *, by: Principal) -> MilestoneView:
    """A milestone of an action (officers and write tokens)."""
    node = plan_items.get_action(session, action_id, by=by)
    action_plans.hold(session, node.action.plan_id)
    permissions.require_plan_editor(by)
    milestone = PlanMilestone(plan_id=node.action.plan_id, action_id=action_id, description=data.description,
                              due_on=data.due_on, status=data.status.value, evidence=data.evidence,
                              evidence_links=list(data.evidence_links), updated_by=by.label)
    session.add(milestone)
    session.flush()
    return MilestoneView(milestone, node.action.priority_id, node.priority_number, node.action.number, node.leads)


def update(session: Session, milestone_id: int, data: MilestoneUpdate, *, if_match: str | None,
           by: Principal) -> MilestoneView:
    """Change a milestone. Officers and write tokens change anything; a holder of one of the
    action's lead role codes its status and evidence only (403 for the rest, and for others)."""
    view = get(session, milestone_id, by=by)
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    if not permissions.manages(by):
        permissions.require_milestone_update(by, frozenset(view.leads), plan_roles.held_codes(session, by))
        officers_only = sorted(set(changes) - HOLDER_FIELDS)
        if officers_only:
            raise Forbidden(f"only an officer can change a milestone's {' or '.join(officers_only)}; "
                            "as a lead you may change its status, evidence and evidence links")
    milestone = view.milestone
    require_match(if_match, milestone.version, what="milestone")
    nulled = [name for name in NOT_NULL if name in changes and changes[name] is None]
    if nulled:
        raise ValidationFailed([FieldError(name, "cannot be empty") for name in nulled])
    for name, value in changes.items():
        if name == "evidence_links":
            value = list(value)
        setattr(milestone, name, value.value if hasattr(value, "value") else value)
    if session.is_modified(milestone):
        milestone.touch(by.label)
        concurrency.flush(session, what="milestone")
    return view


def _filtered(stmt, plan_id: int, filters: MilestoneFilters, today: date):  # noqa: ANN001, ANN202
    stmt = stmt.where(PlanMilestone.plan_id == plan_id)
    if filters.status:
        stmt = stmt.where(PlanMilestone.status.in_(filters.status))
    if filters.overdue is not None:
        stmt = stmt.where(overdue_condition(today, overdue=filters.overdue))
    if filters.lead is not None:
        stmt = stmt.where(PlanMilestone.action_id.in_(
            select(PlanActionLead.action_id).where(PlanActionLead.code == filters.lead,
                                                   PlanActionLead.plan_id == plan_id)))
    if filters.due_before is not None:
        stmt = stmt.where(PlanMilestone.due_on < filters.due_before)
    if filters.due_after is not None:
        stmt = stmt.where(PlanMilestone.due_on > filters.due_after)
    return stmt


def page(session: Session, plan_id: int, filters: MilestoneFilters, *, limit: int = DEFAULT_LIMIT,
         cursor: str | None = None, by: Principal, today: date | None = None) -> MilestonePageResult:
    """A page of a plan's milestones in the order they were added (five queries at most)."""
    bind(session, by)
    by.require_read()
    today = today or date.today()
    limit = clamp_limit(limit)
    if session.scalar(select(ActionPlan.id).where(ActionPlan.id == plan_id)) is None:
        raise NotFound(f"no action plan {plan_id} in this partnership")
    known = titles(session, by=by)
    if filters.lead is not None and filters.lead not in known:
        raise ValidationFailed([FieldError("lead", f"{filters.lead!r} is not a lead role of this partnership; "
                                                   f"use one of: {', '.join(known)}", "query")])
    after = decode_cursor(cursor, SORT, int) if cursor else None
    total = session.scalar(_filtered(select(func.count(PlanMilestone.id)), plan_id, filters, today)) or 0
    rows = session.execute(apply_keyset(_filtered(_placed(), plan_id, filters, today),
                                        SortKey(SORT, PlanMilestone.id, False, int), PlanMilestone.id, after)
                           .limit(limit + 1)).all() if total else []
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(SORT, last.id, last.id)
    rows = rows[:limit]
    leads = _leads(session, plan_id, [row[0].action_id for row in rows])
    views = [MilestoneView(*row, leads=leads.get(row[0].action_id, [])) for row in rows]
    return MilestonePageResult(views, total, limit, next_cursor, known)
