"""The raw baseline: the schools API's two read endpoints with nothing between the socket and the SQL.

A minimal Starlette app on the DB-API driver (sqlite3, or psycopg for PostgreSQL) that answers

    GET /api/v1/schools          (?phase=..., ?limit=..., ?cursor=... : sorted by name, keyset paged)
    GET /api/v1/schools/{urn}

with the project's SQL (the page query on the school row, which carries the latest inspection,
plus ``count(id)`` of the same filter), the project's token check (sha256 of the bearer token
looked up in ``api_token``, refused if revoked or without the read scope), the project's cursor
format (app/services/paging.py) and the project's JSON, serialised by orjson. Each request is one
read transaction, like the project's. Benchmarks compare the project against this app and assert
once that both answer the same JSON for the same request, which keeps the baseline honest.

It serves the ``name`` sort and the phase filter only: what the list benchmark asks for. The lists of
collaboratives, triads, visits (also a triad's) and audit events are in bench/raw_lists.py; issue 9's
action plans, a plan's milestones, support deployments and the two support reports in bench/raw_plans.py;
issue 11's red-flag list in bench/raw_flags.py.

    .venv/bin/python bench/raw_app.py --database-url sqlite:///data/app.db --port 8001
"""

import argparse
import base64
import hashlib
import json
import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import raw_flags, raw_lists, raw_plans  # noqa: E402

try:
    import orjson

    def dumps(value: object) -> bytes:
        return orjson.dumps(value, option=orjson.OPT_UTC_Z)

    JSON_LIBRARY = f"orjson {orjson.__version__}"
except ImportError:  # the baseline still answers; the results say it was measured without orjson
    def dumps(value: object) -> bytes:
        return json.dumps(value, default=_iso, separators=(",", ":")).encode()

    JSON_LIBRARY = "json (orjson is not installed)"

MAX_LIMIT = 200
PHASES = {"nursery", "primary", "infant", "junior", "middle", "secondary", "all_through", "special",
          "alternative_provision", "post_16"}
SCHOOL_COLUMNS = ("id", "urn", "name", "phase", "establishment_type", "trust_name", "la_code", "la_name", "status",
                  "pupils", "fsm_percent", "headteacher_name", "headteacher_started_on", "postcode", "engaged",
                  "not_engaged_reason", "la_category", "opened_on", "closed_on", "version", "created_at",
                  "updated_at")
LATEST_COLUMNS = ("latest_inspected_on", "latest_framework", "latest_headline")


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _json(body: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps(body), status_code=status, media_type="application/json", headers=headers)


def _problem(status: int, detail: str) -> Response:
    return Response(dumps({"status": status, "detail": detail}), status_code=status,
                    media_type="application/problem+json")


def encode_cursor(sort: str, value: object, row_id: int) -> str:
    """As app/services/paging.py writes it: url-safe base64 of compact JSON, without padding."""
    raw = json.dumps([sort, value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int] | None:
    try:
        sort, value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    if sort != "name" or not isinstance(value, str) or not isinstance(row_id, int) or isinstance(row_id, bool):
        return None
    return value, row_id


class Database:
    """One connection, used from the event loop's thread only; each request is one read transaction."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite"):
            self.engine = "sqlite"
            self.conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA busy_timeout=5000")
            self.mark = "?"
            columns = {row[1] for row in self.conn.execute("PRAGMA table_info(school)")}
        else:
            import psycopg

            self.engine = "postgresql"
            self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)
            self.mark = "%s"
            columns = {row[0] for row in self.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'school'")}
        # The latest inspection is kept on the school row once the migration that adds it has run;
        # on an older schema it is looked up per page row, by index.
        self.latest_on_row = all(c in columns for c in LATEST_COLUMNS)
        selected = SCHOOL_COLUMNS + (LATEST_COLUMNS if self.latest_on_row else ())
        self.select = ", ".join(selected)

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def end(self) -> None:
        self.conn.execute("COMMIT")

    def rows(self, sql: str, params: list) -> list[tuple]:
        return self.conn.execute(sql.replace("?", self.mark), params).fetchall()


def _timestamp(value: object) -> object:
    """A stored UTC timestamp as the project's JSON writes it (ISO 8601 with Z)."""
    if isinstance(value, str):  # SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff', in UTC
        text = value.replace(" ", "T", 1)
        return (text[:-7] if text.endswith(".000000") else text) + "Z"
    return value.astimezone(UTC)


def _day(value: object) -> object:
    return value if value is None or isinstance(value, str) else value.isoformat()


def school_json(row: tuple, latest: tuple | None) -> dict:
    (_, urn, name, phase, establishment_type, trust_name, la_code, la_name, status, pupils, fsm_percent,
     headteacher_name, headteacher_started_on, postcode, engaged, not_engaged_reason, la_category, opened_on,
     closed_on, version, created_at, updated_at) = row[:22]
    return {
        "urn": urn, "name": name, "phase": phase, "establishment_type": establishment_type,
        "trust_name": trust_name, "la_code": la_code, "la_name": la_name, "status": status, "pupils": pupils,
        "fsm_percent": fsm_percent, "headteacher_name": headteacher_name,
        "headteacher_started_on": _day(headteacher_started_on), "postcode": postcode, "engaged": bool(engaged),
        "not_engaged_reason": not_engaged_reason, "la_category": la_category, "opened_on": _day(opened_on),
        "closed_on": _day(closed_on),
        "latest_inspection": None if latest is None or latest[0] is None else
        {"inspected_on": _day(latest[0]), "framework": latest[1], "headline": latest[2]},
        "version": version, "created_at": _timestamp(created_at), "updated_at": _timestamp(updated_at),
    }


def build_app(url: str) -> Starlette:
    db = Database(url)

    def principal(request: Request) -> int | Response:
        """The token's partnership id, or the refusal."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.startswith("sp_"):
            return _problem(401, "give a bearer token")
        found = db.rows("SELECT partnership_id, scopes, revoked_at FROM api_token WHERE token_hash = ?",
                        [hashlib.sha256(token.encode()).hexdigest()])
        if not found:
            return _problem(401, "the bearer token is not recognised")
        partnership_id, scopes, revoked_at = found[0]
        if revoked_at is not None:
            return _problem(401, "this token has been revoked")
        if not {"read", "write"} & set(scopes.split()):
            return _problem(403, "this token lacks the read scope")
        return partnership_id

    def latest_for(row: tuple) -> tuple | None:
        if db.latest_on_row:
            return row[22:25]
        found = db.rows("SELECT inspected_on, framework, headline FROM inspection WHERE school_id = ? "
                        "ORDER BY inspected_on DESC, id DESC LIMIT 1", [row[0]])
        return found[0] if found else None

    async def list_schools(request: Request) -> Response:
        params = request.query_params
        phases = params.getlist("phase")
        if any(p not in PHASES for p in phases):
            return _problem(400, "unknown phase")
        try:
            limit = int(params.get("limit", "50"))
        except ValueError:
            return _problem(400, "limit must be a whole number")
        if not 1 <= limit <= MAX_LIMIT:
            return _problem(400, f"limit must be between 1 and {MAX_LIMIT}")
        after = None
        if "cursor" in params:
            after = decode_cursor(params["cursor"])
            if after is None:
                return _problem(400, "the cursor is not one this service issued")
        db.begin()
        try:
            partnership_id = principal(request)
            if isinstance(partnership_id, Response):
                return partnership_id
            where = "partnership_id = ?"
            args: list = [partnership_id]
            if phases:
                where += f" AND phase IN ({', '.join('?' * len(phases))})"
                args += phases
            total = db.rows(f"SELECT count(id) FROM school WHERE {where}", args)[0][0]
            page_where, page_args = where, list(args)
            if after is not None:
                page_where += " AND (lower(name) > ? OR (lower(name) = ? AND id > ?))"
                page_args += [after[0], after[0], after[1]]
            found = db.rows(f"SELECT {db.select}, lower(name) FROM school WHERE {page_where} "
                            f"ORDER BY lower(name), id LIMIT ?", [*page_args, limit + 1])
            items = [school_json(row, latest_for(row)) for row in found[:limit]]
        finally:
            db.end()
        next_cursor = None
        if len(found) > limit:
            last = found[limit - 1]
            next_cursor = encode_cursor("name", last[-1], last[0])
        return _json({"items": items, "total": total, "limit": limit, "next_cursor": next_cursor})

    async def get_school(request: Request) -> Response:
        urn = request.path_params["urn"]
        if len(urn) != 6 or not urn.isascii() or not urn.isdigit():
            return _problem(422, "a URN is 6 digits")
        db.begin()
        try:
            partnership_id = principal(request)
            if isinstance(partnership_id, Response):
                return partnership_id
            found = db.rows(f"SELECT {db.select} FROM school WHERE partnership_id = ? AND urn = ?",
                            [partnership_id, urn])
            body = school_json(found[0], latest_for(found[0])) if found else None
        finally:
            db.end()
        if body is None:
            return _problem(404, f"no school with URN {urn} in this partnership")
        return _json(body, headers={"ETag": f'"{body["version"]}"'})

    lists = raw_lists.add_routes(db, principal, _json, _problem, _timestamp, _day)
    plans = raw_plans.add_routes(db, principal, _json, _problem, _timestamp, _day)
    red_flags = raw_flags.add_routes(db, principal, _json, _problem, _timestamp, _day)
    app = Starlette(routes=[Route("/api/v1/schools", list_schools), Route("/api/v1/schools/{urn}", get_school),
                            *lists, *plans, *red_flags])
    app.state.json_library = JSON_LIBRARY
    app.state.engine = db.engine
    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(build_app(args.database_url), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
