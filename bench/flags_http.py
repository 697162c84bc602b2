"""bench/flags.py's requests over HTTP, in process: ``GET /api/v1/red-flags`` through the whole app, and
the same request to the raw baseline (bench/raw_flags.py, on bench/raw_app.py's Starlette app).

- ``time_http``: the project alone, through its test client: the first page worked out afresh (the kept
  order forgotten before each request, as after any change to the partnership's data), then the first and
  the following pages while the order is kept (app.services.flag_cache);
- ``against_raw``: the first page, and ``?severity=red``, one request at a time, ours worked out afresh
  each time against the raw baseline (which works everything out for every request and keeps nothing),
  both apps in this process behind ``httpx.ASGITransport`` (the project's lifespan run around it), in
  turn, alternating which goes first. Before timing, both must answer the same JSON. ``ours_over_raw``
  is as in bench/api_lists.py: ours in requests a second over the baseline's (the baseline's time over
  ours); 1.0 is as fast as the baseline.
"""

import asyncio
import statistics
import time

import httpx
from fastapi.testclient import TestClient

from app.db import session_scope
from app.main import create_app
from app.models.partnership import Partnership
from app.services import flag_cache
from bench import raw_app
from tests import factories

PATHS = {"first page": "/api/v1/red-flags", "?severity=red": "/api/v1/red-flags?severity=red"}


def _ms(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"runs": len(ordered), "median_ms": round(statistics.median(ordered) * 1000, 2),
            "min_ms": round(ordered[0] * 1000, 2), "max_ms": round(ordered[-1] * 1000, 2)}


def token_for(engine, partnership: Partnership) -> str:  # noqa: ANN001
    """A new read token of the partnership (the benchmark's own)."""
    with session_scope(engine=engine) as session:
        return factories.make_token(session, partnership, "read", name="bench/flags.py")


def time_http(engine, token: str, runs: int) -> dict:  # noqa: ANN001
    cold, warm, following = [], [], []
    with TestClient(create_app(engine=engine), base_url="https://testserver") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        client.get("/api/v1/red-flags").raise_for_status()
        for _ in range(runs):
            flag_cache.clear()
            started = time.perf_counter()
            client.get("/api/v1/red-flags").raise_for_status()
            cold.append(time.perf_counter() - started)
        cursor = None
        for _ in range(runs * 3):
            started = time.perf_counter()
            client.get("/api/v1/red-flags").raise_for_status()
            warm.append(time.perf_counter() - started)
            started = time.perf_counter()
            answer = client.get("/api/v1/red-flags", params={"cursor": cursor} if cursor else {})
            answer.raise_for_status()
            following.append(time.perf_counter() - started)
            cursor = answer.json()["next_cursor"]
    return {"worked_out": _ms(cold), "kept_first_page": _ms(warm), "kept_next_pages": _ms(following)}


def against_raw(url: str, engine, token: str, runs: int) -> dict:  # noqa: ANN001
    return asyncio.run(_against_raw(url, engine, token, runs))


async def _against_raw(url: str, engine, token: str, runs: int) -> dict:  # noqa: ANN001
    ours_app, raw = create_app(engine=engine), raw_app.build_app(url)
    headers = {"Authorization": f"Bearer {token}"}
    found = {}
    async with ours_app.router.lifespan_context(ours_app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=ours_app), base_url="https://testserver",
                              headers=headers, timeout=600.0) as ours, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=raw), base_url="https://testserver",
                              headers=headers, timeout=600.0) as baseline:

        async def timed(client: httpx.AsyncClient, path: str) -> tuple[float, dict]:
            if client is ours:
                flag_cache.clear()
            started = time.perf_counter()
            answer = await client.get(path)
            elapsed = time.perf_counter() - started
            answer.raise_for_status()
            return elapsed, answer.json()

        for label, path in PATHS.items():
            (_, mine), (_, theirs) = await timed(ours, path), await timed(baseline, path)  # also the warm-up
            if mine != theirs:
                raise SystemExit(f"red flags {label}: the raw baseline's JSON differs from the project's")
            seconds: dict[str, list[float]] = {"ours": [], "raw": []}
            for n in range(runs):
                turns = [("ours", ours), ("raw", baseline)]
                for stack, client in turns[::-1] if n % 2 else turns:
                    seconds[stack].append((await timed(client, path))[0])
            ours_ms, raw_ms = _ms(seconds["ours"]), _ms(seconds["raw"])
            found[label] = {"path": path, "total": mine["total"], "ours_worked_out": ours_ms, "raw": raw_ms,
                            "ours_over_raw": round(raw_ms["median_ms"] / ours_ms["median_ms"], 3)}
    return found
