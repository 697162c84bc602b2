"""schemathesis over the app's whole OpenAPI document, in process, against seeded records.

`@schema.parametrize()` makes one pytest test per operation. Each runs schemathesis' coverage cases
(boundary and invalid values, missing or spoilt tokens, other methods), then hypothesis examples,
bounded by `max_examples`. The default checks all run but one (see CONFIG): documented status
codes, content types, bodies and headers, no 5xx, invalid input refused, 401 without a token,
`Allow` on 405. The last tests pin what the fuzzer found, so that it stays fixed whatever the draw.

Isolation: each test runs in the usual rolled-back transaction (the `connection` fixture), and
each example inside a savepoint of its own that is rolled back, so a DELETE in one example cannot
starve the next of the seeded rows. The app is built once, at import, because the schema is read
from it; its sessions join whichever connection the current test has lent to `SEEDED`. That works
on SQLite and on PostgreSQL alike (TEST_DATABASE_URL), as the rest of the suite does.

Reaching real rows: random URNs and ids would almost never name a record, so the hooks below steer
most generated ones to the seeded records (read from `SEEDED` when each example is drawn: ids
differ from test to test, since PostgreSQL sequences are not rolled back) and send a matching
If-Match with most changes; `aim_coverage_case` does the same for the coverage cases.
"""

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import missing_required_header
from sqlalchemy import Connection, select
from sqlmodel import Session

from app.db import all_tenants, as_tenant
from app.main import create_app
from app.models.account import ApiToken
from app.models.action_plan import SuccessMeasure
from app.models.base import utcnow
from app.models.group import SchoolGroup, SchoolGroupMember
from app.models.types import MAX_ID
from app.security import new_api_token
from tests import factories, flag_setup
from tests.plan_web_setup import build_plan
from tests.support_setup import make_deployment

URN_A, URN_B = "900001", "900002"  # above the factories' counter, so never taken by a world's school
# The token the cases carry. It is known before any test runs, because schemathesis builds its
# coverage cases (and puts the token in them) when the tests are collected; each test stores it anew.
TOKEN, TOKEN_PREFIX, TOKEN_HASH = new_api_token()

# Every built-in check runs, except one:
# - positive_data_acceptance expects every schema-valid request to succeed. This API also applies
#   rules that JSON Schema cannot state, and answers them as documented: 422 for a category outside
#   the partnership's own scheme, an inspection on the wrong framework for its date, or a closing
#   date before the opening; 400 for a cursor the service did not issue; 428 without If-Match; 409
#   for a URN already registered. tests/api/test_schools_api.py asserts those answers one by one.
CONFIG = schemathesis.Config.from_str("""
[checks]
positive_data_acceptance.enabled = false
""")


@dataclass
class Seeded:
    """The current test's connection, and the records the fuzzer should reach."""

    connection: Connection | None = None
    urns: list[str] = field(default_factory=list)
    # (URN, id) pairs for each kind of record, some of which do not belong together (404).
    records: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # Ids of records addressed by id alone (collaboratives, triads): ours, then another partnership's (404).
    ids: dict[str, list[int]] = field(default_factory=dict)
    # (visit, action) pairs: ours, ours, another partnership's, and one whose action is not the visit's (404).
    visits: list[tuple[int, int]] = field(default_factory=list)

    def session(self, write: bool) -> Session:  # noqa: ARG002  (one connection serves reads and writes)
        if self.connection is None:
            raise RuntimeError("the schemathesis app was called outside the `seeded` fixture")
        return Session(bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    @contextmanager
    def example(self) -> Iterator[None]:
        """One hypothesis example: whatever its requests change is rolled back afterwards."""
        savepoint = self.connection.begin_nested()
        try:
            yield
        finally:
            if savepoint.is_active:
                savepoint.rollback()


SEEDED = Seeded()
# Every seeded record is at version 1 in each example (each example rolls back its own changes).
SEEDED_ETAG = '"1"'
app = create_app(session_factory=SEEDED.session)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


@pytest.fixture
def seeded(connection, session, world) -> Iterator[Seeded]:
    """Two schools with known URNs, each with an inspection and an indicator, beside the world's
    schools (one of them in another partnership, whose records must answer 404)."""
    a = factories.make_school(session, world.ours, urn=URN_A, name="Rowan Primary School")
    b = factories.make_school(session, world.ours, urn=URN_B, name="rowan academy", pupils=None, fsm_percent=None,
                              phase="secondary", la_category="amber")
    theirs = world.their_school
    inspections = [
        factories.make_inspection(session, a, inspected_on=date(2023, 5, 10), overall_effectiveness=2),
        factories.make_inspection(session, b, inspected_on=date(2026, 1, 20), overall_effectiveness=None,
                                  grades={"inclusion": "strong_standard", "achievement": "needs_attention"}),
        factories.make_inspection(session, theirs),
    ]
    indicators = [
        factories.make_indicator(session, a),
        factories.make_indicator(session, b, measure="attainment", value=61.0),
        factories.make_indicator(session, theirs),
    ]
    manual_flags = [flag_setup.manual(session, school) for school in (a, b, theirs)]
    collaborative = factories.make_collaborative(session, world.ours, [a, b], name="Seeded collaborative")
    their_collaborative = factories.make_collaborative(session, world.theirs, [theirs])
    by_id = {"collaborative_id": [collaborative.id, their_collaborative.id],
             "triad_id": [factories.make_triad(session, collaborative, [a, b]).id,
                          factories.make_triad(session, their_collaborative, [theirs]).id]}
    visits = [factories.make_visit(session, a, kind="triad_review", triad_id=by_id["triad_id"][0]),
              factories.make_visit(session, b, kind="governance_review", grade=2),
              factories.make_visit(session, theirs)]
    visit_pairs = [(v.id, factories.make_visit_action(session, v).id) for v in visits]
    visit_pairs.append((visit_pairs[0][0], visit_pairs[1][1]))
    plans = []
    for partnership in (world.ours, world.theirs):
        with as_tenant(session, partnership.id):  # the services bind the session to their partnership
            plans.append(build_plan(session, partnership, priorities=1, actions=1, milestones=1))
    with all_tenants(session):
        measures = {m.plan_id: m.id for m in session.scalars(select(SuccessMeasure))}
    by_id |= {"plan_id": [p.plan_id for p in plans], "priority_id": [p.priority_ids[0] for p in plans],
              "action_id": [p.action_ids[0] for p in plans],
              "milestone_id": [next(iter(p.milestone_ids.values())) for p in plans],
              "measure_id": [measures[p.plan_id] for p in plans],
              "deployment_id": [make_deployment(session, a).id, make_deployment(session, theirs).id]}
    with all_tenants(session):  # a group of each partnership (school A and B in ours), at version 1
        groups = [SchoolGroup(partnership_id=world.ours.id, name="Seeded alliance", kind="alliance", version=1),
                  SchoolGroup(partnership_id=world.theirs.id, name="Their alliance", kind="alliance", version=1)]
        session.add_all(groups)
        session.flush()
        session.add_all([SchoolGroupMember(partnership_id=world.ours.id, group_id=groups[0].id, school_id=school.id)
                         for school in (a, b)])
        session.flush()
    by_id["group_id"] = [g.id for g in groups]
    with all_tenants(session):
        # Used just now, so requests skip recording its last use: a write that the rollback after
        # each example would undo, so that every request of every example repeated it.
        session.add(ApiToken(partnership_id=world.ours.id, name="schemathesis", prefix=TOKEN_PREFIX,
                             token_hash=TOKEN_HASH, scopes="read write", last_used_at=utcnow()))
    session.commit()  # releases the fixture's savepoint; the test's transaction is still rolled back

    def pairs(rows: list) -> list[tuple[str, int]]:
        own_a, own_b, their = (r.id for r in rows)
        return [(URN_A, own_a), (URN_B, own_b), (theirs.urn, their), (URN_A, own_b)]

    SEEDED.connection = connection
    SEEDED.urns = [URN_A, URN_B, world.our_school.urn, theirs.urn]
    SEEDED.records = {"inspection_id": pairs(inspections), "indicator_id": pairs(indicators),
                      "flag_id": pairs(manual_flags)}
    SEEDED.ids = by_id
    SEEDED.visits = visit_pairs
    try:
        yield SEEDED
    finally:
        SEEDED.connection = None


@schema.auth()
class SeededToken:
    """The seeded partnership's read-write token, given the way schemathesis knows about: its
    cases that leave the token out, or spoil it, then reach the API without one (401)."""

    def get(self, case, ctx) -> str:
        return TOKEN

    def set(self, case, token: str, ctx) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


ID_KINDS = ("collaborative_id", "triad_id", "plan_id", "priority_id", "action_id", "milestone_id", "measure_id",
            "deployment_id", "group_id")
RECORD_KINDS = ("inspection_id", "indicator_id", "flag_id")  # a school's records, addressed by URN and id


def _is_urn(value: object) -> bool:
    return isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()


def _is_id(value: object) -> bool:
    """A valid id as the schema says (1 to MAX_ID): only those are aimed at seeded records, so that a
    case meant to be refused (an id out of range) stays out of range."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


@schema.hook
def flatmap_path_parameters(ctx, path_parameters: dict | None) -> st.SearchStrategy:
    """Most of the time, a valid URN (and id) becomes a seeded one; invalid values stay as drawn."""
    if _is_id((path_parameters or {}).get("visit_id")):
        return st.sampled_from(range(len(SEEDED.visits) + 1)).map(lambda i: _aim_at_visit(path_parameters, i))
    by_id = next((name for name in ID_KINDS if _is_id((path_parameters or {}).get(name))), None)
    if by_id is not None:
        seeded = SEEDED.ids.get(by_id, [])  # none yet while schemathesis collects its examples
        picks = st.sampled_from(range(len(seeded) + 1)).map(
            lambda i: seeded[i] if i < len(seeded) else path_parameters[by_id])
        return picks.map(lambda record_id: {**path_parameters, by_id: record_id})
    if not path_parameters or not _is_urn(path_parameters.get("urn")):
        return st.just(path_parameters)
    kind = next((name for name in RECORD_KINDS if name in path_parameters), None)
    if kind is None:
        urns = st.sampled_from(range(len(SEEDED.urns) + 1)).map(
            lambda i: SEEDED.urns[i] if i < len(SEEDED.urns) else path_parameters["urn"])
        return urns.map(lambda urn: {**path_parameters, "urn": urn})
    if not _is_id(path_parameters[kind]):
        return st.just(path_parameters)
    pairs = st.sampled_from(range(len(SEEDED.records[kind]) + 1)).map(
        lambda i: SEEDED.records[kind][i] if i < len(SEEDED.records[kind]) else None)
    return pairs.map(lambda pair: path_parameters if pair is None
                     else {**path_parameters, "urn": pair[0], kind: pair[1]})


def _aim_at_visit(path_parameters: dict, i: int) -> dict:
    """The i-th seeded (visit, action) pair, or the parameters as drawn (i past the end)."""
    if i >= len(SEEDED.visits):
        return path_parameters
    visit_id, action_id = SEEDED.visits[i]
    aimed = {**path_parameters, "visit_id": visit_id}
    if _is_id(path_parameters.get("action_id")):
        aimed["action_id"] = action_id
    return aimed


def aim_coverage_case(case) -> None:
    """schemathesis builds its coverage cases when the tests are collected, before any record exists
    and without the hooks above. Point their valid URNs and ids at school A and its records, and let
    them send the seeded records' ETag, so that their bodies and queries are judged by an operation that found its
    record and may change it, rather than refused with 404 or 428 (which the fuzzing phase covers)."""
    if case.meta is None or case.meta.phase.name.value != "coverage":
        return
    parameters = case.path_parameters or {}
    if _is_urn(parameters.get("urn")) and parameters["urn"] not in SEEDED.urns:
        parameters["urn"] = URN_A
        for kind in RECORD_KINDS:
            if _is_id(parameters.get(kind)):
                parameters[kind] = SEEDED.records[kind][0][1]
    for kind in ID_KINDS:
        if _is_id(parameters.get(kind)) and SEEDED.ids.get(kind):
            parameters[kind] = SEEDED.ids[kind][0]
    if _is_id(parameters.get("visit_id")) and SEEDED.visits:
        parameters.update(_aim_at_visit(parameters, 0))
    if "If-Match" in case.operation.headers and "If-Match" not in (case.headers or {}):
        case.headers = {**(case.headers or {}), "If-Match": SEEDED_ETAG}


@schema.hook
def flatmap_headers(ctx, headers: dict | None) -> st.SearchStrategy:
    """Changes need If-Match: send the seeded records' current ETag most of the time, so that changes
    succeed as well as fail with 412, and 428 (no If-Match, or `*`, which is refused)."""
    if "If-Match" not in ctx.operation.headers:
        return st.just(headers)
    others = {name: value for name, value in (headers or {}).items() if name != "If-Match"}
    drawn = (headers or {}).get("If-Match")  # absent (428), or as generated: mostly stale (412)
    tags = st.sampled_from([SEEDED_ETAG, "*", drawn])
    return tags.map(lambda tag: others | ({"If-Match": tag} if tag is not None else {}))


# `seeded` is shared by the examples of a test on purpose (each example rolls back its own savepoint);
# generating whole request bodies can be slow on a busy machine.
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@schema.parametrize()
def test_api_conforms_to_its_schema(case, seeded):
    aim_coverage_case(case)
    with seeded.example():
        # A missing If-Match is answered 428 Precondition Required (RFC 6585), which this API
        # documents; schemathesis' missing-header check only knows 400/401/403/406/415/422.
        case.call_and_validate(excluded_checks=[missing_required_header])


def test_the_seeded_records_answer(seeded):
    """The plumbing the hooks rely on: the app reaches this test's connection, the token works,
    and the seeded pairs name real records (or, across schools and partnerships, none)."""
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        assert client.get(f"/api/v1/schools/{URN_A}").json()["urn"] == URN_A
        for kind, path in (("inspection_id", "inspections"), ("indicator_id", "indicators"), ("flag_id", "flags")):
            answers = [client.get(f"/api/v1/schools/{urn}/{path}/{record_id}").status_code
                       for urn, record_id in seeded.records[kind]]
            assert answers == [200, 200, 404, 404], kind
        answers = [client.get(f"/api/v1/visits/{visit_id}/actions/{action_id}").status_code
                   for visit_id, action_id in seeded.visits]
        assert answers == [200, 200, 404, 404], "visits"
        for kind, path in (("collaborative_id", "collaboratives"), ("triad_id", "triads")):
            answers = [client.get(f"/api/v1/{path}/{record_id}").status_code for record_id in seeded.ids[kind]]
            assert answers == [200, 404], kind


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


SCHOOLS = "/api/v1/schools"
NEW = {"urn": "765432", "name": "Cedar Infant School", "phase": "infant"}
INSPECTIONS, INDICATORS = f"{SCHOOLS}/{URN_A}/inspections", f"{SCHOOLS}/{URN_A}/indicators"
FIGURE = {"measure": "absence", "academic_year": "2024/25", "value": 4.5, "source": "DfE census"}


@pytest.mark.parametrize(("method", "url", "kwargs", "status"), [
    # 500s: a naive time cannot be compared with stored UTC; PostgreSQL text cannot hold NUL; ids
    # beyond 32 bits overflow the drivers; a Unicode-digit URN reached the Location header.
    ("GET", SCHOOLS, {"params": {"updated_since": "2026-01-01T00:00:00"}}, 422),
    ("GET", SCHOOLS, {"params": {"q": "a\x00"}}, 422),
    ("GET", SCHOOLS, {"params": {"type": "a\x00"}}, 422),
    ("GET", SCHOOLS, {"params": {"la_category": "a\x00"}}, 422),
    ("GET", SCHOOLS, {"params": {"cursor": _cursor("name", "a\x00", 1)}}, 400),
    ("GET", SCHOOLS, {"params": {"cursor": _cursor("pupils", 2**40, 1), "sort": "pupils"}}, 400),
    ("GET", SCHOOLS, {"params": {"cursor": _cursor("name", "a", 2**70)}}, 400),
    ("GET", f"{INSPECTIONS}/2147483648", {}, 422),
    ("GET", f"{INDICATORS}/99999999999999999999", {}, 422),
    ("POST", SCHOOLS, {"json": NEW | {"urn": "\u0661\u0662\u0663\u0664\u0665\u0666"}}, 422),
    ("POST", SCHOOLS, {"json": NEW | {"establishment_type": "e" * 121}}, 422),
    ("POST", SCHOOLS, {"json": NEW | {"name": "Cedar\x00"}}, 422),
    ("POST", INSPECTIONS, {"json": {"inspected_on": "2023-05-10", "source": "a\x00"}}, 422),
    ("POST", INSPECTIONS, {"json": {"inspected_on": "2023-05-10", "report_url": "https://a\x00"}}, 422),
    ("POST", INDICATORS, {"json": FIGURE | {"source": "DfE\x00"}}, 422),
    # Accepted although the schema refuses them: numbers as dates and date-times, booleans and
    # strings as grades, a name longer than maxLength once its spaces are counted.
    ("GET", SCHOOLS, {"params": {"updated_since": "0.5"}}, 422),
    ("POST", INSPECTIONS, {"json": {"inspected_on": 0}}, 422),
    ("POST", INSPECTIONS, {"json": {"inspected_on": "2023-05-10", "grades": {"quality_of_education": True}}}, 422),
    ("POST", INSPECTIONS, {"json": {"inspected_on": "2023-05-10", "grades": {"quality_of_education": "2"}}}, 422),
    ("POST", INDICATORS, {"json": FIGURE | {"recorded_on": "86400"}}, 422),
    ("POST", SCHOOLS, {"json": NEW | {"name": "  " + "n" * 199}}, 422),
    # ... and what stays accepted.
    ("POST", SCHOOLS, {"json": NEW | {"name": " Cedar ", "postcode": " pe1 1aa "}}, 201),
    ("GET", SCHOOLS, {"params": {"updated_since": "2026-01-01T00:00:00+01:00"}}, 200),
])
def test_what_the_fuzzer_found_stays_fixed(seeded, method, url, kwargs, status):
    with seeded.example(), TestClient(app) as client:
        response = client.request(method, url, headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)
    assert response.status_code == status, response.text


def test_405_names_every_method_of_the_resource(seeded):
    with TestClient(app) as client:
        response = client.options(f"{SCHOOLS}/{URN_A}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, PATCH"
