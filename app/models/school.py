"""The schools register: one row per school in a partnership, keyed by its URN."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, StringConstraints
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import TenantScoped, UTCDateTime, utcnow, version_column
from app.models.inspection import InspectionSummary
from app.models.types import Bool, Date, Int, Number, text


class Phase(StrEnum):
    nursery = "nursery"
    primary = "primary"
    infant = "infant"
    junior = "junior"
    middle = "middle"
    secondary = "secondary"
    all_through = "all_through"
    special = "special"
    alternative_provision = "alternative_provision"
    post_16 = "post_16"


class SchoolStatus(StrEnum):
    open = "open"
    closed = "closed"
    proposed_to_open = "proposed_to_open"
    proposed_to_close = "proposed_to_close"


URN = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
# Each at most its column's length as sent; stored without surrounding whitespace (app.models.types).
Text200 = text(200, blank=False)
ShortText = text(200)
Text120 = text(120)
LongText = text(500)
CategoryText = text(40)
# A UK postcode, with spaces around it allowed; stored in capitals. The pattern bounds the length.
Postcode = Annotated[
    str,
    StringConstraints(pattern=r"^ *[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2} *$"),
    AfterValidator(lambda value: value.strip(" ").upper()),
]
LACode = Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")]


_VERSION = version_column()


class School(TenantScoped, table=True):
    __mapper_args__ = {"version_id_col": _VERSION}
    __table_args__ = (UniqueConstraint("partnership_id", "urn"),)

    id: int | None = Field(default=None, primary_key=True)
    urn: str = Field(max_length=6, index=True)
    name: str = Field(max_length=200, index=True)
    phase: str = Field(max_length=30, index=True)
    establishment_type: str | None = Field(default=None, max_length=120)
    trust_name: str | None = Field(default=None, max_length=200)
    la_code: str | None = Field(default=None, max_length=3)
    la_name: str | None = Field(default=None, max_length=120)
    status: str = Field(default=SchoolStatus.open.value, max_length=30, index=True)
    pupils: int | None = None
    fsm_percent: float | None = None
    headteacher_name: str | None = Field(default=None, max_length=200)
    headteacher_started_on: date | None = None
    postcode: str | None = Field(default=None, max_length=8)
    engaged: bool = True
    not_engaged_reason: str | None = Field(default=None, max_length=500)
    la_category: str | None = Field(default=None, max_length=40)
    opened_on: date | None = None
    closed_on: date | None = None
    version: int | None = Field(default=None, sa_column=_VERSION)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SchoolCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")

    urn: URN
    name: Text200
    phase: Phase
    establishment_type: Text120 | None = None
    trust_name: ShortText | None = None
    la_code: LACode | None = None
    la_name: Text120 | None = None
    status: SchoolStatus = SchoolStatus.open
    pupils: Int | None = Field(default=None, ge=0, le=10000)
    fsm_percent: Number | None = Field(default=None, ge=0, le=100)
    headteacher_name: ShortText | None = None
    headteacher_started_on: Date | None = None
    postcode: Postcode | None = None
    engaged: Bool = True
    not_engaged_reason: LongText | None = None
    la_category: CategoryText | None = None
    opened_on: Date | None = None
    closed_on: Date | None = None


class SchoolUpdate(SQLModel):
    """A partial update: only the fields sent are changed. The URN never changes."""

    model_config = ConfigDict(extra="forbid")

    name: Text200 | None = None
    phase: Phase | None = None
    establishment_type: Text120 | None = None
    trust_name: ShortText | None = None
    la_code: LACode | None = None
    la_name: Text120 | None = None
    status: SchoolStatus | None = None
    pupils: Int | None = Field(default=None, ge=0, le=10000)
    fsm_percent: Number | None = Field(default=None, ge=0, le=100)
    headteacher_name: ShortText | None = None
    headteacher_started_on: Date | None = None
    postcode: Postcode | None = None
    engaged: Bool | None = None
    not_engaged_reason: LongText | None = None
    la_category: CategoryText | None = None
    opened_on: Date | None = None
    closed_on: Date | None = None


class SchoolPublic(SQLModel):
    urn: str
    name: str
    phase: Phase
    establishment_type: str | None
    trust_name: str | None
    la_code: str | None
    la_name: str | None
    status: SchoolStatus
    pupils: int | None
    fsm_percent: float | None
    headteacher_name: str | None
    headteacher_started_on: date | None
    postcode: str | None
    engaged: bool
    not_engaged_reason: str | None
    la_category: str | None
    opened_on: date | None
    closed_on: date | None
    latest_inspection: InspectionSummary | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class SchoolPage(SQLModel):
    items: list[SchoolPublic]
    total: int
    limit: int
    next_cursor: str | None
