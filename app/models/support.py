"""School-to-school support deployments (seed 000, Portsmouth's review of 2017/18): who supports
whom, how many days, why, what came of it; and the brokering steps of a support case as the
national RISE programme's targeted-support records follow them (2025).

A deployment belongs to the academic year of its start (or the year it was recorded for); the
year-end review report (app.services.reports) counts deployments by outcome, by the supported
school's type and by kind of support."""

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field

from app.models.base import TenantScoped, Versioned


class ProviderKind(StrEnum):
    sle = "sle"  # specialist leader of education
    lle = "lle"  # local leader of education
    nle = "nle"  # national leader of education
    nlg = "nlg"  # national leader of governance
    partner_school = "partner_school"
    adviser = "adviser"
    peer_review = "peer_review"  # e.g. a Challenge Partners review
    funded_bid = "funded_bid"  # e.g. "Challenge the Gap", the SEN review bid


PROVIDER_KIND_WORDS = {
    "sle": "Specialist leader of education (SLE)",
    "lle": "Local leader of education (LLE)",
    "nle": "National leader of education (NLE)",
    "nlg": "National leader of governance (NLG)",
    "partner_school": "Partner school",
    "adviser": "Adviser",
    "peer_review": "Peer review",
    "funded_bid": "Funded bid",
}


class SupportOutcome(StrEnum):
    green = "green"
    amber = "amber"
    red = "red"
    not_yet_completed = "not_yet_completed"


class SchoolResponse(StrEnum):
    accepted = "accepted"
    declined = "declined"


class OriginKind(StrEnum):
    triad_visit = "triad_visit"  # a triad visit's priorities for support
    clinic_action = "clinic_action"
    plan_action = "plan_action"


# The brokering steps, in the order their dates must run (each may be blank until it happens).
BROKERING_STEPS = (
    ("contacted_on", "Responsible body contacted"),
    ("responded_on", "School responded"),
    ("adviser_allocated_on", "Adviser allocated"),
    ("conflicts_checked_on", "Conflicts of interest checked"),
    ("adviser_visit_on", "Adviser visit"),
    ("matched_on", "Matched with a supporting organisation"),
    ("delivery_started_on", "Delivery started"),
    ("reviewed_on", "Reviewed"),
)


class SupportDeployment(TenantScoped, Versioned, table=True):
    __tablename__ = "support_deployment"
    __table_args__ = (
        Index("ix_support_deployment_partnership_year", "partnership_id", "academic_year", "id"),
        Index("ix_support_deployment_school", "partnership_id", "school_id", "id"),
        Index("ix_support_deployment_kind", "partnership_id", "provider_kind", "id"),
        Index("ix_support_deployment_outcome", "partnership_id", "outcome", "id"),
        CheckConstraint("days_planned >= 0", name="days_planned_not_negative"),
        CheckConstraint("days_delivered >= 0", name="days_delivered_not_negative"),
        CheckConstraint("cost_pence >= 0", name="cost_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")  # the school supported
    academic_year: str = Field(max_length=7)
    provider_kind: str = Field(max_length=20)
    provider_name: str | None = Field(default=None, max_length=200)
    provider_school_id: int | None = Field(default=None, foreign_key="school.id", ondelete="SET NULL")
    objective: str = Field(max_length=2000)
    # Days in halves at finest; more delivered than planned is allowed and shown as a warning.
    days_planned: float | None = None
    days_delivered: float | None = None
    start_on: date | None = None
    end_on: date | None = None
    funding_source: str | None = Field(default=None, max_length=200)
    cost_pence: int | None = None
    # Where the need came from (at most one of these, named by origin_kind).
    origin_kind: str | None = Field(default=None, max_length=20)
    origin_visit_id: int | None = Field(default=None, foreign_key="triad_visit.id", ondelete="SET NULL")
    origin_clinic_action_id: int | None = Field(default=None, foreign_key="clinic_action.id", ondelete="SET NULL")
    origin_plan_action_id: int | None = Field(default=None, foreign_key="plan_action.id", ondelete="SET NULL")
    outcome: str = Field(default=SupportOutcome.not_yet_completed.value, max_length=20)
    impact_note: str | None = Field(default=None, max_length=4000)
    # Brokering, step by step (BROKERING_STEPS gives the order the dates must keep).
    contacted_on: date | None = None
    school_response: str | None = Field(default=None, max_length=10)
    responded_on: date | None = None
    adviser_name: str | None = Field(default=None, max_length=200)
    adviser_allocated_on: date | None = None
    conflicts_checked_on: date | None = None
    conflict_note: str | None = Field(default=None, max_length=1000)
    adviser_visit_on: date | None = None
    matched_on: date | None = None
    supporting_organisation: str | None = Field(default=None, max_length=200)
    delivery_started_on: date | None = None
    reviewed_on: date | None = None
