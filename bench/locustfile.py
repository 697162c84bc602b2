"""bench/load.py's mix of requests as a locust user, for scripts/load.sh: API clients speaking for the
generated partnerships, 80% reads and 20% writes, no think time.

- Reads (65% on schools): a page of the schools list (the first, a phase filter, or the next page by
  ``next_cursor``) or one school; (25%) a page of collaboratives, triads, visits or audit events, a
  triad's visits, or one visit record; (10%) the red-flag list, its next page, or one school's flags.
- Writes: one in ten a manual red flag (POST); of the rest, half on peer review (PATCH a visit
  record's findings with ``If-Match`` 40%, POST an action to a visit 30%, PATCH a triad's name with
  ``If-Match`` 30%) and half on schools (PATCH a school's not-engaged reason with ``If-Match``, or POST
  an indicator with a source of its own). Every value written is unique to its run, user and write.

A PATCH is sent with the ETag of a GET just before it: a 412 (another user changed the record in
between) is a correct answer, a success for locust, counted apart as a race. Any other answer than the
expected ones is a locust failure: a 5xx, a dropped connection (status 0) or an unexpected status.

Each acknowledged write (a 200 PATCH with its new version, a 201 with its id) is recorded, and when the
run stops the record goes to ``LOAD_RECORD`` (JSON) with the races and samples of the failures;
bench/load_check.py reads every write back through the API (bench/load.py's `verify_writes`).

    LOAD_TOKENS=.../bench-tokens.json LOAD_RECORD=/tmp/record.json \\
      .venv/bin/locust -f bench/locustfile.py --headless -u 50 -r 50 -t 60s --host http://127.0.0.1:8000

``LOAD_PARTNERSHIPS`` (comma-separated slugs) chooses the partnerships, else bench/load.py's choice;
``LOAD_SEED`` the random streams (default 1).
"""

import itertools
import json
import logging
import os
import random
import sys
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, constant, events, task

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.load import (  # noqa: E402
    FLAG_READS,
    FLAG_WRITES,
    INDICATOR_MEASURE,
    PEER_REVIEW_READS,
    PEER_REVIEW_WRITES,
    PHASES,
    URNS_PER_PARTNERSHIP,
    WRITE_SHARE,
    Tenant,
    tenants_from,
)
from bench.load_peer_review import LISTS, TRIADS_PER_PARTNERSHIP, VISITS_PER_PARTNERSHIP  # noqa: E402

RUN_ID = uuid.uuid4().hex[:8]
SEED = os.environ.get("LOAD_SEED", "1")
TENANTS: list[Tenant] = []
RECORD: dict = {"run_id": RUN_ID, "writes": [], "races": Counter(), "server_errors": [], "transport_errors": Counter(),
                "unexpected": []}
_numbers = itertools.count()
logging.getLogger("httpx").setLevel(logging.WARNING)  # the discovery's requests, one line each


def _pages(http: httpx.Client, path: str, params: dict, key: str, wanted: int) -> list:
    found: list = []
    cursor = None
    while len(found) < wanted:
        response = http.get(path, params={**params, "limit": "200", **({"cursor": cursor} if cursor else {})})
        response.raise_for_status()
        page = response.json()
        found.extend(item[key] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    return found[:wanted]


@events.init.add_listener
def discover(environment, **_kwargs) -> None:
    """The partnerships and, through the API, some of their schools, triads and open visits."""
    tokens = json.loads(Path(os.environ["LOAD_TOKENS"]).read_text(encoding="utf-8"))
    slugs = [s for s in os.environ.get("LOAD_PARTNERSHIPS", "").split(",") if s]
    TENANTS.extend(tenants_from(tokens, slugs or None))
    for tenant in TENANTS:
        with httpx.Client(base_url=environment.host, timeout=120.0,
                          headers={"Authorization": f"Bearer {tenant.token}"}) as http:
            tenant.urns = _pages(http, "/api/v1/schools", {}, "urn", URNS_PER_PARTNERSHIP)
            tenant.triads = _pages(http, "/api/v1/triads", {}, "id", TRIADS_PER_PARTNERSHIP)
            tenant.visits = _pages(http, "/api/v1/visits", {"status": ["draft", "submitted"]}, "id",
                                   VISITS_PER_PARTNERSHIP)
        if not tenant.urns:
            raise SystemExit(f"partnership {tenant.slug} has no schools to load")


@events.test_stop.add_listener
def keep_record(**_kwargs) -> None:
    path = os.environ.get("LOAD_RECORD")
    if path:
        Path(path).write_text(json.dumps(RECORD, indent=1), encoding="utf-8")


class ApiClient(FastHttpUser):
    """One integration: its own connection, its partnership's read-write token, its own random stream."""

    wait_time = constant(0)
    connection_timeout = 10.0
    network_timeout = 30.0
    concurrency = 1

    def on_start(self) -> None:
        self.number = next(_numbers)
        self.tenant = TENANTS[self.number % len(TENANTS)]
        self.rng = random.Random(f"{SEED}-{self.number}")
        self.auth = {"Authorization": f"Bearer {self.tenant.token}"}
        self.cursors: dict[str, str] = {}
        self.writes = 0

    # --- plumbing -----------------------------------------------------------------------------------

    def call(self, kind: str, method: str, path: str, *, expect: tuple[int, ...] = (200,),
             params: dict | None = None, headers: dict | None = None, json: dict | None = None):  # noqa: ANN201
        """The answer if its status is one expected (a locust success), else None (a locust failure)."""
        url = f"{path}?{urlencode(params, doseq=True)}" if params else path
        with self.client.request(method, url, name=kind, headers={**self.auth, **(headers or {})}, json=json,
                                 catch_response=True) as response:
            status = response.status_code
            if status in expect:
                response.success()
                return response
            what = f"{method} {url}: {status} {(response.text or '')[:200]}"
            if not status:
                RECORD["transport_errors"][type(response.error).__name__] += 1
                response.failure(f"transport error: {response.error!r}")
            elif status >= 500:
                RECORD["server_errors"].append(what)
                response.failure(f"server error {status}")
            else:
                RECORD["unexpected"].append(what)
                response.failure(f"unexpected {status}")
        return None

    def label(self) -> str:
        """A value no other write of any run uses."""
        self.writes += 1
        return f"Load {RUN_ID} u{self.number} w{self.writes}"

    def acknowledged(self, kind: str, **fields: object) -> None:
        RECORD["writes"].append({"kind": kind, "slug": self.tenant.slug, **fields})

    def patch(self, kind: str, path: str, body: dict) -> dict | None:
        """GET, then PATCH with its ETag in If-Match: the new record on a 200, None on a 412 (counted) or a failure."""
        got = self.call(f"get before {kind}", "GET", path)
        if got is None:
            return None
        response = self.call(kind, "PATCH", path, json=body, headers={"If-Match": got.headers["etag"]},
                             expect=(200, 412))
        if response is None:
            return None
        if response.status_code == 412:
            RECORD["races"][kind] += 1
            return None
        return response.json()

    def paged(self, kind: str, path: str, key: str, params: dict) -> None:
        """A page of a list, the next page when a cursor is kept (and the roll of the dice says so)."""
        response = self.call(kind, "GET", path, params=params)
        if response is not None:
            next_cursor = response.json().get("next_cursor")
            if next_cursor:
                self.cursors[key] = next_cursor

    # --- the mix ------------------------------------------------------------------------------------

    @task(round((1 - WRITE_SHARE) * 100))
    def read(self) -> None:
        choice = self.rng.random()
        if choice < FLAG_READS:
            self.read_flags()
        elif choice < FLAG_READS + PEER_REVIEW_READS and (self.tenant.triads or self.tenant.visits):
            self.read_peer_review()
        else:
            self.read_schools()

    def read_schools(self) -> None:
        urn = self.rng.choice(self.tenant.urns)
        choice = self.rng.random()
        if choice < 0.5:
            self.call("get school", "GET", f"/api/v1/schools/{urn}")
            return
        phase = self.rng.choice(PHASES) if choice < 0.7 else None
        key = f"schools:{phase or ''}"
        cursor = self.cursors.pop(key, None) if choice > 0.85 else None
        params = {"limit": "50", **({"phase": phase} if phase else {}), **({"cursor": cursor} if cursor else {})}
        kind = "list schools (next page)" if cursor else ("list schools (phase)" if phase else "list schools")
        self.paged(kind, "/api/v1/schools", key, params)

    def read_peer_review(self) -> None:
        choice = self.rng.random()
        if choice < 0.2 and self.tenant.visits:
            self.call("get visit", "GET", f"/api/v1/visits/{self.rng.choice(self.tenant.visits)}")
        elif choice < 0.35 and self.tenant.triads:
            self.call("list triad's visits", "GET", f"/api/v1/triads/{self.rng.choice(self.tenant.triads)}/visits")
        else:
            path = self.rng.choice(LISTS)
            self.call(f"list {path.rsplit('/', 1)[1]}", "GET", path)

    def read_flags(self) -> None:
        choice = self.rng.random()
        if choice < 0.3:
            self.call("get school's flags", "GET", f"/api/v1/schools/{self.rng.choice(self.tenant.urns)}/flags")
            return
        cursor = self.cursors.pop("red-flags", None) if choice > 0.65 else None
        params = {"limit": "50", **({"cursor": cursor} if cursor else {})}
        self.paged("list red flags (next page)" if cursor else "list red flags", "/api/v1/red-flags", "red-flags",
                   params)

    @task(round(WRITE_SHARE * 100))
    def write(self) -> None:
        choice = self.rng.random()
        if choice < FLAG_WRITES:
            self.post_flag()
            return
        choice = (choice - FLAG_WRITES) / (1 - FLAG_WRITES)
        if choice < PEER_REVIEW_WRITES and self.tenant.visits and self.tenant.triads:
            choice /= PEER_REVIEW_WRITES
            if choice < 0.4:
                self.patch_visit()
            elif choice < 0.7:
                self.post_action()
            else:
                self.patch_triad()
        elif self.rng.random() < 0.5:
            self.patch_school()
        else:
            self.post_indicator()

    def patch_school(self) -> None:
        urn = self.rng.choice(self.tenant.urns)
        reason = self.label()
        body = self.patch("patch school", f"/api/v1/schools/{urn}", {"engaged": False, "not_engaged_reason": reason})
        if body is not None:
            self.acknowledged("school", urn=urn, version=body["version"], value=reason)

    def post_indicator(self) -> None:
        urn = self.rng.choice(self.tenant.urns)
        source = self.label().lower()
        value = round(self.rng.uniform(0, 100), 2)
        response = self.call("post indicator", "POST", f"/api/v1/schools/{urn}/indicators", expect=(201,),
                             json={"measure": INDICATOR_MEASURE, "academic_year": "2025/26", "value": value,
                                   "source": source})
        if response is not None:
            self.acknowledged("indicator", urn=urn, id=response.json()["id"], source=source, value=value)

    def patch_visit(self) -> None:
        visit_id = self.rng.choice(self.tenant.visits)
        text = self.label()
        body = self.patch("patch visit", f"/api/v1/visits/{visit_id}", {"strengths": text})
        if body is not None:
            self.acknowledged("visit", id=visit_id, version=body["version"], value=text)

    def post_action(self) -> None:
        visit_id = self.rng.choice(self.tenant.visits)
        text = self.label()
        response = self.call("post visit action", "POST", f"/api/v1/visits/{visit_id}/actions", expect=(201,),
                             json={"text": text, "owner": "Load test"})
        if response is not None:
            self.acknowledged("action", visit=visit_id, id=response.json()["id"], value=text)

    def patch_triad(self) -> None:
        triad_id = self.rng.choice(self.tenant.triads)
        name = self.label()
        body = self.patch("patch triad", f"/api/v1/triads/{triad_id}", {"name": name})
        if body is not None:
            self.acknowledged("triad", id=triad_id, version=body["version"], value=name)

    def post_flag(self) -> None:
        urn = self.rng.choice(self.tenant.urns)
        reason = self.label()
        response = self.call("post manual flag", "POST", f"/api/v1/schools/{urn}/flags", expect=(201,),
                             json={"severity": "amber", "category": "manual", "reason": reason})
        if response is not None:
            self.acknowledged("flag", urn=urn, id=response.json()["id"], value=reason)
