"""Benchmark the GIAS import on a fictional national-size extract.

Generates a realistic extract (50,000 rows by default: fictional schools spread over about 150
LAs, mixed phases, types, statuses and Ofsted ratings, cp1252-encoded), builds a fresh SQLite
database with ``alembic upgrade head`` and times ``gias.import_file`` (and the commit) for:

1. the whole national file into an empty partnership,
2. the same file again (idempotent: nothing created or updated),
3. a year later: the same schools with every roll changed (an update of each school),
4. the file filtered to one LA (``--la``) into a second, empty partnership.

Results go to bench/results/gias_import.json and are printed.

    .venv/bin/python bench/gias_import.py [--rows 50000] [--database-url URL]

``--database-url`` points at an EMPTY database instead (e.g. PostgreSQL); it is migrated to head
and left with the imported data.
"""

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import inspect  # noqa: E402

from app.db import all_tenants, build_engine, session_scope  # noqa: E402
from app.services import accounts, partnerships  # noqa: E402
from app.services.imports import gias  # noqa: E402
from tests.gias_csv import ALWAYS_LA, national_extract  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "gias_import.json"
FILTER_LA = ALWAYS_LA


def generate(path: Path, rows: int, roll_change: int = 0) -> Path:
    """The fictional national extract (tests/gias_csv.py writes it; `python -m app generate` uses it too)."""
    return national_extract(path, rows, roll_change=roll_change)


def _database(url: str | None, workdir: Path) -> str:
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    engine = build_engine(url)
    if inspect(engine).get_table_names():
        raise SystemExit(f"{url} is not empty; give the benchmark an empty database")
    engine.dispose()
    command.upgrade(config, "head")
    return url


def _time(engine, partnership, path: Path, label: str, la_code: str | None = None) -> dict:
    by = accounts.operator(partnership)
    calls: list[tuple[int, int]] = []
    started = time.perf_counter()
    with session_scope(engine=engine) as session:
        summary = gias.import_file(session, path, by=by, la_code=la_code,
                                   progress=lambda done, total: calls.append((done, total)))
    seconds = time.perf_counter() - started
    total = calls[-1][1]
    return {"run": label, "la_code": la_code, "rows": total, "seconds": round(seconds, 2),
            "rows_per_second": round(total / seconds), "created": summary.created, "updated": summary.updated,
            "unchanged": summary.unchanged, "skipped": summary.skipped,
            "inspections_added": summary.inspections_added, "progress_calls": len(calls)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database-url", help="an empty database to use instead of a fresh SQLite file")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="gias-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        extract = generate(workdir / "edubasealldata20261124.csv", args.rows)
        generated = time.perf_counter() - started
        megabytes = round(extract.stat().st_size / 1e6, 1)
        next_year = generate(workdir / "edubasealldata20271124.csv", args.rows, roll_change=7)
        url = _database(args.database_url, workdir)
        engine = build_engine(url)
        with session_scope(engine=engine) as session, all_tenants(session):
            national = partnerships.create(session, name="National benchmark", slug="national-benchmark")
            local = partnerships.create(session, name="Local benchmark", slug="local-benchmark", la_code=FILTER_LA)
        runs = [
            _time(engine, national, extract, "national, empty register"),
            _time(engine, national, extract, "national again (idempotent)"),
            _time(engine, national, next_year, "national, every roll changed"),
            _time(engine, local, extract, f"--la {FILTER_LA}, empty register", la_code=FILTER_LA),
        ]
        engine.dispose()

    results = {
        "benchmark": "GIAS import (app.services.imports.gias.import_file + commit)",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": engine.dialect.name,
        "extract_rows": args.rows,
        "extract_megabytes": megabytes,
        "generate_seconds": round(generated, 2),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # Other work on the machine slows every figure; the 1-minute load average says how much.
        "load_average_before": round(load_before, 2),
        "runs": runs,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"extract: {args.rows} rows, generated in {generated:.1f} s; database: {engine.dialect.name}")
    for run in runs:
        print(f"  {run['run']:<32} {run['seconds']:>6.2f} s  {run['rows_per_second']:>7} rows/s  "
              f"created {run['created']}, updated {run['updated']}, unchanged {run['unchanged']}, "
              f"skipped {run['skipped']}, inspections {run['inspections_added']}")
    print(f"written to {args.results.relative_to(ROOT) if args.results.is_relative_to(ROOT) else args.results}")


if __name__ == "__main__":
    main()
