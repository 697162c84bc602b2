"""The schools register: one row per school in a partnership, keyed by its URN."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PydanticField
from sqlalchemy import Index, UniqueConstraint, column, func, literal_column
from sqlalchemy import false as sa_false
from sqlmodel import AutoString, Field, SQLModel

from app.models.base import TenantScoped, Versioned
from app.models.inspection import InspectionSummary
from app.models.types import Bool, ClosingDate, HeadStartDate, Int, Number, OpeningDate, described, text


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


URN = Annotated[str, StringConstraints(pattern=described(r"^[0-9]{6}$", "a URN is six digits"))]
# Each at most its column's length as sent; stored without surrounding whitespace (app.models.types).
Text200 = text(200, blank=False)
ShortText = text(200)
Text120 = text(120)
LongText = text(500)
CategoryText = text(40)
# A UK postcode, with spaces around it allowed; stored in capitals. The pattern bounds the length.
Postcode = Annotated[
    str,
    StringConstraints(pattern=described(r"^ *[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2} *$",
                                        "enter a UK postcode, like PE1 1AA")),
    AfterValidator(lambda value: value.strip(" ").upper()),
]
LACode = Annotated[str, StringConstraints(pattern=described(r"^[0-9]{3}$", "an LA code is three digits, like 874"))]


# The keys the register is sorted by. The list query uses these very expressions, so that each
# sort walks an index of (partnership, key, id) instead of sorting the partnership's schools: the
# placeholders for missing numbers are literals, because an index cannot match a bound parameter.
SORT_EXPRESSIONS = {
    "name": lambda name: func.lower(name),
    "pupils": lambda pupils: func.coalesce(pupils, literal_column("-1")),
    "fsm_percent": lambda fsm: func.coalesce(fsm, literal_column("-1.0")),
}

# Limits that belong to a value, whichever model carries it.
Pupils = Annotated[Int, PydanticField(ge=0, le=10000)]
Percent = Annotated[Number, PydanticField(ge=0, le=100)]


class SchoolBase(SQLModel):
    """A school's register entry as people write it. The table and the create shape derive from
    these fields and their rules; the update shape is the same fields made optional."""

    name: Text200 = Field(max_length=200)
    phase: Phase = Field(sa_type=AutoString(length=30))
    establishment_type: Text120 | None = Field(default=None, max_length=120)
    trust_name: ShortText | None = Field(default=None, max_length=200)
    la_code: LACode | None = Field(default=None, max_length=3)
    la_name: Text120 | None = Field(default=None, max_length=120)
    status: SchoolStatus = Field(default=SchoolStatus.open, sa_type=AutoString(length=30))
    pupils: Pupils | None = None
    fsm_percent: Percent | None = None
    headteacher_name: ShortText | None = Field(default=None, max_length=200)
    headteacher_started_on: HeadStartDate | None = None
    postcode: Postcode | None = Field(default=None, max_length=8)
    engaged: Bool = True
    not_engaged_reason: LongText | None = Field(default=None, max_length=500)
    la_category: CategoryText | None = Field(default=None, max_length=40)
    opened_on: OpeningDate | None = None
    closed_on: ClosingDate | None = None


class School(SchoolBase, TenantScoped, Versioned, table=True):
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
        Index("ix_school_partnership_la_category", "partnership_id", "la_category"),
    )

    id: int | None = Field(default=None, primary_key=True)
    urn: str = Field(max_length=6)
    # The most recent inspection (latest date, then latest recorded), kept here by the services that
    # write inspections, so that a page of schools and the Ofsted filter never scan the histories.
    latest_inspected_on: date | None = None
    latest_framework: str | None = Field(default=None, max_length=20)
    latest_headline: str | None = Field(default=None, max_length=30)
    # Set once a GIAS import has written the school: GIAS then owns its register fields
    # (gias_format.GIAS_FIELDS), and the browser's edit form leaves them alone.
    from_gias: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class SchoolCreate(SchoolBase):
    model_config = ConfigDict(extra="forbid")

    urn: URN


class SchoolUpdate(SQLModel):
    """A partial update: only the fields sent are changed; the URN never changes. The fields are
    SchoolBase's, each with its rules, made optional (tests/test_models.py keeps them in step)."""

    model_config = ConfigDict(extra="forbid")

    name: Text200 | None = None
    phase: Phase | None = None
    establishment_type: Text120 | None = None
    trust_name: ShortText | None = None
    la_code: LACode | None = None
    la_name: Text120 | None = None
    status: SchoolStatus | None = None
    pupils: Pupils | None = None
    fsm_percent: Percent | None = None
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
