"""Visit records: a triad's peer review, a support partner's visit, a governing body's peer
review. One record, one workflow (draft -> submitted -> signed off, reopened back to submitted
with a reason), one audit trail, for all three kinds."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from app.models.base import TenantScoped, UTCDateTime, Versioned
from app.models.school import URN
from app.models.types import ActionDueDate, Int, VisitDate, text


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
        # The list of visits, newest first, is read in this index's order (and a year is a range of it).
        Index("ix_triad_visit_partnership_date", "partnership_id", "visit_date", "id"),
        Index("ix_triad_visit_school", "school_id", "visit_date"),
        Index("ix_triad_visit_triad", "partnership_id", "triad_id", "visit_date"),
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
    # A page of visits finds its actions by this, with the tenant's partnership.
    __table_args__ = (Index("ix_visit_action_partnership_visit", "partnership_id", "visit_id"),)
    # Its audit events belong to its visit's history too (app.services.audit).
    __audit_parent__ = ("triad_visit", "visit_id")

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="triad_visit.id", index=True, ondelete="CASCADE")
    text: str = Field(max_length=1000)
    owner: str | None = Field(default=None, max_length=200)
    due_on: date | None = None
    status: str = Field(default=ActionStatus.open.value, max_length=10)


# --- The API's shapes -------------------------------------------------------------------------------
# Input models refuse unknown fields; what the API answers are plain pydantic models (see SchoolPublic).

class SchoolVisitKind(StrEnum):
    """The kinds of visit that are not a triad's (POST /schools/{urn}/visits)."""

    support_partner = "support_partner"
    governance_review = "governance_review"


HeadName = text(200, blank=False)
AreaName = text(100, blank=False)
Finding = text(4000)
Reason = text(500, blank=False)
ActionText = text(1000, blank=False)
Owner = text(200)
# The partnership's scale decides the top grade (one per label in Partnership.grade_labels); the
# schema's bound only keeps the number sane.
Grade = Annotated[Int, PydanticField(ge=1, le=20, description="1 is best; at most the number of the "
                                                             "partnership's grade labels")]
MAX_HEADS, MAX_AREAS = 12, 30


class VisitingHead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: HeadName
    urn: URN | None = PydanticField(default=None, description="Their school, if it is in the partnership")


class FocusArea(BaseModel):
    """One focus area: the host's self-evaluation and the visiting heads' view side by side."""

    model_config = ConfigDict(extra="forbid")

    area: AreaName = PydanticField(description="One of the partnership's focus areas")
    self_evaluation: Finding | None = None
    peer_view: Finding | None = None


class VisitFields(BaseModel):
    """What people write in a visit record, whichever the kind."""

    model_config = ConfigDict(extra="forbid")

    visit_date: VisitDate
    visiting_heads: list[VisitingHead] = PydanticField(default_factory=list, max_length=MAX_HEADS)
    focus_areas: list[FocusArea] | None = PydanticField(
        default=None, max_length=MAX_AREAS,
        description="Defaults to governance for a governing-body review, to none for the other kinds")
    strengths: Finding | None = None
    areas_for_development: Finding | None = None
    priorities_for_support: Finding | None = None
    grade: Grade | None = None


class TriadVisitCreate(VisitFields):
    urn: URN = PydanticField(description="The host school, a member of the triad")


class SchoolVisitCreate(VisitFields):
    kind: SchoolVisitKind


class VisitUpdate(BaseModel):
    """Only the fields sent change. `status` moves the record through its workflow, on its own
    (with `reason` to reopen a signed-off record); it cannot be combined with other changes."""

    model_config = ConfigDict(extra="forbid")

    visit_date: VisitDate | None = None
    visiting_heads: list[VisitingHead] | None = PydanticField(default=None, max_length=MAX_HEADS)
    focus_areas: list[FocusArea] | None = PydanticField(default=None, max_length=MAX_AREAS)
    strengths: Finding | None = None
    areas_for_development: Finding | None = None
    priorities_for_support: Finding | None = None
    grade: Grade | None = None
    status: VisitStatus | None = None
    reason: Reason | None = PydanticField(default=None, description="Why a signed-off record is reopened")


class VisitActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: ActionText
    owner: Owner | None = None
    due_on: ActionDueDate | None = None
    status: ActionStatus = ActionStatus.open


class VisitActionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: ActionText | None = None
    owner: Owner | None = None
    due_on: ActionDueDate | None = None
    status: ActionStatus | None = None


class VisitingHeadPublic(BaseModel):
    name: str
    urn: str | None = None


class FocusAreaPublic(BaseModel):
    area: str
    self_evaluation: str | None = None
    peer_view: str | None = None


class VisitActionPublic(BaseModel):
    id: int
    visit_id: int
    text: str
    owner: str | None
    due_on: date | None
    status: ActionStatus
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


class VisitPublic(BaseModel):
    id: int
    kind: VisitKind
    triad_id: int | None
    urn: str = PydanticField(description="The host school")
    school_name: str
    visit_date: date
    academic_year: str
    visiting_heads: list[VisitingHeadPublic]
    focus_areas: list[FocusAreaPublic]
    strengths: str | None
    areas_for_development: str | None
    priorities_for_support: str | None
    grade: int | None
    grade_label: str | None = PydanticField(description="The grade in the partnership's words")
    status: VisitStatus
    submitted_at: datetime | None
    signed_off_at: datetime | None
    signed_off_by: str | None
    reopen_reason: str | None
    actions: list[VisitActionPublic]
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


class VisitPage(BaseModel):
    items: list[VisitPublic]
    total: int
    limit: int
    next_cursor: str | None
