"""The audit trail: who changed what, when, in every partnership-owned table. Append-only.

Written in one place: `record_flush`, which app.db runs after every ORM flush, reads the
attribute history of each new, changed and deleted partnership-owned object and inserts the
flush's events in one executemany. Writes that bypass the ORM (the GIAS import's batched Core
statements) say what they did with `record_bulk`, also one statement. Nothing here, nor anywhere
else, updates or deletes an event.

The actor is the principal the session was bound to (app.services.principal.bind): a person's
name, "token sp_xxxxxxxx", or "command line" when no principal was bound (operator commands,
migrations, demo data).

What is never recorded:
- tables that are plumbing or hold secrets: `password_link` (a key's hash), `import_upload` (the
  uploaded file's bytes), and `audit_event` itself;
- columns holding secrets: `token_hash`, `key_hash`, `password_hash`, `content` (an API token's
  creation and revocation are recorded, without its hash);
- noise: the row version, `created_at` / `updated_at` / `updated_by` (the event says when and who),
  an API token's `last_used_at`, an import job's heartbeat, progress, summary and problems, and a
  school's `latest_*` columns (copied from its inspections, whose own events say what happened),
  and what a clinic works out on opening (its `changes` and `baseline`, each agenda item's
  `snapshot`: kept unchanged in their own rows; the opening itself is recorded as a status change).

An update records only the columns that changed, each as [before, after]; a create records the
values it set (nulls left out) as [null, value]; a delete the values the row had as [value, null].
An update that changes a `status` column is recorded with action "status".
"""

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Row, TypeDecorator, and_, bindparam, func, insert, inspect, select
from sqlmodel import Session

import app.models  # noqa: F401 (every table registered, so that the audited tables are all known)
from app.errors import BadRequest, FieldError
from app.models.audit import AuditAction, AuditEvent
from app.models.base import TenantScoped, utcnow
from app.models.types import MAX_ID
from app.services import permissions
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind
from app.services.spreadsheets import cell

PRINCIPAL_KEY = "principal"  # where bind() keeps the acting principal in session.info
COMMAND_LINE = "command line"

NOT_AUDITED_TABLES = frozenset({"audit_event", "password_link", "import_upload"})
SECRET_COLUMNS = frozenset({"token_hash", "key_hash", "password_hash", "content"})
_NOISE = frozenset({"id", "partnership_id", "version", "created_at", "updated_at", "updated_by"})
_NOISE_BY_TABLE = {
    "api_token": frozenset({"last_used_at"}),
    "import_job": frozenset({"heartbeat_at", "progress_done", "progress_total", "summary", "problems"}),
    "school": frozenset({"latest_inspected_on", "latest_framework", "latest_headline"}),
    # Worked out when a clinic opens and never changed after: kept in their own rows (a clinic's
    # baseline is as large as the partnership), not copied into the trail.
    "clinic": frozenset({"changes", "baseline"}),
    "clinic_agenda_item": frozenset({"snapshot"}),
}

_TABLE = AuditEvent.__table__
DEFAULT_LIMIT = 50
CSV_MAX_ROWS = 50_000
HISTORY_LIMIT = 100
SORT = "-id"  # newest first: events are numbered as they are written


# --- what is audited ------------------------------------------------------------------------------


@lru_cache
def _audited() -> dict[type, tuple[str, tuple[str, ...]]]:
    """Each audited class: its table's name and the attributes recorded."""
    from sqlmodel import SQLModel

    found = {}
    for mapper in SQLModel._sa_registry.mappers:
        cls = mapper.class_
        table = getattr(cls, "__tablename__", None)
        if not issubclass(cls, TenantScoped) or table in NOT_AUDITED_TABLES:
            continue
        skip = SECRET_COLUMNS | _NOISE | _NOISE_BY_TABLE.get(table, frozenset())
        keys = tuple(p.key for p in mapper.column_attrs
                     if p.key not in skip and all(c.name not in skip for c in p.columns))
        found[cls] = (table, keys)
    return found


def audited_tables() -> list[str]:
    """The names of the tables whose changes are recorded (the `table` filter's choices)."""
    return sorted(table for table, _ in _audited().values())


# --- values ---------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A value as JSON can hold it: dates and times ISO 8601, decimals as text, enums by value."""
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    return str(value)


def _actor(by: Principal | None) -> dict[str, Any]:
    if by is None:
        return {"actor": COMMAND_LINE, "actor_user_id": None, "actor_token_id": None}
    return {"actor": by.label[:200], "actor_user_id": by.user_id, "actor_token_id": by.token_id}


def action_for(changes: Mapping[str, Any]) -> str:
    """An update that moves a record's status is a "status" event (a visit's workflow)."""
    return AuditAction.status.value if "status" in changes else AuditAction.update.value


# --- writing --------------------------------------------------------------------------------------


def record_flush(session: Session) -> None:
    """The events of one ORM flush, inserted in one executemany (app.db runs this after a flush:
    new rows have their ids, and each changed attribute's history still holds what it was)."""
    audited = _audited()
    events = []
    for obj in session.new:
        found = audited.get(type(obj))
        if found is not None:
            values = inspect(obj).dict
            changes = {k: [None, plain(values[k])] for k in found[1] if values.get(k) is not None}
            events.append((obj, found[0], AuditAction.create.value, changes))
    for obj in session.dirty:
        found = audited.get(type(obj))
        if found is None:
            continue
        attrs = inspect(obj).attrs
        changes = {}
        for key in found[1]:
            history = attrs[key].history
            if not history.added and not history.deleted:
                continue
            before = plain(history.deleted[0]) if history.deleted else None
            after = plain(history.added[0]) if history.added else None
            if before != after:
                changes[key] = [before, after]
        if changes:
            events.append((obj, found[0], action_for(changes), changes))
    for obj in session.deleted:
        found = audited.get(type(obj))
        if found is not None:
            values = inspect(obj).dict
            changes = {k: [plain(values[k]), None] for k in found[1] if values.get(k) is not None}
            events.append((obj, found[0], AuditAction.delete.value, changes))
    if not events:
        return
    common = {"occurred_at": utcnow()} | _actor(session.info.get(PRINCIPAL_KEY))
    rows = [common | {"partnership_id": obj.partnership_id, "table_name": table, "record_id": obj.id,
                      "action": action, "changes": changes} | _parent(obj)
            for obj, table, action, changes in events]
    session.connection().execute(insert(_TABLE), rows)


def _parent(obj: Any) -> dict[str, Any]:
    """The record `obj` belongs to, if its class names one: `__audit_parent__ = (table, attribute)`."""
    parent = getattr(type(obj), "__audit_parent__", None)
    if parent is None:
        return {"parent_table": None, "parent_id": None}
    table, attribute = parent
    return {"parent_table": table, "parent_id": getattr(obj, attribute)}


def record_bulk(session: Session, events: Mapping[str, Iterable[tuple[int, str, Mapping[str, list]]]], *,
                by: Principal) -> int:
    """Record what batched Core writes did, which no flush sees: `events` maps a table's name to its
    (record id, action, {field: [before, after]}) triples. One executemany for all of them, however
    many; returns how many events were written."""
    rows = []
    encode = _ENCODER.encode
    for table, triples in events.items():
        if table in NOT_AUDITED_TABLES:
            raise ValueError(f"{table} is not audited")
        for record_id, action, changes in triples:
            if not SECRET_COLUMNS.isdisjoint(changes):
                changes = {k: v for k, v in changes.items() if k not in SECRET_COLUMNS}
            try:
                text = encode(changes)
            except ValueError:  # NaN or infinity, which JSON cannot hold
                text = encode(plain(changes))
            rows.append({"table_name": table, "record_id": record_id, "action": action, "changes": text})
    if rows:
        # A national import records some 80,000 events: their JSON is written above by the C
        # encoder, not converted value by value; what every row shares is given once, in the statement.
        common = {"occurred_at": utcnow(), "partnership_id": by.partnership_id} | _actor(by)
        stmt = insert(_TABLE).values(common | {"changes": bindparam("changes", type_=_EncodedJSON())})
        session.connection().execute(stmt, rows)
    return len(rows)


class _EncodedJSON(TypeDecorator):
    """A JSON column's value already encoded (by record_bulk), handed to the driver as it is."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):  # noqa: ANN001, ANN201
        return None


def _json_default(value: Any) -> Any:
    converted = plain(value)
    if converted is value:
        raise TypeError(f"cannot record a {type(value).__name__}")
    return converted


_ENCODER = json.JSONEncoder(default=_json_default, allow_nan=False)


# --- reading --------------------------------------------------------------------------------------


@dataclass
class AuditFilters:
    table: str | None = None
    record_id: int | None = None
    actor: str | None = None
    since: datetime | None = None  # from this moment on
    until: datetime | None = None  # before this moment


@dataclass
class AuditPage:
    rows: list[Row]
    total: int
    limit: int
    next_cursor: str | None


COLUMNS = (AuditEvent.id, AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.actor_user_id,
           AuditEvent.actor_token_id, AuditEvent.table_name, AuditEvent.record_id, AuditEvent.action,
           AuditEvent.changes)


def _check(filters: AuditFilters) -> None:
    def bad(field: str, message: str) -> BadRequest:
        return BadRequest(message, errors=[FieldError(field, message, "query")])

    if filters.table is not None and filters.table not in audited_tables():
        raise bad("table", f"unknown table {filters.table!r}; use one of: {', '.join(audited_tables())}")
    if filters.record_id is not None and not 0 < filters.record_id <= MAX_ID:
        raise bad("record_id", "a record id is a whole number from 1")
    for name in ("since", "until"):
        moment = getattr(filters, name)
        if moment is not None and moment.tzinfo is None:
            raise bad(name, "give a time with its offset from UTC")


def _filtered(stmt, filters: AuditFilters):
    if filters.table is not None:
        stmt = stmt.where(AuditEvent.table_name == filters.table)
    if filters.record_id is not None:
        stmt = stmt.where(AuditEvent.record_id == filters.record_id)
    if filters.actor:
        stmt = stmt.where(AuditEvent.actor == filters.actor.strip())
    if filters.since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEvent.occurred_at < filters.until)
    return stmt


def page(session: Session, filters: AuditFilters, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
         by: Principal) -> AuditPage:
    """A page of the partnership's audit events, newest first, with the total that match."""
    bind(session, by)
    permissions.require_audit_reader(by)
    _check(filters)
    limit = clamp_limit(limit)
    key = SortKey(SORT, AuditEvent.id, True, int)
    after = decode_cursor(cursor, SORT, int) if cursor else None
    total = session.scalar(_filtered(select(func.count(AuditEvent.id)), filters))
    stmt = apply_keyset(_filtered(select(*COLUMNS), filters), key, AuditEvent.id, after).limit(limit + 1)
    rows = session.execute(stmt).all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(SORT, last.id, last.id)
    return AuditPage(rows[:limit], total or 0, limit, next_cursor)


def newest(session: Session, filters: AuditFilters, *, limit: int = CSV_MAX_ROWS, by: Principal) -> list[Row]:
    """The newest `limit` events that match, newest first (the CSV export)."""
    bind(session, by)
    permissions.require_audit_reader(by)
    _check(filters)
    stmt = _filtered(select(*COLUMNS), filters).order_by(AuditEvent.id.desc()).limit(limit)
    return list(session.execute(stmt).all())


def history(session: Session, table: str, record_id: int, *, limit: int = HISTORY_LIMIT) -> list[Row]:
    """The newest `limit` events of one record and of the records that belong to it (a visit and its
    actions, removed ones included), newest first. The caller has checked that the reader may see
    the record; seeing its history needs nothing more."""
    # Two reads, each the newest `limit` through its own index (the record's, the parent's), merged:
    # as one statement with OR, SQLite walked every event of the partnership (85 ms at 175,000).
    found = []
    for condition in (and_(AuditEvent.table_name == table, AuditEvent.record_id == record_id),
                      and_(AuditEvent.parent_table == table, AuditEvent.parent_id == record_id)):
        found += session.execute(select(*COLUMNS).where(condition).order_by(AuditEvent.id.desc()).limit(limit)).all()
    return sorted(found, key=lambda row: row.id, reverse=True)[:limit]


def day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Whole UTC days, both included, as the moments the filters take."""
    start = datetime.combine(since, time(), UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), UTC) if until else None
    return start, end


# --- the CSV export -------------------------------------------------------------------------------

CSV_HEADER = ("event", "occurred_at_utc", "actor", "table", "record_id", "action", "field", "before", "after")


def to_csv(rows: Iterable[Row]) -> bytes:
    """One line per field an event changed (an event without fields: one line), UTF-8 with a byte
    order mark so that Excel reads the accents right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        head = (row.id, row.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), cell(row.actor), cell(row.table_name),
                row.record_id, cell(row.action))
        fields = (row.changes or {}).items() or [(None, (None, None))]
        for field, pair in fields:
            before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            writer.writerow((*head, cell(field), cell(before), cell(after)))
    return out.getvalue().encode("utf-8")
