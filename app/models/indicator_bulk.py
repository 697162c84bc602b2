"""The shapes of figures loaded in bulk: POST /api/v1/indicators/bulk (a school's figure or a national
one per item) and GET /api/v1/national-figures. The tables are Indicator (app.models.indicator) and
NationalFigure (app.models.flag)."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.models.indicator import Figure, Measure, Source
from app.models.school import URN
from app.models.types import AcademicYear, Bool, RecordedDate

MAX_ITEMS = 5000


class IndicatorItem(BaseModel):
    """One figure: a school's (`urn`) or a national one (`"national": true`, no `urn`)."""

    model_config = ConfigDict(extra="forbid")

    # Declared before `urn`, so that the check of `urn` can read it (fields validate in this order).
    national: Bool = Field(default=False, description="True for a national figure (England), which has no `urn`.")
    urn: URN | None = Field(default=None, validate_default=True,
                            description="The school's URN, in the caller's partnership; leave it out for a "
                                        "national figure.")
    measure: Measure
    academic_year: AcademicYear
    value: Figure
    source: Source
    recorded_on: RecordedDate | None = Field(default=None, description="A school's figure only; defaults to "
                                                                       "today when the figure is added or its "
                                                                       "value changes.")

    @field_validator("urn", mode="after")
    @classmethod
    def _school_or_national(cls, urn: str | None, info: ValidationInfo) -> str | None:
        national = info.data.get("national")  # absent when `national` itself was refused
        if national is True and urn is not None:
            raise PydanticCustomError("national_with_urn", "a national figure has no urn; leave it out")
        if national is False and urn is None:
            raise PydanticCustomError("urn_missing", "required, unless the item is a national figure "
                                                     "(\"national\": true)")
        return urn

    @field_validator("recorded_on", mode="after")
    @classmethod
    def _school_only(cls, recorded_on: date | None, info: ValidationInfo) -> date | None:
        if recorded_on is not None and info.data.get("national") is True:
            raise PydanticCustomError("national_recorded_on", "a national figure has no recorded_on; leave it out")
        return recorded_on


class IndicatorBulk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[IndicatorItem] = Field(min_length=1, max_length=MAX_ITEMS,
                                       description=f"1 to {MAX_ITEMS:,} figures, written all or nothing.")


class BulkCounts(BaseModel):
    created: int
    updated: int
    unchanged: int


class IndicatorBulkResult(BaseModel):
    """What the upload did: in all, and for schools' figures and national figures apart."""

    created: int
    updated: int
    unchanged: int
    indicators: BulkCounts
    national_figures: BulkCounts


class NationalFigurePublic(BaseModel):
    id: int
    measure: str
    academic_year: str
    value: float
    source: str
    version: int
    updated_at: datetime
    updated_by: str | None


class NationalFigurePage(BaseModel):
    items: list[NationalFigurePublic]
    total: int
    limit: int
    next_cursor: str | None
