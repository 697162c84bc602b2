"""Benchmark the bulk upload of figures: 5,000 items (4,500 schools' figures of 900 schools and 500
national figures) into a fresh database, beside a raw baseline.

Three ways of doing the same upload, each timed three times over (all created into an empty
partnership; the same body again, all unchanged; new values, all updated), `--repeats` times:

- `api`: POST /api/v1/indicators/bulk to a real server (`python -m app serve`, one worker): JSON
  parsing, validation of every item, the token, the service, the commit;
- `service`: app.services.indicators_bulk.upsert and the commit, in process (what the CSV import runs);
- `raw`: the driver alone (sqlite3 / psycopg) running the same statements in one transaction: the
  schools' ids by URN, then INSERT ... ON CONFLICT DO UPDATE ... WHERE changed ... RETURNING, in
  chunks of 1,000 rows on SQLite, and on PostgreSQL one row's statement pipelined by psycopg's
  executemany (its fastest way: it parses placeholders in Python, a 1,000-row statement's in about
  100 ms, which the project's statements pay). The raw path reads no stored rows first and writes no audit events, which
  the project does (a pre-read of the stored figures, and one event per figure written).

Figures are only worth comparing on a quiet machine: before each way is timed the script waits (up
to `--wait` seconds) for the 1-minute load average to fall below 1.0, and records the load before
and after whatever it was. Results: bench/results/indicators_bulk.json.

    .venv/bin/python bench/indicators_bulk.py [--repeats 5] [--postgresql-url postgresql+psycopg://app:app@127.0.0.1:5432/app]

`--postgresql-url` names a server (and a database to connect to); the benchmark creates a database of
its own there and drops it afterwards. Without it only SQLite is measured.
"""

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from alembic import command  # noqa: E402
from sqlalchemy import create_engine, delete, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.db import build_engine, session_scope  # noqa: E402
from app.models.audit import AuditEvent  # noqa: E402
from app.models.flag import NationalFigure  # noqa: E402
from app.models.indicator import Indicator  # noqa: E402
from app.models.indicator_bulk import IndicatorItem  # noqa: E402
from app.services import accounts, indicators_bulk  # noqa: E402
from bench.common import machine, project_server, write_results  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import alembic_config  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "indicators_bulk.json"
SCHOOLS, MEASURES, NATIONAL = 900, ("attainment", "progress", "absence", "persistent_absence", "roll"), 500
QUIET = 1.0
CHUNK = indicators_bulk.CHUNK


def body(urns: list[str], value: float) -> list[dict]:
    items = [{"urn": urn, "measure": m, "academic_year": "2025/26", "value": value + n, "source": "DfE",
              "recorded_on": "2026-10-01"} for n, urn in enumerate(urns) for m in MEASURES]
    items += [{"national": True, "measure": f"national_{n}", "academic_year": "2025/26", "value": value,
               "source": "DfE"} for n in range(NATIONAL)]
    return items


def wait_for_quiet(limit: float) -> dict:
    started = time.monotonic()
    while os.getloadavg()[0] >= QUIET and time.monotonic() - started < limit:
        time.sleep(5)
    load = os.getloadavg()[0]
    return {"load_before": round(load, 2), "quiet": load < QUIET, "waited_seconds": round(time.monotonic() - started)}


# --- the three ways ---------------------------------------------------------------------------------------


def service_way(engine, partnership) -> Callable[[list[dict]], dict]:  # noqa: ANN001
    by = accounts.operator(partnership)

    def run(items: list[dict]) -> dict:
        with session_scope(engine=engine) as session:
            return indicators_bulk.upsert(session, [IndicatorItem.model_validate(i) for i in items], by=by).as_dict()

    return run


def api_way(url: str, token: str) -> Callable[[list[dict]], dict]:
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120)

    def run(items: list[dict]) -> dict:
        response = client.post("/api/v1/indicators/bulk", json={"items": items})
        response.raise_for_status()
        return response.json()

    run.close = client.close  # type: ignore[attr-defined]
    return run


_COLUMNS = ("partnership_id", "school_id", "measure", "academic_year", "value", "source", "recorded_on", "version",
            "created_at", "updated_at", "updated_by")
_NATIONAL_COLUMNS = ("partnership_id", "measure", "academic_year", "value", "source", "version", "created_at",
                     "updated_at", "updated_by")


def _upsert_sql(table: str, columns: tuple[str, ...], key: str, rows: int, mark: str, dated: bool) -> str:
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    changed = f"{table}.value IS DISTINCT FROM excluded.value"
    sets = ["value = excluded.value", f"version = {table}.version + 1", "updated_at = excluded.updated_at",
            "updated_by = excluded.updated_by"]
    if dated:
        sets.append("recorded_on = excluded.recorded_on")
        changed += f" OR {table}.recorded_on IS DISTINCT FROM excluded.recorded_on"
    if mark == "?":
        changed = changed.replace("IS DISTINCT FROM", "IS NOT")
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)} "
            f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(sets)} WHERE {changed} RETURNING id, version")


def raw_way(url: str, partnership_id: int) -> Callable[[list[dict]], dict]:
    """The driver alone: the same lookups and upserts, no ORM, no validation beyond the database's."""
    sqlite_file = url.removeprefix("sqlite:///") if url.startswith("sqlite") else None
    if sqlite_file is not None:
        conn = sqlite3.connect(sqlite_file, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        mark = "?"
    else:
        import psycopg

        conn = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                               autocommit=True)
        mark = "%s"

    def stamp() -> object:
        now = datetime.now(UTC)
        return str(now.replace(tzinfo=None)) if sqlite_file else now

    def run(items: list[dict]) -> dict:
        now, by = stamp(), "raw baseline"
        conn.execute("BEGIN IMMEDIATE" if sqlite_file else "BEGIN")
        urns = sorted({i["urn"] for i in items if "urn" in i})
        ids = dict(conn.execute(f"SELECT urn, id FROM school WHERE partnership_id = {mark} AND urn IN "
                                f"({', '.join([mark] * len(urns))})", [partnership_id, *urns]).fetchall())
        schools = sorted(((partnership_id, ids[i["urn"]], i["measure"], i["academic_year"], i["value"], i["source"],
                           i["recorded_on"], 1, now, now, by) for i in items if "urn" in i), key=lambda r: r[1:4])
        national = sorted((partnership_id, i["measure"], i["academic_year"], i["value"], i["source"], 1, now, now, by)
                          for i in items if i.get("national"))
        returned: list[tuple[int, int]] = []
        for rows, table, columns, key, dated in (
                (schools, "indicator", _COLUMNS, "school_id, measure, academic_year, source", True),
                (national, "national_figure", _NATIONAL_COLUMNS, "partnership_id, measure, academic_year, source",
                 False)):
            if sqlite_file is None:
                # psycopg parses a statement's placeholders in Python, uncached past 50 of them: a
                # 1,000-row VALUES list costs it ~100 ms. Its fastest way is one row's statement,
                # pipelined (executemany with RETURNING).
                with conn.cursor() as cursor:
                    cursor.executemany(_upsert_sql(table, columns, key, 1, mark, dated), rows, returning=True)
                    while True:
                        returned += cursor.fetchall()
                        if not cursor.nextset():
                            break
                continue
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start:start + CHUNK]
                sql = _upsert_sql(table, columns, key, len(chunk), mark, dated)
                returned += conn.execute(sql, [value for row in chunk for value in row]).fetchall()
        conn.execute("COMMIT")
        written, created = len(returned), sum(1 for _, version in returned if version == 1)
        return {"created": created, "updated": written - created, "unchanged": len(items) - written}

    run.close = conn.close  # type: ignore[attr-defined]
    return run


# --- one engine -------------------------------------------------------------------------------------------


def _reset(engine) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.execute(delete(Indicator.__table__))
        conn.execute(delete(NationalFigure.__table__))
        conn.execute(delete(AuditEvent.__table__).where(AuditEvent.table_name.in_(["indicator", "national_figure"])))


def measure_engine(url: str, repeats: int, wait: float, workdir: Path) -> dict:
    command.upgrade(alembic_config(url), "head")
    engine = build_engine(url)
    with session_scope(engine=engine) as session:
        partnership = factories.make_partnership(session, slug="bench-indicators")
        urns = [factories.make_school(session, partnership, urn=str(300000 + n)).urn for n in range(SCHOOLS)]
        token = factories.make_token(session, partnership, "read write")
    env = {**os.environ, "ENVIRONMENT": "development", "DATABASE_URL": url}
    server = project_server(url, env=env, log=workdir / "server.log")
    server.wait_ready()
    ways = {"api": api_way(server.url, token), "service": service_way(engine, partnership),
            "raw": raw_way(url, partnership.id)}
    found: dict[str, dict] = {}
    try:
        for name, run in ways.items():
            state = wait_for_quiet(wait)
            timings: dict[str, list[float]] = {"create": [], "unchanged": [], "update": []}
            answers: dict[str, dict] = {}
            for repeat in range(repeats):
                _reset(engine)
                for scenario, items in (("create", body(urns, 1.0)), ("unchanged", body(urns, 1.0)),
                                        ("update", body(urns, 2.0 + repeat))):
                    started = time.perf_counter()
                    answers[scenario] = run(items)
                    timings[scenario].append(time.perf_counter() - started)
            found[name] = state | {"load_after": round(os.getloadavg()[0], 2)} | {
                scenario: {"median_ms": round(statistics.median(values) * 1000, 1),
                           "min_ms": round(min(values) * 1000, 1), "counts": answers[scenario]}
                for scenario, values in timings.items()}
    finally:
        for run in ways.values():
            getattr(run, "close", lambda: None)()
        server.stop()
        engine.dispose()
    for name in ("api", "service"):
        found[name]["ratio_to_raw"] = {scenario: round(found[name][scenario]["median_ms"]
                                                       / found["raw"][scenario]["median_ms"], 1)
                                       for scenario in ("create", "unchanged", "update")}
    return found


def _postgresql_database(server_url: str) -> tuple[str, Callable[[], None]]:
    base = make_url(server_url)
    name = f"indicators_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for a quiet machine per way")
    parser.add_argument("--postgresql-url", help="a PostgreSQL server to measure on too")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    results = {"benchmark": "POST /api/v1/indicators/bulk, 5,000 items, beside the driver alone",
               "items": {"school_figures": SCHOOLS * len(MEASURES), "national_figures": NATIONAL},
               "repeats": args.repeats, "today": date.today().isoformat(), **machine(), "engines": {}}
    with tempfile.TemporaryDirectory(prefix="indicators-bench-") as tmp:
        workdir = Path(tmp)
        results["engines"]["sqlite"] = measure_engine(f"sqlite:///{workdir / 'bench.db'}", args.repeats, args.wait,
                                                      workdir)
        if args.postgresql_url:
            url, drop = _postgresql_database(args.postgresql_url)
            try:
                results["engines"]["postgresql"] = measure_engine(url, args.repeats, args.wait, workdir)
            finally:
                drop()
    write_results(args.results, results)
    for engine, ways in results["engines"].items():
        for name, found in ways.items():
            figures = ", ".join(f"{s} {found[s]['median_ms']:.0f} ms" for s in ("create", "unchanged", "update"))
            ratio = found.get("ratio_to_raw")
            print(f"{engine:<10} {name:<8} {figures}" + (f"  (x raw: {ratio})" if ratio else "")
                  + f"  load {found['load_before']}->{found['load_after']}")
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
