"""Many officers saving the same school's form at once, against a real server: every save is
either applied (303) or shown as a conflict (409) — never a 500, never "database is locked", never
an overwrite nobody saw. Each person then saves again from the conflict page, deliberately."""

import asyncio
import re

import httpx

from tests.forms import form_values
from tests.load.demo_server import served_demo

PEOPLE = 20
# More than the server's worker threads (40): sign-ins must still not wait on each other in them.
SIGN_INS = 60


async def _person(base: str, email: str, password: str, urn: str, n: int, ready: asyncio.Barrier) -> list[int]:
    statuses = []
    async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Accept": "text/html"}) as client:
        page = await client.get("/sign-in")
        signed = await client.post("/sign-in", data=form_values(page.text, "/sign-in")
                                   | {"email": email, "password": password})
        assert signed.status_code == 303, signed.text
        form = await client.get(f"/schools/{urn}/edit")
        values = form_values(form.text, f"/schools/{urn}/edit") | {"headteacher_name": f"Head number {n}"}
        await ready.wait()  # everyone saves from the same version at once
        for _ in range(PEOPLE + 5):
            answer = await client.post(f"/schools/{urn}/edit", data=values)
            statuses.append(answer.status_code)
            if answer.status_code != 409:
                break
            # The conflict page keeps this person's text and carries the stored version.
            values = form_values(answer.text, f"/schools/{urn}/edit")
            assert values["headteacher_name"] == f"Head number {n}"
    return statuses


async def _everyone(base: str, email: str, password: str, urn: str) -> list[list[int]]:
    ready = asyncio.Barrier(PEOPLE)
    return await asyncio.gather(*(_person(base, email, password, urn, n, ready) for n in range(PEOPLE)))


def _served_demo(fresh_database_url: str, tmp_path) -> tuple:
    server, printed = served_demo(fresh_database_url, tmp_path)
    email, password = re.search(r"officer: (\S+)\s+password: (\S+)", printed).groups()
    return server, email, password


async def _sign_in_at_once(base: str, email: str, password: str) -> list[int]:
    async def one() -> int:
        async with httpx.AsyncClient(base_url=base, timeout=60, headers={"Accept": "text/html"}) as client:
            page = await client.get("/sign-in")
            answer = await client.post("/sign-in", data=form_values(page.text, "/sign-in")
                                       | {"email": email, "password": password})
            return answer.status_code
    return await asyncio.gather(*(one() for _ in range(SIGN_INS)))


def test_more_people_signing_in_at_once_than_the_server_has_threads(fresh_database_url, tmp_path):
    server, email, password = _served_demo(fresh_database_url, tmp_path)
    try:
        server.wait_ready()
        statuses = asyncio.run(_sign_in_at_once(server.url, email, password))
    finally:
        server.stop()
    assert statuses == [303] * SIGN_INS, (sorted(set(statuses)), server.tail())


def test_simultaneous_saves_of_one_school_are_applied_or_shown_never_lost(fresh_database_url, tmp_path):
    server, email, password = _served_demo(fresh_database_url, tmp_path)
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, headers={"Accept": "text/html"}) as probe:
            page = probe.get("/sign-in")
            probe.post("/sign-in", data=form_values(page.text, "/sign-in") | {"email": email, "password": password})
            urn = re.search(r'href="/schools/(\d{6})"', probe.get("/schools?sort=urn").text).group(1)
            before = int(form_values(probe.get(f"/schools/{urn}/edit").text)["version"])
        results = asyncio.run(_everyone(server.url, email, password, urn))
        with httpx.Client(base_url=server.url, headers={"Accept": "text/html"}) as probe:
            page = probe.get("/sign-in")
            probe.post("/sign-in", data=form_values(page.text, "/sign-in") | {"email": email, "password": password})
            after = form_values(probe.get(f"/schools/{urn}/edit").text)
    finally:
        server.stop()

    every = [status for statuses in results for status in statuses]
    assert set(every) <= {303, 409}, (sorted(set(every)), server.tail())
    assert all(statuses[-1] == 303 for statuses in results), "everyone's deliberate save went in"
    assert every.count(409) >= 1, "saves from one version at once must meet conflicts"
    # Each acknowledged save moved the version on exactly once: none was applied unseen over another.
    assert int(after["version"]) == before + every.count(303) == before + PEOPLE
    assert re.fullmatch(r"Head number \d+", after["headteacher_name"])
