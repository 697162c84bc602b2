"""The red-flag part of the load test (bench/load.py): reads of issue 8's list and a school's flags,
and one write with its read-back.

- Reads: the red-flag list's first page, the next page by its cursor, or one school's flags. Every
  write in the mix that touches what the rules read (a school PATCH, an indicator, a manual flag,
  a visit's findings) moves the partnership's flag stamp, so the list is worked out afresh often:
  this is the list under its worst conditions, not only from the kept order.
- Write: POST a manual flag (amber, category manual) with a reason unique to its run, client and
  write; a manual flag never conflicts (each is a row of its own).

`verify` reads every acknowledged flag back through the API: each must be among its school's
manual flags with its reason, and shown as a current flag.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from bench.load import Client


@dataclass
class FlagWrites:
    """(slug, urn) -> {manual flag id: reason} of every 201."""

    flags: dict[tuple[str, str], dict[int, str]] = field(default_factory=lambda: defaultdict(dict))

    def summary(self) -> dict:
        return {"acknowledged_manual_flags": sum(len(v) for v in self.flags.values())}


async def read(client: "Client") -> None:
    choice = client.rng.random()
    if choice < 0.3:
        urn = client.rng.choice(client.tenant.urns)
        await client.request("get school's flags", "GET", f"/api/v1/schools/{urn}/flags", expect=(200,))
        return
    cursor = client.cursors.pop("red-flags", None) if choice > 0.65 else None
    params = {"limit": "50", **({"cursor": cursor} if cursor else {})}
    kind = "list red flags (next page)" if cursor else "list red flags"
    response = await client.request(kind, "GET", "/api/v1/red-flags", params=params, expect=(200,))
    if response is not None and response.status_code == 200:
        next_cursor = response.json().get("next_cursor")
        if next_cursor:
            client.cursors["red-flags"] = next_cursor


async def write(client: "Client") -> None:
    urn = client.rng.choice(client.tenant.urns)
    reason = client.next_label()
    response = await client.request("post manual flag", "POST", f"/api/v1/schools/{urn}/flags",
                                    json={"severity": "amber", "category": "manual", "reason": reason},
                                    expect=(201,))
    if response is not None and response.status_code == 201:
        client.tally.flags.flags[(client.tenant.slug, urn)][response.json()["id"]] = reason


async def verify(base_url: str, tokens: dict[str, str], writes: FlagWrites, lost: list[str]) -> dict:
    """Every acknowledged manual flag read back; what is missing is added to `lost`."""
    checked = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as http:
        for (slug, urn), created in sorted(writes.flags.items()):
            response = await http.get(f"/api/v1/schools/{urn}/flags",
                                      headers={"Authorization": f"Bearer {tokens[slug]}"})
            response.raise_for_status()
            body = response.json()
            stored = {m["id"]: m["reason"] for m in body["manual"]}
            shown = {f["manual_id"] for f in body["flags"]}
            for flag_id, reason in created.items():
                checked += 1
                if stored.get(flag_id) != reason:
                    lost.append(f"{slug}/{urn}: manual flag {flag_id} ({reason}) missing or changed")
                elif flag_id not in shown:
                    lost.append(f"{slug}/{urn}: manual flag {flag_id} stored but not among the current flags")
    return {"acknowledged_manual_flags_checked": checked}
