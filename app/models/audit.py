"""The audit trail: who changed what, when, in every tenant-scoped table. Append-only."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from app.models.base import TenantScoped, UTCDateTime, utcnow


class AuditAction(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"
    status = "status"


class AuditEvent(TenantScoped, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_record", "partnership_id", "table_name", "record_id", "id"),
        Index("ix_audit_event_time", "partnership_id", "occurred_at", "id"),
        # The trail is read newest first by id: on PostgreSQL the partnership's index alone holds no
        # order by id, and the planner walked the primary key backwards instead.
        Index("ix_audit_event_partnership_order", "partnership_id", "id"),
        # A record's history with its parts' (a visit's actions, removed ones included).
        Index("ix_audit_event_parent", "partnership_id", "parent_table", "parent_id", "id"),
        # The list's filters by table alone and by actor, each read newest first in its index's order.
        Index("ix_audit_event_table", "partnership_id", "table_name", "id"),
        Index("ix_audit_event_actor", "partnership_id", "actor", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=200)  # a person's name, "token sp_abc123" or "command line"
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    actor_token_id: int | None = Field(default=None, foreign_key="api_token.id", ondelete="SET NULL")
    table_name: str = Field(max_length=60)
    record_id: int
    action: str = Field(max_length=10)
    # The record this one belongs to, for a table that names one (`__audit_parent__`): a visit
    # action's visit. Its history then shows the action's events, even once the action is gone.
    parent_table: str | None = Field(default=None, max_length=60)
    parent_id: int | None = None
    # {field: [before, after]}; secrets (hashes, keys) are never recorded.
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuditEventPublic(BaseModel):
    """One event as the API shows it."""

    id: int
    occurred_at: datetime
    actor: str
    actor_user_id: int | None
    actor_token_id: int | None
    table: str
    record_id: int
    action: AuditAction
    changes: dict[str, list[Any]]


class AuditEventPage(BaseModel):
    items: list[AuditEventPublic]
    total: int
    limit: int
    next_cursor: str | None
