"""Load test: 50 concurrent API clients, first reading only, then 80% reads and 20% writes.

Each client is an httpx async client with a keep-alive connection of its own, speaking for one
of the generated partnerships with its read-write token (bench-tokens.json, written by
`python -m app generate`). The clients share the partnerships round-robin.

- Reads (65% on schools): a page of the schools list (the first page, a phase filter, or the page
  after it via ``next_cursor``) or one school; (25%) a page of collaboratives, triads, visits, a
  triad's visits or audit events, or one visit record (bench/load_peer_review.py); (10%) the
  red-flag list, its next page, or one school's flags (bench/load_flags.py).
- Writes (45% on schools): PATCH a school's not-engaged reason (a partnership's own field: GIAS
  owns the head's name) with ``If-Match`` after a GET (412, when another client changed the school
  in between, is a correct answer and counted apart), or POST an indicator with a source of its own
  (so it never legitimately conflicts); (45% on peer review) PATCH a visit record's findings with
  ``If-Match``, POST an action to a visit, or PATCH a triad's name with ``If-Match`` (412s counted
  apart); (10%) POST a manual red flag.

After the mixed run every acknowledged write is read back through the API: each 2xx PATCH must
be reflected (or superseded by a later acknowledged one), each 201 indicator and action must be
there with its value, each manual flag among its school's flags. Results go to
bench/results/load.json: requests/s, p50/p95/p99 per kind, responses by status, server errors (5xx),
dropped connections (transport errors) and the write check.

    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --tokens data/bench-tokens.json
    .venv/bin/python bench/load.py --database-url sqlite:///data/app.db [--workers 1] [--seconds 60]
    .venv/bin/python bench/load.py --database-url postgresql+psycopg://app:app@127.0.0.1:5432/app_bench --workers 4

With ``--database-url`` the script serves the project itself (pinned to CPU 0, the load on CPU 1
where there are two), on data generated beforehand (`python -m app generate --scale national`).
"""

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load_flags as flag_load  # noqa: E402
from bench import load_peer_review as peer_review  # noqa: E402
from bench.common import (  # noqa: E402
    RESULTS,
    can_pin,
    load_tokens,
    machine,
    percentile,
    pin_this_process,
    project_server,
    tokens_file_for,
    write_results,
)

CLIENTS = 50
WRITE_SHARE = 0.2
PEER_REVIEW_READS = 0.25  # of the reads
FLAG_READS = 0.10  # of the reads
FLAG_WRITES = 0.10  # of the writes
PEER_REVIEW_WRITES = 0.5  # of the other writes
PHASES = ("primary", "secondary", "nursery", "special")
INDICATOR_MEASURE = "load_check"
REQUEST_TIMEOUT = 30.0
MAX_PARTNERSHIPS = 10
URNS_PER_PARTNERSHIP = 600
TARGETS = {"errors": 0, "mixed_over_read_only_throughput_at_least": 0.7, "p99_seconds_below": 1.0,
           "note": "targets for one worker; recorded, not asserted"}


@dataclass
class Tenant:
    slug: str
    token: str
    urns: list[str] = field(default_factory=list)
    triads: list[int] = field(default_factory=list)
    visits: list[int] = field(default_factory=list)  # draft or submitted: open to changes


@dataclass
class Tally:
    """What one run saw: every request's kind, status (or transport error) and duration."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    by_kind_status: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    transport_errors: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    patch_conflicts: int = 0
    # (slug, urn) -> [(version, not-engaged reason)] of every acknowledged PATCH
    patches: dict[tuple[str, str], list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    # (slug, urn) -> {indicator id: (source, value)} of every 201
    indicators: dict[tuple[str, str], dict[int, tuple[str, float]]] = field(default_factory=lambda: defaultdict(dict))
    peer: peer_review.PeerReviewWrites = field(default_factory=peer_review.PeerReviewWrites)
    flags: flag_load.FlagWrites = field(default_factory=flag_load.FlagWrites)
    requests: int = 0
    seconds: float = 0.0

    def summary(self) -> dict:
        kinds = {}
        for kind, values in sorted(self.latencies.items()):
            kinds[kind] = {"requests": len(values), **_quantiles(values),
                           "statuses": dict(sorted(self.by_kind_status[kind].items(), key=lambda item: str(item[0])))}
        everything = [v for values in self.latencies.values() for v in values]
        return {
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else None,
            "all": _quantiles(everything),
            "kinds": kinds,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=lambda kv: str(kv[0]))},
            "server_errors": len(self.server_errors),
            "server_error_samples": self.server_errors[:10],
            "dropped_connections": sum(self.transport_errors.values()),
            "transport_errors": dict(self.transport_errors),
            "unexpected_answers": len(self.unexpected),
            "unexpected_samples": self.unexpected[:10],
            "patch_412_races": self.patch_conflicts,
            "acknowledged_patches": sum(len(v) for v in self.patches.values()),
            "acknowledged_indicators": sum(len(v) for v in self.indicators.values()),
            **self.peer.summary(),
            **self.flags.summary(),
        }


def _quantiles(values: list[float]) -> dict:
    def ms(share: float) -> float | None:
        value = percentile(values, share)
        return None if value is None else round(value * 1000, 1)

    return {"p50_ms": ms(0.50), "p95_ms": ms(0.95), "p99_ms": ms(0.99), "max_ms": ms(1.0)}


class Client:
    """One simulated integration: its own connection, its own partnership, its own random stream."""

    def __init__(self, base_url: str, tenant: Tenant, tally: Tally, rng: random.Random, run_id: str,
                 number: int) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT,
                                      limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                                      headers={"Authorization": f"Bearer {tenant.token}"})
        self.tenant, self.tally, self.rng, self.run_id, self.number = tenant, tally, rng, run_id, number
        self.writes = 0
        self.cursors: dict[str, str] = {}

    async def request(self, kind: str, method: str, url: str, *, expect: tuple[int, ...],
                      **kwargs: object) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            self.tally.transport_errors[type(exc).__name__] += 1
            self.tally.statuses["transport error"] += 1
            self.tally.by_kind_status[kind]["transport error"] += 1
            self.tally.requests += 1
            return None
        self.tally.latencies[kind].append(time.perf_counter() - started)
        self.tally.requests += 1
        self.tally.statuses[response.status_code] += 1
        self.tally.by_kind_status[kind][response.status_code] += 1
        if response.status_code >= 500:
            self.tally.server_errors.append(f"{method} {url}: {response.status_code} {response.text[:200]}")
        elif response.status_code not in expect:
            self.tally.unexpected.append(f"{method} {url}: {response.status_code} {response.text[:200]}")
        return response

    def next_label(self) -> str:
        """A value no other write of any run uses."""
        self.writes += 1
        return f"Load {self.run_id} c{self.number} w{self.writes}"

    async def read(self) -> None:
        choice = self.rng.random()
        if choice < FLAG_READS:
            await flag_load.read(self)
            return
        if choice < FLAG_READS + PEER_REVIEW_READS and (self.tenant.triads or self.tenant.visits):
            await peer_review.read(self)
            return
        urn = self.rng.choice(self.tenant.urns)
        choice = self.rng.random()
        if choice < 0.5:
            await self.request("get school", "GET", f"/api/v1/schools/{urn}", expect=(200,))
            return
        phase = self.rng.choice(PHASES) if choice < 0.7 else None
        key = phase or ""
        cursor = self.cursors.pop(key, None) if choice > 0.85 else None
        params: dict[str, str] = {"limit": "50"}
        if phase:
            params["phase"] = phase
        if cursor:
            params["cursor"] = cursor
        kind = "list (next page)" if cursor else ("list (phase)" if phase else "list")
        response = await self.request(kind, "GET", "/api/v1/schools", params=params, expect=(200,))
        if response is not None and response.status_code == 200:
            next_cursor = response.json().get("next_cursor")
            if next_cursor:
                self.cursors[key] = next_cursor

    async def patch(self) -> None:
        urn = self.rng.choice(self.tenant.urns)
        got = await self.request("get before patch", "GET", f"/api/v1/schools/{urn}", expect=(200,))
        if got is None or got.status_code != 200:
            return
        name = self.next_label()
        response = await self.request("patch school", "PATCH", f"/api/v1/schools/{urn}",
                                      json={"engaged": False, "not_engaged_reason": name},
                                      headers={"If-Match": got.headers["etag"]},
                                      expect=(200, 412))
        if response is None:
            return
        if response.status_code == 412:
            self.tally.patch_conflicts += 1
        elif response.status_code == 200:
            body = response.json()
            self.tally.patches[(self.tenant.slug, urn)].append((body["version"], name))

    async def post_indicator(self) -> None:
        urn = self.rng.choice(self.tenant.urns)
        source = self.next_label().lower()
        value = round(self.rng.uniform(0, 100), 2)
        response = await self.request("post indicator", "POST", f"/api/v1/schools/{urn}/indicators",
                                      json={"measure": INDICATOR_MEASURE, "academic_year": "2025/26",
                                            "value": value, "source": source}, expect=(201,))
        if response is not None and response.status_code == 201:
            self.tally.indicators[(self.tenant.slug, urn)][response.json()["id"]] = (source, value)

    async def run(self, deadline: float, write_share: float) -> None:
        try:
            while time.monotonic() < deadline:
                if self.rng.random() < write_share:
                    choice = self.rng.random()
                    if choice < FLAG_WRITES:
                        await flag_load.write(self)
                        continue
                    choice = (choice - FLAG_WRITES) / (1 - FLAG_WRITES)
                    if choice < PEER_REVIEW_WRITES and await peer_review.write(self, choice / PEER_REVIEW_WRITES):
                        continue
                    await (self.patch() if self.rng.random() < 0.5 else self.post_indicator())
                else:
                    await self.read()
        finally:
            await self.http.aclose()


async def discover(base_url: str, tenants: list[Tenant], per_tenant: int = URNS_PER_PARTNERSHIP) -> None:
    """Some URNs of each partnership, through the API (a few pages of the list)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120.0) as http:
        for tenant in tenants:
            cursor = None
            while len(tenant.urns) < per_tenant:
                params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
                response = await http.get("/api/v1/schools", params=params,
                                          headers={"Authorization": f"Bearer {tenant.token}"})
                response.raise_for_status()
                page = response.json()
                tenant.urns.extend(item["urn"] for item in page["items"])
                cursor = page["next_cursor"]
                if not cursor:
                    break
            if not tenant.urns:
                raise RuntimeError(f"partnership {tenant.slug} has no schools to load")
            await peer_review.discover(base_url, tenant)


async def run_load(base_url: str, tenants: list[Tenant], *, seconds: float, clients: int = CLIENTS,
                   write_share: float = WRITE_SHARE, seed: int = 1, run_id: str | None = None) -> Tally:
    """Run `clients` clients for `seconds` against the server; every request is bounded by a timeout."""
    run_id = run_id or uuid.uuid4().hex[:8]
    tally = Tally()
    master = random.Random(seed)
    workers = [Client(base_url, tenants[n % len(tenants)], tally, random.Random(master.random()), run_id, n)
               for n in range(clients)]
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(w.run(deadline, write_share) for w in workers))
    tally.seconds = time.monotonic() - started
    return tally


async def verify_writes(base_url: str, tenants: list[Tenant], tally: Tally) -> dict:
    """Read every acknowledged write back through the API."""
    tokens = {t.slug: t.token for t in tenants}
    lost: list[str] = []
    checked_patches = checked_indicators = superseded_by_unacknowledged = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as http:
        for (slug, urn), acknowledged in tally.patches.items():
            response = await http.get(f"/api/v1/schools/{urn}", headers={"Authorization": f"Bearer {tokens[slug]}"})
            response.raise_for_status()
            school = response.json()
            version, name = max(acknowledged)
            checked_patches += len(acknowledged)
            if school["version"] < version:
                lost.append(f"{slug}/{urn}: at version {school['version']}, but a PATCH to {version} was acknowledged")
            elif school["version"] == version and school["not_engaged_reason"] != name:
                lost.append(f"{slug}/{urn}: reason is {school['not_engaged_reason']!r}, acknowledged {name!r}")
            elif school["version"] > version:
                # A PATCH whose answer never arrived (a transport error) may still have been applied.
                superseded_by_unacknowledged += 1
        for (slug, urn), created in tally.indicators.items():
            response = await http.get(f"/api/v1/schools/{urn}/indicators", params={"measure": INDICATOR_MEASURE},
                                      headers={"Authorization": f"Bearer {tokens[slug]}"})
            response.raise_for_status()
            present = {item["id"]: (item["source"], item["value"]) for item in response.json()}
            for indicator_id, (source, value) in created.items():
                checked_indicators += 1
                if present.get(indicator_id) != (source, value):
                    lost.append(f"{slug}/{urn}: indicator {indicator_id} ({source}) missing or changed")
    peer_checked = await peer_review.verify(base_url, tokens, tally.peer, lost)
    peer_checked |= await flag_load.verify(base_url, tokens, tally.flags, lost)
    return {"acknowledged_patches_checked": checked_patches, "acknowledged_indicators_checked": checked_indicators,
            "schools_changed_after_last_acknowledged_patch": superseded_by_unacknowledged, **peer_checked,
            "missing": len(lost), "missing_samples": lost[:20], "all_present": not lost}


def tenants_from(tokens: dict, slugs: list[str] | None, limit: int = MAX_PARTNERSHIPS) -> list[Tenant]:
    """The partnerships to load: those named, else the region and LA/small ones (not the national)."""
    by_slug = {p["slug"]: p for p in tokens["partnerships"]}
    if slugs:
        missing = [s for s in slugs if s not in by_slug]
        if missing:
            raise SystemExit(f"not in the tokens file: {', '.join(missing)}")
        chosen = [by_slug[s] for s in slugs]
    else:
        order = {"region": 0, "la": 1, "small": 2, "national": 3}
        candidates = sorted((p for p in tokens["partnerships"] if p["kind"] != "national"),
                            key=lambda p: (order.get(p["kind"], 9), p["slug"]))
        chosen = (candidates or tokens["partnerships"])[:limit]
    return [Tenant(p["slug"], p["token"]) for p in chosen]


async def measure(base_url: str, tenants: list[Tenant], *, seconds: float, clients: int,
                  read_only_first: bool = True, seed: int = 1) -> dict:
    """Discover URNs, run read-only then mixed, check the writes; the results as a dict."""
    await discover(base_url, tenants)
    runs = {}
    if read_only_first:
        runs["read_only"] = (await run_load(base_url, tenants, seconds=seconds, clients=clients, write_share=0.0,
                                            seed=seed)).summary()
    mixed = await run_load(base_url, tenants, seconds=seconds, clients=clients, write_share=WRITE_SHARE, seed=seed + 1)
    runs["mixed"] = mixed.summary()
    runs["mixed"]["writes_check"] = await verify_writes(base_url, tenants, mixed)
    return runs


def assess(runs: dict) -> dict:
    mixed = runs["mixed"]
    errors = sum(run["server_errors"] + run["dropped_connections"] for run in runs.values())
    out = {"errors": errors,
           "mixed_p99_ms": mixed["all"]["p99_ms"], "all_writes_present": mixed["writes_check"]["all_present"]}
    if "read_only" in runs and runs["read_only"]["requests_per_second"]:
        out["mixed_over_read_only_throughput"] = round(
            mixed["requests_per_second"] / runs["read_only"]["requests_per_second"], 2)
    out["meets"] = {
        "no_errors": out["errors"] == 0,
        "mixed_throughput_70_percent": out.get("mixed_over_read_only_throughput", 0) >= 0.7,
        "p99_under_1_s": (mixed["all"]["p99_ms"] or 0) < 1000,
        "writes_present": out["all_writes_present"],
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000 (loopback only)")
    where.add_argument("--database-url", help="serve the project on this (generated) database")
    parser.add_argument("--tokens", type=Path, help="bench-tokens.json (default: the one beside the database)")
    parser.add_argument("--partnership", action="append", help="a slug to load (repeat; default: up to 10)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--results", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args()

    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("load only a server on this machine (127.0.0.0/8, localhost or [::1])")
    tokens_path = args.tokens or (tokens_file_for(args.database_url) if args.database_url else None)
    if tokens_path is None:
        raise SystemExit("give --tokens with --url")
    tokens = load_tokens(tokens_path)
    tenants = tenants_from(tokens, args.partnership)
    server = None
    if args.database_url:
        if args.database_url.startswith("sqlite") and args.workers > 1:
            print("note: several workers on SQLite contend for its one write lock across processes; "
                  "PostgreSQL is the engine for several workers", file=sys.stderr)
        server = project_server(args.database_url, workers=args.workers, cpu=0)
        server.wait_ready()
        if can_pin():
            pin_this_process(1)
    base_url = server.url if server else args.url.rstrip("/")
    info = machine()
    try:
        runs = asyncio.run(measure(base_url, tenants, seconds=args.seconds, clients=args.clients))
    finally:
        if server:
            server.stop()
    results = {
        "benchmark": "load: 50 API clients, read-only then 80% reads / 20% writes",
        **info,
        "server": {"url": None if server else base_url, "workers": args.workers if server else None,
                   "database": (args.database_url.split("://")[0] if args.database_url else None),
                   "pinned": bool(server) and can_pin()},
        "data": {"scale": tokens.get("scale"), "partnerships": [t.slug for t in tenants],
                 "urns_per_partnership": [len(t.urns) for t in tenants]},
        "clients": args.clients, "seconds_per_run": args.seconds,
        "targets": TARGETS,
        "runs": runs,
        "assessment": assess(runs),
    }
    write_results(args.results, results)
    for name, run in runs.items():
        print(f"{name:<10} {run['requests_per_second']:>8} req/s  p50 {run['all']['p50_ms']} ms  "
              f"p95 {run['all']['p95_ms']} ms  p99 {run['all']['p99_ms']} ms  5xx {run['server_errors']}  "
              f"dropped {run['dropped_connections']}  statuses {run['statuses']}")
    check = runs["mixed"]["writes_check"]
    mixed = runs["mixed"]
    print(f"writes acknowledged: {check['acknowledged_patches_checked']} school PATCH, "
          f"{check['acknowledged_indicators_checked']} indicators, {check['acknowledged_visit_patches_checked']} visit "
          f"PATCH, {check['acknowledged_actions_checked']} actions, {check['acknowledged_triad_patches_checked']}"
          f" triad PATCH, {check['acknowledged_manual_flags_checked']} manual flags; missing {check['missing']}; "
          f"412 races: schools {mixed['patch_412_races']}, visits "
          f"{mixed['visit_patch_412_races']}, triads {mixed['triad_patch_412_races']}")
    print(f"assessment: {results['assessment']}")
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
