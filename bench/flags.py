"""Benchmark the red flags (issue 8): a partnership's current flags for 100 schools (target < 50 ms)
and for 25,000 schools (target < 2 s), beside a raw baseline.

The data: the generated national register (`python -m app generate --scale national`, made here
into the benchmark's own database when it has none), from whose open schools two partnerships are
copied, `bench-flags-100` and `bench-flags-25000`, with their inspections, and then given what the
rules read, drawn at random but at rates like an English LA's: two years of absence, attainment or
progress, a budget balance, governor vacancies, three years of rolls, senior staff changes,
buildings, exclusions, a few warning notices, IEBs and acting heads; a second, earlier inspection
for some schools; national figures; signed-off triad reviews; a clinic with open actions (some
overdue); review judgements; a few manual flags; LA categories and heads' start dates.

Timed, each `--runs` times (a new session each time, as a request has):

1. ``flags.current`` for the whole partnership (app.services.flags: its reads, then the rules);
2. the raw baseline: the very statements (captured from the service) run through the DB-API driver
   (sqlite3 or psycopg) with their rows fetched, no ORM and no rules;
3. ``GET /api/v1/red-flags`` (the first page of 50) through the whole app, in process, with a token:
   worked out afresh (the kept order forgotten before each request, as after any change to the
   partnership's data), then the first and the following pages while the order is kept;
4. the same request (and ``?severity=red``) against the raw baseline over HTTP (bench/raw_flags.py:
   the same statements on the DB-API driver, the same rules, orjson, nothing kept between requests),
   both in process, one request at a time, ours worked out afresh each time: ``ours_over_raw``
   (bench/flags_http.py).

Timings start only once the 1-minute load average is under 1.0 (waiting up to `--wait` seconds);
the load is recorded either way. Results go to bench/results/flags.json (bench/results/flags-postgresql.json
on PostgreSQL) and are printed. Targets are recorded, never asserted.

    .venv/bin/python bench/flags.py [--database-url URL] [--runs 20] [--wait 600] [--rebuild]
"""

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.db import all_tenants, build_engine, new_session, session_scope  # noqa: E402
from app.models.base import utcnow  # noqa: E402
from app.models.clinic import Clinic, ClinicAction  # noqa: E402
from app.models.flag import ManualFlag, NationalFigure, ReviewJudgement  # noqa: E402
from app.models.indicator import Indicator  # noqa: E402
from app.models.inspection import Inspection  # noqa: E402
from app.models.partnership import Partnership  # noqa: E402
from app.models.school import School  # noqa: E402
from app.models.visit import TriadVisit  # noqa: E402
from app.services import accounts, flags, generate, partnerships  # noqa: E402
from app.services.generate_triads import chunks, insert  # noqa: E402
from bench import flags_http  # noqa: E402
from bench.common import machine, write_results  # noqa: E402

SIZES = {100: 0.050, 25_000: 2.0}  # schools: target seconds
SOURCE = "bench-national"
YEARS = ("2023/24", "2024/25", "2025/26")
TODAY = date.today()
STRANDS = ("overall_effectiveness", "quality_of_education", "behaviour_and_attitudes", "personal_development",
           "leadership_and_management")


def slug(size: int) -> str:
    return f"bench-flags-{size}"


# --- the data -------------------------------------------------------------------------------------

def ensure_register(url: str) -> None:
    """The schema, and the generated national register if the database has none."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    engine = build_engine(url)
    with session_scope(engine=engine) as session, all_tenants(session):
        if session.scalar(select(Partnership.id).where(Partnership.slug == SOURCE)) is None:
            print("generating the national register (python -m app generate --scale national) ...", flush=True)
            started = time.perf_counter()
            generate.generate(session, "national", force=True)
            print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()


def _versioned(now) -> dict:  # noqa: ANN001
    return {"version": 1, "created_at": now, "updated_at": now}


def build(engine, size: int, seed: int, *, rebuild: bool) -> int:  # noqa: ANN001
    """The partnership of `size` schools with everything the rules read; returns its id."""
    with session_scope(engine=engine) as session, all_tenants(session):
        connection = session.connection()
        existing = session.scalar(select(Partnership.id).where(Partnership.slug == slug(size)))
        if existing is not None and not rebuild:
            return existing
        if existing is not None:
            generate._delete_partnerships(connection, [existing])
        rng = random.Random(seed + size)
        now = utcnow()
        partnership = partnerships.create(session, name=f"Red flags benchmark ({size:,} schools)", slug=slug(size))
        source = session.scalar(select(Partnership.id).where(Partnership.slug == SOURCE))
        st = School.__table__
        columns = [c for c in st.c if c.name not in ("id", "partnership_id", "version", "created_at", "updated_at")]
        picked = connection.execute(select(st.c.id, *columns).where(
            st.c.partnership_id == source, st.c.status == "open").order_by(st.c.urn).limit(size)).mappings().all()
        if len(picked) < size:
            raise SystemExit(f"{SOURCE} has only {len(picked)} open schools")
        scheme = partnership.category_scheme
        school_rows = []
        for s in picked:
            row = {c.name: s[c.name] for c in columns} | {"partnership_id": partnership.id, **_versioned(now)}
            row["la_category"] = rng.choices([*scheme, None], weights=[6, 20, 64, 10])[0]
            row["headteacher_started_on"] = TODAY - timedelta(days=rng.randrange(30, 4000))
            school_rows.append(row)
        new_ids = insert(connection, st, school_rows, "schools", None, with_ids=True)
        old_to_new = {s["id"]: new for s, new in zip(picked, new_ids, strict=True)}
        schools = [(new, s["phase"], s["pupils"] or 300) for s, new in zip(picked, new_ids, strict=True)]

        it = Inspection.__table__
        copied = []
        for chunk in chunks(list(old_to_new), 500):
            for row in connection.execute(select(it).where(it.c.school_id.in_(chunk))).mappings():
                copied.append({k: v for k, v in row.items() if k != "id"} | {
                    "partnership_id": partnership.id, "school_id": old_to_new[row["school_id"]], **_versioned(now)})
        earlier = []
        for row in copied:
            if row["inspected_on"].year > 2013 and rng.random() < 0.4:  # an earlier, graded inspection
                grade = rng.choices([1, 2, 3, 4], [10, 55, 30, 5])[0]
                earlier.append({**row, "inspected_on": row["inspected_on"] - timedelta(days=rng.randrange(900, 1800)),
                                "framework": "graded", "overall_effectiveness": grade, "category_of_concern": None,
                                "safeguarding": None, "grades": {"leadership_and_management": min(grade, 3)},
                                "headline": {1: "outstanding", 2: "good", 3: "requires_improvement",
                                             4: "inadequate"}[grade], "report_url": None})
        insert(connection, it, copied + earlier, "inspections", None)
        insert(connection, Indicator.__table__, _figures(rng, partnership.id, schools, now), "indicators", None)
        _network(connection, rng, partnership.id, schools, now)
        return partnership.id


def _figures(rng: random.Random, partnership_id: int, schools: list[tuple], now) -> list[dict]:  # noqa: ANN001
    rows = []

    def add(school_id: int, measure: str, year: str, value: float) -> None:
        rows.append({"partnership_id": partnership_id, "school_id": school_id, "measure": measure,
                     "academic_year": year, "value": round(value, 2), "source": "Generated for bench/flags.py",
                     "recorded_on": date(int(year[:4]) + 1, 7, 15), **_versioned(now)})

    # Each school's figures drift from one year to the next rather than being drawn afresh.
    for school_id, phase, pupils in schools:
        secondary = phase in ("secondary", "all_through")
        absence, persistent = rng.gauss(6.9, 1.3), rng.gauss(19.4, 5.0)
        attainment, progress = rng.gauss(62, 10), rng.gauss(0, 0.45)
        for year in YEARS[1:]:
            add(school_id, "absence", year, max(1.0, absence))
            add(school_id, "persistent_absence", year, max(1.0, persistent))
            if secondary:
                add(school_id, "progress", year, progress)
            else:
                add(school_id, "attainment", year, attainment)
            absence += rng.gauss(0, 0.5)
            persistent += rng.gauss(0, 2.0)
            attainment += rng.gauss(0, 4.0)
            progress += rng.gauss(0, 0.15)
        roll = pupils * rng.uniform(0.9, 1.1)
        for year in YEARS:
            add(school_id, "roll", year, round(roll))
            roll *= rng.uniform(0.95, 1.04)
        year = YEARS[-1]
        add(school_id, "budget_balance", year, rng.gauss(100_000, 90_000) * pupils / 300)  # ~13% in deficit
        add(school_id, "governor_vacancies", year, rng.choices(range(6), [50, 25, 12, 7, 4, 2])[0])
        add(school_id, "senior_staff_changes", year, rng.choices(range(5), [55, 30, 10, 4, 1])[0])
        add(school_id, "building_condition", year, rng.choices([1, 2, 3, 4], [30, 45, 20, 5])[0])
        add(school_id, "exclusions", year, round(pupils * rng.expovariate(1 / (12 if secondary else 3)) / 100))
        for measure, rate in (("warning_notice", 0.01), ("ieb", 0.005), ("acting_head", 0.03)):
            if rng.random() < rate:
                add(school_id, measure, year, 1)
    return rows


def _network(connection, rng: random.Random, partnership_id: int, schools: list[tuple], now) -> None:  # noqa: ANN001
    """National figures, triad reviews, a clinic and its actions, review judgements, manual flags."""
    insert(connection, NationalFigure.__table__, [
        {"partnership_id": partnership_id, "measure": m, "academic_year": y, "value": v, "source": "DfE (generated)",
         **_versioned(now)}
        for y in YEARS[1:] for m, v in (("absence", 6.9), ("persistent_absence", 19.4))], "national figures", None)
    visits, actions, judgements, manual = [], [], [], []
    clinic_id = insert(connection, Clinic.__table__, [{
        "partnership_id": partnership_id, "held_on": TODAY - timedelta(days=120), "academic_year": YEARS[-1],
        "meeting": "summer", "attendees": [], "status": "minutes_approved", "changes": {}, **_versioned(now)}],
        "clinic", None, with_ids=True)[0]
    for school_id, _, _ in schools:
        if rng.random() < 0.6:
            day = TODAY - timedelta(days=rng.randrange(10, 400))
            visits.append({"partnership_id": partnership_id, "kind": "triad_review", "school_id": school_id,
                           "visit_date": day, "academic_year": YEARS[-1], "visiting_heads": [], "focus_areas": [],
                           "status": "signed_off", "grade": rng.choices([1, 2, 3], [30, 55, 15])[0],
                           **_versioned(now)})
        if rng.random() < 0.08:
            actions.append({"partnership_id": partnership_id, "clinic_id": clinic_id, "school_id": school_id,
                            "text": "Agree a plan for attendance with the trust", "status": "open",
                            "due_on": TODAY + timedelta(days=rng.randrange(-90, 90)), **_versioned(now)})
        if rng.random() < 0.3:
            judgements += [{"partnership_id": partnership_id, "school_id": school_id, "academic_year": YEARS[-1],
                            "strand": strand, "self_grade": 2, "partner_grade": rng.choices([1, 2, 3, 4],
                                                                                           [20, 60, 17, 3])[0],
                            **_versioned(now)} for strand in STRANDS]
        if rng.random() < 0.01:
            manual.append({"partnership_id": partnership_id, "school_id": school_id, "kind": "add", "rule": "manual",
                           "severity": "amber", "category": "governance", "reason": "Chair of governors resigned",
                           **_versioned(now)})
    insert(connection, TriadVisit.__table__, visits, "visits", None)
    insert(connection, ClinicAction.__table__, actions, "actions", None)
    insert(connection, ReviewJudgement.__table__, judgements, "judgements", None)
    insert(connection, ManualFlag.__table__, manual, "manual flags", None)


# --- timing ---------------------------------------------------------------------------------------

def wait_for_quiet(limit: float) -> dict:
    """Wait (up to `limit` seconds) for the 1-minute load average to fall under 1.0."""
    started = time.monotonic()
    first = os.getloadavg()[0]
    while os.getloadavg()[0] >= 1.0 and time.monotonic() - started < limit:
        time.sleep(15)
    load = os.getloadavg()[0]
    return {"load_at_start": round(first, 2), "waited_s": round(time.monotonic() - started),
            "quiet": load < 1.0, "load_when_timed": round(load, 2)}


def _ms(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"runs": len(ordered), "median_ms": round(statistics.median(ordered) * 1000, 2),
            "min_ms": round(ordered[0] * 1000, 2), "max_ms": round(ordered[-1] * 1000, 2)}


def time_service(engine, partnership: Partnership, runs: int) -> tuple[dict, dict, list]:  # noqa: ANN001
    by = accounts.operator(partnership)
    captured: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        captured.append((statement, parameters))

    seconds, shape = [], {}
    for n in range(runs + 1):
        if n == 0:
            event.listen(engine, "before_cursor_execute", listener)
        session = new_session(write=False, engine=engine)
        try:
            started = time.perf_counter()
            found = flags.current(session, by=by)
            elapsed = time.perf_counter() - started
        finally:
            session.close()
            if n == 0:
                event.remove(engine, "before_cursor_execute", listener)
        if n:  # the first run warms the caches (and is the one whose statements are captured)
            seconds.append(elapsed)
        else:
            shape = _shape(found)
        del found  # as a served request, which does not hold the answer before
    return _ms(seconds), shape, captured


def _shape(found: dict) -> dict:
    flagged = [f for fs in found.values() for f in fs]
    by_rule: dict[str, int] = {}
    for flag in flagged:
        by_rule[flag.rule] = by_rule.get(flag.rule, 0) + 1
    return {"flagged_schools": len(found), "flags": len(flagged), "red": sum(f.severity == "red" for f in flagged),
            "amber": sum(f.severity == "amber" for f in flagged), "by_rule": dict(sorted(by_rule.items()))}


def reads(statements: list) -> list:
    """The statements that read, without the transaction's own (BEGIN, COMMIT)."""
    return [(s, p) for s, p in statements if not s.lstrip().upper().startswith(
        ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))]


def time_raw(url: str, statements: list, runs: int) -> dict:
    """The same statements through the DB-API driver, every row fetched: what reading costs alone."""
    parsed = make_url(url)
    statements = reads(statements)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(parsed.database, isolation_level=None)

        def run() -> None:
            connection.execute("BEGIN")
            for statement, parameters in statements:
                connection.execute(statement, parameters).fetchall()
            connection.execute("COMMIT")
    else:
        import psycopg

        connection = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))

        def run() -> None:
            with connection.transaction(), connection.cursor() as cur:
                for statement, parameters in statements:
                    cur.execute(statement, parameters)
                    cur.fetchall()
    try:
        run()
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - started)
    finally:
        connection.close()
    return _ms(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'data' / 'bench' / 'flags.db'}")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for a quiet machine")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rebuild", action="store_true", help="make the two partnerships afresh")
    parser.add_argument("--results", type=Path)
    args = parser.parse_args()

    url = args.database_url
    if url.startswith("sqlite:///"):
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
    ensure_register(url)
    engine = build_engine(url)
    ids = {size: build(engine, size, args.seed, rebuild=args.rebuild) for size in SIZES}
    dialect = engine.dialect.name
    quiet = wait_for_quiet(args.wait)
    results = {"benchmark": "red flags: flags.current for a whole partnership, beside the same statements run raw",
               **machine(), "database": dialect, "quiet": quiet, "sizes": {}}
    for size, target in SIZES.items():
        with session_scope(engine=engine, write=False) as session:
            partnership = session.get(Partnership, ids[size])
        runs = args.runs if size <= 1000 else max(3, args.runs // 4)
        ours, shape, statements = time_service(engine, partnership, runs)
        raw = time_raw(url, statements, runs)
        token = flags_http.token_for(engine, partnership)
        http = flags_http.time_http(engine, token, runs)
        against = flags_http.against_raw(url, engine, token, runs)
        results["sizes"][str(size)] = {
            "schools": size, **shape, "statements": len(reads(statements)), "target_ms": target * 1000,
            "met": ours["median_ms"] <= target * 1000, "flags_current": ours, "raw_reads": raw,
            "raw_over_ours": round(raw["median_ms"] / ours["median_ms"], 3),
            "http_first_page_of_50": http["worked_out"], "http_first_page_kept": http["kept_first_page"],
            "http_next_pages_kept": http["kept_next_pages"], "http_against_raw": against,
        }
        print(f"{size:>6,} schools: flags.current median {ours['median_ms']:>9.2f} ms (target {target * 1000:,.0f} ms)"
              f"; raw reads {raw['median_ms']:>8.2f} ms; GET /api/v1/red-flags "
              f"{http['worked_out']['median_ms']:>9.2f} ms "
              f"(order kept: {http['kept_first_page']['median_ms']:.2f} ms, next pages "
              f"{http['kept_next_pages']['median_ms']:.2f} ms); "
              f"{shape['flagged_schools']:,} flagged, {shape['flags']:,} flags, {len(reads(statements))} statements",
              flush=True)
        for label, pair in against.items():
            print(f"{'':>14} {label}: ours afresh {pair['ours_worked_out']['median_ms']:.2f} ms, raw baseline "
                  f"{pair['raw']['median_ms']:.2f} ms over HTTP: ours/raw {pair['ours_over_raw']:.2f}", flush=True)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    engine.dispose()
    path = args.results or ROOT / "bench" / "results" / ("flags.json" if dialect == "sqlite"
                                                         else f"flags-{dialect}.json")
    write_results(path, results)
    print(f"written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}; load when timed "
          f"{quiet['load_when_timed']} (waited {quiet['waited_s']} s)")


if __name__ == "__main__":
    main()
