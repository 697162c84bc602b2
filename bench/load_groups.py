"""Load test of issue 10's groups and alliance dashboards: 50 API clients, first reading only, then
80% reads and 20% writes, with every acknowledged write read back afterwards.

The clients, partnerships, timing and read-back are bench/load.py's and bench/load_plans.py's. What
they do:

- Reads: half the project's usual mix (bench/load.py), half issue 10's API: a page of groups (first,
  or the next by cursor), one group, and a group's dashboard "as if one school" (this year's, or
  last year's a third of the time).
- Writes, on the groups found or made at the start (each partnership gets 8 alliances of 12 of its
  schools if it has fewer groups):
  - PATCH a group's description with ``If-Match`` after a GET (60%); a 412 (another client changed
    it in between) is a correct answer, counted apart;
  - POST a new group of three of the partnership's schools (40%), named for its run, client and
    write; it joins the groups written to next.

The board and the school profile are pages behind a browser session, measured one client at a time
by bench/board.py and bench/pages.py.

    .venv/bin/python bench/load_groups.py --database-url sqlite:///$PWD/data/bench/bench.db
    .venv/bin/python bench/load_groups.py --database-url ... --seconds 5     # a smoke run

Results: bench/results/load_groups.json (targets as bench/load.py's; recorded, not asserted).
"""

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
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
    tokens_file_for,
    write_results,
)
from bench.load_plans import LOCKED, _check, _ids, _paged, _patch, serve_and_measure  # noqa: E402

GROUP_READS = 0.5  # of the reads: the rest is bench/load.py's usual mix
GROUPS_PER_PARTNERSHIP = 8
SCHOOLS_PER_GROUP = 12


def _years() -> tuple[str, str]:
    today = date.today()
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}/{str(start + 1)[2:]}", f"{start - 1}/{str(start)[2:]}"


@dataclass
class GroupTenant(load.Tenant):
    groups: list[int] = field(default_factory=list)


@dataclass
class GroupWrites:
    """(slug, id) -> [(version, description)] of every 200 PATCH; (slug, id) -> name of every 201."""

    patched: dict[tuple[str, int], list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    created: dict[tuple[str, int], str] = field(default_factory=dict)
    races: int = 0

    def summary(self) -> dict:
        return {"acknowledged_group_patches": sum(len(v) for v in self.patched.values()),
                "acknowledged_groups_created": len(self.created), "group_patch_412_races": self.races}


@dataclass
class GroupTally(load.Tally):
    groups: GroupWrites = field(default_factory=GroupWrites)

    def summary(self) -> dict:
        found = super().summary() | self.groups.summary()
        found["database_is_locked_answers"] = sum(LOCKED in s for s in self.server_errors + self.unexpected)
        return found


async def discover(base_url: str, tenant: GroupTenant) -> None:
    """The partnership's groups; alliances of its schools made first when it has too few."""
    async with httpx.AsyncClient(base_url=base_url, timeout=300.0,
                                 headers={"Authorization": f"Bearer {tenant.token}"}) as http:
        tenant.groups = await _ids(http, "/api/v1/groups", {}, GROUPS_PER_PARTNERSHIP)
        rng = random.Random(tenant.slug)
        while len(tenant.groups) < GROUPS_PER_PARTNERSHIP:
            urns = rng.sample(tenant.urns, min(SCHOOLS_PER_GROUP, len(tenant.urns)))
            made = await http.post("/api/v1/groups", json={
                "name": f"Load alliance {len(tenant.groups) + 1}", "kind": "alliance", "schools": urns})
            made.raise_for_status()
            tenant.groups.append(made.json()["id"])


async def read(client: load.Client) -> None:
    tenant: GroupTenant = client.tenant
    choice = client.rng.random()
    if choice < 0.3 or not tenant.groups:
        await _paged(client, "list groups", "/api/v1/groups", "groups")
    elif choice < 0.5:
        group_id = client.rng.choice(tenant.groups)
        await client.request("get group", "GET", f"/api/v1/groups/{group_id}", expect=(200,))
    else:
        group_id = client.rng.choice(tenant.groups)
        this_year, last_year = _years()
        year = last_year if client.rng.random() < 0.33 else this_year
        await client.request("group dashboard", "GET", f"/api/v1/groups/{group_id}/dashboard",
                             params={"year": year}, expect=(200,))


async def patch_group(client: load.Client) -> None:
    group_id = client.rng.choice(client.tenant.groups)
    description = client.next_label()
    done = await _patch(client, "patch group", f"/api/v1/groups/{group_id}", {"description": description})
    if done is None:
        return
    code, body = done
    if code == 412:
        client.tally.groups.races += 1
    else:
        client.tally.groups.patched[(client.tenant.slug, group_id)].append((body["version"], description))


async def post_group(client: load.Client) -> None:
    name = client.next_label()
    urns = client.rng.sample(client.tenant.urns, min(3, len(client.tenant.urns)))
    response = await client.request("post group", "POST", "/api/v1/groups",
                                    json={"name": name, "kind": "named", "schools": urns}, expect=(201,))
    if response is not None and response.status_code == 201:
        group_id = response.json()["id"]
        client.tally.groups.created[(client.tenant.slug, group_id)] = name
        client.tenant.groups.append(group_id)


class GroupClient(load.Client):
    async def run(self, deadline: float, write_share: float) -> None:
        try:
            while time.monotonic() < deadline:
                if self.rng.random() < write_share:
                    if self.rng.random() < 0.6 and self.tenant.groups:
                        await patch_group(self)
                    else:
                        await post_group(self)
                elif self.rng.random() < GROUP_READS:
                    await read(self)
                else:
                    await self.read()
        finally:
            await self.http.aclose()


async def run_load(base_url: str, tenants: list[GroupTenant], *, seconds: float, clients: int, write_share: float,
                   seed: int) -> GroupTally:
    run_id = uuid.uuid4().hex[:8]
    tally = GroupTally()
    master = random.Random(seed)
    workers = [GroupClient(base_url, tenants[n % len(tenants)], tally, random.Random(master.random()), run_id, n)
               for n in range(clients)]
    started = time.monotonic()
    await asyncio.gather(*(w.run(started + seconds, write_share) for w in workers))
    tally.seconds = time.monotonic() - started
    return tally


async def verify(base_url: str, tenants: list[GroupTenant], writes: GroupWrites) -> dict:
    tokens = {t.slug: t.token for t in tenants}
    lost: list[str] = []
    checked = {"patches": 0, "created": 0, "moved_on": 0}
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as http:
        for slug, group_id in sorted(set(writes.patched) | set(writes.created)):
            response = await http.get(f"/api/v1/groups/{group_id}", headers={"Authorization": f"Bearer {tokens[slug]}"})
            what = f"{slug}/group {group_id}"
            if response.status_code == 404:
                lost.append(f"{what}: not found")
                continue
            response.raise_for_status()
            group = response.json()
            name = writes.created.get((slug, group_id))
            if name is not None:
                checked["created"] += 1
                if group["name"] != name:
                    lost.append(f"{what}: named {group['name']!r}, acknowledged {name!r}")
            acknowledged = writes.patched.get((slug, group_id))
            if acknowledged:
                checked["patches"] += len(acknowledged)
                checked["moved_on"] += _check(lost, what, group, acknowledged, lambda g: g["description"])
    return {"acknowledged_group_patches_checked": checked["patches"],
            "acknowledged_groups_created_checked": checked["created"],
            "moved_on_after_last_acknowledged": checked["moved_on"],
            "missing": len(lost), "missing_samples": lost[:20], "all_present": not lost}


async def measure(base_url: str, tenants: list[GroupTenant], *, seconds: float, clients: int) -> dict:
    await load.discover(base_url, tenants)
    for tenant in tenants:
        await discover(base_url, tenant)
    runs = {"read_only": (await run_load(base_url, tenants, seconds=seconds, clients=clients, write_share=0.0,
                                         seed=21)).summary()}
    mixed = await run_load(base_url, tenants, seconds=seconds, clients=clients, write_share=load.WRITE_SHARE, seed=22)
    runs["mixed"] = mixed.summary()
    runs["mixed"]["writes_check"] = await verify(base_url, tenants, mixed.groups)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="serve the project on this (generated) database")
    parser.add_argument("--tokens", type=Path, help="bench-tokens.json (default: the one beside the database)")
    parser.add_argument("--partnership", action="append", help="a slug to load (repeat; default: up to 10)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=load.CLIENTS)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--results", type=Path, default=RESULTS / "load_groups.json")
    args = parser.parse_args()

    tokens = load_tokens(args.tokens or tokens_file_for(args.database_url))
    tenants = [GroupTenant(t.slug, t.token) for t in load.tenants_from(tokens, args.partnership)]
    runs, assessment, info, locked_in_log = serve_and_measure(
        args.database_url, args.workers, "project-load-groups.log.tmp",
        lambda url: measure(url, tenants, seconds=args.seconds, clients=args.clients))
    write_results(args.results, {
        "benchmark": "load: 50 API clients on groups and their dashboards (with the usual mix), "
                     "read-only then 80% reads / 20% writes",
        **info,
        "server": {"workers": args.workers, "database": args.database_url.split("://")[0], "pinned": can_pin()},
        "data": {"scale": tokens.get("scale"), "partnerships": [t.slug for t in tenants],
                 "groups_per_partnership_at_start": GROUPS_PER_PARTNERSHIP},
        "clients": args.clients, "seconds_per_run": args.seconds,
        "mix": {"reads": f"{GROUP_READS:.0%} issue 10's groups API, the rest bench/load.py's usual reads",
                "writes": "60% group PATCH (If-Match), 40% group POST", "write_share": load.WRITE_SHARE},
        "targets": load.TARGETS,
        "runs": runs,
        "database_is_locked_in_server_log": locked_in_log,
        "assessment": assessment,
    })
    for name, run in runs.items():
        print(f"{name:<10} {run['requests_per_second']:>8} req/s  p50 {run['all']['p50_ms']} ms  "
              f"p95 {run['all']['p95_ms']} ms  p99 {run['all']['p99_ms']} ms  5xx {run['server_errors']}  "
              f"dropped {run['dropped_connections']}  statuses {run['statuses']}")
    check = runs["mixed"]["writes_check"]
    print(f"writes acknowledged: {check['acknowledged_group_patches_checked']} group PATCH, "
          f"{check['acknowledged_groups_created_checked']} groups created; missing {check['missing']}; "
          f"412 races {runs['mixed']['group_patch_412_races']}; database is locked: {assessment['database_is_locked']}")
    print(f"assessment: {assessment}")
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
