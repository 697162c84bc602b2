"""schemathesis over the app's whole OpenAPI document, in process, against seeded records.

`@schema.parametrize()` makes one pytest test per operation. Each runs schemathesis' coverage cases
(boundary and invalid values, missing or spoilt tokens, other methods), then hypothesis examples,
bounded by `max_examples`. The default checks all run but one (see CONFIG): documented status
codes, content types, bodies and headers, no 5xx, invalid input refused, 401 without a token,
`Allow` on 405. Then the stateful phase: scenarios that follow the OpenAPI links from each create
operation to the GET of what it made (app/openapi.py), where schemathesis also checks that what was
made can be read. The last tests pin what the fuzzer found, so that it stays fixed whatever the draw.

Isolation: each test runs in the usual rolled-back transaction (the `connection` fixture), and
each example (or scenario) inside a savepoint of its own that is rolled back, so a DELETE in one
example cannot starve the next of the seeded rows. The app is built once, at import, because the
schema is read from it; its sessions join whichever connection the current test has lent to
`SEEDED`. That works on SQLite and on PostgreSQL alike (TEST_DATABASE_URL), as the rest of the
suite does.

Reaching real rows: random URNs and ids would almost never name a record, so the hooks below steer
most generated path parameters to seeded records (read from `SEEDED` when each example is drawn:
ids differ from test to test, since PostgreSQL sequences are not rolled back) and send a matching
If-Match with most changes; `aim_coverage_case` does the same for the coverage cases. Every record
address in the schema (a path up to its last parameter) has seeded records, and
`test_every_path_parameter_names_a_seeded_record` fails for a new one that has none.
"""

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import jsonschema_rs
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import missing_required_header, negative_data_rejection
from schemathesis.specs.openapi.stateful import collect_transitions
from sqlalchemy import Connection, select
from sqlmodel import Session

from app.db import all_tenants, as_tenant
from app.main import create_app
from app.models.account import ApiToken
from app.models.action_plan import SuccessMeasure
from app.models.base import utcnow
from app.models.clinic import Clinic, ClinicAction, ClinicAgendaItem, ClinicTarget
from app.models.group import SchoolGroup, SchoolGroupMember
from app.models.types import MAX_ID
from app.openapi import CREATED_LINKS
from app.security import new_api_token
from app.services.flag_rules import RULES
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
# The stateful phase follows the links the app declares (app/openapi.py), not those schemathesis would
# infer from the schema's names and shapes, with valid data only (the other phases send invalid
# data): a scenario's few steps then mostly make records and read them back.
CONFIG = schemathesis.Config.from_str("""
[checks]
positive_data_acceptance.enabled = false

[phases.stateful.generation]
mode = "positive"

[phases.stateful.inference]
algorithms = []
""")

# A path parameter is aimed at a seeded record only if it is valid as the schema says, so that a
# case meant to be refused (an id out of range, a URN of letters) stays refused.
RULE_NAME_MAX = 60


def _is_urn(value: object) -> bool:
    return isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _is_valid(name: str, value: object) -> bool:
    if name == "urn":
        return _is_urn(value)
    if name == "rule":
        return isinstance(value, str) and 0 < len(value) <= RULE_NAME_MAX
    return _is_id(value)


def address_of(path: str) -> str | None:
    """The record a path names: the path up to its last parameter (`/api/v1/triads/{triad_id}` for
    `/api/v1/triads/{triad_id}/visits`), or None for a path without parameters."""
    return path[:path.rindex("}") + 1] if "}" in path else None


@dataclass
class Seeded:
    """The current test's connection, and the records the fuzzer should reach."""

    connection: Connection | None = None
    # For each record address, the path parameters of seeded records and the status a read of them
    # answers: our own first (the coverage cases use the first), then another partnership's, and
    # where a path names two records, a pair that do not belong together (404).
    records: dict[str, list[tuple[dict[str, object], int]]] = field(default_factory=dict)

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

    def of(self, path: str) -> list[dict[str, object]]:
        return [parameters for parameters, _ in self.records.get(address_of(path) or "", [])]


SEEDED = Seeded()
# Every seeded record is at version 1 in each example (each example rolls back its own changes).
SEEDED_ETAG = '"1"'
app = create_app(session_factory=SEEDED.session)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


def _add(session: Session, row):  # noqa: ANN001, ANN202
    with all_tenants(session):
        session.add(row)
        session.flush()
    return row


def _clinic(session: Session, school) -> tuple[Clinic, ClinicAgendaItem, ClinicAction, ClinicTarget]:  # noqa: ANN001
    """An opened clinic of the school's partnership, with the school on its agenda, an action and a target."""
    at = {"partnership_id": school.partnership_id}
    clinic = _add(session, Clinic(**at, held_on=date(2026, 10, 5), academic_year="2026/27", meeting="autumn",
                                  status="in_session", opened_at=utcnow()))
    snapshot = {"urn": school.urn, "name": school.name, "severity": "amber", "flags": []}
    item = _add(session, ClinicAgendaItem(**at, clinic_id=clinic.id, position=1, kind="added", school_id=school.id,
                                          severity="amber", snapshot=snapshot))
    action = _add(session, ClinicAction(**at, clinic_id=clinic.id, school_id=school.id, text="Book a review visit",
                                        due_on=date(2026, 12, 1)))
    target = _add(session, ClinicTarget(**at, clinic_id=clinic.id, school_id=school.id,
                                        outcome="Attendance above 93%", target_date=date(2027, 3, 1)))
    return clinic, item, action, target


@pytest.fixture
def seeded(connection, session, world) -> Iterator[Seeded]:
    """Two schools with known URNs, each with an inspection and an indicator, beside the world's
    schools (one of them in another partnership, whose records must answer 404), and a record of
    each other kind the API addresses by path, ours and theirs."""
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
    triads = [factories.make_triad(session, collaborative, [a, b]), factories.make_triad(session, their_collaborative,
                                                                                         [theirs])]
    visits = [factories.make_visit(session, a, kind="triad_review", triad_id=triads[0].id),
              factories.make_visit(session, b, kind="governance_review", grade=2),
              factories.make_visit(session, theirs)]
    visit_actions = [factories.make_visit_action(session, v) for v in visits]
    plans = []
    for partnership in (world.ours, world.theirs):
        with as_tenant(session, partnership.id):  # the services bind the session to their partnership
            plans.append(build_plan(session, partnership, priorities=1, actions=1, milestones=1))
    with all_tenants(session):
        measures = {m.plan_id: m.id for m in session.scalars(select(SuccessMeasure))}
    deployments = [make_deployment(session, a), make_deployment(session, theirs)]
    clinics = [_clinic(session, a), _clinic(session, theirs)]
    with all_tenants(session):  # a group of each partnership (school A and B in ours), at version 1
        groups = [SchoolGroup(partnership_id=world.ours.id, name="Seeded alliance", kind="alliance", version=1),
                  SchoolGroup(partnership_id=world.theirs.id, name="Their alliance", kind="alliance", version=1)]
        session.add_all(groups)
        session.flush()
        session.add_all([SchoolGroupMember(partnership_id=world.ours.id, group_id=groups[0].id, school_id=school.id)
                         for school in (a, b)])
        session.flush()
    with all_tenants(session):
        # Used just now, so requests skip recording its last use: a write that the rollback after
        # each example would undo, so that every request of every example repeated it.
        session.add(ApiToken(partnership_id=world.ours.id, name="schemathesis", prefix=TOKEN_PREFIX,
                             token_hash=TOKEN_HASH, scopes="read write", last_used_at=utcnow()))
    session.commit()  # releases the fixture's savepoint; the test's transaction is still rolled back

    def school_records(name: str, rows: list) -> list[tuple[dict, int]]:
        """A school's records: A's and B's own, theirs (404), and B's under A's URN (404)."""
        own_a, own_b, their = (r.id for r in rows)
        return [({"urn": URN_A, name: own_a}, 200), ({"urn": URN_B, name: own_b}, 200),
                ({"urn": theirs.urn, name: their}, 404), ({"urn": URN_A, name: own_b}, 404)]

    def by_id(name: str, ours: int, their: int) -> list[tuple[dict, int]]:
        return [({name: ours}, 200), ({name: their}, 404)]

    def nested(parent: str, child: str, pairs: list[tuple[int, int]]) -> list[tuple[dict, int]]:
        """(parent, child) pairs, ours then theirs (404), and our first parent with another's child (404)."""
        *own, their = pairs
        stranger = own[-1][1] if len(own) > 1 else their[1]
        return ([({parent: p, child: c}, 200) for p, c in own] + [({parent: their[0], child: their[1]}, 404)]
                + [({parent: own[0][0], child: stranger}, 404)])

    api = "/api/v1"
    SEEDED.connection = connection
    SEEDED.records = {
        f"{api}/schools/{{urn}}": [({"urn": urn}, 200) for urn in (URN_A, URN_B, world.our_school.urn)]
        + [({"urn": theirs.urn}, 404)],
        f"{api}/schools/{{urn}}/inspections/{{inspection_id}}": school_records("inspection_id", inspections),
        f"{api}/schools/{{urn}}/indicators/{{indicator_id}}": school_records("indicator_id", indicators),
        f"{api}/schools/{{urn}}/flags/{{flag_id}}": school_records("flag_id", manual_flags),
        f"{api}/collaboratives/{{collaborative_id}}": by_id("collaborative_id", collaborative.id,
                                                             their_collaborative.id),
        f"{api}/triads/{{triad_id}}": by_id("triad_id", triads[0].id, triads[1].id),
        f"{api}/visits/{{visit_id}}": [({"visit_id": v.id}, 200) for v in visits[:2]] + [({"visit_id": visits[2].id},
                                                                                            404)],
        f"{api}/visits/{{visit_id}}/actions/{{action_id}}": nested(
            "visit_id", "action_id", [(v.id, x.id) for v, x in zip(visits, visit_actions, strict=True)]),
        f"{api}/action-plans/{{plan_id}}": by_id("plan_id", *(p.plan_id for p in plans)),
        f"{api}/priorities/{{priority_id}}": by_id("priority_id", *(p.priority_ids[0] for p in plans)),
        f"{api}/plan-actions/{{action_id}}": by_id("action_id", *(p.action_ids[0] for p in plans)),
        f"{api}/milestones/{{milestone_id}}": by_id("milestone_id",
                                                     *(next(iter(p.milestone_ids.values())) for p in plans)),
        f"{api}/success-measures/{{measure_id}}": by_id("measure_id", *(measures[p.plan_id] for p in plans)),
        f"{api}/support-deployments/{{deployment_id}}": by_id("deployment_id", *(d.id for d in deployments)),
        f"{api}/groups/{{group_id}}": by_id("group_id", *(g.id for g in groups)),
        f"{api}/clinics/{{clinic_id}}": by_id("clinic_id", *(c[0].id for c in clinics)),
        f"{api}/clinics/{{clinic_id}}/agenda/{{item_id}}": nested(
            "clinic_id", "item_id", [(c[0].id, c[1].id) for c in clinics]),
        f"{api}/actions/{{action_id}}": by_id("action_id", *(c[2].id for c in clinics)),
        f"{api}/targets/{{target_id}}": by_id("target_id", *(c[3].id for c in clinics)),
        f"{api}/flag-rules/{{rule}}": [({"rule": name}, 200) for name in list(RULES)[:2]]
        + [({"rule": "no_such_rule"}, 404)],
    }
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


def _aim(drawn: dict, record: dict) -> dict:
    """The drawn path parameters with each valid one replaced by the seeded record's."""
    return {name: record[name] if name in record and _is_valid(name, value) else value
            for name, value in drawn.items()}


@schema.hook
def flatmap_path_parameters(ctx, path_parameters: dict | None) -> st.SearchStrategy:
    """Most of the time, the valid path parameters name a seeded record; invalid values stay as drawn.
    (The parameters a link fills in reach the stateful phase's cases without passing here.)"""
    records = SEEDED.of(ctx.operation.path)  # none yet while schemathesis collects its examples
    if not path_parameters or not records:
        return st.just(path_parameters)
    return st.sampled_from([*records, None]).map(
        lambda record: path_parameters if record is None else _aim(path_parameters, record))


def aim_coverage_case(case) -> None:
    """schemathesis builds its coverage cases when the tests are collected, before any record exists
    and without the hooks above. Point their valid path parameters at our own first seeded record, and
    let them send the seeded records' ETag, so that their bodies and queries are judged by an operation
    that found its record and may change it, rather than refused with 404 or 428 (which the fuzzing
    phase covers)."""
    if case.meta is None or case.meta.phase.name.value != "coverage":
        return
    records = SEEDED.of(case.operation.path)
    if case.path_parameters and records:
        case.path_parameters = _aim(case.path_parameters, records[0])
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
def _body_conforms(case) -> bool:
    """Whether the body sent is valid under the operation's whole request schema."""
    document = app.openapi()
    operation = document["paths"].get(case.operation.path, {}).get(case.method.lower(), {})
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body_schema is None or not isinstance(case.body, dict | list):
        return False
    validator = jsonschema_rs.Draft202012Validator({**body_schema, "components": document["components"]})
    return validator.is_valid(case.body)


def negative_data_really_negative(ctx, response, case):
    """schemathesis' negative_data_rejection, less one false alarm of its: a mutation of one branch
    of an `anyOf` (a PATCH field that may be a value or null) can give a value another branch
    allows, such as `"enabled": null`, and the API then rightly takes it. A case whose only mutated
    part is the body, and whose body the whole schema allows, was never invalid."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        data = case.meta.phase.data if case.meta is not None else None
        if getattr(data, "parameter_location", None) == ParameterLocation.BODY and _body_conforms(case):
            return None
        raise


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@schema.parametrize()
def test_api_conforms_to_its_schema(case, seeded):
    aim_coverage_case(case)
    with seeded.example():
        # A missing If-Match is answered 428 Precondition Required (RFC 6585), which this API
        # documents; schemathesis' missing-header check only knows 400/401/403/406/415/422.
        case.call_and_validate(excluded_checks=[missing_required_header, negative_data_rejection],
                               additional_checks=[negative_data_really_negative])


def test_a_body_the_whole_schema_allows_is_not_taken_for_invalid():
    """The false alarm above, and a real invalid body beside it."""
    class Case:
        operation = type("Operation", (), {"path": "/api/v1/flag-rules/{rule}"})()
        method = "PATCH"

    allowed, refused = Case(), Case()
    allowed.body = {"enabled": None, "thresholds": {"below": 2.5}}
    refused.body = {"enabled": "yes"}
    assert _body_conforms(allowed) and not _body_conforms(refused)


LINKED_READS = {read.split(" ", 1)[1] for read, _ in CREATED_LINKS.values()}  # the GETs a link leads to


class Workflows(schema.as_state_machine()):
    """schemathesis' stateful phase: scenarios of a few steps that try to create records (valid data,
    see CONFIG) and, when one was made (201), follow the link to its GET, which must then find it
    (`ensure_resource_availability`) and answer as documented. Each scenario is rolled back."""

    followed: list[tuple[str, int]] = []  # (the GET a link led to, its status), for the test below

    def setup(self) -> None:
        self._example = SEEDED.example()
        self._example.__enter__()

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            self._example.__exit__(None, None, None)

    def after_call(self, response, case) -> None:
        super().after_call(response, case)
        if case.operation.method.upper() == "GET" and case.operation.path in LINKED_READS:
            Workflows.followed.append((case.operation.path, response.status_code))

    def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
        case.validate_response(response, additional_checks=additional_checks,
                               excluded_checks=[missing_required_header], transport_kwargs=kwargs or None,
                               recorder=self.recorder)


def test_stateful_links_from_create_to_read(seeded):
    """Bounded: 40 scenarios of at most 6 steps. A scenario only reaches a GET through a link after
    its create answered 201, so some GET reached that way must have found what was made."""
    Workflows.followed = []
    Workflows.run(settings=settings(max_examples=40, stateful_step_count=6, deadline=None,
                                    suppress_health_check=list(HealthCheck)))
    assert any(status == 200 for _, status in Workflows.followed), Workflows.followed


def test_links_go_from_each_create_to_a_real_read():
    """/openapi.json links every operation that answers 201 to a GET of the schema, each of whose path
    parameters the link fills in from the create's request or response; schemathesis reads them all."""
    with TestClient(app) as client:
        document = client.get("/openapi.json").json()
    operations = {(method.upper(), path): operation for path, item in document["paths"].items()
                  for method, operation in item.items()}
    by_id = {operation["operationId"]: key for key, operation in operations.items()}
    creates = {key for key, operation in operations.items() if "201" in operation["responses"]}
    assert {f"{method} {path}" for method, path in creates} == set(CREATED_LINKS)
    expected = set()
    for method, path in creates:
        links = operations[(method, path)]["responses"]["201"]["links"]
        assert len(links) == 1, (path, links)
        (link,) = links.values()
        target_method, target_path = by_id[link["operationId"]]
        assert target_method == "GET", link
        assert set(link["parameters"]) == {p["name"] for p in operations[by_id[link["operationId"]]]["parameters"]
                                           if p["in"] == "path"}, (path, link)
        for expression in link["parameters"].values():
            source = expression.removeprefix("$request.path.")
            assert expression.startswith("$response.body#/") or f"{{{source}}}" in path, (path, expression)
        expected.add((f"{method} {path}", f"GET {target_path}"))
    operations_read = [result.ok() for result in schema.get_all_operations()]
    read = {(link.source.label, link.target.label) for found in collect_transitions(operations_read).operations.values()
            for link in found.outgoing}
    assert read == expected


def test_every_path_parameter_names_a_seeded_record(seeded):
    """Each record address of the schema has seeded records, and they answer as `seeded` says: a GET
    of the record where the API has one, else a change with a stale If-Match (412 once found)."""
    document = app.openapi()
    addresses = {address_of(path) for path in document["paths"]} - {None}
    assert addresses == set(seeded.records), "seed the records of a new path in the `seeded` fixture"
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        for address, records in seeded.records.items():
            methods = document["paths"].get(address, {})
            for parameters, status in records:
                url = address.format(**parameters)
                with seeded.example():
                    if "get" in methods:
                        answer = client.get(url).status_code
                    else:
                        method = "patch" if "patch" in methods else "delete"
                        kwargs = {"json": {}} if method == "patch" else {}
                        answer = client.request(method, url, headers={"If-Match": '"999"'}, **kwargs).status_code
                        answer = 200 if answer == 412 else answer  # found, and stale
                assert answer == status, (url, answer)


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


def test_a_second_inspection_on_the_same_day_is_a_documented_409(seeded):
    """The live stateful run found it: recording, or correcting, an inspection onto a day the school
    already has one answered 409, which neither operation documented (status_code_conformance)."""
    token = {"Authorization": f"Bearer {TOKEN}"}
    inspections = schema[f"{SCHOOLS}/{{urn}}/inspections"]["POST"]
    inspection = schema[f"{SCHOOLS}/{{urn}}/inspections/{{inspection_id}}"]["PUT"]
    with seeded.example():  # school B has one on 2026-01-20 (seeded) and now one on 2024-02-01
        added = inspections.Case(path_parameters={"urn": URN_B}, body={"inspected_on": "2024-02-01"},
                                 headers=token).call()
        assert added.status_code == 201, added.text
        for case in (inspections.Case(path_parameters={"urn": URN_B}, body={"inspected_on": "2026-01-20"},
                                      headers=token),
                     inspection.Case(path_parameters={"urn": URN_B, "inspection_id": added.json()["id"]},
                                     body={"inspected_on": "2026-01-20"}, headers=token | {"If-Match": SEEDED_ETAG})):
            response = case.call()
            assert response.status_code == 409, response.text
            case.validate_response(response)
