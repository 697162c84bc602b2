"""The peer-review part of the load test (bench/load.py): reads of issue 7's lists, and three writes
with their read-back.

- Reads: a page of collaboratives, triads, visits (first page, or the visits of a triad) or audit
  events, or one visit record.
- Writes, each on records found at the start (`discover`):
  - PATCH a visit record's findings (``strengths``) with ``If-Match`` after a GET; a 412 (another
    client changed it in between) is a correct answer, counted apart;
  - POST an action to a visit record (never conflicts: an action has its own version);
  - PATCH a triad's name with ``If-Match`` after a GET (412 counted apart, as above).
  Only draft and submitted visits are written to (nobody signs one off during the run, so none
  becomes read-only); every name and text is unique to its run, client and write.

`verify` reads every acknowledged write back through the API: each visit and triad must show its
last acknowledged PATCH (or a later version), each created action must be on its visit with its text.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from bench.load import Client, Tenant

VISITS_PER_PARTNERSHIP = 400
TRIADS_PER_PARTNERSHIP = 400
LISTS = ("/api/v1/collaboratives", "/api/v1/triads", "/api/v1/visits", "/api/v1/audit-events")


@dataclass
class PeerReviewWrites:
    """What the clients were told was written: (slug, id) -> [(version, value)] of every 200 PATCH,
    and (slug, visit id) -> {action id: text} of every 201 action."""

    visits: dict[tuple[str, int], list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    triads: dict[tuple[str, int], list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    actions: dict[tuple[str, int], dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    visit_races: int = 0
    triad_races: int = 0

    def summary(self) -> dict:
        return {"acknowledged_visit_patches": sum(len(v) for v in self.visits.values()),
                "acknowledged_triad_patches": sum(len(v) for v in self.triads.values()),
                "acknowledged_actions": sum(len(v) for v in self.actions.values()),
                "visit_patch_412_races": self.visit_races, "triad_patch_412_races": self.triad_races}


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


async def discover(base_url: str, tenant: "Tenant") -> None:
    """Some triads, and some visits still open to changes (draft or submitted), of the partnership."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120.0,
                                 headers={"Authorization": f"Bearer {tenant.token}"}) as http:
        tenant.triads = await _ids(http, "/api/v1/triads", {}, TRIADS_PER_PARTNERSHIP)
        tenant.visits = await _ids(http, "/api/v1/visits", {"status": ["draft", "submitted"]}, VISITS_PER_PARTNERSHIP)


async def read(client: "Client") -> None:
    choice = client.rng.random()
    if choice < 0.2 and client.tenant.visits:
        visit_id = client.rng.choice(client.tenant.visits)
        await client.request("get visit", "GET", f"/api/v1/visits/{visit_id}", expect=(200,))
    elif choice < 0.35 and client.tenant.triads:
        triad_id = client.rng.choice(client.tenant.triads)
        await client.request("list triad's visits", "GET", f"/api/v1/triads/{triad_id}/visits", expect=(200,))
    else:
        path = client.rng.choice(LISTS)
        await client.request(f"list {path.rsplit('/', 1)[1]}", "GET", path, expect=(200,))


async def _patch(client: "Client", kind: str, path: str, body: dict) -> tuple[int, object] | None:
    """GET then PATCH with If-Match: (status, answer) of a 200 or 412, None otherwise."""
    got = await client.request(f"get before {kind}", "GET", path, expect=(200,))
    if got is None or got.status_code != 200:
        return None
    response = await client.request(kind, "PATCH", path, json=body, headers={"If-Match": got.headers["etag"]},
                                    expect=(200, 412))
    if response is None or response.status_code not in (200, 412):
        return None
    return response.status_code, response.json() if response.status_code == 200 else None


async def patch_visit(client: "Client") -> None:
    visit_id = client.rng.choice(client.tenant.visits)
    text = client.next_label()
    done = await _patch(client, "patch visit", f"/api/v1/visits/{visit_id}", {"strengths": text})
    if done is None:
        return
    status, body = done
    writes = client.tally.peer
    if status == 412:
        writes.visit_races += 1
    else:
        writes.visits[(client.tenant.slug, visit_id)].append((body["version"], text))


async def post_action(client: "Client") -> None:
    visit_id = client.rng.choice(client.tenant.visits)
    text = client.next_label()
    response = await client.request("post visit action", "POST", f"/api/v1/visits/{visit_id}/actions",
                                    json={"text": text, "owner": "Load test"}, expect=(201,))
    if response is not None and response.status_code == 201:
        client.tally.peer.actions[(client.tenant.slug, visit_id)][response.json()["id"]] = text


async def patch_triad(client: "Client") -> None:
    triad_id = client.rng.choice(client.tenant.triads)
    name = client.next_label()
    done = await _patch(client, "patch triad", f"/api/v1/triads/{triad_id}", {"name": name})
    if done is None:
        return
    status, body = done
    writes = client.tally.peer
    if status == 412:
        writes.triad_races += 1
    else:
        writes.triads[(client.tenant.slug, triad_id)].append((body["version"], name))


async def write(client: "Client", choice: float) -> bool:
    """One of the three writes (`choice` in 0..1 picks which); False if the partnership has nothing to write to."""
    if not client.tenant.visits or not client.tenant.triads:
        return False
    if choice < 0.4:
        await patch_visit(client)
    elif choice < 0.7:
        await post_action(client)
    else:
        await patch_triad(client)
    return True


def _check_patch(lost: list[str], what: str, record: dict, acknowledged: list[tuple[int, str]], field_name: str) -> int:
    """1 if the record moved on past its last acknowledged PATCH (a PATCH whose answer never arrived)."""
    version, value = max(acknowledged)
    if record["version"] < version:
        lost.append(f"{what}: at version {record['version']}, but a PATCH to {version} was acknowledged")
    elif record["version"] == version and record[field_name] != value:
        lost.append(f"{what}: {field_name} is {record[field_name]!r}, acknowledged {value!r}")
    return int(record["version"] > version)


async def verify(base_url: str, tokens: dict[str, str], writes: PeerReviewWrites, lost: list[str]) -> dict:
    """Every acknowledged peer-review write read back; what is missing is added to `lost`."""
    checked = {"visit_patches": 0, "triad_patches": 0, "actions": 0, "moved_on_after_last_acknowledged": 0}
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as http:
        visits = set(writes.visits) | set(writes.actions)
        for slug, visit_id in sorted(visits):
            response = await http.get(f"/api/v1/visits/{visit_id}", headers={"Authorization": f"Bearer {tokens[slug]}"})
            response.raise_for_status()
            visit = response.json()
            what = f"{slug}/visit {visit_id}"
            acknowledged = writes.visits.get((slug, visit_id))
            if acknowledged:
                checked["visit_patches"] += len(acknowledged)
                checked["moved_on_after_last_acknowledged"] += _check_patch(lost, what, visit, acknowledged,
                                                                            "strengths")
            present = {a["id"]: a["text"] for a in visit["actions"]}
            for action_id, text in writes.actions.get((slug, visit_id), {}).items():
                checked["actions"] += 1
                if present.get(action_id) != text:
                    lost.append(f"{what}: action {action_id} ({text}) missing or changed")
        for (slug, triad_id), acknowledged in sorted(writes.triads.items()):
            response = await http.get(f"/api/v1/triads/{triad_id}", headers={"Authorization": f"Bearer {tokens[slug]}"})
            response.raise_for_status()
            checked["triad_patches"] += len(acknowledged)
            checked["moved_on_after_last_acknowledged"] += _check_patch(
                lost, f"{slug}/triad {triad_id}", response.json(), acknowledged, "name")
    return {f"acknowledged_{k}_checked" if k != "moved_on_after_last_acknowledged" else k: v
            for k, v in checked.items()}
