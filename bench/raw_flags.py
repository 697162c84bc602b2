"""The raw baseline of the red-flag list (issue 11), served by bench/raw_app.py beside the other lists:

    GET /api/v1/red-flags        (``severity`` (repeatable), ``limit``, ``cursor``)

for a read-write or read token (whose partnership sees every school's flags, as the project's tokens do).
Red flags are worked out from current data on read, so answering the first page means working out every
school of the partnership: the baseline does that work with nothing of the framework around it.

Each request is one read transaction on the DB-API connection (sqlite3, or psycopg), in which it runs the
project's statements: the rules' settings, the partnership's scales, then the schools and each read the
enabled rules need (app.services.flag_data.reads: the inspections, the indicator figures, the national
figures, the triad reviews, the clinic actions, the review judgements, the plans, the manual flags).
Those statements are compiled once, at start, for the engine, with bind parameters for the partnership and
the dates (and again only for a partnership whose rules' settings need other reads); the settings' and the
partnership's are written here, narrower than the ORM's (the columns the rules use). The rows go, as the
driver gives them (dates parsed from SQLite's text, which SQLAlchemy does for the project), to the same
functions that take them into facts for the project, and from there to the project's own rules, its manual
flags and overrides, its ordering, its filter by severity and its cursor: app.services.flag_data,
flag_settings, flag_rules and the checks, and flags' plain functions (flag_schools, summaries, sort_keys,
page_keys, shown). They are the domain: plain Python over plain data, with no ORM, no session, no request
and no validation in them; the project runs exactly them too, so the baseline answers the same JSON
(checked before any timing) and measures what the framework adds, not different rules. The answer is
serialised by orjson, as the rest of the baseline.

It keeps nothing between requests: every request works every school out again. The project keeps the
order between requests until the data changes (app.services.flag_cache), so under repeated load it is
measured with the order kept; bench/flags_http.py measures both worked out afresh.

Other filters (``category``, ``urn``) are refused with 400 so that a wrong comparison cannot pass unnoticed.
"""

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Date, DateTime, bindparam, select  # noqa: E402
from sqlalchemy.dialects import postgresql, sqlite  # noqa: E402

from app.errors import BadRequest  # noqa: E402
from app.models.base import UTCDateTime  # noqa: E402
from app.models.flag import FlagRuleSetting, Severity  # noqa: E402
from app.models.partnership import Partnership  # noqa: E402
from app.services import collector, flag_data, flags  # noqa: E402
from app.services.flag_facts import Context, Needs  # noqa: E402
from app.services.flag_rules import RULES  # noqa: E402
from app.services.flag_settings import in_force  # noqa: E402

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
SEVERITIES = {s.value for s in Severity}
SERVED = {"severity", "limit", "cursor"}
# Bind parameters, each with a stand-in value (SQLAlchemy wants one to write out a list of IN values).
P, TODAY, OLDEST, SINCE = (bindparam("p", 0), bindparam("today", date.min), bindparam("oldest", ""),
                           bindparam("since", date.min))
_R, _T = FlagRuleSetting.__table__.c, Partnership.__table__.c


class SettingRow(NamedTuple):
    """A rule's stored settings, with the fields app.services.flag_settings.in_force reads."""

    rule: str
    enabled: bool
    thresholds: Any
    version: int
    updated_at: Any
    updated_by: str | None


class Statement(NamedTuple):
    """A statement compiled for the engine: its SQL, its parameters' names in order, the values of
    those the statement fixes, and how its result columns are made what SQLAlchemy would give."""

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]
    convert: tuple[tuple[int, Callable], ...]
    make: Callable | None = None  # a row type for records read by name (the manual flags)


def _sqlite_utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _converters(stmt: Any, engine: str) -> tuple[tuple[int, Callable], ...]:
    """SQLite keeps dates and timestamps as text, and SQLAlchemy parses them for the project; the
    project's timestamps come back in UTC on PostgreSQL too (app.models.base.UTCDateTime)."""
    found = []
    for n, column in enumerate(stmt.selected_columns):
        kind = column.type
        utc = isinstance(kind, UTCDateTime)
        kind = kind.impl if utc else kind
        if engine == "sqlite" and isinstance(kind, DateTime):
            found.append((n, _sqlite_utc if utc else datetime.fromisoformat))
        elif engine == "sqlite" and isinstance(kind, Date):
            found.append((n, date.fromisoformat))
        elif utc:
            found.append((n, _utc))
    return tuple(found)


def compile_statement(stmt: Any, engine: str, *, records: bool = False) -> Statement:
    dialect = sqlite.dialect(paramstyle="qmark") if engine == "sqlite" else \
        postgresql.psycopg.dialect(paramstyle="qmark")
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    make = None
    if records:
        make = NamedTuple("Record", [(c.name, Any) for c in stmt.selected_columns])._make
    return Statement(str(compiled), tuple(compiled.positiontup), dict(compiled.params),
                     _converters(stmt, engine), make)


def _shape(needs: Needs) -> Needs:
    """What the statements and the functions that read their rows depend on (not the day)."""
    return replace(needs, visits_since=needs.visits_since is not None, years=0)


def add_routes(db, principal: Callable, json_response: Callable, problem: Callable, timestamp: Callable,
               day: Callable) -> list[Route]:  # noqa: ANN001
    """The route on raw_app's Database (`db.rows(sql, params)`, `db.begin()`, `db.end()`, `db.engine`)."""
    engine = db.engine
    settings_sql = compile_statement(select(_R.rule, _R.enabled, _R.thresholds, _R.version, _R.updated_at,
                                            _R.updated_by).where(_R.partnership_id == P), engine)
    scales_sql = compile_statement(select(_T.category_scheme, _T.grade_labels).where(_T.id == P), engine)
    schools_sql = compile_statement(flag_data.schools_statement(P), engine)
    plans: dict[Needs, list[tuple[str, Statement, Callable]]] = {}

    def plan_for(needs: Needs) -> list[tuple[str, Statement, Callable]]:
        shape = _shape(needs)
        found = plans.get(shape)
        if found is None:
            reads = flag_data.reads(needs, partnership_id=P, ids=None, today=TODAY, oldest=OLDEST, since=SINCE,
                                    manual_partnership=P)
            found = plans[shape] = [(r.name, compile_statement(r.statement, engine, records=r.name == "manual"),
                                     r.assemble) for r in reads]
        return found

    plan_for(flags.needs_of({name: in_force(rule, None) for name, rule in RULES.items()}, date.today()))  # the default

    def as_param(value: Any) -> Any:
        return value.isoformat() if engine == "sqlite" and isinstance(value, date) else value

    def run(statement: Statement, values: dict[str, Any]) -> list:
        params = [values[name] if name in values else statement.fixed[name] for name in statement.names]
        rows = db.rows(statement.sql, params)
        if len(statement.convert) == 1:  # one date column (the schools, inspections, visits, actions)
            (n, function), = statement.convert
            rows = [row if row[n] is None else (*row[:n], function(row[n]), *row[n + 1:]) for row in rows]
        elif statement.convert:
            rows = [_converted(row, statement.convert) for row in rows]
        return [statement.make(row) for row in rows] if statement.make else rows

    def parsed(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def page(partnership_id: int, severity: list[str], limit: int, after: tuple | None) -> dict:
        today = date.today()
        stored = {row[0]: SettingRow(row[0], row[1], parsed(row[2]), *row[3:])
                  for row in run(settings_sql, {"p": partnership_id})}
        settings = {name: in_force(rule, stored.get(name)) for name, rule in RULES.items()}
        scheme, labels = run(scales_sql, {"p": partnership_id})[0]
        ctx = Context(today, tuple(parsed(scheme) or ()), tuple(parsed(labels) or ()))
        needs = flags.needs_of(settings, today)
        values = {"p": partnership_id, "today": as_param(today), "since": as_param(needs.visits_since),
                  "oldest": flag_data.oldest_year(today, needs.years)}
        with collector.paused(True):  # as the project does for a whole partnership (app.services.collector)
            facts = flag_data.schools_from_rows(run(schools_sql, values))
            nationals: dict = {}
            if facts:
                for name, statement, assemble in plan_for(needs):
                    found = assemble(facts, run(statement, values))
                    if name == "nationals":
                        nationals = found
            evaluated = flags.flag_schools(facts.values(), settings, replace(ctx, nationals=nationals))
        filters = flags.FlagFilters(severity=severity)
        keys = flags.sort_keys(flags.summaries(evaluated), filters)
        on_page, next_cursor = flags.page_keys(keys, after, limit)
        items = flags.shown(on_page, {s.id: s for s in evaluated if s.flags}, filters)
        return {"items": [{"urn": s.urn, "name": s.name, "phase": s.phase, "la_category": s.la_category,
                           "severity": s.severity, "flags": [f.as_dict() for f in s.flags]} for s in items],
                "total": len(keys), "limit": limit, "next_cursor": next_cursor}

    async def red_flags(request: Request) -> Response:
        params = request.query_params
        unknown = sorted(set(params) - SERVED)
        if unknown:
            return problem(400, f"the baseline does not serve {', '.join(unknown)}")
        severity = params.getlist("severity")
        if any(s not in SEVERITIES for s in severity):
            return problem(422, "unknown severity")
        try:
            limit = int(params.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            return problem(400, "limit must be a whole number")
        if not 1 <= limit <= MAX_LIMIT:
            return problem(400, f"limit must be between 1 and {MAX_LIMIT}")
        try:
            after = flags.place_after(params["cursor"]) if "cursor" in params else None
        except BadRequest:
            return problem(400, "the cursor is not one this service issued")
        db.begin()
        try:
            partnership_id = principal(request)
            if isinstance(partnership_id, Response):
                return partnership_id
            body = page(partnership_id, severity, limit, after)
        finally:
            db.end()
        return json_response(body)

    return [Route("/api/v1/red-flags", red_flags)]


def _converted(row: tuple, convert: tuple[tuple[int, Callable], ...]) -> tuple:
    values = list(row)
    for n, function in convert:
        if values[n] is not None:
            values[n] = function(values[n])
    return tuple(values)
