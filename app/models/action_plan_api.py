"""The action plans API's shapes: what callers send (unknown fields refused) and what they get back.

A plan's period is in whole months, sent and shown as `2016-05` and stored as the first day of the
month. Numbers of priorities and actions are optional on creation (the next free one)."""

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from app.models.action_plan import MilestoneStatus, PlanStatus
from app.models.school import URN
from app.models.types import MAX_ID, DateRule, Int, described, text

# Plans run for a few years; the oldest the seeds hold is 2016's.
PLAN_DATE = DateRule("a date in an action plan", date(2000, 1, 1), years_ahead=5)
PlanDate = PLAN_DATE.type

_YEAR_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
YEAR_MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def month_problem(value: date, today: date | None = None) -> str | None:
    """The rule in words when a plan's month is implausible, else None (both faces ask it)."""
    first = PLAN_DATE.earliest.replace(day=1)
    last = PLAN_DATE.latest(today).replace(day=1)
    if first <= value <= last:
        return None
    return f"a plan's month must be between {first:%Y-%m} and five years from now"


def parse_month(value: Any) -> date:
    """`2016-05` -> 1 May 2016 (a date is taken as its month)."""
    if isinstance(value, date):
        return value.replace(day=1)
    match = _YEAR_MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise PydanticCustomError("month_format", "use a month like 2016-05")
    return date(int(match[1]), int(match[2]), 1)


def _plausible_month(value: date) -> date:
    message = month_problem(value)
    if message is not None:
        raise PydanticCustomError("month_implausible", message)
    return value


def month_text(value: date) -> str:
    return f"{value:%Y-%m}"


Month = Annotated[date, BeforeValidator(parse_month), AfterValidator(_plausible_month),
                  WithJsonSchema({"type": "string", "pattern": YEAR_MONTH_PATTERN, "examples": ["2016-05"],
                                  "description": "A month, YYYY-MM"})]


def _web_address(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("url_scheme", "a link must be an http:// or https:// address")
    return value


# Evidence is linked, never uploaded: a web address (no javascript:, data: or file: links).
WebLink = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=8, max_length=2000,
                      pattern=described(r"^https?://[^\s\u0000-\u001f\u007f]+$",
                                        "a link must be an http:// or https:// address")),
    AfterValidator(_web_address),
]

Title = text(200, blank=False)
PriorityTitle = text(500, blank=False)
Criterion = text(1000, blank=False)
Area = text(200, blank=False)
LeadCode = text(20, blank=False)
Description = text(4000, blank=False)
MilestoneText = text(1000, blank=False)
TimeFrame = text(200)
Evidence = text(4000)
MeasureText = text(500, blank=False)
Value = text(200)
Number = Annotated[Int, PydanticField(ge=1, le=999)]
UserId = Annotated[Int, PydanticField(ge=1, le=MAX_ID)]
RowId = Annotated[Int, PydanticField(ge=1, le=MAX_ID)]
MAX_LIST = 20


class PlanScope(StrEnum):
    partnership = "partnership"
    school = "school"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanCreate(_In):
    title: Title
    period_start: Month
    period_end: Month
    owner_user_id: UserId | None = PydanticField(
        default=None, description="A member of the partnership (by default the person creating it, if one)")
    owner_urn: URN | None = PydanticField(default=None, description="A school's own plan: the school's URN")
    status: PlanStatus = PlanStatus.draft


class PlanUpdate(_In):
    title: Title | None = None
    period_start: Month | None = None
    period_end: Month | None = None
    owner_user_id: UserId | None = None
    owner_urn: URN | None = PydanticField(default=None, description="null makes it the partnership's plan")
    status: PlanStatus | None = None


class PriorityCreate(_In):
    number: Number | None = PydanticField(default=None, description="By default the next after the plan's last")
    title: PriorityTitle
    success_criteria: list[Criterion] = PydanticField(default_factory=list, max_length=MAX_LIST,
                                                      description="What success will look like")
    areas: list[Area] = PydanticField(default_factory=list, max_length=MAX_LIST,
                                      description="Areas for improvement it answers (the partnership's list)")


class PriorityUpdate(_In):
    number: Number | None = None
    title: PriorityTitle | None = None
    success_criteria: list[Criterion] | None = PydanticField(default=None, max_length=MAX_LIST)
    areas: list[Area] | None = PydanticField(default=None, max_length=MAX_LIST)


class ActionCreate(_In):
    number: Number | None = PydanticField(default=None, description="By default the next in its priority")
    description: Description
    leads: list[LeadCode] = PydanticField(min_length=1, max_length=10,
                                          description="Lead role codes from the partnership's glossary")
    time_frame: TimeFrame | None = PydanticField(default=None, description='In words: "From Sept 2016", "Termly"')
    start_on: PlanDate | None = None
    end_on: PlanDate | None = None


class ActionUpdate(_In):
    number: Number | None = None
    description: Description | None = None
    leads: list[LeadCode] | None = PydanticField(default=None, min_length=1, max_length=10)
    time_frame: TimeFrame | None = None
    start_on: PlanDate | None = None
    end_on: PlanDate | None = None


class MilestoneCreate(_In):
    description: MilestoneText
    due_on: PlanDate | None = PydanticField(default=None, description="None: ongoing")
    status: MilestoneStatus = MilestoneStatus.not_started
    evidence: Evidence | None = None
    evidence_links: list[WebLink] = PydanticField(default_factory=list, max_length=MAX_LIST)


class MilestoneUpdate(_In):
    """A holder of one of the action's lead roles may change `status`, `evidence` and
    `evidence_links`; the rest is for officers."""

    description: MilestoneText | None = None
    due_on: PlanDate | None = None
    status: MilestoneStatus | None = None
    evidence: Evidence | None = None
    evidence_links: list[WebLink] | None = PydanticField(default=None, max_length=MAX_LIST)


class MeasureCreate(_In):
    measure: MeasureText
    priority_id: RowId | None = PydanticField(default=None, description="The priority it measures, if one")
    baseline: Value | None = None
    target: Value | None = None
    target_on: PlanDate | None = None
    latest_value: Value | None = None
    latest_on: PlanDate | None = None


class MeasureUpdate(_In):
    measure: MeasureText | None = None
    priority_id: RowId | None = None
    baseline: Value | None = None
    target: Value | None = None
    target_on: PlanDate | None = None
    latest_value: Value | None = None
    latest_on: PlanDate | None = None


# --- answers --------------------------------------------------------------------------------------


class RollUpOut(BaseModel):
    total: int
    by_status: dict[str, int] = PydanticField(description="How many milestones have each status (every status)")
    overdue: int
    worst_status: MilestoneStatus | None = PydanticField(description="None when there are no milestones")


class Lead(BaseModel):
    code: str
    title: str


class _Stamped(BaseModel):
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


class PlanPublic(_Stamped):
    id: int
    title: str
    period_start: str = PydanticField(examples=["2016-05"])
    period_end: str = PydanticField(examples=["2018-09"])
    owner_user_id: int | None
    owner_name: str | None
    owner_urn: str | None
    owner_school_name: str | None
    scope: PlanScope
    status: PlanStatus


class MeasurePublic(_Stamped):
    id: int
    plan_id: int
    priority_id: int | None
    measure: str
    baseline: str | None
    target: str | None
    target_on: date | None
    latest_value: str | None
    latest_on: date | None


class MilestonePublic(_Stamped):
    id: int
    plan_id: int
    action_id: int
    description: str
    due_on: date | None
    status: MilestoneStatus
    overdue: bool
    evidence: str | None
    evidence_links: list[str]


class MilestoneItem(MilestonePublic):
    """A milestone as a list shows it: with its priority's and action's numbers and the leads."""

    priority_id: int
    priority_number: int
    action_number: int
    action_label: str = PydanticField(examples=["2.3"])
    leads: list[Lead]


class ActionPublic(_Stamped):
    id: int
    plan_id: int
    priority_id: int
    number: int
    label: str = PydanticField(examples=["2.3"], description="The priority's number and the action's")
    description: str
    leads: list[Lead]
    time_frame: str | None
    start_on: date | None
    end_on: date | None


class ActionTree(ActionPublic):
    milestones: list[MilestonePublic]


class PriorityPublic(_Stamped):
    id: int
    plan_id: int
    number: int
    title: str
    success_criteria: list[str]
    areas: list[str]


class PriorityTree(PriorityPublic):
    actions: list[ActionTree]
    success_measures: list[MeasurePublic]
    rollup: RollUpOut


class PlanDetail(PlanPublic):
    """With `?include=tree`: its priorities, actions and milestones, success measures and roll-ups."""

    priorities: list[PriorityTree] | None = None
    success_measures: list[MeasurePublic] | None = PydanticField(
        default=None, description="The plan's own measures (a priority's are under the priority)")
    rollup: RollUpOut | None = None


class PlanPage(BaseModel):
    items: list[PlanPublic]
    total: int
    limit: int
    next_cursor: str | None


class MilestonePage(BaseModel):
    items: list[MilestoneItem]
    total: int
    limit: int
    next_cursor: str | None
