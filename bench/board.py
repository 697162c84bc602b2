"""Benchmark the partnership board (GET /board, issue 10) at a partnership's size (80 schools) and
at a region's (2,500), beside a raw baseline of its own statements.

Uses the generated database (``python -m app generate --scale national``, see bench/README.md): the
80-school partnership is the generated LA partnership of that size (``bench-la-713`` with the
default seed; ``--small-slug`` names another), the region is ``bench-region``. The script adds an
officer to each, who signs in.

For each partnership and page (the whole board, and the htmx fragment of a board filtered to its
red and amber schools), through the whole app in process (session cookie, templates), ``--repeat``
times: the server time of one request (median, p90, max) with the red-flag list's results kept
(app.services.flag_cache: as it is while nothing the rules read has changed), and again with them
worked out afresh each time (as after any change to the partnership's data: "cold"). Beside each
the **raw baseline**: the same SQL statements the page issued (captured from one such request),
replayed on the same driver with no ORM, no rules, no template; "ours / raw" is how much the rest
adds.

    DATABASE_URL=sqlite:///$PWD/data/bench/bench.db .venv/bin/python bench/board.py [--repeat 30]

Results: bench/results/board.json. The target (issue 10: the board for 80 schools under 100 ms)
is recorded there beside the figures, never asserted.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from app.db import build_engine  # noqa: E402
from app.main import create_app  # noqa: E402
from app.services import flag_cache  # noqa: E402
from bench.common import RESULTS, machine, write_results  # noqa: E402
from bench.pages import _figures, _officer, _replay, _signed_in  # noqa: E402

SMALL_SLUG = "bench-la-713"  # 80 schools, 8 collaboratives with the default seed
REGION_SLUG = "bench-region"
TARGETS = {"board, 80 schools": "median server time < 100 ms (issue 10)"}
PAGES = {
    "board": ("/board", {}),
    "board filtered (htmx fragment)": ("/board?severity=red&severity=amber", {"HX-Request": "true"}),
}


def _capture(engine, client: TestClient, path: str, headers: dict) -> list[tuple[str, object]]:
    """The statements (and their parameters) one request for `path` issues."""
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path, headers=headers).status_code == 200, path
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def _series(engine, client: TestClient, path: str, headers: dict, repeat: int, *, cold: bool) -> dict:
    """`repeat` timed requests and as many raw replays of one request's statements."""
    if cold:
        flag_cache.clear()
    statements = _capture(engine, client, path, headers)
    ours, raw = [], []
    for _ in range(repeat):
        if cold:
            flag_cache.clear()
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        ours.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        raw.append(_replay(engine, statements))
    figures = {"statements": len(statements), "bytes": len(response.content), "ours": _figures(ours),
               "raw": _figures(raw)}
    figures["ours_over_raw"] = round(figures["ours"]["median_ms"] / max(figures["raw"]["median_ms"], 0.01), 1)
    return figures


def _partnership(engine, slug: str) -> tuple[int, int]:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM partnership WHERE slug = :s"), {"s": slug}).scalar()
        if found is None:
            raise SystemExit(f"no {slug} partnership: run python -m app generate (bench/README.md) first")
        schools = conn.execute(text("SELECT count(*) FROM school WHERE partnership_id = :p"), {"p": found}).scalar()
    return found, schools


def measure(engine, slug: str, repeat: int) -> dict:
    partnership_id, schools = _partnership(engine, slug)
    email, password = _officer(engine, partnership_id)
    app = create_app(engine=engine)
    result: dict = {"partnership": slug, "schools": schools, "pages": {}}
    with TestClient(app, base_url="https://testserver") as client:
        _signed_in(client, email, password)
        for name, (path, headers) in PAGES.items():
            flag_cache.clear()
            started = time.perf_counter()
            assert client.get(path, headers=headers).status_code == 200, (name, path)
            first = time.perf_counter() - started
            for _ in range(2):  # warm the template and the kept flags
                client.get(path, headers=headers)
            kept = _series(engine, client, path, headers, repeat, cold=False)
            cold = _series(engine, client, path, headers, repeat, cold=True)
            result["pages"][name] = {"path": path, "headers": headers, "first_request_ms": round(first * 1000, 2),
                                     "flags_kept": kept, "flags_worked_out": cold}
            for label, figures in (("kept", kept), ("cold", cold)):
                print(f"{slug:<14} {schools:>5} schools  {name:<32} {label:<4} {figures['statements']:>3} statements  "
                      f"ours {figures['ours']['median_ms']:>8} ms  raw {figures['raw']['median_ms']:>7} ms  "
                      f"({figures['ours_over_raw']}x)  {figures['bytes']:,} bytes")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--small-slug", default=SMALL_SLUG, help="the generated partnership of about 80 schools")
    parser.add_argument("--slug", default=REGION_SLUG, help="the generated region partnership")
    parser.add_argument("--results", type=Path)
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url or DATABASE_URL (a generated database)")
    engine = build_engine(args.database_url)
    results: dict = {"machine": machine(), "database": engine.dialect.name, "repeat": args.repeat,
                     "targets": TARGETS, "partnerships": {}}
    for key, slug in (("partnership", args.small_slug), ("region", args.slug)):
        results["partnerships"][key] = measure(engine, slug, args.repeat)
    board = results["partnerships"]["partnership"]["pages"]["board"]
    results["target_met"] = {"board, 80 schools": {
        "flags kept": board["flags_kept"]["ours"]["median_ms"] < 100,
        "flags worked out": board["flags_worked_out"]["ours"]["median_ms"] < 100}}
    write_results(args.results or RESULTS / "board.json", results)


if __name__ == "__main__":
    main()
