"""Indicators: dated figures per school (measure, academic year, value, source)."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PydanticField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import TenantScoped, Versioned
from app.models.types import AcademicYear, Number, RecordedDate, described, text

Measure = Annotated[str, StringConstraints(pattern=described(
    r"^[a-z][a-z0-9_]{1,59}$", "2 to 60 lower-case letters, digits and underscores, starting with a letter"))]
Source = text(100, blank=False)
# A figure a school could have: a budget runs to millions of pounds; nothing to a trillion.
Figure = Annotated[Number, PydanticField(ge=-1e12, le=1e12)]

# Measures the red-flag rules will read. Others are accepted and kept.
KNOWN_MEASURES = (
    "attainment",
    "progress",
    "absence",
    "persistent_absence",
    "exclusions",
    "budget_balance",
    "governor_vacancies",
    "roll",
    # Read by the red-flag rules of issue 8 (docs/api.md, Indicators, says what each holds).
    "exclusions_per_100",
    "acting_head",
    "senior_staff_changes",
    "building_condition",
    "warning_notice",
    "ieb",
)


class Indicator(TenantScoped, Versioned, table=True):
    __table_args__ = (UniqueConstraint("school_id", "measure", "academic_year", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True, ondelete="CASCADE")
    measure: str = Field(max_length=60, index=True)
    academic_year: str = Field(max_length=7)
    value: float
    source: str = Field(max_length=100)
    recorded_on: date


class IndicatorCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")

    measure: Measure
    academic_year: AcademicYear
    value: Figure
    source: Source
    recorded_on: RecordedDate | None = Field(default=None, description="Defaults to today.")


class IndicatorUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")

    value: Figure | None = None
    recorded_on: RecordedDate | None = None


class IndicatorPublic(BaseModel):
    id: int
    measure: str
    academic_year: str
    value: float
    source: str
    recorded_on: date
    version: int
