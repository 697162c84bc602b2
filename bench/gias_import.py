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
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import inspect  # noqa: E402

from app.db import all_tenants, build_engine, session_scope  # noqa: E402
from app.services import accounts, partnerships  # noqa: E402
from app.services.imports import gias  # noqa: E402
from tests.gias_csv import gias_row, write_gias_csv  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "gias_import.json"
FILTER_LA = "874"

PLACES = ["Ashby", "Barrowfield", "Bramley", "Castleford", "Danbury", "Eastwick", "Fenwick", "Greystoke",
          "Hartwell", "Ivybridge", "Kingsmead", "Langley", "Marston", "Netherton", "Oakham", "Pennington",
          "Queensbury", "Redhill", "Saltmarsh", "Thornbury", "Upton", "Westbrook", "Yarwood", "Alderley",
          "Beckfield", "Coldharbour", "Dunmore", "Elmstead", "Foxley", "Gorsebrook", "Holmwood", "Ketton"]
SAINTS = ["St Mary’s", "St Peter’s", "St John’s", "St Thérèse’s", "St Anne’s", "St Joseph’s", "Holy Trinity",
          "St Michael’s", "Christ Church", "St Andrew’s", "Our Lady’s", "St Benedict’s"]
FEATURES = ["Meadow", "Brook", "Park", "Hill", "Green", "Vale", "Fields", "Wood", "Lane", "Common"]
FIRST = ["Jane", "Tom", "Aisha", "Siân", "Mohammed", "Claire", "David", "Priya", "Chloé", "Gareth",
         "Helen", "Oluwaseun", "Patrick", "Zoë", "Rachel", "Imran", "Fiona", "Stuart", "Bronwen", "Kwame"]
LAST = ["Smith", "O’Connor", "Patel", "Jones", "Williams", "Nowak", "Hughes", "Khan", "Brown", "Müller",
        "Taylor", "Evans", "Okafor", "Wright", "Clarke", "Ahmed", "Davies", "Murphy", "Lefèvre", "Green"]
TITLES = ["Mrs", "Mr", "Ms", "Miss", "Dr", "Not applicable", ""]
TRUST_WORDS = ["Learning", "Education", "Academies", "Schools", "Inspire", "Horizon", "Unity", "Compass"]
RATINGS = [("Outstanding", 14), ("Good", 52), ("Requires improvement", 15), ("Inadequate", 3),
           ("Special Measures", 2), ("Serious Weaknesses", 1), ("Satisfactory", 3), ("", 10)]
STATUSES = [("Open", 80), ("Closed", 16), ("Open, but proposed to close", 2), ("Proposed to open", 2)]
# (type, phase or None for "Not applicable", ages, weight)
TYPES = [
    ("Community school", "Primary", (4, 11), 18), ("Community school", "Primary", (4, 7), 3),
    ("Community school", "Primary", (7, 11), 3), ("Community school", "Secondary", (11, 16), 3),
    ("Voluntary aided school", "Primary", (4, 11), 7), ("Voluntary controlled school", "Primary", (4, 11), 5),
    ("Foundation school", "Secondary", (11, 18), 2), ("Academy converter", "Primary", (4, 11), 14),
    ("Academy converter", "Secondary", (11, 18), 5), ("Academy sponsor led", "Primary", (3, 11), 4),
    ("Academy sponsor led", "Secondary", (11, 16), 2), ("Free schools", "All-through", (4, 18), 1),
    ("Free schools", "Secondary", (11, 18), 1), ("Local authority nursery school", "Nursery", (2, 5), 1),
    ("Community school", "Middle deemed secondary", (9, 13), 1), ("Academy 16-19 converter", "16 plus", (16, 19), 1),
    ("Community special school", None, (2, 19), 3), ("Academy special converter", None, (3, 19), 2),
    ("Non-maintained special school", None, (5, 19), 1), ("Pupil referral unit", None, (5, 16), 1),
    ("Academy alternative provision converter", None, (11, 16), 1), ("Further education", None, (16, 99), 1),
    ("Sixth form centres", None, (16, 19), 1), ("Other independent school", None, (3, 18), 9),
    ("Other independent special school", None, (7, 19), 3), ("Welsh establishment", None, (4, 11), 2),
    ("Higher education institutions", None, (18, 99), 1), ("Children's centre", None, (0, 5), 3),
]


def _pick(rng: random.Random, weighted):
    return rng.choices([w[:-1] if len(w) > 2 else w[0] for w in weighted], [w[-1] for w in weighted])[0]


def _las(rng: random.Random) -> list[tuple[str, str]]:
    codes = sorted(rng.sample(range(201, 940), 149))
    codes = sorted({*codes[:149], int(FILTER_LA)})
    names = [f"{rng.choice(PLACES)}{rng.choice(['shire', ' City', ' and District', ' Borough', ''])}" for _ in codes]
    return [(f"{c:03d}", n) for c, n in zip(codes, names, strict=True)]


def _postcode(rng: random.Random) -> str:
    area = rng.choice(["PE", "CB", "NR", "LE", "NG", "S", "M", "B", "LS", "BS", "SO", "PO", "TN", "E", "SW"])
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{area}{rng.randint(1, 29)} {rng.randint(0, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days))


def generate(path: Path, rows: int, seed: int = 20261124, roll_change: int = 0) -> Path:
    """A fictional national extract with `rows` establishments (a year on: every roll changed)."""
    rng = random.Random(seed)
    las = _las(rng)
    trusts = [f"{rng.choice(PLACES)} {rng.choice(TRUST_WORDS)} Trust" for _ in range(1200)]
    records = []
    for i in range(rows):
        urn = f"{100000 + i * 17 % 899_999:06d}"
        la_code, la_name = las[i % len(las)] if i % 3 else rng.choice(las)
        kind, phase, (low, high) = _pick(rng, TYPES)
        status = _pick(rng, STATUSES)
        place = rng.choice(PLACES)
        stem = rng.choice(SAINTS) if kind.startswith("Voluntary") else f"{place} {rng.choice(FEATURES)}"
        suffix = {"Primary": "Primary School", "Secondary": "Academy" if "cademy" in kind else "High School",
                  "Nursery": "Nursery School", "All-through": "School", "16 plus": "Sixth Form College",
                  "Middle deemed secondary": "Middle School"}.get(phase or "", "School")
        if phase == "Primary" and high <= 7:
            suffix = "Infant School"
        elif phase == "Primary" and low >= 7:
            suffix = "Junior School"
        if kind.startswith("Voluntary") and rng.random() < 0.5:
            suffix = "Catholic " + suffix
        opened = _day(rng, date(1950, 1, 1), date(2024, 9, 1)) if rng.random() < 0.6 else None
        closed = _day(rng, opened or date(2000, 1, 1), date(2025, 8, 31)) if status == "Closed" else None
        if status == "Proposed to open":
            opened, closed = _day(rng, date(2026, 9, 1), date(2027, 9, 1)), None
        rating = _pick(rng, RATINGS)
        inspected = _day(rng, date(2008, 1, 1), date(2026, 3, 1)) if rating or rng.random() < 0.3 else None
        if rating == "Satisfactory" and inspected:
            inspected = _day(rng, date(2008, 1, 1), date(2012, 8, 31))
        academy = "cademy" in kind or "Free" in kind
        records.append(gias_row(
            urn, name=f"{stem} {suffix}", type=kind, phase=phase or "Not applicable",
            status=status, la_code=la_code, la_name=la_name, trust=rng.choice(trusts) if academy else "",
            pupils=rng.randint(15, 1900) + roll_change if status != "Proposed to open" else "",
            fsm=f"{rng.uniform(0, 65):.1f}" if rng.random() < 0.85 else "",
            head_title=rng.choice(TITLES), head_first=rng.choice(FIRST), head_last=rng.choice(LAST),
            postcode=_postcode(rng), opened=opened.strftime("%d-%m-%Y") if opened else "",
            closed=closed.strftime("%d-%m-%Y") if closed else "", low_age=low, high_age=high,
            rating=rating, inspected=inspected.strftime("%d-%m-%Y") if inspected else "",
        ))
    return write_gias_csv(path, records)


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
