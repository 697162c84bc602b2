"""The raw baseline of the peer-review lists (issue 7), served by bench/raw_app.py beside the schools list:

    GET /api/v1/collaboratives           GET /api/v1/triads
    GET /api/v1/visits                   GET /api/v1/triads/{triad_id}/visits
    GET /api/v1/audit-events

each with ``limit`` and ``cursor`` (no other filter), for a read-write or read token. Each runs the
statements the project's service runs for the same request, in the same order, in one read
transaction (captured from the project with SQL echo): the count, the page in the order of its
index (keyset after the cursor), then the page's schools or actions, and for visits the
partnership's grade labels; a triad's visits first look the triad up (404 if it is not the
partnership's). JSON columns are handed to orjson as they are stored (``orjson.Fragment``) on
SQLite; psycopg has already parsed them on PostgreSQL.
"""

import base64
import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

try:
    import orjson

    def _embedded(value: object) -> object:
        return orjson.Fragment(value) if isinstance(value, str) else value

except ImportError:  # raw_app falls back to json; so does this

    def _embedded(value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


DEFAULT_LIMIT, MAX_LIMIT = 50, 200
VERSIONED = ("version", "created_at", "updated_at", "updated_by")
COLLABORATIVE = ("id", "name", "phase", "academic_year", "lead_user_id", "budget_pounds", "lead_override_reason")
TRIAD = ("id", "name", "collaborative_id", "academic_year")
VISIT = (
    "id",
    "kind",
    "triad_id",
    "visit_date",
    "academic_year",
    "visiting_heads",
    "focus_areas",
    "strengths",
    "areas_for_development",
    "priorities_for_support",
    "grade",
    "status",
    "submitted_at",
    "signed_off_at",
    "signed_off_by",
    "reopen_reason",
)
ACTION = ("id", "visit_id", "text", "owner", "due_on", "status")
AUDIT = (
    "id",
    "occurred_at",
    "actor",
    "actor_user_id",
    "actor_token_id",
    "table_name",
    "record_id",
    "action",
    "changes",
)
TIMESTAMPS = {"created_at", "updated_at", "submitted_at", "signed_off_at", "occurred_at"}
DAYS = {"visit_date", "due_on"}
JSON_COLUMNS = {"visiting_heads", "focus_areas", "changes"}
TRIAD_SIZE_WARNING = "a triad of {} schools: three is usual, so that each head visits and is visited by two others"


def _cursor(sort: str, value: object, row_id: int) -> str:
    raw = json.dumps([sort, value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str | None, sort: str, kind: type) -> tuple | None | bool:
    """The cursor's (value, id); None without one; False if it is not one the project would issue."""
    if cursor is None:
        return None
    try:
        name, value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return False
    if name != sort or not isinstance(value, kind) or not isinstance(row_id, int) or isinstance(row_id, bool):
        return False
    return value, row_id


def add_routes(
    db, principal: Callable, json_response: Callable, problem: Callable, timestamp: Callable, day: Callable
) -> list[Route]:  # noqa: ANN001
    """The lists' routes on raw_app's Database (`db.rows(sql, params)`, `db.begin()`, `db.end()`)."""

    def value(name: str, raw: object) -> object:
        if raw is None:
            return None
        if name in TIMESTAMPS:
            return timestamp(raw)
        if name in DAYS:
            return day(raw)
        if name in JSON_COLUMNS:
            return _embedded(raw)
        return raw

    def record(names: tuple[str, ...], row: tuple) -> dict:
        return {name: value(name, raw) for name, raw in zip(names, row, strict=False)}

    def params(request: Request) -> tuple[int, str | None] | Response:
        try:
            limit = int(request.query_params.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            return problem(400, "limit must be a whole number")
        if not 1 <= limit <= MAX_LIMIT:
            return problem(400, f"limit must be between 1 and {MAX_LIMIT}")
        return limit, request.query_params.get("cursor")

    def page(request: Request, work: Callable) -> Response:
        """Token, limit and cursor checked, then `work(partnership_id, limit, cursor)` in one read transaction."""
        asked = params(request)
        if isinstance(asked, Response):
            return asked
        db.begin()
        try:
            partnership_id = principal(request)
            if isinstance(partnership_id, Response):
                return partnership_id
            return work(partnership_id, *asked)
        finally:
            db.end()

    def members(link: str, owner: str, partnership_id: int, ids: list[int]) -> dict[int, list[dict]]:
        found: dict[int, list[tuple]] = {i: [] for i in ids}
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        for owner_id, urn, name in db.rows(
            f"SELECT {link}.{owner} AS owner, school.urn, school.name FROM {link} JOIN school "
            f"ON school.id = {link}.school_id AND school.partnership_id = ? WHERE {link}.{owner} IN ({marks}) "
            f"AND {link}.partnership_id = ?",
            [partnership_id, *ids, partnership_id],
        ):
            found[owner_id].append((urn, name))
        return {i: [{"urn": urn, "name": name} for urn, name in sorted(rows)] for i, rows in found.items()}

    def by_year(
        table: str,
        columns: str,
        joins: str,
        names: tuple[str, ...],
        partnership_id: int,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[tuple], int, str | None] | Response:
        """A page of collaboratives or triads in (academic year, id) order, and the count of all."""
        after = _after(cursor, "academic_year", str)
        if after is False:
            return problem(400, "the cursor is not one this service issued")
        total = db.rows(
            f"SELECT count({table}.id) AS count_1 FROM {table} WHERE {table}.partnership_id = ?", [partnership_id]
        )[0][0]
        where, args = f"{table}.partnership_id = ?", [partnership_id]
        if after:
            where += f" AND ({table}.academic_year > ? OR {table}.academic_year = ? AND {table}.id > ?)"
            args += [after[0], after[0], after[1]]
        rows = db.rows(
            f"SELECT {columns} FROM {table}{joins} WHERE {where} "
            f"ORDER BY {table}.academic_year ASC, {table}.id ASC LIMIT ?",
            [*args, limit + 1],
        )
        next_cursor = None
        if len(rows) > limit:
            last = dict(zip(names, rows[limit - 1], strict=False))
            next_cursor = _cursor("academic_year", last["academic_year"], last["id"])
        return rows[:limit], total, next_cursor

    async def collaboratives(request: Request) -> Response:
        names = (*VERSIONED, *COLLABORATIVE, "lead_name")
        columns = ", ".join([f"collaborative.{n}" for n in (*VERSIONED, *COLLABORATIVE)] + ["app_user.name"])

        def work(partnership_id: int, limit: int, cursor: str | None) -> Response:
            found = by_year(
                "collaborative",
                columns,
                " LEFT OUTER JOIN app_user ON app_user.id = collaborative.lead_user_id",
                names,
                partnership_id,
                limit,
                cursor,
            )
            if isinstance(found, Response):
                return found
            rows, total, next_cursor = found
            schools = members("collaborative_school", "collaborative_id", partnership_id, [r[4] for r in rows])
            items = [record(names, row) | {"schools": schools[row[4]]} for row in rows]
            return json_response({"items": items, "total": total, "limit": limit, "next_cursor": next_cursor})

        return page(request, work)

    async def triads(request: Request) -> Response:
        names = (*VERSIONED, *TRIAD)
        columns = ", ".join(f"triad.{n}" for n in names)

        def work(partnership_id: int, limit: int, cursor: str | None) -> Response:
            found = by_year("triad", columns, "", names, partnership_id, limit, cursor)
            if isinstance(found, Response):
                return found
            rows, total, next_cursor = found
            schools = members("triad_school", "triad_id", partnership_id, [r[4] for r in rows])
            items = []
            for row in rows:
                listed = schools[row[4]]
                items.append(
                    record(names, row)
                    | {
                        "schools": listed,
                        "warnings": [] if len(listed) == 3 else [TRIAD_SIZE_WARNING.format(len(listed))],
                    }
                )
            return json_response({"items": items, "total": total, "limit": limit, "next_cursor": next_cursor})

        return page(request, work)

    visit_names = (*VERSIONED, *VISIT, "urn", "school_name")
    visit_columns = ", ".join([f"triad_visit.{n}" for n in (*VERSIONED, *VISIT)] + ["school.urn", "school.name"])
    action_names = (*VERSIONED, *ACTION)
    action_columns = ", ".join(f"visit_action.{n}" for n in action_names)

    def visit_page(partnership_id: int, limit: int, cursor: str | None, triad_id: int | None) -> Response:
        after = _after(cursor, "-visit_date", str)
        if after is False:
            return problem(400, "the cursor is not one this service issued")
        where, args = "triad_visit.partnership_id = ?", [partnership_id]
        if triad_id is not None:
            where, args = "triad_visit.triad_id IN (?) AND " + where, [triad_id, partnership_id]
        total = db.rows(f"SELECT count(triad_visit.id) AS count_1 FROM triad_visit WHERE {where}", args)[0][0]
        if after:
            where += " AND (triad_visit.visit_date < ? OR triad_visit.visit_date = ? AND triad_visit.id < ?)"
            args = [*args, after[0], after[0], after[1]]
        rows = db.rows(
            f"SELECT {visit_columns} FROM triad_visit JOIN school ON school.id = triad_visit.school_id "
            f"AND school.partnership_id = ? WHERE {where} ORDER BY triad_visit.visit_date DESC, "
            f"triad_visit.id DESC LIMIT ?",
            [partnership_id, *args, limit + 1],
        )
        next_cursor = None
        if len(rows) > limit:
            last = dict(zip(visit_names, rows[limit - 1], strict=False))
            next_cursor = _cursor("-visit_date", day(last["visit_date"]), last["id"])
        rows = rows[:limit]
        actions: dict[int, list[dict]] = {}
        labels: list = []
        if rows:
            ids = [row[4] for row in rows]
            for action in db.rows(
                f"SELECT {action_columns} FROM visit_action WHERE visit_action.visit_id IN "
                f"({', '.join('?' * len(ids))}) AND visit_action.partnership_id = ? "
                f"ORDER BY visit_action.visit_id, visit_action.id",
                [*ids, partnership_id],
            ):
                actions.setdefault(action[5], []).append(record(action_names, action))
            stored = db.rows(
                "SELECT partnership.grade_labels FROM partnership WHERE partnership.id = ?", [partnership_id]
            )[0][0]
            labels = json.loads(stored) if isinstance(stored, str) else stored
        items = []
        for row in rows:
            item = record(visit_names, row)
            grade = item["grade"]
            item["grade_label"] = labels[grade - 1] if grade is not None and 1 <= grade <= len(labels) else None
            item["actions"] = actions.get(item["id"], [])
            items.append(item)
        return json_response({"items": items, "total": total, "limit": limit, "next_cursor": next_cursor})

    async def visits(request: Request) -> Response:
        return page(request, lambda partnership_id, limit, cursor: visit_page(partnership_id, limit, cursor, None))

    async def triad_visits(request: Request) -> Response:
        text = request.path_params["triad_id"]
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 2_147_483_647:
            return problem(422, "a triad id is a whole number from 1")
        triad_id = int(text)

        def work(partnership_id: int, limit: int, cursor: str | None) -> Response:
            found = db.rows(
                f"SELECT {', '.join(f'triad.{n}' for n in (*VERSIONED, 'partnership_id', *TRIAD))} "
                "FROM triad WHERE triad.id = ? AND triad.partnership_id = ?",
                [triad_id, partnership_id],
            )
            if not found:
                return problem(404, f"no triad {triad_id} in this partnership")
            return visit_page(partnership_id, limit, cursor, triad_id)

        return page(request, work)

    async def audit_events(request: Request) -> Response:
        columns = ", ".join(f"audit_event.{n}" for n in AUDIT)

        def work(partnership_id: int, limit: int, cursor: str | None) -> Response:
            after = _after(cursor, "-id", int)
            if after is False:
                return problem(400, "the cursor is not one this service issued")
            total = db.rows(
                "SELECT count(audit_event.id) AS count_1 FROM audit_event WHERE audit_event.partnership_id = ?",
                [partnership_id],
            )[0][0]
            where, args = "audit_event.partnership_id = ?", [partnership_id]
            if after:
                where += " AND (audit_event.id < ? OR audit_event.id = ? AND audit_event.id < ?)"
                args += [after[0], after[0], after[1]]
            rows = db.rows(
                f"SELECT {columns} FROM audit_event WHERE {where} "
                f"ORDER BY audit_event.id DESC, audit_event.id DESC LIMIT ?",
                [*args, limit + 1],
            )
            next_cursor = _cursor("-id", rows[limit - 1][0], rows[limit - 1][0]) if len(rows) > limit else None
            items = []
            for row in rows[:limit]:
                item = record(AUDIT, row)
                item["table"] = item.pop("table_name")
                items.append(item)
            return json_response({"items": items, "total": total, "limit": limit, "next_cursor": next_cursor})

        return page(request, work)

    return [
        Route("/api/v1/collaboratives", collaboratives),
        Route("/api/v1/triads", triads),
        Route("/api/v1/visits", visits),
        Route("/api/v1/triads/{triad_id}/visits", triad_visits),
        Route("/api/v1/audit-events", audit_events),
    ]
