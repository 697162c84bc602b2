"""Action plans: the partnership's improvement plan (seed 001) or a school's own (seed 002's Raising
Achievement Plan, for a school judged 3 or 4 at its review). Find, page, create, change and remove
plans; list the schools that need a plan of their own and have none active.

What is under a plan is in plan_tree.py (the tree read and its roll-ups), plan_items.py
(priorities, actions, success measures) and plan_milestones.py. Every member and read token reads
plans; officers and write tokens change them (app.services.permissions); another partnership's
plan is 404."""

from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlmodel import Session

from app.errors import BadRequest, FieldError, NotFound, ValidationFailed
from app.models.account import Membership, User
from app.models.action_plan import ActionPlan, PlanStatus
from app.models.action_plan_api import PlanCreate, PlanScope, PlanUpdate
from app.models.flag import ReviewJudgement
from app.models.partnership import Partnership
from app.models.school import School
from app.services import concurrency, partnerships, permissions
from app.services.concurrency import require_match
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind

DEFAULT_LIMIT = 50
SORT = "-id"  # newest first
STATUS_CHOICES = [s.value for s in PlanStatus]
NOT_NULL = ("title", "period_start", "period_end", "status")


@dataclass
class PlanView:
    """A plan with what is shown beside it: its owner's name and its school's URN and name."""

    plan: ActionPlan
    owner_name: str | None
    owner_urn: str | None
    owner_school_name: str | None
    partnership: Partnership | None = None

    @property
    def scope(self) -> str:
        return PlanScope.partnership.value if self.plan.school_id is None else PlanScope.school.value


@dataclass
class PlanFilters:
    status: list[str] = field(default_factory=list)
    urn: list[str] = field(default_factory=list)  # school plans of these schools
    scope: str | None = None  # partnership | school
    school_id: int | None = None  # one school's own plans (GET /schools/{urn}/action-plans)


@dataclass
class PlanPageResult:
    views: list[PlanView]
    total: int
    limit: int
    next_cursor: str | None


def _columns():  # noqa: ANN202
    return select(ActionPlan, User.name, School.urn, School.name) \
        .outerjoin(User, User.id == ActionPlan.owner_user_id) \
        .outerjoin(School, School.id == ActionPlan.school_id)


def get_view(session: Session, plan_id: int, *, by: Principal) -> PlanView:
    """A plan of the caller's partnership with its owner and school (two queries), or 404."""
    bind(session, by)
    by.require_read()
    row = session.execute(_columns().where(ActionPlan.id == plan_id)).first()
    if row is None:
        raise NotFound(f"no action plan {plan_id} in this partnership")
    return PlanView(*row, partnership=partnerships.current(session, by=by))


def hold(session: Session, plan_id: int) -> None:
    """Lock the plan's row until the transaction ends, before anything is added under it or
    renumbered: on PostgreSQL two clients adding the next priority (or action) then take turns, and
    the second sees the first's number. SQLite's writers already take turns."""
    found = session.scalar(select(ActionPlan.id).where(ActionPlan.id == plan_id).with_for_update())
    if found is None:
        raise NotFound(f"no action plan {plan_id} in this partnership")


# --- reading ------------------------------------------------------------------------------------


def _check_filters(filters: PlanFilters) -> None:
    bad = [s for s in filters.status if s not in STATUS_CHOICES]
    if bad:
        message = f"unknown status {bad[0]!r}; use one of: {', '.join(STATUS_CHOICES)}"
        raise BadRequest(message, errors=[FieldError("status", message, "query")])
    if filters.scope is not None and filters.scope not in {s.value for s in PlanScope}:
        message = "scope is partnership or school"
        raise BadRequest(message, errors=[FieldError("scope", message, "query")])


def _filtered(stmt, filters: PlanFilters):  # noqa: ANN001, ANN202
    if filters.status:
        stmt = stmt.where(ActionPlan.status.in_(filters.status))
    if filters.scope == PlanScope.partnership.value:
        stmt = stmt.where(ActionPlan.school_id.is_(None))
    elif filters.scope == PlanScope.school.value:
        stmt = stmt.where(ActionPlan.school_id.is_not(None))
    if filters.urn:
        stmt = stmt.where(ActionPlan.school_id.in_(select(School.id).where(School.urn.in_(filters.urn))))
    if filters.school_id is not None:
        stmt = stmt.where(ActionPlan.school_id == filters.school_id)
    return stmt


def page(session: Session, filters: PlanFilters, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
         by: Principal) -> PlanPageResult:
    """A page of the partnership's plans, newest first (two queries)."""
    bind(session, by)
    by.require_read()
    _check_filters(filters)
    limit = clamp_limit(limit)
    key = SortKey(SORT, ActionPlan.id, True, int)
    after = decode_cursor(cursor, SORT, int) if cursor else None
    total = session.scalar(_filtered(select(func.count(ActionPlan.id)), filters)) or 0
    rows = session.execute(apply_keyset(_filtered(_columns(), filters), key, ActionPlan.id, after)
                           .limit(limit + 1)).all() if total else []
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(SORT, last.id, last.id)
    return PlanPageResult([PlanView(*row) for row in rows[:limit]], total, limit, next_cursor)


# --- writing ------------------------------------------------------------------------------------


def _owner(session: Session, user_id: int) -> str:
    """The name of a member of this partnership (422 naming owner_user_id otherwise)."""
    name = session.scalar(select(User.name).where(User.id == user_id, exists().where(
        Membership.user_id == User.id)))
    if name is None:
        raise ValidationFailed([FieldError("owner_user_id", f"no member {user_id} in this partnership")])
    return name


def _school(session: Session, urn: str) -> School:
    school = session.scalars(select(School).where(School.urn == urn)).first()
    if school is None:
        raise ValidationFailed([FieldError("owner_urn", f"no school with URN {urn} in this partnership")])
    return school


def _check_period(plan: ActionPlan) -> None:
    if plan.period_end < plan.period_start:
        raise ValidationFailed([FieldError("period_end", "the plan cannot end before it starts")])


def create(session: Session, data: PlanCreate, *, by: Principal) -> PlanView:
    """A new plan: the partnership's, or a school's own (`owner_urn`)."""
    bind(session, by)
    permissions.require_plan_editor(by)
    owner_id = data.owner_user_id if data.owner_user_id is not None else by.user_id
    owner_name = _owner(session, owner_id) if owner_id is not None else None
    school = _school(session, data.owner_urn) if data.owner_urn else None
    plan = ActionPlan(title=data.title, period_start=data.period_start, period_end=data.period_end,
                      owner_user_id=owner_id, school_id=school.id if school else None, status=data.status.value,
                      updated_by=by.label)
    _check_period(plan)
    session.add(plan)
    session.flush()
    return PlanView(plan, owner_name, school.urn if school else None, school.name if school else None)


def update(session: Session, plan_id: int, data: PlanUpdate, *, if_match: str | None, by: Principal) -> PlanView:
    """Change some of a plan's fields (its ETag in If-Match)."""
    view = get_view(session, plan_id, by=by)
    permissions.require_plan_editor(by)
    plan = view.plan
    require_match(if_match, plan.version, what="action plan")
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    nulled = [name for name in NOT_NULL if name in changes and changes[name] is None]
    if nulled:
        raise ValidationFailed([FieldError(name, "cannot be empty") for name in nulled])
    if "owner_user_id" in changes:
        owner_id = changes.pop("owner_user_id")
        view.owner_name = _owner(session, owner_id) if owner_id is not None else None
        plan.owner_user_id = owner_id
    if "owner_urn" in changes:
        urn = changes.pop("owner_urn")
        school = _school(session, urn) if urn else None
        plan.school_id = school.id if school else None
        view.owner_urn, view.owner_school_name = (school.urn, school.name) if school else (None, None)
    for name, value in changes.items():
        setattr(plan, name, value.value if hasattr(value, "value") else value)
    _check_period(plan)
    if session.is_modified(plan):
        plan.touch(by.label)
        concurrency.flush(session, what="action plan")
    return view


def delete(session: Session, plan_id: int, *, if_match: str | None, by: Principal) -> None:
    """Remove a plan and everything under it (its ETag in If-Match)."""
    view = get_view(session, plan_id, by=by)
    permissions.require_plan_editor(by)
    require_match(if_match, view.plan.version, what="action plan")
    session.delete(view.plan)
    concurrency.flush(session, what="action plan")


# --- schools that need a plan -----------------------------------------------------------------


@dataclass(frozen=True)
class SchoolNeedingPlan:
    school_id: int
    urn: str
    name: str
    academic_year: str  # of the review that judged it
    worst_grade: int


def schools_needing_plan(session: Session, *, by: Principal) -> list[SchoolNeedingPlan]:
    """Schools judged 3 or 4 on any strand at their latest review (the rule of the
    no_improvement_plan flag: flag_checks_context.needs_plan) with no active plan of their own, by
    name. One query: the judgements graded 3 or 4 with no later year for the school, less the
    schools with an active plan."""
    bind(session, by)
    by.require_read()
    # A Core alias, so that the later year is sought through the (school_id, academic_year, strand)
    # key alone: the school is the partnership's already, and the ORM's tenant condition on an
    # entity alias let SQLite read every later judgement of the partnership for each candidate.
    later = ReviewJudgement.__table__.alias("later")
    stmt = (
        select(School.id, School.urn, School.name, ReviewJudgement.academic_year,
               func.max(ReviewJudgement.partner_grade))
        .join(School, School.id == ReviewJudgement.school_id)
        .where(ReviewJudgement.partner_grade >= 3,
               ~exists().where(later.c.school_id == ReviewJudgement.school_id,
                               later.c.academic_year > ReviewJudgement.academic_year),
               ~exists().where(ActionPlan.school_id == ReviewJudgement.school_id,
                               ActionPlan.status == PlanStatus.active.value))
        .group_by(School.id, School.urn, School.name, ReviewJudgement.academic_year)
        .order_by(School.name, School.id)
    )
    return [SchoolNeedingPlan(*row) for row in session.execute(stmt)]
