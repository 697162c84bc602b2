"""The schools register: one row per school in a partnership, keyed by its URN."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlalchemy import Index, UniqueConstraint, column, func, literal_column
from sqlmodel import Field, SQLModel

from app.models.base import TenantScoped, UTCDateTime, utcnow, version_column
from app.models.inspection import InspectionSummary
from app.models.types import Bool, ClosingDate, HeadStartDate, Int, Number, OpeningDate, text


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

# The keys the register is sorted by. The list query uses these very expressions, so that each
# sort walks an index of (partnership, key, id) instead of sorting the partnership's schools: the
# placeholders for missing numbers are literals, because an index cannot match a bound parameter.
SORT_EXPRESSIONS = {
    "name": lambda name: func.lower(name),
    "pupils": lambda pupils: func.coalesce(pupils, literal_column("-1")),
    "fsm_percent": lambda fsm: func.coalesce(fsm, literal_column("-1.0")),
}


class School(TenantScoped, table=True):
    __mapper_args__ = {"version_id_col": _VERSION}
    __table_args__ = (
        UniqueConstraint("partnership_id", "urn"),
        Index("ix_school_sort_name", "partnership_id", SORT_EXPRESSIONS["name"](column("name")), "id"),
        Index("ix_school_sort_urn", "partnership_id", "urn", "id"),
        Index("ix_school_sort_pupils", "partnership_id", SORT_EXPRESSIONS["pupils"](column("pupils")), "id"),
        Index("ix_school_sort_fsm_percent", "partnership_id",
              SORT_EXPRESSIONS["fsm_percent"](column("fsm_percent")), "id"),
        Index("ix_school_partnership_phase", "partnership_id", "phase"),
        Index("ix_school_partnership_status", "partnership_id", "status"),
        Index("ix_school_partnership_establishment_type", "partnership_id", "establishment_type"),
        Index("ix_school_partnership_latest_headline", "partnership_id", "latest_headline"),
        Index("ix_school_partnership_updated_at", "partnership_id", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    urn: str = Field(max_length=6)
    name: str = Field(max_length=200)
    phase: str = Field(max_length=30)
    establishment_type: str | None = Field(default=None, max_length=120)
    trust_name: str | None = Field(default=None, max_length=200)
    la_code: str | None = Field(default=None, max_length=3)
    la_name: str | None = Field(default=None, max_length=120)
    status: str = Field(default=SchoolStatus.open.value, max_length=30)
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
    # The most recent inspection (latest date, then latest recorded), kept here by the services that
    # write inspections, so that a page of schools and the Ofsted filter never scan the histories.
    latest_inspected_on: date | None = None
    latest_framework: str | None = Field(default=None, max_length=20)
    latest_headline: str | None = Field(default=None, max_length=30)
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
    headteacher_started_on: HeadStartDate | None = None
    postcode: Postcode | None = None
    engaged: Bool = True
    not_engaged_reason: LongText | None = None
    la_category: CategoryText | None = None
    opened_on: OpeningDate | None = None
    closed_on: ClosingDate | None = None


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
    headteacher_started_on: HeadStartDate | None = None
    postcode: Postcode | None = None
    engaged: Bool | None = None
    not_engaged_reason: LongText | None = None
    la_category: CategoryText | None = None
    opened_on: OpeningDate | None = None
    closed_on: ClosingDate | None = None


# What the API answers are plain pydantic models, not SQLModel: SQLModel's own __init__ would run
# for every school of every page (measured: 7% of a list request's time).
class SchoolPublic(BaseModel):
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


class SchoolPage(BaseModel):
    items: list[SchoolPublic]
    total: int
    limit: int
    next_cursor: str | None
