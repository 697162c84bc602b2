"""The query plans of the peer-review lists (issue 7) at real size: does every statement find its
rows through an index, and is each page read in its index's order?

For the region and the national partnership of a generated register (`python -m app generate`),
it runs the services behind each list as the partnership's API token (app.services.collaboratives,
triads, visits, audit), captures every SELECT they issue, and asks the database for its plan:
``EXPLAIN QUERY PLAN`` on SQLite (as the server would plan it: the app never runs ANALYZE), and
``EXPLAIN (FORMAT JSON)`` on PostgreSQL after ``ANALYZE`` of the tables read (as autovacuum would
have it). Flagged in each plan:

- a full scan of a table: SQLite's ``SCAN t`` (also ``SCAN t USING [COVERING] INDEX``, which reads
  the whole index), PostgreSQL's ``Seq Scan``;
- a walk of a whole index (PostgreSQL): an index scan with no index condition, reading the index in
  its order and filtering every entry (``pk_audit_event`` backwards, keeping the partnership's
  events): it stops after a page of matches, so it costs what lies between the newest row and the
  partnership's newest rows, which can be every other partnership's;
- a read of every row of the partnership where a few were asked for: the page's schools or actions
  (``... IN (the page's ids)``) found through the index on ``partnership_id`` alone, so that the
  whole partnership's rows are read (and sorted) to keep those of fifty records. A count or a page
  read in index order may read the partnership's rows; nothing else should;
- a sort of the page's rows (``USE TEMP B-TREE FOR ORDER BY``, a ``Sort`` node), where the page
  should be read in index order;
- on PostgreSQL, a statement much slower once prepared than planned afresh: psycopg prepares a
  statement on its fifth use on a connection, and after five runs PostgreSQL may keep one generic
  plan, costed for an average partnership (a 151st of the rows) rather than this one.

Each statement is also run alone a few times and its median time recorded (indicative: measured
in this process, on a machine that may be busy; the load average is in the results), so that what
a flagged plan costs at this size can be read beside it. On PostgreSQL a sort of a small
partnership's few hundred rows can be the planner's cheapest choice; the time says whether it matters.

Results go to bench/results/query_plans.json (``--results``): each list's statements with their
plans, what was flagged and their times, per partnership. tests/test_explain_peer_review.py asserts the same on
generated small data, on both engines.

    .venv/bin/python bench/query_plans.py --database-url sqlite:///$PWD/data/bench/bench.db
"""

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.common import RESULTS, load_tokens, machine, tokens_file_for, write_results  # noqa: E402

# The tables whose full scan grows with the register (every one a partnership's, but app_user).
TABLES = (
    "collaborative",
    "collaborative_school",
    "triad",
    "triad_school",
    "triad_visit",
    "visit_action",
    "audit_event",
    "school",
    "app_user",
    "api_token",
    "partnership",
    "membership",
)
_SQLITE_SCAN = re.compile(rf"^SCAN ({'|'.join(TABLES)})\b")
_SQLITE_TENANT_WIDE = re.compile(rf"^SEARCH ({'|'.join(TABLES)}) USING (COVERING )?INDEX \w+ \(partnership_id=\?\)$")
_PG_COLUMN = re.compile(r"\b([a-z_]+)\)?\s*(?:=|<|>|<=|>=)\s")
ORDERED = re.compile(r"\bORDER BY\b.*\bLIMIT\b", re.S)
COUNT = re.compile(r"^SELECT count\(", re.I)
# With `force_index` on PostgreSQL: no scan, no sort, and joins by index lookups (nested loops), so
# that a plan on a few rows is the plan an index gives, not the cheapest way through tiny tables.
FORCED = ("enable_seqscan", "enable_sort", "enable_hashjoin", "enable_mergejoin")
TIMINGS = 7
# A prepared statement this much slower than the same planned afresh runs a worse, generic plan.
GENERIC_SLOWER, GENERIC_MS = 3, 5.0


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    """Every SELECT run on the engine meanwhile, with its parameters."""
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def _nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _pg_step(node: dict) -> str:
    relation = node.get("Relation Name")
    step = f"{node['Node Type']} on {relation}" if relation else node["Node Type"]
    if node.get("Index Name"):
        step += f" using {node['Index Name']}"
    for key in ("Index Cond", "Filter"):
        if node.get(key):
            step += f" [{key.lower()}: {node[key]}]"
    return step


def explain(session: Session, statement: str, parameters: object, *, force_index: bool = False) -> dict:
    """The plan of one statement: its steps, and the full scans, sorts and partnership-wide reads
    among them. With `force_index` (PostgreSQL), scans, sorts and hash or merge joins are priced out,
    so that one left in the plan means no index could serve the query (what a test on a few rows can
    assert)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        steps = [row[-1] for row in rows]
        scans = [s for s in steps if _SQLITE_SCAN.match(s)]
        sorts = [s for s in steps if "TEMP B-TREE FOR ORDER BY" in s]
        wide = [s for s in steps if _SQLITE_TENANT_WIDE.match(s)]
        return {"steps": steps, "full_scans": scans, "index_walks": [], "sorts": sorts, "tenant_wide": wide}
    if force_index:
        for setting in FORCED:
            connection.execute(text(f"SET LOCAL {setting} = off"))
    try:
        raw = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
    finally:
        if force_index:
            for setting in FORCED:
                connection.execute(text(f"RESET {setting}"))
    plan = raw if isinstance(raw, list) else json.loads(raw)
    nodes = list(_nodes(plan[0]["Plan"]))
    scans = [_pg_step(n) for n in nodes if n.get("Relation Name") in TABLES and n["Node Type"] == "Seq Scan"]
    walks = [
        _pg_step(n)
        for n in nodes
        if n.get("Relation Name") in TABLES
        and n["Node Type"] in ("Index Scan", "Index Only Scan")
        and not n.get("Index Cond")
    ]
    # An incremental sort orders only rows that tie on the index's leading keys (a triad's visits on
    # one day, read through (triad_id, visit_date), sorted by id): bounded, so not counted.
    sorts = [_pg_step(n) for n in nodes if n["Node Type"] == "Sort"]
    wide = [
        _pg_step(n)
        for n in nodes
        if n.get("Index Cond") and set(_PG_COLUMN.findall(n["Index Cond"])) == {"partnership_id"}
    ]
    steps = [_pg_step(n) for n in nodes]
    return {"steps": steps, "full_scans": scans, "index_walks": walks, "sorts": sorts, "tenant_wide": wide}


def list_works(session: Session, by, triad_id: int) -> dict[str, Callable[[], object]]:  # noqa: ANN001
    """Each list as the API asks for it (first pages, next pages, the filters people use most)."""
    from app.services import audit, collaboratives, triads, visits
    from app.services.audit import AuditFilters
    from app.services.collaboratives import ListFilters
    from app.services.visits import VisitFilters

    def second(page: Callable) -> Callable[[], object]:
        return lambda: (cursor := page().next_cursor) and page(cursor)

    def collaborative_page(cursor: str | None = None):  # noqa: ANN202
        return collaboratives.page(session, ListFilters(), cursor=cursor, by=by)

    def triad_page(cursor: str | None = None):  # noqa: ANN202
        return triads.page(session, ListFilters(), cursor=cursor, by=by)

    def visit_page(cursor: str | None = None):  # noqa: ANN202
        return visits.page(session, VisitFilters(), cursor=cursor, by=by)

    def audit_page(cursor: str | None = None):  # noqa: ANN202
        return audit.page(session, AuditFilters(), cursor=cursor, by=by)

    def triad_visits() -> object:
        visits.get_triad(session, triad_id, by=by)
        return visits.page(session, VisitFilters(triad_id=[triad_id]), by=by)

    year = (
        session.execute(
            text("SELECT max(academic_year) FROM triad WHERE partnership_id = :p"), {"p": by.partnership_id}
        ).scalar()
        or "2025/26"
    )
    by_year = ListFilters(academic_year=[year])
    return {
        "collaboratives": collaborative_page,
        "collaboratives page 2": second(collaborative_page),
        "collaboratives of a year": lambda: collaboratives.page(session, by_year, by=by),
        "triads": triad_page,
        "triads page 2": second(triad_page),
        "triads of a year": lambda: triads.page(session, by_year, by=by),
        "visits": visit_page,
        "visits page 2": second(visit_page),
        "visits of a year": lambda: visits.page(session, VisitFilters(academic_year=[year]), by=by),
        "visits submitted": lambda: visits.page(session, VisitFilters(status=["submitted"]), by=by),
        "triad's visits": triad_visits,
        "audit events": audit_page,
        "audit events page 2": second(audit_page),
        "audit events of a table": lambda: audit.page(session, AuditFilters(table="triad_visit"), by=by),
    }


def plans_of(
    session: Session, engine: Engine, work: Callable[[], object], *, force_index: bool = False, timed: bool = False
) -> list[dict]:
    """Each SELECT that `work` ran (the second time: the first fills the caches), with its plan, and
    with `timed` the median time the statement takes alone (of TIMINGS runs)."""
    work()
    with captured(engine) as seen:
        work()
    found = []
    for statement, parameters in _unique(seen):
        plan = explain(session, statement, parameters, force_index=force_index)
        plan["statement"] = " ".join(statement.split())
        plan["pages_in_order"] = bool(ORDERED.search(statement))
        plan["counts"] = bool(COUNT.match(plan["statement"]))
        if timed:
            plan |= _timings(session, statement, parameters)
        found.append(plan)
    return found


def _median(run: Callable[[], object], warm: int = 0) -> float:
    for _ in range(warm):
        run()
    times = []
    for _ in range(TIMINGS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return round(sorted(times)[len(times) // 2] * 1000, 2)


def _timings(session: Session, statement: str, parameters: object) -> dict:
    """The statement's median time planned afresh each time (`median_ms`) and, on PostgreSQL, as a
    served app runs it (`median_ms_prepared`): psycopg prepares a statement on its fifth use on a
    connection, and after five runs of a prepared statement PostgreSQL may switch to one generic
    plan, chosen for an average partnership."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return {"median_ms": _median(lambda: connection.exec_driver_sql(statement, parameters).all())}
    cursor = connection.connection.dbapi_connection.cursor()

    def run(prepare: bool) -> Callable[[], object]:
        return lambda: cursor.execute(statement, parameters, prepare=prepare).fetchall()

    return {"median_ms": _median(run(False)), "median_ms_prepared": _median(run(True), warm=6)}


def _unique(seen: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Each statement once (a second page runs the first page's statements again)."""
    kept: dict[str, object] = {}
    for statement, parameters in seen:
        kept.setdefault(statement, parameters)
    return list(kept.items())


def problems(found: list[dict]) -> list[str]:
    """What is wrong with a list's plans: any full scan or walk of a whole index, a partnership's rows
    read for a page's few, and a sorted page."""
    wrong = []
    for plan in found:
        wrong += [f"full scan: {s}  ({plan['statement'][:160]})" for s in plan["full_scans"]]
        wrong += [f"whole index walked: {s}  ({plan['statement'][:160]})" for s in plan["index_walks"]]
        if not (plan["pages_in_order"] or plan["counts"]):
            wrong += [f"every row of the partnership: {s}  ({plan['statement'][:160]})" for s in plan["tenant_wide"]]
        if plan["pages_in_order"]:
            wrong += [f"sorted page: {s}  ({plan['statement'][:160]})" for s in plan["sorts"]]
        prepared, fresh = plan.get("median_ms_prepared"), plan.get("median_ms")
        if prepared is not None and prepared > max(GENERIC_SLOWER * fresh, fresh + GENERIC_MS):
            wrong.append(
                f"slower prepared (generic plan): {prepared} ms against {fresh} ms planned afresh  "
                f"({plan['statement'][:160]})"
            )
    return wrong


def principal_for(session: Session, token: str):  # noqa: ANN201
    from app.services import tokens

    return tokens.authenticate(session, token)[0]


def newest_triad(session: Session, partnership_id: int) -> int:
    return session.execute(
        text(
            "SELECT triad_id FROM triad_visit WHERE partnership_id = :p AND triad_id IS NOT NULL "
            "ORDER BY visit_date DESC, id DESC LIMIT 1"
        ),
        {"p": partnership_id},
    ).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tokens", type=Path, help="bench-tokens.json (default: the one beside the database)")
    parser.add_argument("--results", type=Path)
    args = parser.parse_args()

    from app.db import build_engine

    tokens = load_tokens(args.tokens or tokens_file_for(args.database_url))
    by_slug = {p["slug"]: p for p in tokens["partnerships"]}
    chosen = [by_slug[tokens[kind]] for kind in ("region", "national") if tokens.get(kind)]
    engine = build_engine(args.database_url)
    dialect = engine.dialect.name
    results = {
        "benchmark": "query plans of the peer-review lists",
        **machine(),
        "database": dialect,
        "data": {"scale": tokens.get("scale"), "seed": tokens.get("seed")},
        "partnerships": [],
    }
    try:
        if dialect == "postgresql":
            with engine.begin() as conn:
                for table in TABLES:
                    conn.execute(text(f"ANALYZE {table}"))
        for partnership in chosen:
            with Session(engine) as session:
                by = principal_for(session, partnership["token"])
                triad_id = newest_triad(session, by.partnership_id)
                entry = {
                    "slug": partnership["slug"],
                    "schools": partnership["schools"],
                    **{k: partnership.get(k) for k in ("collaboratives", "triads", "visits")},
                    "lists": {},
                }
                for name, work in list_works(session, by, triad_id).items():
                    started = time.perf_counter()
                    found = plans_of(session, engine, work, timed=True)
                    wrong = problems(found)
                    ms = round(sum(plan.get("median_ms_prepared", plan["median_ms"]) for plan in found), 2)
                    entry["lists"][name] = {
                        "ok": not wrong,
                        "problems": wrong,
                        "statements_ms": ms,
                        "statements": found,
                        "seconds_with_plans": round(time.perf_counter() - started, 3),
                    }
                    each = ", ".join(str(plan.get("median_ms_prepared", plan["median_ms"])) for plan in found)
                    print(
                        f"{partnership['slug']:<16} {name:<26} {'ok' if not wrong else 'PROBLEM':<8} SQL {ms:7.2f} ms "
                        f"({each})",
                        file=sys.stderr,
                    )
                    for problem in wrong:
                        print(f"    {problem[:220]}", file=sys.stderr)
                results["partnerships"].append(entry)
                session.rollback()
    finally:
        engine.dispose()
    results["all_indexed"] = all(v["ok"] for p in results["partnerships"] for v in p["lists"].values())
    path = args.results or RESULTS / f"query_plans{'-postgresql' if dialect == 'postgresql' else ''}.json"
    write_results(path, results)
    print(f"all indexed: {results['all_indexed']}; written to {path}")


if __name__ == "__main__":
    main()
