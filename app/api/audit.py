"""/api/v1/audit-events: the partnership's audit trail, newest first (officers' tokens read it)."""

from enum import StrEnum
from typing import Annotated

from fastapi import Query

from app.api.deps import CurrentPrincipal, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.audit import AuditEventPage
from app.models.types import MAX_ID, NO_NUL, DateTimeWithOffset
from app.routing import Router
from app.services import audit
from app.services.paging import MAX_LIMIT

router = Router(prefix="/audit-events", tags=["audit"])

# A closed set, so that the schema names the tables whose changes are recorded (422 for any other).
AuditTable = StrEnum("AuditTable", {t: t for t in audit.audited_tables()})


def to_public(row) -> dict:  # noqa: ANN001 (a row of audit.page)
    return {"id": row.id, "occurred_at": row.occurred_at, "actor": row.actor, "actor_user_id": row.actor_user_id,
            "actor_token_id": row.actor_token_id, "table": row.table_name, "record_id": row.record_id,
            "action": row.action, "changes": row.changes}


@router.get("", response_model=AuditEventPage, responses=problem_responses(400, 403))
def list_audit_events(
    session: SessionDep,
    by: CurrentPrincipal,
    table: Annotated[AuditTable | None, Query(json_schema_extra=no_null,
                                              description="Only this table's records")] = None,
    record_id: Annotated[int | None, Query(ge=1, le=MAX_ID, json_schema_extra=no_null,
                                           description="Only this record (with `table`, one record's history)")] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL, json_schema_extra=no_null,
                                       description="Only changes by this actor, exactly as the events name it: a "
                                                   "person's name, `token sp_…` or `command line`")] = None,
    since: Annotated[DateTimeWithOffset | None, Query(json_schema_extra=no_null,
                                                      description="Events at or after this moment (RFC 3339)")] = None,
    until: Annotated[DateTimeWithOffset | None, Query(json_schema_extra=no_null,
                                                      description="Events before this moment (RFC 3339)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = audit.DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500, json_schema_extra=no_null,
                                        description="`next_cursor` from the page before")] = None,
) -> dict:
    """Who changed what, when, newest first: each event's `changes` maps a field to `[before, after]`.
    Any token of the partnership may read it (in the browser, officers only)."""
    filters = audit.AuditFilters(table=table.value if table else None, record_id=record_id, actor=actor,
                                 since=since, until=until)
    result = audit.page(session, filters, limit=limit, cursor=cursor, by=by)
    return {"items": [to_public(r) for r in result.rows], "total": result.total, "limit": result.limit,
            "next_cursor": result.next_cursor}
