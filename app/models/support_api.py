"""The support-deployment API's shapes: what callers send (unknown fields refused) and what they get
back. Schools are named by URN (`urn` the school supported, `provider_urn` the school providing);
cost is in pounds (stored in pence); days are counted in halves at finest."""

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from app.models.indicator import AcademicYear
from app.models.school import URN
from app.models.support import OriginKind, ProviderKind, SchoolResponse, SupportOutcome
from app.models.types import MAX_ID, DateRule, Int, Number, text

# Support is brokered and reviewed within a few years; the review seed (000) is of 2017/18.
SUPPORT_DATE = DateRule("a support date", date(2000, 1, 1), years_ahead=2)
SupportDate = SUPPORT_DATE.type

MAX_DAYS = 1000.0
MAX_POUNDS = 10_000_000  # pence stay within a 32-bit INTEGER column


def _halves(value: float) -> float:
    if value * 2 != int(value * 2):
        raise PydanticCustomError("days_halves", "days are counted in halves at finest, e.g. 2.5")
    return value


def _pence(value: float) -> float:
    if abs(value * 100 - round(value * 100)) > 1e-6:
        raise PydanticCustomError("pounds_pence", "a cost in pounds has at most 2 decimal places, e.g. 1250.50")
    return value


Days = Annotated[Number, PydanticField(ge=0, le=MAX_DAYS), AfterValidator(_halves),
                 WithJsonSchema({"type": "number", "minimum": 0, "maximum": MAX_DAYS, "multipleOf": 0.5,
                                 "description": "Days, in halves at finest (e.g. 2.5)"})]
Pounds = Annotated[Number, PydanticField(ge=0, le=MAX_POUNDS), AfterValidator(_pence),
                   WithJsonSchema({"type": "number", "minimum": 0, "maximum": MAX_POUNDS, "multipleOf": 0.01,
                                   "description": "In pounds, at most 2 decimal places"})]
Id = Annotated[Int, PydanticField(ge=1, le=MAX_ID)]
Name = text(200)
Objective = text(2000, blank=False)
Note = text(1000)
Impact = text(4000)

# The fields a deployment is written with, in the order the form shows them (both faces).
FIELDS = (
    "urn", "academic_year", "provider_kind", "provider_name", "provider_urn", "objective",
    "days_planned", "days_delivered", "start_on", "end_on", "funding_source", "cost",
    "origin_kind", "origin_visit_id", "origin_clinic_action_id", "origin_plan_action_id",
    "outcome", "impact_note",
    "contacted_on", "school_response", "responded_on", "adviser_name", "adviser_allocated_on",
    "conflicts_checked_on", "conflict_note", "adviser_visit_on", "matched_on", "supporting_organisation",
    "delivery_started_on", "reviewed_on",
)
# Those that cannot be emptied once set.
REQUIRED = ("urn", "academic_year", "provider_kind", "objective", "outcome")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Optional(_In):
    """Every field but the required ones; shared by create and update."""

    provider_name: Name | None = PydanticField(default=None, description="The person or organisation providing")
    provider_urn: URN | None = PydanticField(default=None, description="The providing school, if in the partnership")
    days_planned: Days | None = None
    days_delivered: Days | None = PydanticField(
        default=None, description="More than planned is allowed, and shown as a warning")
    start_on: SupportDate | None = None
    end_on: SupportDate | None = None
    funding_source: Name | None = None
    cost: Pounds | None = PydanticField(default=None, description="In pounds, e.g. 1250.50")
    origin_kind: OriginKind | None = PydanticField(
        default=None, description="Where the need came from; names which one origin id is given")
    origin_visit_id: Id | None = PydanticField(default=None, description="A triad visit record (its priorities)")
    origin_clinic_action_id: Id | None = None
    origin_plan_action_id: Id | None = None
    impact_note: Impact | None = None
    # Brokering, step by step (app.models.support.BROKERING_STEPS: the dates keep this order).
    contacted_on: SupportDate | None = PydanticField(default=None, description="Responsible body contacted")
    school_response: SchoolResponse | None = PydanticField(default=None, description="Given with responded_on")
    responded_on: SupportDate | None = None
    adviser_name: Name | None = None
    adviser_allocated_on: SupportDate | None = None
    conflicts_checked_on: SupportDate | None = PydanticField(
        default=None, description="When the officer checked for conflicts of interest")
    conflict_note: Note | None = None
    adviser_visit_on: SupportDate | None = None
    matched_on: SupportDate | None = PydanticField(
        default=None, description="Matched with a supporting organisation (then name it)")
    supporting_organisation: Name | None = None
    delivery_started_on: SupportDate | None = None
    reviewed_on: SupportDate | None = None


class SupportDeploymentCreate(_Optional):
    urn: URN = PydanticField(description="The school supported")
    academic_year: AcademicYear | None = PydanticField(
        default=None, description="Defaults to the year of start_on, else the partnership's current year")
    provider_kind: ProviderKind
    objective: Objective
    outcome: SupportOutcome = SupportOutcome.not_yet_completed


class SupportDeploymentUpdate(_Optional):
    """Only the fields sent change; null empties an optional field."""

    urn: URN | None = None
    academic_year: AcademicYear | None = None
    provider_kind: ProviderKind | None = None
    objective: Objective | None = None
    outcome: SupportOutcome | None = None


# --- answers --------------------------------------------------------------------------------------


class SupportDeploymentPublic(BaseModel):
    id: int
    urn: str = PydanticField(description="The school supported")
    school_name: str
    academic_year: str
    provider_kind: ProviderKind
    provider_kind_words: str
    provider_name: str | None
    provider_urn: str | None
    provider_school_name: str | None
    objective: str
    days_planned: float | None
    days_delivered: float | None
    start_on: date | None
    end_on: date | None
    funding_source: str | None
    cost: float | None = PydanticField(description="In pounds")
    origin_kind: OriginKind | None
    origin_visit_id: int | None
    origin_clinic_action_id: int | None
    origin_plan_action_id: int | None
    outcome: SupportOutcome
    impact_note: str | None
    contacted_on: date | None
    school_response: SchoolResponse | None
    responded_on: date | None
    adviser_name: str | None
    adviser_allocated_on: date | None
    conflicts_checked_on: date | None
    conflict_note: str | None
    adviser_visit_on: date | None
    matched_on: date | None
    supporting_organisation: str | None
    delivery_started_on: date | None
    reviewed_on: date | None
    warnings: list[str] = PydanticField(description="Allowed but worth a look, e.g. more days delivered than planned")
    conflict_of_interest: str | None = PydanticField(
        description="Suggested when the provider school shares the supported school's trust or sits in its triad")
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


class SupportDeploymentPage(BaseModel):
    items: list[SupportDeploymentPublic]
    total: int
    limit: int
    next_cursor: str | None


class SupportQualityItem(BaseModel):
    id: int
    urn: str
    school_name: str
    academic_year: str
    provider_kind: ProviderKind
    provider_kind_words: str
    outcome: SupportOutcome
    problems: list[str] = PydanticField(description="What breaks a rule or is missing, in words")


class SupportQualityPage(BaseModel):
    items: list[SupportQualityItem]
    total: int
    limit: int
    next_cursor: str | None
