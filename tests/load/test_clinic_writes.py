"""A clinic in session with many people writing at once, against a real server (issue 8): minutes
written to different agenda items while the officer reorders the agenda, several people saving one
item's minutes from the same version, actions agreed by everyone at once, and manual flags raised.
Never a 5xx or "database is locked"; every acknowledged write is there afterwards; a stale save is
refused (412), never applied unseen; reordering the agenda makes no one's minutes stale."""

import asyncio
import re

import httpx

from tests.load.demo_server import served_demo

WRITERS = 12  # each on an agenda item of their own
RIVALS = 6  # all on one item, from the same version
ACTIONS = 25


def _served_demo(fresh_database_url: str, tmp_path) -> tuple:
    server, printed = served_demo(fresh_database_url, tmp_path)
    return server, re.search(r"API token \([^)]*\): (\S+)", printed).group(1)


async def _session(base: str, token: str) -> dict:
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=60) as api:
        clinics = (await api.get("/api/v1/clinics", params={"status": "planned"})).json()["items"]
        clinic = await api.get(f"/api/v1/clinics/{clinics[0]['id']}")
        opened = await api.patch(f"/api/v1/clinics/{clinics[0]['id']}", json={"status": "in_session"},
                                 headers={"If-Match": clinic.headers["etag"]})
        assert opened.status_code == 200, opened.text
        body = opened.json()
        assert len(body["agenda"]) >= WRITERS + 2, "the demo's clinic has enough schools on its agenda"
        clinic_id, items = body["id"], body["agenda"]
        urns = [i["urn"] for i in items]

        async def write(item: dict, n: int) -> tuple[int, int, str]:
            words = f"Minutes by writer {n}"
            answer = await api.patch(f"/api/v1/clinics/{clinic_id}/agenda/{item['id']}", json={"minutes": words},
                                     headers={"If-Match": f'"{item["version"]}"'})
            return item["id"], answer.status_code, words

        async def rival(item: dict, n: int) -> tuple[int, str]:
            answer = await api.patch(f"/api/v1/clinics/{clinic_id}/agenda/{item['id']}",
                                     json={"explanation": f"Explanation by rival {n}"},
                                     headers={"If-Match": f'"{item["version"]}"'})
            return answer.status_code, f"Explanation by rival {n}"

        async def reorder() -> list[int]:
            statuses = []
            for _ in range(6):  # the last item to the top, again and again
                last = (await api.get(f"/api/v1/clinics/{clinic_id}/agenda")).json()[-1]
                moved = await api.patch(f"/api/v1/clinics/{clinic_id}/agenda/{last['id']}", json={"position": 1},
                                        headers={"If-Match": f'"{last["version"]}"'})
                statuses.append(moved.status_code)
            return statuses

        async def agree(n: int) -> tuple[int, str]:
            text = f"Load action {n}"
            answer = await api.post(f"/api/v1/clinics/{clinic_id}/actions",
                                    json={"text": text, "urn": urns[n % len(urns)], "owner": "Officer"})
            return answer.status_code, text

        async def flag(n: int) -> int:
            answer = await api.post(f"/api/v1/schools/{urns[n % len(urns)]}/flags",
                                    json={"severity": "amber", "category": "manual",
                                          "reason": f"Raised under load {n}"})
            return answer.status_code

        writers = [write(items[n], n) for n in range(WRITERS)]
        rivals = [rival(items[WRITERS], n) for n in range(RIVALS)]
        results = await asyncio.gather(asyncio.gather(*writers), asyncio.gather(*rivals), reorder(),
                                       asyncio.gather(*(agree(n) for n in range(ACTIONS))),
                                       asyncio.gather(*(flag(n) for n in range(6))))
        after = (await api.get(f"/api/v1/clinics/{clinic_id}")).json()
        return {"clinic": clinic_id, "writers": results[0], "rivals": results[1], "reorder": results[2],
                "actions": results[3], "flags": results[4], "after": after, "rival_item": items[WRITERS]["id"]}


def test_a_clinic_in_session_takes_many_writers_at_once(fresh_database_url, tmp_path):
    server, token = _served_demo(fresh_database_url, tmp_path)
    try:
        server.wait_ready()
        outcome = asyncio.run(_session(server.url, token))
    finally:
        server.stop()

    log = server.tail()
    statuses = ([s for _, s, _ in outcome["writers"]] + [s for s, _ in outcome["rivals"]] + outcome["reorder"]
                + [s for s, _ in outcome["actions"]] + outcome["flags"])
    assert all(s < 500 for s in statuses), (sorted(set(statuses)), log)
    assert "database is locked" not in log

    after = outcome["after"]
    minutes = {i["id"]: i["minutes"] for i in after["agenda"]}
    # Reordering moved other items' places, not their versions: every writer's minutes went in.
    assert [s for _, s, _ in outcome["writers"]] == [200] * WRITERS, outcome["writers"]
    assert all(minutes[item_id] == words for item_id, _, words in outcome["writers"])
    assert set(outcome["reorder"]) <= {200, 412}
    # One rival won from the shared version; the others were told (412), and the stored words are the winner's.
    won = [words for status, words in outcome["rivals"] if status == 200]
    assert len(won) == 1 and sorted(s for s, _ in outcome["rivals"]) == [200] + [412] * (RIVALS - 1)
    stored = next(i for i in after["agenda"] if i["id"] == outcome["rival_item"])
    assert stored["explanation"] == won[0]
    # Every acknowledged action is there, once.
    agreed = [text for status, text in outcome["actions"] if status == 201]
    assert len(agreed) == ACTIONS
    assert sorted(a["text"] for a in after["actions"] if a["text"].startswith("Load action")) == sorted(agreed)
    assert after["agenda"] and sorted(i["position"] for i in after["agenda"]) == list(
        range(1, len(after["agenda"]) + 1)), "positions stay a sequence"
    assert set(outcome["flags"]) <= {201, 200}
