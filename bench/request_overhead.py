"""Where an API request's time goes: the layers between the socket and the service, measured one by one.

The API's lists answer at 0.04 to 0.9 of the raw baseline's throughput (bench/api_lists.py); for a small
answer most of our time is not the SQL. This benchmark puts a figure on each layer, in process (ASGI
calls on one event loop, one request at a time, no HTTP parsing: the same for both apps):

1. the middleware and routing alone: an `async def` route answering `{}` with nothing else, added
   once *after* every other route (where the router finds it last, as it finds a late page) and once
   *before* them (found first);
2. a plain `def` route: FastAPI runs it, and the check of its answer, in worker threads;
3. the same with the request's session (app.deps.get_session: a connection, a transaction, its end in
   a worker thread);
4. the same with the API's token check (app.api.deps.api_principal: the bearer token's lookup);
5. real endpoints: `GET /api/v1/schools/{urn}`, the first page of `/api/v1/schools` and of
   `/api/v1/triads`, beside the raw baseline's answer to the same request (bench/raw_app.py, also in
   process).

Each figure is the best of three runs of `--requests` requests after a warm-up: the cost of the layer
itself, not of a busy machine. Results: bench/results/request_overhead.json (with the machine, its
load and the versions), and bench/summary.py shows them.

    .venv/bin/python bench/request_overhead.py [--database-url sqlite:///data/bench/bench.db] [--requests 1000]
"""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, load_tokens, machine, tokens_file_for, write_results  # noqa: E402

DEFAULT_URL = f"sqlite:///{ROOT / 'data' / 'bench' / 'bench.db'}"


def probe_router():  # noqa: ANN201 (an APIRouter; imported late, once DATABASE_URL is set)
    """Four routes, each one layer more than the one before."""
    from fastapi import APIRouter

    from app.api.deps import CurrentPrincipal
    from app.deps import SessionDep

    router = APIRouter(include_in_schema=False)

    @router.get("/probe/async")
    async def bare_async() -> dict:
        return {}

    @router.get("/probe/sync")
    def bare_sync() -> dict:
        return {}

    @router.get("/probe/session")
    def with_session(session: SessionDep) -> dict:
        return {}

    @router.get("/probe/principal")
    def with_principal(session: SessionDep, by: CurrentPrincipal) -> dict:
        return {}

    return router


def asgi_caller(app, token: str):  # noqa: ANN001, ANN201
    """A coroutine function: one GET through the app, returning (status, body length)."""
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())]

    async def call(path: str) -> tuple[int, int]:
        route, _, query = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": route, "raw_path": route.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"], sum(len(m.get("body", b"")) for m in sent)

    return call


async def best_of_three(call, path: str, requests: int) -> dict:  # noqa: ANN001
    status, size = await call(path)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}")
    for _ in range(max(20, requests // 10)):
        await call(path)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(requests):
            await call(path)
        runs.append((time.perf_counter() - started) / requests * 1e6)
    return {"us": round(min(runs), 1), "runs_us": [round(r, 1) for r in runs], "bytes": size}


def real_paths(database_url: str, slug: str) -> dict[str, str]:
    """The real endpoints to time: a school of the partnership, its first pages."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        urn = connection.execute(text(
            "SELECT s.urn FROM school s JOIN partnership p ON p.id = s.partnership_id WHERE p.slug = :slug "
            "ORDER BY s.id LIMIT 1"), {"slug": slug}).scalar_one()
    engine.dispose()
    return {"school": f"/api/v1/schools/{urn}", "schools, first page": "/api/v1/schools",
            "triads, first page": "/api/v1/triads"}


async def measure(database_url: str, slug: str, token: str, requests: int) -> dict:
    from app.main import create_app
    from bench.raw_app import build_app

    late = create_app()
    late.include_router(probe_router())
    early = create_app()
    early.router.routes.insert(0, probe_router_node(early))
    raw = build_app(database_url)
    ours_late, ours_early, baseline = (asgi_caller(a, token) for a in (late, early, raw))

    layers: dict[str, dict] = {}
    async with late.router.lifespan_context(late), early.router.lifespan_context(early):
        layers["async route, found first: middleware and routing"] = await best_of_three(
            ours_early, "/probe/async", requests)
        for name, path in (("async route, found last: middleware and routing", "/probe/async"),
                           ("def route: + worker threads", "/probe/sync"),
                           ("+ the request's session", "/probe/session"),
                           ("+ the API token's check", "/probe/principal")):
            layers[name] = await best_of_three(ours_late, path, requests)
        endpoints = {}
        for name, path in real_paths(database_url, slug).items():
            ours = await best_of_three(ours_late, path, max(100, requests // 5))
            theirs = await best_of_three(baseline, path, max(100, requests // 5))
            endpoints[name] = {"path": path, "ours": ours, "raw": theirs,
                               "ours_over_raw_time": round(ours["us"] / theirs["us"], 1)}
    return {"layers": layers, "endpoints": endpoints}


def probe_router_node(app):  # noqa: ANN001, ANN201
    """The probe routes included into `app`, taken out of its route list to be put back first."""
    app.include_router(probe_router())
    return app.router.routes.pop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--slug", default="bench-region", help="the partnership whose token calls")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--results", type=Path, default=RESULTS / "request_overhead.json")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    tokens = load_tokens(tokens_file_for(args.database_url))
    token = next(p["token"] for p in tokens["partnerships"] if p["slug"] == args.slug)

    found = asyncio.run(measure(args.database_url, args.slug, token, args.requests))
    results = {"benchmark": "an API request's layers, in process, one request at a time (best of 3 runs)",
               **machine(), "database": args.database_url.split(":", 1)[0].split("+", 1)[0],
               "partnership": args.slug, "requests_per_run": args.requests, **found}
    write_results(args.results, results)
    before = 0.0
    for name, figures in found["layers"].items():
        step = "" if name.startswith("async route, found first") else f"  (+{figures['us'] - before:,.0f})"
        print(f"{name:<52} {figures['us']:>8,.0f} µs{step}")
        before = figures["us"]
    for name, figures in found["endpoints"].items():
        print(f"{name:<30} ours {figures['ours']['us']:>8,.0f} µs   raw {figures['raw']['us']:>7,.0f} µs   "
              f"ours ÷ raw (time) {figures['ours_over_raw_time']}")
    print(f"written to {args.results.relative_to(ROOT) if args.results.is_relative_to(ROOT) else args.results}")


if __name__ == "__main__":
    main()
