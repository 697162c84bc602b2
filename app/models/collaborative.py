"""Collaboratives and triads: phase groups of schools, led by a lead headteacher, and the groups
of three (occasionally two or four) whose heads review each other, each for one academic year."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from app.models.base import TenantScoped, Versioned
from app.models.school import URN
from app.models.types import MAX_ID, AcademicYear, Int, text

Name = text(200, blank=False)
Reason = text(500)
# Whole pounds: a collaborative's budget is thousands, and pence would only be noise.
Pounds = Annotated[Int, PydanticField(ge=0, le=100_000_000)]


class CollaborativePhase(StrEnum):
    primary = "primary"
    secondary = "secondary"
    special = "special"
    mixed = "mixed"


class CollaborativeBase(SQLModel):
    name: Name = Field(max_length=200)
    phase: CollaborativePhase = Field(sa_type=AutoString(length=20))
    academic_year: AcademicYear = Field(max_length=7)
    lead_user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    budget_pounds: Pounds | None = None
    # Why a lead whose school is below good leads anyway (the lead check asks for it).
    lead_override_reason: Reason | None = Field(default=None, max_length=500)


class Collaborative(CollaborativeBase, TenantScoped, Versioned, table=True):
    __table_args__ = (
        UniqueConstraint("partnership_id", "academic_year", "name"),
        Index("ix_collaborative_partnership_year", "partnership_id", "academic_year", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)


class CollaborativeSchool(TenantScoped, table=True):
    """A school's place in a collaborative. The year is copied here so that the database itself
    keeps a school to one collaborative a year."""

    __tablename__ = "collaborative_school"
    __table_args__ = (UniqueConstraint("school_id", "academic_year"),
                      # A page of collaboratives finds its schools by these, with the tenant's partnership.
                      Index("ix_collaborative_school_member", "partnership_id", "collaborative_id"))

    id: int | None = Field(default=None, primary_key=True)
    collaborative_id: int = Field(foreign_key="collaborative.id", index=True, ondelete="CASCADE")
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")
    academic_year: str = Field(max_length=7)


class Triad(TenantScoped, Versioned, table=True):
    __table_args__ = (
        UniqueConstraint("collaborative_id", "name"),
        Index("ix_triad_partnership_year", "partnership_id", "academic_year", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    collaborative_id: int = Field(foreign_key="collaborative.id", index=True, ondelete="CASCADE")
    academic_year: str = Field(max_length=7)


class TriadSchool(TenantScoped, table=True):
    """A school's place in a triad; at most one triad a year (the year is copied, as above)."""

    __tablename__ = "triad_school"
    __table_args__ = (UniqueConstraint("school_id", "academic_year"),
                      Index("ix_triad_school_member", "partnership_id", "triad_id"))

    id: int | None = Field(default=None, primary_key=True)
    triad_id: int = Field(foreign_key="triad.id", index=True, ondelete="CASCADE")
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")
    academic_year: str = Field(max_length=7)


# --- what the API reads and answers -------------------------------------------------------------
# Schools are named by URN in bodies; answers name them by URN and name. The answers are plain
# pydantic models, as SchoolPublic is (SQLModel's __init__ per row costs a list page dearly).

Id = Annotated[Int, PydanticField(ge=1, le=MAX_ID)]
# A collaborative has 4-11 schools in the seeds; 200 leaves room for a whole-phase one.
CollaborativeSchools = Annotated[list[URN], PydanticField(max_length=200)]
TriadSchools = Annotated[list[URN], PydanticField(min_length=2, max_length=4)]


class CollaborativeCreate(CollaborativeBase):
    model_config = ConfigDict(extra="forbid")

    lead_user_id: Id | None = None
    schools: CollaborativeSchools = PydanticField(default_factory=list)


class CollaborativeUpdate(SQLModel):
    """A partial update: only the fields sent change. `schools` replaces the member list. The
    academic year never changes (roll a collaborative forward instead)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    phase: CollaborativePhase | None = None
    lead_user_id: Id | None = None
    budget_pounds: Pounds | None = None
    lead_override_reason: Reason | None = None
    schools: CollaborativeSchools | None = None


class RollForward(SQLModel):
    """Optional: why the lead leads on although their school is below good (else the old reason)."""

    model_config = ConfigDict(extra="forbid")

    lead_override_reason: Reason | None = None


class TriadCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    collaborative_id: Id
    academic_year: AcademicYear | None = PydanticField(
        default=None, description="The collaborative's year; may be left out.")
    schools: TriadSchools


class TriadUpdate(SQLModel):
    """A partial update: `schools` replaces the members. A triad stays in its collaborative."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    schools: TriadSchools | None = None


class ProposedTriadIn(SQLModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    schools: TriadSchools


class ProposalAccept(SQLModel):
    """The triads to create, all or none: a proposal's `accept`, as proposed or edited."""

    model_config = ConfigDict(extra="forbid")

    triads: Annotated[list[ProposedTriadIn], PydanticField(min_length=1, max_length=100)]


class SchoolRef(BaseModel):
    urn: str
    name: str


class CollaborativePublic(BaseModel):
    id: int
    name: str
    phase: CollaborativePhase
    academic_year: str
    lead_user_id: int | None
    lead_name: str | None
    budget_pounds: int | None
    lead_override_reason: str | None
    schools: list[SchoolRef]
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


class CollaborativePage(BaseModel):
    items: list[CollaborativePublic]
    total: int
    limit: int
    next_cursor: str | None


class TriadPublic(BaseModel):
    id: int
    name: str
    collaborative_id: int
    academic_year: str
    schools: list[SchoolRef]
    warnings: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


class TriadPage(BaseModel):
    items: list[TriadPublic]
    total: int
    limit: int
    next_cursor: str | None


class TriadBatch(BaseModel):
    items: list[TriadPublic]


class RollForwardPublic(BaseModel):
    collaborative: CollaborativePublic
    triads: list[TriadPublic]
    warnings: list[str]


class ProposedSchool(BaseModel):
    urn: str
    name: str
    latest_headline: str | None
    standing: str
    fsm_percent: float | None
    pupils: int | None


class ProposedTriad(BaseModel):
    name: str
    schools: list[ProposedSchool]
    pairs_repeated: int
    has_good_or_better: bool
    score: float
    explanation: str


class ProposalPublic(BaseModel):
    collaborative_id: int
    academic_year: str
    triads: list[ProposedTriad]
    unplaced: list[str]
    already_in_triads: list[str]
    score: float
    explanation: str
    warnings: list[str]
    # The body to POST to .../triad-proposals/accept (as it is, or edited); null with nothing to propose.
    accept: ProposalAccept | None
