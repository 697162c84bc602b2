"""The authorisation matrix: every route of the app, called by every kind of caller, answers the
status written in tests/authorisation_matrix.csv (one row per method and path template).

The callers (columns), all of our partnership:
- officer, viewer, clinic chair: partnership-wide roles;
- lead: the lead headteacher of the collaborative the records are in (its triad, the visit);
- head: the headteacher of the school the records are about (it hosts the visit, is in the triad,
  is on the clinic's agenda and owns the plan);
- lead_elsewhere, head_elsewhere: a lead of another collaborative, a head of another school;
- read_token, write_token: API tokens; nobody: no credentials.
- theirs: the strongest caller of the face (the officer for browser routes, the write token for
  the API) naming another partnership's records; `-` where the path names no partnership record.

How each caller reaches a route: people sign in and send their session cookie (the API takes only
bearer tokens, so a person's cookie on an /api/v1 route is 401); tokens send
`Authorization: Bearer`; every caller on a browser route also holds a CSRF cookie and sends its
token (as a browser that loaded the sign-in page would), so a cell says what authentication and
authorisation decide, never the CSRF check (tests/test_route_auth.py covers that one).

The codes: 200/201/204 done; `303` a redirect after a form was accepted (or a page moved);
`303>sign-in` the redirect to the sign-in page (no session); 401 no usable credential for the API;
403 readable but not yours to change, or not for your role; 404 not found, as another
partnership's record or one your role may not read is; 409 the record's state refuses it (e.g. an
open clinic); 422 the body was refused (in `theirs`: a body naming another partnership's school
or collaborative, refused naming the field). Writes send a valid body (uploads a real file), and
`If-Match` naming the records' first versions, so that an allowed caller's status is the success
the route answers, never 422 or 412: a cell shows the authorisation decision. The API's bodies are
BODIES; a browser's are the form our officer's page offers, sent as it is with FORMS filled in.
The deletes that a record's contents would refuse (a triad with visits) name an empty one (EMPTY).

`test_the_table_has_no_hole` reads the table alone and refuses what would be a hole whatever the
app answers: a person's cookie reaching the API, a token reaching a browser page, a viewer or a
read token changing anything, another partnership's record answering anything but 404 (or 422).

Every request runs inside a savepoint rolled back after it, so a DELETE or a sign-out never
changes what the next call sees, whatever the order. The world is built once for the module.

A route added without a row fails the test, as does a row for a route that no longer exists. To
see the whole table a change makes, run with AUTH_MATRIX_WRITE=1: the CSV is rewritten from what
the app answers (and the test fails, so that the difference is read, cell by cell, before it is
committed).
"""

import csv
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.main import create_app
from app.security import sign
from app.services import accounts
from tests import factories
from tests.authorisation_setup import BODIES, BODY_NAMES_A_RECORD, FORMS, Realm, people_of, realm
from tests.factories import PASSWORD
from tests.forms import form_values
from tests.test_route_auth import all_routes

CSV_PATH = Path(__file__).with_name("authorisation_matrix.csv")
PEOPLE = ("officer", "viewer", "lead", "head", "chair", "lead_elsewhere", "head_elsewhere")
TOKENS = ("read_token", "write_token")
CALLERS = (*PEOPLE, *TOKENS, "nobody")
COLUMNS = ("method", "path", *CALLERS, "theirs")
HEADER_COMMENT = ("# Expected status per caller; see the docstring of tests/test_authorisation_matrix.py. "
                  "303>sign-in: redirected to sign in. theirs: another partnership's record. -: not applicable.")
IF_MATCH = ", ".join(f'"{n}"' for n in range(30))  # any of the records' first versions
HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"

# Path parameters that are not a partnership's record: the same value for `theirs`.
FIXED = {"rule": "ofsted_below_good_again", "section": "details", "kind": "csv"}
# Browser routes anyone may call, signed in or not (tests/test_route_auth.py's PUBLIC), and what a
# signed-in viewer may change: their own account and session.
PUBLIC = {("GET", "/"), ("GET", "/healthz"), ("GET", "/sign-in"), ("POST", "/sign-in"), ("GET", "/password/{key}"),
          ("POST", "/password/{key}"), ("GET", "/calendar/{key}.ics"), ("POST", "/sign-out"), ("GET", "/metrics")}
OWN_ACCOUNT = {("POST", "/account/password"), ("POST", "/account/calendar"), ("POST", "/partnership")}


# The deletes that name a record with nothing in it (see tests/authorisation_setup.py).
EMPTY = {("DELETE", "/api/v1/triads/{triad_id}"): {"triad_id": "empty_triad_id"},
         ("DELETE", "/api/v1/collaboratives/{collaborative_id}"): {"collaborative_id": "empty_collaborative_id"},
         ("DELETE", "/api/v1/clinics/{clinic_id}"): {"clinic_id": "planned_clinic_id"}}


def param_key(path: str, name: str) -> str:
    """Which of a realm's ids a path parameter takes: `action_id` and `target_id` name different
    records under different paths."""
    if name == "action_id":
        if path.startswith(("/visits/", "/api/v1/visits/")):
            return "visit_action_id"
        if "plan-actions" in path:
            return "plan_action_id"
        return "clinic_action_id"
    if name == "target_id":
        return "group_target_id" if "/groups/" in path else "clinic_target_id"
    if name == "key":
        return "calendar_key" if path.startswith("/calendar/") else "key"
    return name


def concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: FIXED.get(m.group(1)) or ids[param_key(path, m.group(1))], path)


def names_a_record(method: str, path: str) -> bool:
    """Whether `theirs` applies: the path or the body names a record of a partnership (a one-time key
    is its own credential, whoever's it is)."""
    named = re.findall(r"\{([a-z_]+)\}", path)
    return (method, path) in BODY_NAMES_A_RECORD or any(name not in FIXED and name != "key" for name in named)


def routes(app) -> list[tuple[str, str]]:
    return sorted((method, path) for path, methods in all_routes(app.routes) for method in methods - {"HEAD"})




@dataclass
class World:
    client: TestClient
    connection: object
    ours: Realm
    theirs: Realm
    cookies: dict[str, dict[str, str]]  # caller -> cookies
    tokens: dict[str, str]
    forms: dict[str, dict[str, str]] = field(default_factory=dict)  # form action -> fields, as found


def body_of(w: World, method: str, template: str, ids: dict[str, str]) -> dict:
    """What a request sends: the API's JSON body from BODIES; a browser's form as our officer's page
    has it (for our records; the same fields for theirs), with the fields FORMS fills in."""
    if template.startswith("/api/"):
        body = BODIES.get((method, template))
        return body(ids) if body else {}
    if method != "POST":
        return {}
    data = dict(w.forms.get(concrete(template, w.ours.ids), {}))
    data.pop("csrf_token", None)
    extra = FORMS.get(template)
    if extra is not None:
        made = extra(ids)
        if "files" in made:
            return {"data": data | made.get("data", {}), "files": made["files"]}
        data |= made
    return {"data": data}


@pytest.fixture(scope="module")
def matrix(engine, tmp_path_factory):
    connection = engine.connect()
    outer = connection.begin()

    def lend(write: bool = True, turn=None) -> Session:  # noqa: ANN001, ARG001
        return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    try:
        with lend() as session:
            world = factories.make_world(session)
            tmp = tmp_path_factory.mktemp("matrix")
            ours = realm(session, world.ours, world.officer, tmp, "Our")
            theirs = realm(session, world.theirs, world.outsider, tmp, "Their")
            people = people_of(session, world, ours)
            session.commit()
        app = create_app(session_factory=lend)
        settings = get_settings()
        with TestClient(app, base_url="https://testserver") as client:
            for each in (ours, theirs):  # checked, so that it can be applied or discarded
                app.state.import_jobs.check(int(each.ids["job_id"]), accounts.operator(each.partnership))
            cookies = {}
            for caller in PEOPLE:
                client.cookies.clear()
                page = client.get("/sign-in")
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
                signed = client.post("/sign-in", data={"email": getattr(people, caller), "password": PASSWORD,
                                                       "csrf_token": token}, follow_redirects=False)
                assert signed.status_code == 303, (caller, signed.text)
                cookies[caller] = {name: client.cookies[name]
                                   for name in (settings.session_cookie_name, settings.csrf_cookie_name)}
            client.cookies.clear()
            client.get("/sign-in")
            csrf_only = {settings.csrf_cookie_name: client.cookies[settings.csrf_cookie_name]}
            for caller in (*TOKENS, "nobody"):
                cookies[caller] = csrf_only
            client.cookies.clear()
            w = World(client, connection, ours, theirs, cookies,
                      {"read_token": people.read_token, "write_token": people.write_token})
            w.forms = discover_forms(w)
            yield w
            client.cookies.clear()
    finally:
        outer.rollback()
        connection.close()


def raw_call(w: World, caller: str, method: str, template: str, *, theirs: bool = False):
    """One request as `caller`, rolled back afterwards."""
    ids = (w.theirs if theirs else w.ours).ids
    ids = ids | {name: ids[alt] for name, alt in EMPTY.get((method, template), {}).items()}
    path = concrete(template, ids)
    api = template.startswith("/api/")
    headers = {}
    cookies = w.cookies[caller]
    if caller in TOKENS:
        headers["Authorization"] = f"Bearer {w.tokens[caller]}"
    if api:
        headers["Accept"] = "application/json"
        if caller not in PEOPLE:
            cookies = {}
        if method in ("PATCH", "PUT", "DELETE"):
            headers["If-Match"] = IF_MATCH
    else:
        headers["Accept"] = HTML
        csrf = cookies[get_settings().csrf_cookie_name]
        headers["X-CSRF-Token"] = sign(get_settings().secret_key, "csrf:" + csrf)
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    kwargs = body_of(w, method, template, ids)
    savepoint = w.connection.begin_nested()
    try:
        w.client.cookies.clear()
        response = w.client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        w.client.cookies.clear()
    return response


def call(w: World, caller: str, method: str, template: str, *, theirs: bool = False) -> str:
    """One request; its status as the CSV writes it."""
    response = raw_call(w, caller, method, template, theirs=theirs)
    if response.status_code == 303 and response.headers.get("location", "").startswith("/sign-in?"):
        return "303>sign-in"
    return str(response.status_code)


def discover_forms(w: World) -> dict[str, dict[str, str]]:
    """The forms of every page our officer sees (action -> the fields a browser would send unchanged)."""
    found: dict[str, dict[str, str]] = {}
    for method, template in routes(w.client.app):
        if method != "GET" or template.startswith("/api/") or "{key}" in template:
            continue
        page = raw_call(w, "officer", "GET", template)
        if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
            continue
        for action in re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page.text, flags=re.I):
            action = html.unescape(action).split("#")[0]
            if action not in found:
                found[action] = form_values(page.text, action)
    return found


def observe(w: World, method: str, template: str) -> dict[str, str]:
    row = {"method": method, "path": template}
    for caller in CALLERS:
        row[caller] = call(w, caller, method, template)
    strongest = "write_token" if template.startswith("/api/") else "officer"
    row["theirs"] = call(w, strongest, method, template, theirs=True) if names_a_record(method, template) else "-"
    return row


def read_expected() -> dict[tuple[str, str], dict[str, str]]:
    with CSV_PATH.open(newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return {(row["method"], row["path"]): row for row in csv.DictReader(lines)}


def write_table(rows: list[dict[str, str]]) -> None:
    with CSV_PATH.open("w", newline="") as f:
        f.write(HEADER_COMMENT + "\n")
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_every_route_answers_every_caller_as_the_table_says(matrix):
    actual = routes(matrix.client.app)
    if os.environ.get("AUTH_MATRIX_SHOW"):  # e.g. "officer POST /support;write_token POST /api/v1/schools"
        for one in os.environ["AUTH_MATRIX_SHOW"].split(";"):
            caller, method, path = one.split(" ")
            shown = raw_call(matrix, caller, method, path)
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shown.text))
            print(one, shown.status_code, text[max(text.find("There is a problem"), 0):][:600])
        return
    if os.environ.get("AUTH_MATRIX_WRITE"):
        write_table([observe(matrix, method, path) for method, path in actual])
        pytest.fail(f"rewrote {CSV_PATH.name}: read the difference before committing it")
    expected = read_expected()
    assert sorted(set(actual) - set(expected)) == [], "routes without a row in authorisation_matrix.csv"
    assert sorted(set(expected) - set(actual)) == [], "rows of authorisation_matrix.csv for no route"
    wrong = []
    for method, path in actual:
        seen = observe(matrix, method, path)
        wrong += [f"{method} {path} [{c}]: expected {expected[method, path][c]}, got {seen[c]}"
                  for c in (*CALLERS, "theirs") if seen[c] != expected[method, path][c]]
    assert wrong == []


def test_the_table_has_no_hole():
    """What no row may say, whatever the app answers today (so a regenerated table that opens a
    hole fails here, beside the cells that moved)."""
    table = read_expected()
    holes = []
    for (method, path), row in table.items():
        api, change = path.startswith("/api/"), method != "GET"
        if api:
            holes += [f"{method} {path}: {c} {row[c]}" for c in (*PEOPLE, "nobody") if row[c] != "401"]
        elif (method, path) not in PUBLIC:
            holes += [f"{method} {path}: {c} {row[c]}" for c in (*TOKENS, "nobody") if row[c] != "303>sign-in"]
        if change and (method, path) not in PUBLIC | OWN_ACCOUNT:
            readers = ("read_token",) if api else ("viewer",)
            holes += [f"{method} {path}: {c} {row[c]}" for c in readers if row[c] not in ("403", "404")]
        if row["theirs"] not in ("-", "404", "422"):
            holes.append(f"{method} {path}: theirs {row['theirs']}")
        strongest = "write_token" if api else "officer"
        if row[strongest] in ("412", "422", "428"):
            holes.append(f"{method} {path}: {strongest} {row[strongest]}, not the authorisation decision")
    assert holes == []
