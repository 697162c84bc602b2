"""School Performance Clinics (seed 003) and School Review Group meetings (seed 002): one record
for both. A clinic's agenda is a snapshot of the red and amber schools as they stood when it
opened; its actions are carried to every later clinic until closed; its minutes lock once
approved."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from app.models.base import TenantScoped, UTCDateTime, Versioned


class ClinicStatus(StrEnum):
    planned = "planned"
    in_session = "in_session"
    minutes_draft = "minutes_draft"
    minutes_approved = "minutes_approved"  # locked


class ClinicActionStatus(StrEnum):
    open = "open"
    done = "done"
    dropped = "dropped"


class AgendaItemKind(StrEnum):
    flagged = "flagged"  # a red or amber school when the clinic opened
    category = "category"  # its LA category changed since the last clinic, or is at risk
    added = "added"  # a school the officer added


class Clinic(TenantScoped, Versioned, table=True):
    __table_args__ = (Index("ix_clinic_partnership_date", "partnership_id", "held_on", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    held_on: date
    academic_year: str = Field(max_length=7)
    # The meeting in the partnership's cadence (Partnership.meeting_cadence): "autumn", "september", ...
    meeting: str = Field(max_length=40)
    focus: str | None = Field(default=None, max_length=500)
    chair_name: str | None = Field(default=None, max_length=200)
    attendees: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=ClinicStatus.planned.value, max_length=20)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, max_length=200)
    # The clinic before this one, whose snapshot "what changed" compares against (set on opening).
    previous_clinic_id: int | None = Field(default=None, foreign_key="clinic.id", ondelete="SET NULL")
    # What changed since the previous clinic, as it stood on opening: new and cleared flags,
    # changed LA categories. Never changes afterwards.
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What the next clinic compares with: each school's LA category and flag rules on opening. As
    # large as the partnership (2.4 MB at national size), so the reads that show a clinic leave it
    # out (app.services.clinics.get); only opening the next clinic reads it. Never changes afterwards.
    baseline: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False,
                                                                              server_default="{}"))


class ClinicAgendaItem(TenantScoped, Versioned, table=True):
    __tablename__ = "clinic_agenda_item"
    __table_args__ = (Index("ix_clinic_agenda_item_clinic", "clinic_id", "position"),
                      # The chair's page reads one page of one severity, and counts each from this
                      # index alone (the partnership's id in it).
                      Index("ix_clinic_agenda_item_severity", "clinic_id", "severity", "position", "partnership_id"),
                      # A school's flag history across clinics (its profile).
                      Index("ix_clinic_agenda_item_school", "school_id", "partnership_id"))
    __audit_parent__ = ("clinic", "clinic_id")

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", ondelete="CASCADE")
    position: int
    kind: str = Field(max_length=20)  # AgendaItemKind
    school_id: int | None = Field(default=None, foreign_key="school.id", ondelete="SET NULL")
    severity: str | None = Field(default=None, max_length=10)  # the school's worst flag then (the snapshot's)
    # The school and its flags as they stood when the item was made: {"urn", "name", "severity",
    # "la_category", "flags": [{"rule", "severity", "category", "reason", "evidence"}]}.
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    explanation: str | None = Field(default=None, max_length=4000)  # the officer's, before or at the clinic
    minutes: str | None = Field(default=None, max_length=8000)


class ClinicAction(TenantScoped, Versioned, table=True):
    """An action agreed at a clinic; open ones appear at every later clinic until closed."""

    __tablename__ = "clinic_action"
    __table_args__ = (Index("ix_clinic_action_status", "partnership_id", "status", "due_on"),
                      Index("ix_clinic_action_clinic", "clinic_id"),
                      Index("ix_clinic_action_school", "school_id", "partnership_id"))  # a school's profile
    __audit_parent__ = ("clinic", "clinic_id")

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", ondelete="CASCADE")  # where it was agreed
    school_id: int | None = Field(default=None, foreign_key="school.id", ondelete="SET NULL")
    text: str = Field(max_length=1000)
    owner: str | None = Field(default=None, max_length=200)  # a person or a role
    due_on: date | None = None
    status: str = Field(default=ClinicActionStatus.open.value, max_length=10)
    note: str | None = Field(default=None, max_length=1000)  # why done or dropped
    closed_at_clinic_id: int | None = Field(default=None, foreign_key="clinic.id", ondelete="SET NULL")


class ClinicTarget(TenantScoped, Versioned, table=True):
    """An outcome a school is to reach by a date, agreed at one clinic and reviewed at a later one."""

    __tablename__ = "clinic_target"
    __table_args__ = (Index("ix_clinic_target_school", "partnership_id", "school_id"),
                      Index("ix_clinic_target_clinic", "clinic_id"))
    __audit_parent__ = ("clinic", "clinic_id")

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", ondelete="CASCADE")
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")
    outcome: str = Field(max_length=1000)
    target_date: date | None = None
    reviewed_at_clinic_id: int | None = Field(default=None, foreign_key="clinic.id", ondelete="SET NULL")
    review: str | None = Field(default=None, max_length=2000)
    met: bool | None = None
