"""Benchmark the triad composer on a collaborative of 40 schools (the issue's size; ``--schools``).

Builds a fresh SQLite database with ``alembic upgrade head`` (or uses an EMPTY one given with
``--database-url``), a partnership whose schools have Ofsted histories on all three frameworks,
FSM and rolls spread as in a real LA, and two earlier years of triads among them (so the history
check has pairs to avoid). Then times, each ``--repeat`` times:

1. ``compose``: the search alone, on schools already read;
2. ``triad_composer.propose``: the service (its queries and the search), a new session each time;
3. ``POST /api/v1/collaboratives/{id}/triad-proposals`` through the whole app, in process, with
   a token (authentication, the write turn a POST takes on SQLite, the answer's JSON).

The target is "well under a second" for 40 schools. Results go to
bench/results/triad_composer.json and are printed.

    .venv/bin/python bench/triad_composer.py [--schools 40] [--repeat 20] [--database-url URL]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import inspect  # noqa: E402

from app.db import build_engine, new_session, session_scope  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models.partnership import Partnership  # noqa: E402
from app.services import accounts, triad_composer, triads  # noqa: E402
from app.services.principal import bind  # noqa: E402
from bench.common import machine, write_results  # noqa: E402
from tests import factories  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "triad_composer.json"
YEAR, LAST, BEFORE = "2026/27", "2025/26", "2024/25"
TARGET_SECONDS = 1.0


def _database(url: str | None, workdir: Path) -> str:
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    engine = build_engine(url)
    if inspect(engine).get_table_names():
        raise SystemExit(f"{url} is not empty; give the benchmark an empty database")
    engine.dispose()
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    return url


def _inspect(session, school, rng: random.Random) -> None:
    """A latest inspection on one of the three frameworks, mostly good, as in England."""
    kind = rng.random()
    if kind < 0.6:
        factories.make_inspection(session, school, inspected_on=date(2023, rng.randint(1, 12), 10),
                                  overall_effectiveness=rng.choices([1, 2, 3, 4], [15, 65, 17, 3])[0])
    elif kind < 0.8:
        factories.make_inspection(session, school, inspected_on=date(2025, rng.randint(1, 6), 12),
                                  overall_effectiveness=None,
                                  grades={"quality_of_education": rng.choice([1, 2, 2, 3]),
                                          "leadership_and_management": rng.choice([1, 2, 2])})
    elif kind < 0.95:
        factories.make_inspection(session, school, inspected_on=date(2026, rng.randint(1, 6), 15),
                                  overall_effectiveness=None, safeguarding="met",
                                  grades={"inclusion": rng.choice(["strong_standard", "expected_standard"]),
                                          "achievement": rng.choice(["expected_standard", "needs_attention"])})


def build(engine, count: int, seed: int) -> tuple[int, str, int]:
    """The partnership, its schools and their history; returns (collaborative id, token, partnership id)."""
    rng = random.Random(seed)
    with session_scope(engine=engine) as session:
        partnership = factories.make_partnership(session, name="Composer benchmark", slug="composer-bench")
        token = factories.make_token(session, partnership, "read write", name="bench")
        schools = []
        for n in range(count):
            school = factories.make_school(session, partnership, urn=f"{700000 + n}", name=f"Bench school {n}",
                                           fsm_percent=round(rng.uniform(2, 55), 1), pupils=rng.randint(60, 1400))
            _inspect(session, school, rng)
            schools.append(school)
        for year in (BEFORE, LAST):
            earlier = factories.make_collaborative(session, partnership, academic_year=year, name=f"Bench {year}")
            shuffled = schools[:]
            rng.shuffle(shuffled)
            for i in range(0, count - count % 3, 3):
                factories.make_triad(session, earlier, shuffled[i:i + 3], name=f"Triad {i // 3 + 1}")
        current = factories.make_collaborative(session, partnership, schools, academic_year=YEAR, name="Bench")
        return current.id, token, partnership.id


def _figures(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"runs": len(seconds), "median_ms": round(statistics.median(ordered) * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2), "min_ms": round(ordered[0] * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="an empty database to use instead of a fresh SQLite file")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="composer-bench-") as tmp:
        url = _database(args.database_url, Path(tmp))
        engine = build_engine(url)
        collaborative_id, token, partnership_id = build(engine, args.schools, args.seed)

        with session_scope(engine=engine, write=False) as session:
            by = accounts.operator(session.get(Partnership, partnership_id))
            bind(session, by)
            proposal = triad_composer.propose(session, collaborative_id, by=by)
            candidates = [c for g in proposal.groups for c in g.members] + proposal.unplaced
            history_years = triad_composer.previous_years(YEAR, triad_composer.LOOKBACK_YEARS)
            history = triads.pairs_in(session, (c.id for c in candidates), history_years)

        composed = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            triad_composer.compose(candidates, history)
            composed.append(time.perf_counter() - started)

        serviced = []
        for _ in range(args.repeat):
            session = new_session(write=False, engine=engine)
            try:
                started = time.perf_counter()
                triad_composer.propose(session, collaborative_id, by=by)
                serviced.append(time.perf_counter() - started)
            finally:
                session.close()

        requested = []
        with TestClient(create_app(engine=engine), base_url="https://testserver") as client:
            client.headers["Authorization"] = f"Bearer {token}"
            path = f"/api/v1/collaboratives/{collaborative_id}/triad-proposals"
            first = client.post(path)
            first.raise_for_status()
            for _ in range(args.repeat):
                started = time.perf_counter()
                answer = client.post(path)
                requested.append(time.perf_counter() - started)
                assert answer.json() == first.json(), "the same input gave another proposal"
        dialect = engine.dialect.name
        engine.dispose()

    body = first.json()
    results = {
        "benchmark": "triad composer (app.services.triad_composer), a collaborative of "
                     f"{args.schools} schools with two years of triads behind it",
        **machine(),
        "database": dialect,
        "schools": args.schools,
        "triads_proposed": len(body["triads"]),
        "pairs_repeated": sum(t["pairs_repeated"] for t in body["triads"]),
        "explanation": body["explanation"],
        "target": f"a proposal in well under {TARGET_SECONDS:.0f} s",
        "compose": _figures(composed),
        "propose_service": _figures(serviced),
        "http_request": _figures(requested),
    }
    write_results(args.results, results)
    print(f"{args.schools} schools, {results['triads_proposed']} triads, {results['pairs_repeated']} repeated pairs; "
          f"database: {dialect}")
    print(f"  {body['explanation']}")
    for name in ("compose", "propose_service", "http_request"):
        f = results[name]
        print(f"  {name:<16} median {f['median_ms']:>8.2f} ms  max {f['max_ms']:>8.2f} ms  ({f['runs']} runs)")
    print(f"written to {args.results.relative_to(ROOT) if args.results.is_relative_to(ROOT) else args.results}")


if __name__ == "__main__":
    main()
