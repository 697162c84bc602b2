"""Collaboratives and triads: phase groups of schools, led by a lead headteacher, and the groups
of three (occasionally two or four) whose heads review each other, each for one academic year."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field as PydanticField
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from app.models.base import TenantScoped, Versioned
from app.models.types import AcademicYear, Int, text

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
    __table_args__ = (UniqueConstraint("school_id", "academic_year"),)

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
    __table_args__ = (UniqueConstraint("school_id", "academic_year"),)

    id: int | None = Field(default=None, primary_key=True)
    triad_id: int = Field(foreign_key="triad.id", index=True, ondelete="CASCADE")
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")
    academic_year: str = Field(max_length=7)
