"""The API's shapes for groups of schools and their dashboards (the tables are app.models.group).
Input models refuse unknown fields; answers are plain pydantic models."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from app.models.group import GroupKind
from app.models.indicator import Figure
from app.models.school import URN
from app.models.types import MAX_ID, DateRule, Int, RecordedDate, TargetDate, text

Name = text(200, blank=False)
Description = text(1000)
TrustName = text(200, blank=False)
StageName = text(60, blank=False)
Note = text(500)
MeasureName = text(200, blank=False)
Id = Annotated[Int, PydanticField(ge=1, le=MAX_ID)]
# A trust or a whole area's alliance runs to a few hundred schools; 2,000 leaves room.
GroupSchools = Annotated[list[URN], PydanticField(max_length=2000)]
MAX_TARGETS, MAX_STAGES = 30, 12

# Alliances began in these partnerships in the 2010s (seed 004 is 2013); a stage is reached by today.
STAGE_DATE = DateRule("the date a stage was reached", date(2000, 1, 1))
StageDate = STAGE_DATE.type


class TargetIn(BaseModel):
    """An improvement target. With `id`, the target of that id is changed; without, one is added."""

    model_config = ConfigDict(extra="forbid")

    id: Id | None = PydanticField(default=None, description="A target of this group's, to change it")
    measure: MeasureName = PydanticField(description="What is measured, in the group's words")
    baseline: Figure
    target: Figure
    target_on: TargetDate
    latest_value: Figure | None = None
    latest_on: RecordedDate | None = None


class StageIn(BaseModel):
    """A stage of the partnership's route map reached on a date (added to the group's history)."""

    model_config = ConfigDict(extra="forbid")

    stage: StageName
    reached_on: StageDate
    note: Note | None = None


class GroupCreate(BaseModel):
    """A new group. Its schools are `schools` (URNs); or, left out, the open schools of the trust
    named in `trust_name` (kind `trust`), or the schools of the collaborative `collaborative_id`."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: GroupKind
    description: Description | None = None
    trust_name: TrustName | None = None
    collaborative_id: Id | None = None
    schools: GroupSchools | None = None
    targets: list[TargetIn] = PydanticField(default_factory=list, max_length=MAX_TARGETS)
    stage: StageIn | None = PydanticField(default=None, description="An alliance's stage on the route map")


class GroupUpdate(BaseModel):
    """Only the fields sent change. `schools` replaces the members; `targets` replaces the targets
    (each with its `id` kept, without one added, those left out removed); `stage` adds a stage
    reached to the history."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: GroupKind | None = None
    description: Description | None = None
    trust_name: TrustName | None = None
    collaborative_id: Id | None = None
    schools: GroupSchools | None = None
    targets: list[TargetIn] | None = PydanticField(default=None, max_length=MAX_TARGETS)
    stage: StageIn | None = None


class RouteMapUpdate(BaseModel):
    """The partnership's route map: its stages, in order."""

    model_config = ConfigDict(extra="forbid")

    stages: Annotated[list[StageName], PydanticField(min_length=1, max_length=MAX_STAGES)]


class SchoolRef(BaseModel):
    urn: str
    name: str


class TargetPublic(BaseModel):
    id: int
    measure: str
    baseline: float
    target: float
    target_on: date
    latest_value: float | None
    latest_on: date | None
    progress_percent: float | None = PydanticField(
        description="How far the latest value has come from the baseline towards the target (100: met)")
    status: str = PydanticField(description="no_latest_value, met, in_progress or moved_away")
    overdue: bool = PydanticField(description="The target date has passed and the target is not met")
    version: int


class StagePublic(BaseModel):
    id: int
    stage: str
    reached_on: date
    note: str | None
    updated_by: str | None


class GroupPublic(BaseModel):
    id: int
    name: str
    kind: GroupKind
    description: str | None
    trust_name: str | None
    collaborative_id: int | None
    schools: list[SchoolRef]
    targets: list[TargetPublic]
    stage: str | None = PydanticField(description="The latest stage reached on the route map")
    stage_reached_on: date | None
    stage_history: list[StagePublic] = PydanticField(description="Every stage reached, oldest first")
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


class GroupPage(BaseModel):
    items: list[GroupPublic]
    total: int
    limit: int
    next_cursor: str | None


class LeftOut(BaseModel):
    urn: str
    name: str
    reason: str = PydanticField(description="no_figure or no_pupils")
    words: str


class FigureRow(BaseModel):
    """One measure, the group as if one school beside the partnership and the nation."""

    measure: str
    group: float | None = PydanticField(description="Pupil-weighted over the schools counted; null with none")
    schools_counted: int
    pupils_counted: int
    left_out: list[LeftOut]
    partnership: float | None
    partnership_schools_counted: int
    partnership_schools_left_out: int = PydanticField(description="Schools with the figure but no pupil number")
    national: float | None
    national_source: str | None


class FlagRow(BaseModel):
    urn: str
    name: str
    rule: str
    severity: str
    category: str
    reason: str


class SupportRow(BaseModel):
    id: int
    urn: str
    name: str
    provider_kind: str
    provider_name: str | None
    objective: str
    days_planned: float | None
    days_delivered: float | None
    outcome: str


class DashboardSchool(BaseModel):
    urn: str
    name: str
    pupils: int | None
    added_on: date = PydanticField(description="When the school joined the group")


class GroupDashboard(BaseModel):
    group_id: int
    name: str
    kind: GroupKind
    academic_year: str
    schools: list[DashboardSchool]
    pupils: int = PydanticField(description="The pupils of the schools that have a pupil number")
    figures: list[FigureRow]
    flags: list[FlagRow]
    flags_of_every_school: bool = PydanticField(
        description="False when the caller sees only some schools' flags (a headteacher sees their own)")
    red_flags: int
    amber_flags: int
    support: list[SupportRow]
    targets: list[TargetPublic]
    stage: str | None
    stage_reached_on: date | None
    stage_history: list[StagePublic]
    route_map: list[str]
