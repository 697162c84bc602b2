"""Query discipline (issue 11): every list and detail endpoint, API and HTML, reads a number of
statements that does not grow with the rows it shows, under a ceiling of its own; and no ORM
relationship may load lazily (an N+1 would then raise instead of running slowly).

The table is checked against the app's routes: a new GET route without a row (or a reason in
EXCLUDED) fails. Each endpoint is asked the same question of two partnerships built alike, one
small and one several times larger (tests/query_count_setup.py): its records, and the records
shown beside its main one, are many more in the second. Each is asked twice, as a worker answers
it (a reading session, which may keep the red-flag order): first with the red-flag cache empty,
then with it kept; both are counted. A ceiling is what the endpoint reads today, the same on
SQLite and PostgreSQL; raise one only with the reason in the commit that does."""

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from app.main import create_app
from app.services import flag_cache
from tests.conftest import StatementCounter, _session
from tests.query_count_setup import Built, build
from tests.test_route_auth import all_routes
from tests.web.conftest import sign_in

SMALL, LARGE = 3, 8

# The path parameters most routes share, by the id of the built partnership that fills them.
IDS = {name: name for name in (
    "urn", "plan_id", "clinic_id", "collaborative_id", "group_id", "triad_id", "visit_id", "milestone_id",
    "deployment_id", "indicator_id", "inspection_id", "flag_id", "user_id", "prefix", "job_id", "item_id",
    "priority_id", "measure_id")}


@dataclass(frozen=True)
class Row:
    path: str  # the route's path, as the app declares it
    ceiling: int  # the most statements one request may run
    query: str = ""
    use: dict[str, str] = field(default_factory=dict)  # a path parameter filled from another built id
    fixed: dict[str, str] = field(default_factory=dict)  # a path parameter with a fixed value
    # Whether the larger partnership's answer shows more (False: a form, or one record without
    # many beside it); checked, so that the larger partnership stays larger where it counts.
    more: bool = True

    def url(self, built: Built) -> str:
        values = {name: built.ids[key] for name, key in IDS.items() if key in built.ids}
        values |= {name: built.ids[key] for name, key in self.use.items()} | self.fixed
        return self.path.format(**values) + (f"?{self.query}" if self.query else "")

    @property
    def id(self) -> str:
        return self.path + (f".{''.join(self.fixed.values())}" if self.fixed else "") + (
            f"?{self.query}" if self.query else "")


ROWS = [
    # The API.
    Row("/api/v1/schools", 3),
    Row("/api/v1/schools/{urn}", 2, more=False),
    Row("/api/v1/schools/{urn}/inspections", 3),
    Row("/api/v1/schools/{urn}/inspections/{inspection_id}", 3, more=False),
    Row("/api/v1/schools/{urn}/indicators", 3),
    Row("/api/v1/schools/{urn}/indicators/{indicator_id}", 3, more=False),
    Row("/api/v1/schools/{urn}/flags", 14),
    Row("/api/v1/schools/{urn}/flags/{flag_id}", 3, more=False),
    Row("/api/v1/schools/{urn}/review-judgements", 4),
    Row("/api/v1/schools/{urn}/action-plans", 4),
    Row("/api/v1/red-flags", 13),
    Row("/api/v1/flag-rules", 2, more=False),
    Row("/api/v1/flag-rules/{rule}", 2, fixed={"rule": "la_category"}, more=False),
    Row("/api/v1/national-figures", 3),
    Row("/api/v1/visits", 5),
    Row("/api/v1/visits/{visit_id}", 3),
    Row("/api/v1/visits/{visit_id}/actions/{action_id}", 3, use={"action_id": "visit_action_id"}, more=False),
    Row("/api/v1/collaboratives", 4),
    Row("/api/v1/collaboratives/{collaborative_id}", 3),
    Row("/api/v1/triads", 4),
    Row("/api/v1/triads/{triad_id}", 3, more=False),
    Row("/api/v1/triads/{triad_id}/visits", 6),
    Row("/api/v1/clinics", 3),
    Row("/api/v1/clinics/{clinic_id}", 7),
    Row("/api/v1/clinics/{clinic_id}/agenda", 3),
    Row("/api/v1/clinics/{clinic_id}/actions", 6),
    Row("/api/v1/clinics/{clinic_id}/targets", 6),
    Row("/api/v1/actions/{action_id}", 3, use={"action_id": "clinic_action_id"}, more=False),
    Row("/api/v1/action-plans", 3),
    Row("/api/v1/action-plans/{plan_id}", 3, more=False),
    Row("/api/v1/action-plans/{plan_id}", 8, query="include=tree"),
    Row("/api/v1/action-plans/{plan_id}/milestones", 6),
    Row("/api/v1/milestones/{milestone_id}", 4, more=False),
    Row("/api/v1/support-deployments", 5),
    Row("/api/v1/support-deployments/{deployment_id}", 2, more=False),
    Row("/api/v1/reports/support-review", 6),
    Row("/api/v1/reports/support-data-quality", 5),
    Row("/api/v1/groups", 6),
    Row("/api/v1/groups/{group_id}", 5),
    Row("/api/v1/groups/{group_id}/dashboard", 25),
    Row("/api/v1/audit-events", 3, more=False),
    Row("/healthz", 2, more=False),
    # The pages.
    Row("/board", 21),
    Row("/schools", 7),
    Row("/schools/{urn}", 32),
    Row("/schools/{urn}/edit", 5, more=False),
    Row("/schools/{urn}/inspections/new", 4, more=False),
    Row("/schools/{urn}/inspections/{inspection_id}/edit", 5, more=False),
    Row("/schools/{urn}/indicators/new", 4, more=False),
    Row("/schools/{urn}/indicators/{indicator_id}/edit", 5, more=False),
    Row("/red-flags", 15),
    Row("/red-flags/new", 3, more=False),
    Row("/red-flags/export.csv", 13),
    Row("/red-flags/export.xlsx", 13),
    Row("/settings/flag-rules", 4, more=False),
    Row("/settings/flag-rules/{rule}", 4, fixed={"rule": "la_category"}, more=False),
    Row("/collaboratives", 7),
    Row("/collaboratives/{collaborative_id}", 8),
    Row("/collaboratives/{collaborative_id}/triad-proposals", 7),
    Row("/triads/{triad_id}", 11),
    Row("/visits/{visit_id}", 7),
    Row("/visits/{visit_id}/edit/{section}", 8, fixed={"section": "details"}),
    Row("/visits/{visit_id}/edit/{section}", 8, fixed={"section": "areas"}),
    Row("/visits/{visit_id}/edit/{section}", 8, fixed={"section": "findings"}),
    Row("/clinics", 5),
    Row("/clinics/new", 4, more=False),
    Row("/clinics/{clinic_id}", 10),
    Row("/clinics/{clinic_id}", 10, query="page=all"),
    Row("/clinics/{clinic_id}/items/{item_id}/edit", 15),
    Row("/clinics/{clinic_id}/publication", 9),
    Row("/clinics/{clinic_id}/agenda.{kind}", 4, fixed={"kind": "csv"}),
    Row("/clinics/{clinic_id}/agenda.{kind}", 4, fixed={"kind": "xlsx"}),
    Row("/action-plans", 7),
    Row("/action-plans/new", 5, more=False),
    Row("/action-plans/import", 3, more=False),
    Row("/action-plans/{plan_id}", 10),
    Row("/action-plans/{plan_id}/edit", 9, more=False),
    Row("/action-plans/{plan_id}/export.csv", 8),
    Row("/action-plans/{plan_id}/priorities/new", 6, more=False),
    Row("/action-plans/{plan_id}/measures/new", 12, more=False),
    Row("/priorities/{priority_id}/edit", 7, more=False),
    Row("/priorities/{priority_id}/actions/new", 7, more=False),
    Row("/plan-actions/{action_id}/edit", 8, use={"action_id": "plan_action_id"}, more=False),
    Row("/plan-actions/{action_id}/milestones/new", 7, use={"action_id": "plan_action_id"}, more=False),
    Row("/milestones/{milestone_id}/edit", 7, more=False),
    Row("/measures/{measure_id}/edit", 13, more=False),
    Row("/my-milestones", 7, more=False),  # its first page, full in both
    Row("/my-milestones", 7, query="page=all"),
    Row("/support", 7),
    Row("/support/new", 3, more=False),
    Row("/support/data-quality", 7),
    Row("/support/{deployment_id}", 4, more=False),
    Row("/reports/support-review", 9),
    Row("/reports/support-review.{kind}", 7, fixed={"kind": "csv"}),
    Row("/reports/support-review.{kind}", 7, fixed={"kind": "xlsx"}, more=False),
    Row("/groups", 10),
    Row("/groups/route-map", 6, more=False),
    Row("/groups/{group_id}", 26),
    Row("/audit", 5, more=False),
    Row("/audit.csv", 3),
    Row("/imports/gias", 5),
    Row("/imports/gias/{job_id}", 4, more=False),
    Row("/indicators/import", 3, more=False),
    Row("/settings/partnership", 5, more=False),
    Row("/settings/people", 7),
    Row("/settings/people/{user_id}", 8, more=False),
    Row("/settings/tokens", 4),
    Row("/settings/tokens/{prefix}/revoke", 4, more=False),
    Row("/account/password", 3, more=False),
    Row("/account/calendar", 4, more=False),
    Row("/calendar/{key}.ics", 7, use={"key": "calendar_key"}),
    Row("/password/{key}", 4, use={"key": "password_key"}, more=False),
]

# GET routes with no row, each with its reason.
EXCLUDED = {
    "/": "a redirect to /board; reads nothing",
    "/sign-in": "the public sign-in form; reads nothing",
    "/metrics": "Prometheus' text of this process's own counters; reads no database",
}


@dataclass
class Side:
    built: Built
    browser: TestClient


@dataclass
class Worlds:
    small: Side
    large: Side


def _read_only(session: Session, read_only: bool) -> Session:
    """As app.db.new_session marks a reading request's session: it may then use the red-flag cache."""
    session.info["read_only"] = read_only
    return session


@pytest.fixture(scope="module")
def worlds(engine) -> Iterator[Worlds]:
    """Both partnerships, built once for the module inside one transaction rolled back at its end,
    and a browser signed in as each one's officer."""
    with engine.connect() as conn:
        outer = conn.begin()
        built = []
        for size in (SMALL, LARGE):
            with _session(conn) as session:  # a session works for one partnership
                built.append(build(session, size))
                session.commit()
        small, large = built
        app = create_app(session_factory=lambda write: _read_only(_session(conn), not write))
        with TestClient(app, base_url="https://testserver") as one, \
                TestClient(app, base_url="https://testserver") as two:
            for browser, built in ((one, small), (two, large)):
                browser.headers["Accept"] = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
                assert sign_in(browser, built.officer_email).status_code == 303
            yield Worlds(Side(small, one), Side(large, two))
        flag_cache.clear()  # the partnerships' ids are used again by later tests
        outer.rollback()


def _statements(side: Side, row: Row, count_statements) -> tuple[StatementCounter, StatementCounter, int]:
    """The statements of the request asked first (the red-flag cache emptied: worked out afresh) and
    then again (the red-flag order kept, as a worker keeps it between requests), and the answer's size."""
    url = row.url(side.built)
    headers = {"Authorization": f"Bearer {side.built.token}"} if url.startswith("/api/") else {}
    flag_cache.clear()
    counters = []
    for _ in range(2):
        with count_statements() as counter:
            response = side.browser.get(url, headers=headers, follow_redirects=False)
        assert response.status_code == 200, (url, response.status_code, response.text[:500])
        counters.append(counter)
    return counters[0], counters[1], len(response.content)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_statements_do_not_grow_with_rows(row, worlds, count_statements):
    small = _statements(worlds.small, row, count_statements)
    large = _statements(worlds.large, row, count_statements)
    if row.more:
        assert large[2] > small[2] * 1.08, f"{row.id}: the larger partnership's answer is not larger"
    for asked, few, many in (("first", small[0], large[0]), ("again", small[1], large[1])):
        assert many.count <= few.count, (f"{row.id} asked {asked}: {few.count} statements small, "
                                         f"{many.count} large", many.statements)
        assert few.count <= row.ceiling, (f"{row.id} asked {asked}: {few.count} statements, ceiling {row.ceiling}",
                                          few.statements)


def test_every_get_route_has_a_row_or_a_reason(app):
    routes = {path for path, methods in all_routes(app.routes) if "GET" in methods}
    rowed = {row.path for row in ROWS}
    assert not rowed & set(EXCLUDED), "a route both in the table and excluded"
    assert routes - rowed - set(EXCLUDED) == set(), "GET routes with no statement ceiling"
    assert rowed - routes == set(), "rows for routes the app no longer has"


def eager_or_lazy(classes) -> list[str]:  # noqa: ANN001
    """Each relationship of the mapped `classes` not declared lazy="raise", as Class.attribute (lazy)."""
    return [f"{cls.__name__}.{rel.key} (lazy={rel.lazy!r})" for cls in classes
            for rel in sa.inspect(cls).relationships if rel.lazy != "raise"]


def test_every_relationship_of_the_models_raises_on_lazy_load():
    # create_app, imported above, has imported every model module.
    mappers = list(SQLModel._sa_registry.mappers)
    tables = {mapper.local_table.name for mapper in mappers if mapper.local_table is not None}
    assert set(SQLModel.metadata.tables) <= tables, "a table of the metadata with no mapped class"
    assert len(mappers) >= 40
    assert eager_or_lazy(mapper.class_ for mapper in mappers) == []


def test_the_relationship_check_would_catch_a_lazy_one():
    registry = sa.orm.registry()

    class Parent(registry.generate_base()):
        __tablename__ = "parent"
        id = sa.Column(sa.Integer, primary_key=True)
        children = sa.orm.relationship("Child", lazy="raise")
        favourite = sa.orm.relationship("Child", lazy="select", viewonly=True)

    class Child(registry.generate_base()):
        __tablename__ = "child"
        id = sa.Column(sa.Integer, primary_key=True)
        parent_id = sa.Column(sa.ForeignKey("parent.id"))

    assert eager_or_lazy([Parent, Child]) == ["Parent.favourite (lazy='select')"]
