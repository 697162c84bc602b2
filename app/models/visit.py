"""Visit records: a triad's peer review, a support partner's visit, a governing body's peer
review. One record, one workflow (draft -> submitted -> signed off, reopened back to submitted
with a reason), one audit trail, for all three kinds."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from app.models.base import TenantScoped, UTCDateTime, Versioned


class VisitKind(StrEnum):
    triad_review = "triad_review"
    support_partner = "support_partner"
    governance_review = "governance_review"


class VisitStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    signed_off = "signed_off"


class ActionStatus(StrEnum):
    open = "open"
    done = "done"
    dropped = "dropped"


# A governing-body peer review looks at governance unless it says otherwise; the other kinds start
# from the partnership's focus areas (Partnership.focus_areas).
GOVERNANCE_FOCUS_AREAS = ["governance"]


class TriadVisit(TenantScoped, Versioned, table=True):
    __tablename__ = "triad_visit"
    __table_args__ = (
        Index("ix_triad_visit_partnership_year", "partnership_id", "academic_year", "id"),
        Index("ix_triad_visit_school", "school_id", "visit_date"),
        Index("ix_triad_visit_triad", "triad_id", "visit_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    triad_id: int | None = Field(default=None, foreign_key="triad.id", ondelete="CASCADE")
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")  # the host
    visit_date: date
    academic_year: str = Field(max_length=7)  # of the visit date, for lists by year
    # [{"name": "...", "urn": "123456" | null}]
    visiting_heads: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [{"area": "reading", "self_evaluation": "...", "peer_view": "..."}]
    focus_areas: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    strengths: str | None = Field(default=None, max_length=4000)
    areas_for_development: str | None = Field(default=None, max_length=4000)
    priorities_for_support: str | None = Field(default=None, max_length=4000)
    grade: int | None = None
    status: str = Field(default=VisitStatus.draft.value, max_length=20)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_off_by: str | None = Field(default=None, max_length=200)
    reopen_reason: str | None = Field(default=None, max_length=500)


class VisitAction(TenantScoped, Versioned, table=True):
    """An action agreed at a visit: what, who, by when, and whether it was done."""

    __tablename__ = "visit_action"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="triad_visit.id", index=True, ondelete="CASCADE")
    text: str = Field(max_length=1000)
    owner: str | None = Field(default=None, max_length=200)
    due_on: date | None = None
    status: str = Field(default=ActionStatus.open.value, max_length=10)
