"""Action plans (seed 001, Portsmouth 2016; seed 002, Southend's Raising Achievement Plan):
priorities -> actions -> milestones, with success measures.

A plan belongs to the partnership, or to one school (`school_id`). Priorities are numbered within
their plan, actions within their priority (shown 1.1, 1.2 ...). An action is led by one or more of
the partnership's lead role codes (Partnership.plan_roles, e.g. DCS, HSI), one row each in
plan_action_lead, so "the milestones I lead" is an indexed read; people hold codes through
plan_role_holder. Milestones carry a RAG status and evidence; whether one is overdue, and every
roll-up of a priority or a plan, is worked out when read, never stored.

`plan_id` is copied onto actions and milestones (and checked by the service), so a plan's whole
tree, or its milestones list, is one indexed read per table."""

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field

from app.models.base import TenantScoped, Versioned


class PlanStatus(StrEnum):
    draft = "draft"
    active = "active"
    closed = "closed"


class MilestoneStatus(StrEnum):
    """In order from best to worst for the roll-up's "worst status" (complete is best)."""

    complete = "complete"
    not_started = "not_started"
    on_track = "on_track"  # green
    at_risk = "at_risk"  # amber
    off_track = "off_track"  # red


# How bad each status is, for "worst status" in a roll-up (higher is worse). Not started is better
# than on track only in the sense that nothing has gone wrong yet; at risk and off track dominate.
MILESTONE_SEVERITY = {
    MilestoneStatus.complete.value: 0,
    MilestoneStatus.on_track.value: 1,
    MilestoneStatus.not_started.value: 2,
    MilestoneStatus.at_risk.value: 3,
    MilestoneStatus.off_track.value: 4,
}

# Seed 001's glossary of lead responsibilities: the default for a new partnership, theirs to edit.
DEFAULT_PLAN_ROLES = [
    {"code": "DCS", "title": "Director of Children's Services"},
    {"code": "DDCS", "title": "Deputy Director of Children's Services - Education"},
    {"code": "HSI", "title": "Head of School Improvement"},
    {"code": "HI", "title": "Head of Inclusion"},
    {"code": "SIO", "title": "School Improvement Officers"},
    {"code": "SIM", "title": "Strategic Information Manager"},
    {"code": "CM", "title": "Cabinet Member for Education"},
]
# The areas for improvement a priority answers (from the last inspection of the LA's arrangements,
# or the partnership's own review); the partnership's to edit.
DEFAULT_IMPROVEMENT_AREAS = [
    "Outcomes for disadvantaged pupils",
    "Progress at key stage 2",
    "Progress at key stage 4",
    "Leadership and governance",
    "Attendance and exclusions",
    "Use of data to target support",
]


class ActionPlan(TenantScoped, Versioned, table=True):
    __tablename__ = "action_plan"
    __table_args__ = (
        Index("ix_action_plan_partnership_status", "partnership_id", "status", "id"),
        Index("ix_action_plan_school", "partnership_id", "school_id"),
        CheckConstraint("period_end >= period_start", name="period_in_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    # The plan's period, in whole months: stored as the first day of each month.
    period_start: date
    period_end: date
    owner_user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    # A school's own plan (seed 002's Raising Achievement Plan); null for the partnership's plan.
    school_id: int | None = Field(default=None, foreign_key="school.id", ondelete="CASCADE")
    status: str = Field(default=PlanStatus.draft.value, max_length=10)


class PlanPriority(TenantScoped, Versioned, table=True):
    __tablename__ = "plan_priority"
    __table_args__ = (UniqueConstraint("plan_id", "number"),
                      Index("ix_plan_priority_partnership_plan", "partnership_id", "plan_id", "number"))
    __audit_parent__ = ("action_plan", "plan_id")

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", ondelete="CASCADE")
    number: int
    title: str = Field(max_length=500)
    # "What success will look like": a list of statements.
    success_criteria: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The areas for improvement it answers (Partnership.improvement_areas).
    areas: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class PlanAction(TenantScoped, Versioned, table=True):
    __tablename__ = "plan_action"
    __table_args__ = (UniqueConstraint("priority_id", "number"),
                      Index("ix_plan_action_partnership_plan", "partnership_id", "plan_id", "priority_id"),
                      Index("ix_plan_action_priority", "priority_id"))
    __audit_parent__ = ("action_plan", "plan_id")

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", ondelete="CASCADE")
    priority_id: int = Field(foreign_key="plan_priority.id", ondelete="CASCADE")
    number: int  # within its priority: action 3 of priority 2 is shown "2.3"
    description: str = Field(max_length=4000)
    time_frame: str | None = Field(default=None, max_length=200)  # in words: "From Sept 2016", "Termly"
    start_on: date | None = None
    end_on: date | None = None


class PlanActionLead(TenantScoped, table=True):
    """One of an action's lead role codes (an action may have several: "DCS / DDCS")."""

    __tablename__ = "plan_action_lead"
    __table_args__ = (UniqueConstraint("action_id", "code"),
                      Index("ix_plan_action_lead_code", "partnership_id", "code", "action_id"),
                      Index("ix_plan_action_lead_plan", "partnership_id", "plan_id"))

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", ondelete="CASCADE")
    action_id: int = Field(foreign_key="plan_action.id", ondelete="CASCADE")
    code: str = Field(max_length=20)
    position: int = 0  # the order the codes were given in


class PlanMilestone(TenantScoped, Versioned, table=True):
    __tablename__ = "plan_milestone"
    __table_args__ = (
        # A plan's milestones list, in plan order (its action, then its own id) or by due date.
        Index("ix_plan_milestone_partnership_plan", "partnership_id", "plan_id", "id"),
        Index("ix_plan_milestone_plan_due", "partnership_id", "plan_id", "due_on", "id"),
        Index("ix_plan_milestone_action", "action_id"),
        # What a person leads (/my-milestones): from their codes' actions, everything the page
        # chooses by (not complete, the plan, the due date) in the index. Led by the action, so
        # that a read of a plan's milestones never takes it for a partnership index that covers.
        Index("ix_plan_milestone_lead", "action_id", "partnership_id", "status", "due_on", "plan_id", "id"),
    )
    __audit_parent__ = ("action_plan", "plan_id")

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", ondelete="CASCADE")
    action_id: int = Field(foreign_key="plan_action.id", ondelete="CASCADE")
    description: str = Field(max_length=1000)
    due_on: date | None = None  # none: ongoing
    status: str = Field(default=MilestoneStatus.not_started.value, max_length=20)
    evidence: str | None = Field(default=None, max_length=4000)
    evidence_links: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class SuccessMeasure(TenantScoped, Versioned, table=True):
    """A measurable target of the plan or one of its priorities: "KS2 indicators in the top 50% of
    LAs by Sept 2018", with its baseline and the latest value."""

    __tablename__ = "plan_success_measure"
    __table_args__ = (Index("ix_plan_success_measure_partnership_plan", "partnership_id", "plan_id", "id"),)
    __audit_parent__ = ("action_plan", "plan_id")

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", ondelete="CASCADE")
    priority_id: int | None = Field(default=None, foreign_key="plan_priority.id", ondelete="CASCADE")
    measure: str = Field(max_length=500)
    baseline: str | None = Field(default=None, max_length=200)
    target: str | None = Field(default=None, max_length=200)
    target_on: date | None = None
    latest_value: str | None = Field(default=None, max_length=200)
    latest_on: date | None = None


class PlanRoleHolder(TenantScoped, table=True):
    """A member who holds one of the partnership's lead role codes: they update the status and
    evidence of the milestones of the actions that code leads."""

    __tablename__ = "plan_role_holder"
    __table_args__ = (UniqueConstraint("partnership_id", "user_id", "code"),
                      Index("ix_plan_role_holder_code", "partnership_id", "code"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    code: str = Field(max_length=20)


def plan_roles_default() -> list[dict[str, Any]]:
    return [dict(role) for role in DEFAULT_PLAN_ROLES]
