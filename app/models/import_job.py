"""Imports run as background jobs: the uploaded file, its check, and its application, with the
progress kept in the database so that any worker can answer a poll."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field

from app.models.base import TenantScoped, UTCDateTime, Versioned


class ImportKind(StrEnum):
    gias = "gias"


class ImportStatus(StrEnum):
    """A job's life: uploaded -> checking -> checked (or refused) -> applying -> applied.
    Any running state may end in failed; a checked job may be discarded."""

    uploaded = "uploaded"
    checking = "checking"
    checked = "checked"
    refused = "refused"
    applying = "applying"
    applied = "applied"
    failed = "failed"
    discarded = "discarded"


class ImportJob(TenantScoped, Versioned, table=True):
    __tablename__ = "import_job"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    file_name: str = Field(max_length=255)
    file_size: int
    status: str = Field(max_length=20, index=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    created_by_name: str = Field(max_length=200)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A running job writes this as it goes; one whose heartbeat stops (a restart cut it off) is failed.
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    progress_done: int = 0
    progress_total: int | None = None
    # The check's or the application's counts and warnings; the refused file's problems, by line.
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    problems: list[Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    message: str | None = Field(default=None, max_length=500)


class ImportUpload(TenantScoped, table=True):
    """The uploaded bytes, apart from the job so that a poll never reads them."""

    __tablename__ = "import_upload"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="import_job.id", unique=True, ondelete="CASCADE")
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
