"""The clinic API's shapes: what callers send (unknown fields refused) and what they get back."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from app.models.clinic import AgendaItemKind, ClinicActionStatus, ClinicStatus
from app.models.indicator import AcademicYear
from app.models.school import URN
from app.models.types import ActionDueDate, Bool, ClinicDate, Int, TargetDate, text

MeetingName = text(40, blank=False)
Focus = text(500)
PersonName = text(200, blank=False)
LongText = text(4000)
Minutes = text(8000)
ActionText = text(1000, blank=False)
Owner = text(200)
Note = text(1000)
Outcome = text(1000, blank=False)
Review = text(2000)
Strand = text(60, blank=False)
Grade = Annotated[Int, PydanticField(ge=1, le=4, description="1 outstanding or strong, 4 the weakest")]
Position = Annotated[Int, PydanticField(ge=1, le=10_000)]
MAX_ATTENDEES = 60


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClinicCreate(_In):
    held_on: ClinicDate
    meeting: MeetingName | None = PydanticField(
        default=None, description="One of the partnership's meetings (its cadence); by default the one of that month")
    focus: Focus | None = PydanticField(default=None, description="Defaults to the meeting's focus")
    chair_name: PersonName | None = None
    attendees: list[PersonName] = PydanticField(default_factory=list, max_length=MAX_ATTENDEES)


class ClinicUpdate(_In):
    """Some fields, or `status` on its own: planned -> in_session (generates the agenda) ->
    minutes_draft -> minutes_approved (the chair; locks the clinic)."""

    held_on: ClinicDate | None = None
    focus: Focus | None = None
    chair_name: PersonName | None = None
    attendees: list[PersonName] | None = PydanticField(default=None, max_length=MAX_ATTENDEES)
    status: ClinicStatus | None = None


class AgendaAdd(_In):
    urn: URN
    explanation: LongText | None = None


class AgendaItemUpdate(_In):
    position: Position | None = PydanticField(default=None, description="Move the item to this place (1 is first)")
    explanation: LongText | None = None
    minutes: Minutes | None = None


class ClinicActionCreate(_In):
    text: ActionText
    urn: URN | None = PydanticField(default=None, description="The school it is about, if one")
    owner: Owner | None = None
    due_on: ActionDueDate | None = None


class ClinicActionUpdate(_In):
    """An open action's text, owner or date (not once its clinic is locked), or its status with a
    note (at any later clinic: `clinic_id` says which closed it)."""

    text: ActionText | None = None
    owner: Owner | None = None
    due_on: ActionDueDate | None = None
    status: ClinicActionStatus | None = None
    note: Note | None = None
    clinic_id: Annotated[Int, PydanticField(ge=1)] | None = PydanticField(
        default=None, description="The clinic at which it was closed (done or dropped)")


class TargetCreate(_In):
    urn: URN
    outcome: Outcome
    target_date: TargetDate | None = None


class TargetUpdate(_In):
    outcome: Outcome | None = None
    target_date: TargetDate | None = None
    review: Review | None = None
    met: Bool | None = None
    reviewed_at_clinic_id: Annotated[Int, PydanticField(ge=1)] | None = None


class ReviewJudgementWrite(_In):
    academic_year: AcademicYear
    strand: Strand = PydanticField(description="One of the partnership's judgement strands")
    partner_grade: Grade
    self_grade: Grade | None = None
    notes: text(2000) | None = None


# --- answers --------------------------------------------------------------------------------------


class FlagOut(BaseModel):
    rule: str
    severity: str
    category: str
    reason: str
    evidence: dict[str, Any]


class AgendaItemPublic(BaseModel):
    id: int
    position: int
    kind: AgendaItemKind
    urn: str | None
    school_name: str | None
    severity: str | None = PydanticField(description="The school's worst flag when the item was made")
    flags: list[FlagOut] = PydanticField(description="The flags as they stood when the item was made")
    la_category: str | None
    explanation: str | None
    minutes: str | None
    version: int
    updated_at: datetime
    updated_by: str | None


class ClinicActionPublic(BaseModel):
    id: int
    clinic_id: int
    urn: str | None
    school_name: str | None
    text: str
    owner: str | None
    due_on: date | None
    overdue: bool
    status: ClinicActionStatus
    note: str | None
    closed_at_clinic_id: int | None
    version: int
    updated_at: datetime
    updated_by: str | None


class TargetPublic(BaseModel):
    id: int
    clinic_id: int
    urn: str
    school_name: str
    outcome: str
    target_date: date | None
    reviewed_at_clinic_id: int | None
    review: str | None
    met: bool | None
    version: int


class ClinicPublic(BaseModel):
    id: int
    held_on: date
    academic_year: str
    meeting: str
    focus: str | None
    chair_name: str | None
    attendees: list[str]
    status: ClinicStatus
    locked: bool
    opened_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None
    previous_clinic_id: int | None
    changes: dict[str, Any] = PydanticField(
        description="Since the previous clinic, as it stood on opening: new_flags, cleared_flags, categories")
    version: int
    updated_at: datetime
    updated_by: str | None


class ClinicDetail(ClinicPublic):
    agenda: list[AgendaItemPublic]
    actions: list[ClinicActionPublic] = PydanticField(description="Agreed at this clinic")
    carried_forward: list[ClinicActionPublic] = PydanticField(
        description="Open actions from earlier clinics (until closed)")
    targets: list[TargetPublic]


class ClinicPage(BaseModel):
    items: list[ClinicPublic]
    total: int
    limit: int
    next_cursor: str | None


class ReviewJudgementPublic(BaseModel):
    id: int
    urn: str
    academic_year: str
    strand: str
    partner_grade: int
    self_grade: int | None
    notes: str | None
    version: int
    updated_at: datetime
    updated_by: str | None
