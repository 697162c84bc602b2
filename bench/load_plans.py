"""Load test of issue 9's action plans and support deployments: 50 API clients, first reading only, then
80% reads and 20% writes, with every acknowledged write read back afterwards.

The clients, partnerships, timing and read-back are bench/load.py's (the region and the LA
partnerships of the national generation, each client with its own keep-alive connection and the
partnership's read-write token). What they do:

- Reads: half the project's usual mix (bench/load.py: schools, peer review, red flags), half issue 9's
  lists: a page of plans (first, or the next by cursor), a plan with its whole tree
  (``?include=tree``), a plan's milestones (the first page, or the overdue ones), one milestone, a page
  of support deployments (first, or the next by cursor), one deployment, the data-quality report's
  first page, and the support review of the current year.
- Writes, on records found at the start (`discover`):
  - PATCH a milestone's status and evidence note with ``If-Match`` after a GET (40%); a 412 (another
    client changed it in between) is a correct answer, counted apart;
  - POST a support deployment for one of the partnership's schools (30%): an SLE, days planned, an
    objective unique to its run, client and write; it joins the deployments written to next;
  - PATCH a deployment's impact note with ``If-Match`` after a GET (30%; 412 counted apart), on
    deployments that break no rule (those the data-quality report does not list) or made in this run.

After the mixed run every acknowledged write is read back through the API: each milestone and deployment
must show its last acknowledged PATCH (or a later version), each created deployment must be there with its
objective. "database is locked" is counted in the answers and in the server's log.

    .venv/bin/python bench/load_plans.py --database-url sqlite:///$PWD/data/bench/bench.db   # serves it itself
    .venv/bin/python bench/load_plans.py --database-url ... --seconds 5                      # a smoke run

Results: bench/results/load_plans.json (targets as bench/load.py's: 0 errors, mixed throughput at
least 70% of read-only, p99 under 1 s; recorded, not asserted).
"""

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from bench.common import (  # noqa: E402
    RESULTS,
    can_pin,
    load_tokens,
    machine,
    pin_this_process,
    project_server,
    tokens_file_for,
    write_results,
)

PLAN_READS = 0.5  # of the reads: the rest is bench/load.py's usual mix
PLANS_PER_PARTNERSHIP = 40
MILESTONES_PER_PARTNERSHIP = 400
DEPLOYMENTS_PER_PARTNERSHIP = 400
STATUSES = ("not_started", "on_track", "at_risk", "off_track", "complete")
LOCKED = "database is locked"


@dataclass
class PlanTenant(load.Tenant):
    plans: list[int] = field(default_factory=list)
    milestones: list[int] = field(default_factory=list)
    deployments: list[int] = field(default_factory=list)  # that break no rule, and those made in the run


@dataclass
class PlanWrites:
    """What the clients were told was written: (slug, id) -> [(version, value)] of every 200 PATCH,
    and (slug, id) -> objective of every 201 deployment."""

    milestones: dict[tuple[str, int], list[tuple[int, tuple[str, str]]]] = field(
        default_factory=lambda: defaultdict(list))
    deployments: dict[tuple[str, int], list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    created: dict[tuple[str, int], str] = field(default_factory=dict)
    milestone_races: int = 0
    deployment_races: int = 0

    def summary(self) -> dict:
        return {"acknowledged_milestone_patches": sum(len(v) for v in self.milestones.values()),
                "acknowledged_deployment_patches": sum(len(v) for v in self.deployments.values()),
                "acknowledged_deployments_created": len(self.created),
                "milestone_patch_412_races": self.milestone_races,
                "deployment_patch_412_races": self.deployment_races}


@dataclass
class PlanTally(load.Tally):
    plans: PlanWrites = field(default_factory=PlanWrites)

    def summary(self) -> dict:
        found = super().summary()
        found |= self.plans.summary()
        found["database_is_locked_answers"] = sum(LOCKED in s for s in self.server_errors + self.unexpected)
        return found


# --- finding what to read and write -------------------------------------------------------------------


async def _ids(http: httpx.AsyncClient, path: str, params: dict, wanted: int) -> list[int]:
    found: list[int] = []
    cursor = None
    while len(found) < wanted:
        response = await http.get(path, params={**params, "limit": "200", **({"cursor": cursor} if cursor else {})})
        response.raise_for_status()
        page = response.json()
        found.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    return found[:wanted]


async def discover(base_url: str, tenant: PlanTenant) -> None:
    """The partnership's own plan and some schools' plans; milestones of those plans; deployments that
    break no rule (not in the data-quality report), so that a PATCH of one field is not refused for
    another's fault."""
    async with httpx.AsyncClient(base_url=base_url, timeout=300.0,
                                 headers={"Authorization": f"Bearer {tenant.token}"}) as http:
        own = await _ids(http, "/api/v1/action-plans", {"scope": "partnership"}, 5)
        schools = await _ids(http, "/api/v1/action-plans", {"scope": "school", "status": "active"},
                             PLANS_PER_PARTNERSHIP - len(own))
        tenant.plans = own + schools
        for plan_id in tenant.plans:
            if len(tenant.milestones) >= MILESTONES_PER_PARTNERSHIP:
                break
            tenant.milestones += await _ids(http, f"/api/v1/action-plans/{plan_id}/milestones", {},
                                            MILESTONES_PER_PARTNERSHIP - len(tenant.milestones))
        flawed = set(await _ids(http, "/api/v1/reports/support-data-quality", {}, 100_000))
        every = await _ids(http, "/api/v1/support-deployments", {}, DEPLOYMENTS_PER_PARTNERSHIP + len(flawed))
        tenant.deployments = [d for d in every if d not in flawed][:DEPLOYMENTS_PER_PARTNERSHIP]


# --- the requests --------------------------------------------------------------------------------------


async def _paged(client: load.Client, kind: str, path: str, key: str, params: dict | None = None) -> None:
    """The first page, or (a third of the time) the next by the cursor kept from before."""
    cursor = client.cursors.pop(key, None) if client.rng.random() < 0.33 else None
    asked = {**(params or {}), **({"cursor": cursor} if cursor else {})}
    response = await client.request(f"{kind} (next page)" if cursor else kind, "GET", path, params=asked,
                                    expect=(200,))
    if response is not None and response.status_code == 200 and response.json().get("next_cursor"):
        client.cursors[key] = response.json()["next_cursor"]


async def read(client: load.Client) -> None:
    tenant: PlanTenant = client.tenant
    choice = client.rng.random()
    if choice < 0.15:
        await _paged(client, "list action plans", "/api/v1/action-plans", "plans")
    elif choice < 0.25 and tenant.plans:
        plan_id = client.rng.choice(tenant.plans)
        await client.request("get plan tree", "GET", f"/api/v1/action-plans/{plan_id}", params={"include": "tree"},
                             expect=(200,))
    elif choice < 0.40 and tenant.plans:
        plan_id = client.rng.choice(tenant.plans[:5])  # the partnership's own plan(s) mostly
        overdue = client.rng.random() < 0.4
        await client.request("list plan's milestones (overdue)" if overdue else "list plan's milestones", "GET",
                             f"/api/v1/action-plans/{plan_id}/milestones",
                             params={"overdue": "true"} if overdue else {}, expect=(200,))
    elif choice < 0.50 and tenant.milestones:
        milestone_id = client.rng.choice(tenant.milestones)
        await client.request("get milestone", "GET", f"/api/v1/milestones/{milestone_id}", expect=(200,))
    elif choice < 0.72:
        await _paged(client, "list support deployments", "/api/v1/support-deployments", "deployments")
    elif choice < 0.85 and tenant.deployments:
        deployment_id = client.rng.choice(tenant.deployments)
        await client.request("get deployment", "GET", f"/api/v1/support-deployments/{deployment_id}",
                             expect=(200,))
    elif choice < 0.93:
        await client.request("support data quality", "GET", "/api/v1/reports/support-data-quality", expect=(200,))
    else:
        await client.request("support review", "GET", "/api/v1/reports/support-review", expect=(200,))


async def _patch(client: load.Client, kind: str, path: str, body: dict) -> tuple[int, dict | None] | None:
    """GET then PATCH with If-Match: (status, answer) of a 200 or 412, None otherwise."""
    got = await client.request(f"get before {kind}", "GET", path, expect=(200,))
    if got is None or got.status_code != 200:
        return None
    response = await client.request(kind, "PATCH", path, json=body, headers={"If-Match": got.headers["etag"]},
                                    expect=(200, 412))
    if response is None or response.status_code not in (200, 412):
        return None
    return response.status_code, response.json() if response.status_code == 200 else None


async def patch_milestone(client: load.Client) -> None:
    milestone_id = client.rng.choice(client.tenant.milestones)
    status, evidence = client.rng.choice(STATUSES), client.next_label()
    done = await _patch(client, "patch milestone", f"/api/v1/milestones/{milestone_id}",
                        {"status": status, "evidence": evidence})
    if done is None:
        return
    code, body = done
    writes = client.tally.plans
    if code == 412:
        writes.milestone_races += 1
    else:
        writes.milestones[(client.tenant.slug, milestone_id)].append((body["version"], (status, evidence)))


async def post_deployment(client: load.Client) -> None:
    urn = client.rng.choice(client.tenant.urns)
    objective = client.next_label()
    response = await client.request("post deployment", "POST", "/api/v1/support-deployments",
                                    json={"urn": urn, "provider_kind": "sle", "provider_name": "Load test SLE",
                                          "objective": objective, "days_planned": 4.5}, expect=(201,))
    if response is not None and response.status_code == 201:
        deployment_id = response.json()["id"]
        client.tally.plans.created[(client.tenant.slug, deployment_id)] = objective
        client.tenant.deployments.append(deployment_id)


async def patch_deployment(client: load.Client) -> None:
    deployment_id = client.rng.choice(client.tenant.deployments)
    note = client.next_label()
    done = await _patch(client, "patch deployment", f"/api/v1/support-deployments/{deployment_id}",
                        {"impact_note": note})
    if done is None:
        return
    code, body = done
    writes = client.tally.plans
    if code == 412:
        writes.deployment_races += 1
    else:
        writes.deployments[(client.tenant.slug, deployment_id)].append((body["version"], note))


async def write(client: load.Client, choice: float) -> None:
    tenant: PlanTenant = client.tenant
    if choice < 0.4 and tenant.milestones:
        await patch_milestone(client)
    elif choice < 0.7 or not tenant.deployments:
        await post_deployment(client)
    else:
        await patch_deployment(client)


class PlanClient(load.Client):
    async def run(self, deadline: float, write_share: float) -> None:
        try:
            while time.monotonic() < deadline:
                if self.rng.random() < write_share:
                    await write(self, self.rng.random())
                elif self.rng.random() < PLAN_READS:
                    await read(self)
                else:
                    await self.read()
        finally:
            await self.http.aclose()


# --- the run and the read-back ---------------------------------------------------------------------------


async def run_load(base_url: str, tenants: list[PlanTenant], *, seconds: float, clients: int, write_share: float,
                   seed: int) -> PlanTally:
    run_id = uuid.uuid4().hex[:8]
    tally = PlanTally()
    master = random.Random(seed)
    workers = [PlanClient(base_url, tenants[n % len(tenants)], tally, random.Random(master.random()), run_id, n)
               for n in range(clients)]
    started = time.monotonic()
    await asyncio.gather(*(w.run(started + seconds, write_share) for w in workers))
    tally.seconds = time.monotonic() - started
    return tally


def _check(lost: list[str], what: str, record: dict, acknowledged: list[tuple[int, object]],
           value_of: object) -> int:
    """1 if the record moved on past its last acknowledged PATCH (a PATCH whose answer never arrived)."""
    version, value = max(acknowledged)
    if record["version"] < version:
        lost.append(f"{what}: at version {record['version']}, but a PATCH to {version} was acknowledged")
    elif record["version"] == version and value_of(record) != value:
        lost.append(f"{what}: shows {value_of(record)!r}, acknowledged {value!r}")
    return int(record["version"] > version)


async def verify(base_url: str, tenants: list[PlanTenant], writes: PlanWrites) -> dict:
    tokens = {t.slug: t.token for t in tenants}
    lost: list[str] = []
    checked = {"milestone_patches": 0, "deployment_patches": 0, "deployments_created": 0,
               "moved_on_after_last_acknowledged": 0}
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as http:
        for (slug, milestone_id), acknowledged in sorted(writes.milestones.items()):
            response = await http.get(f"/api/v1/milestones/{milestone_id}",
                                      headers={"Authorization": f"Bearer {tokens[slug]}"})
            response.raise_for_status()
            checked["milestone_patches"] += len(acknowledged)
            checked["moved_on_after_last_acknowledged"] += _check(
                lost, f"{slug}/milestone {milestone_id}", response.json(), acknowledged,
                lambda m: (m["status"], m["evidence"]))
        for slug, deployment_id in sorted(set(writes.deployments) | set(writes.created)):
            response = await http.get(f"/api/v1/support-deployments/{deployment_id}",
                                      headers={"Authorization": f"Bearer {tokens[slug]}"})
            what = f"{slug}/deployment {deployment_id}"
            if response.status_code == 404:
                lost.append(f"{what}: not found")
                continue
            response.raise_for_status()
            deployment = response.json()
            objective = writes.created.get((slug, deployment_id))
            if objective is not None:
                checked["deployments_created"] += 1
                if deployment["objective"] != objective:
                    lost.append(f"{what}: objective {deployment['objective']!r}, acknowledged {objective!r}")
            acknowledged = writes.deployments.get((slug, deployment_id))
            if acknowledged:
                checked["deployment_patches"] += len(acknowledged)
                checked["moved_on_after_last_acknowledged"] += _check(lost, what, deployment, acknowledged,
                                                                      lambda d: d["impact_note"])
    return {**{f"acknowledged_{k}_checked" if k != "moved_on_after_last_acknowledged" else k: v
               for k, v in checked.items()},
            "missing": len(lost), "missing_samples": lost[:20], "all_present": not lost}


async def measure(base_url: str, tenants: list[PlanTenant], *, seconds: float, clients: int) -> dict:
    await load.discover(base_url, tenants)
    for tenant in tenants:
        await discover(base_url, tenant)
    runs = {"read_only": (await run_load(base_url, tenants, seconds=seconds, clients=clients, write_share=0.0,
                                         seed=11)).summary()}
    mixed = await run_load(base_url, tenants, seconds=seconds, clients=clients, write_share=load.WRITE_SHARE, seed=12)
    runs["mixed"] = mixed.summary()
    runs["mixed"]["writes_check"] = await verify(base_url, tenants, mixed.plans)
    return runs


def serve_and_measure(database_url: str, workers: int, log_name: str,
                      work: Callable[[str], Awaitable[dict]]) -> tuple[dict, dict, dict, int]:
    """Serve the project (on CPU 0, the clients on CPU 1 where they can be pinned), run `work`
    against it and judge the runs by bench/load.py's targets, "database is locked" counted in the
    answers and the server's log: (runs, assessment, machine, locked in the log)."""
    log = RESULTS / log_name
    server = project_server(database_url, workers=workers, cpu=0, log=log)
    server.wait_ready()
    if can_pin():
        pin_this_process(1)
    info = machine()
    try:
        runs = asyncio.run(work(server.url))
    finally:
        server.stop()
    locked_in_log = log.read_text(errors="replace").count(LOCKED)
    assessment = load.assess(runs)
    assessment["database_is_locked"] = locked_in_log + sum(r["database_is_locked_answers"] for r in runs.values())
    assessment["meets"]["no_database_is_locked"] = assessment["database_is_locked"] == 0
    return runs, assessment, info, locked_in_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="serve the project on this (generated) database")
    parser.add_argument("--tokens", type=Path, help="bench-tokens.json (default: the one beside the database)")
    parser.add_argument("--partnership", action="append", help="a slug to load (repeat; default: up to 10)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=load.CLIENTS)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--results", type=Path, default=RESULTS / "load_plans.json")
    args = parser.parse_args()

    tokens = load_tokens(args.tokens or tokens_file_for(args.database_url))
    tenants = [PlanTenant(t.slug, t.token) for t in load.tenants_from(tokens, args.partnership)]
    runs, assessment, info, locked_in_log = serve_and_measure(
        args.database_url, args.workers, "project-load-plans.log.tmp",
        lambda url: measure(url, tenants, seconds=args.seconds, clients=args.clients))
    results = {
        "benchmark": "load: 50 API clients on action plans and support deployments (with the usual mix), "
                     "read-only then 80% reads / 20% writes",
        **info,
        "server": {"workers": args.workers, "database": args.database_url.split("://")[0], "pinned": can_pin()},
        "data": {"scale": tokens.get("scale"), "partnerships": [t.slug for t in tenants],
                 "plans_per_partnership": [len(t.plans) for t in tenants],
                 "milestones_per_partnership": [len(t.milestones) for t in tenants],
                 "deployments_per_partnership_at_start": DEPLOYMENTS_PER_PARTNERSHIP},
        "clients": args.clients, "seconds_per_run": args.seconds,
        "mix": {"reads": f"{PLAN_READS:.0%} issue 9's lists, the rest bench/load.py's usual reads",
                "writes": "40% milestone PATCH (If-Match), 30% deployment POST, 30% deployment PATCH (If-Match)",
                "write_share": load.WRITE_SHARE},
        "targets": load.TARGETS,
        "runs": runs,
        "database_is_locked_in_server_log": locked_in_log,
        "assessment": assessment,
    }
    write_results(args.results, results)
    for name, run in runs.items():
        print(f"{name:<10} {run['requests_per_second']:>8} req/s  p50 {run['all']['p50_ms']} ms  "
              f"p95 {run['all']['p95_ms']} ms  p99 {run['all']['p99_ms']} ms  5xx {run['server_errors']}  "
              f"dropped {run['dropped_connections']}  statuses {run['statuses']}")
    check = runs["mixed"]["writes_check"]
    mixed = runs["mixed"]
    print(f"writes acknowledged: {check['acknowledged_milestone_patches_checked']} milestone PATCH, "
          f"{check['acknowledged_deployments_created_checked']} deployments created, "
          f"{check['acknowledged_deployment_patches_checked']} deployment PATCH; missing {check['missing']}; "
          f"412 races: milestones {mixed['milestone_patch_412_races']}, deployments "
          f"{mixed['deployment_patch_412_races']}; database is locked: {assessment['database_is_locked']}")
    print(f"assessment: {assessment}")
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
