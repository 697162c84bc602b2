"""The main queries' plans, on the engine under test: every one finds its rows through an index
led by the partnership (or the row's own key), and a page of schools is read in index order, never
by scanning and sorting the partnership's schools. A plan that is fine on 70 schools can take
minutes on 42,000; the plan, not the timing, is what a test can hold."""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from app.services import accounts, indicators, inspections, schools, tokens
from app.services.schools import SchoolFilters
from tests import factories


@contextmanager
def captured(engine) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def plans(session, engine, work: Callable[[], object]) -> list[tuple[str, list[str]]]:
    """Each SELECT that `work` ran, with its plan: SQLite's EXPLAIN QUERY PLAN lines, or
    PostgreSQL's plan nodes ('Seq Scan on school', 'Sort' ...) chosen with scans and sorts
    priced out, so that any node of that kind means no index could serve the query."""
    with captured(engine) as seen:
        work()
    connection = session.connection()
    found = []
    for statement, parameters in seen:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            found.append((statement, [row[-1] for row in rows]))
        else:
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            connection.execute(text("SET LOCAL enable_sort = off"))
            raw = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
            plan = raw if isinstance(raw, list) else json.loads(raw)
            found.append((statement, list(_nodes(plan[0]["Plan"]))))
            connection.execute(text("RESET enable_seqscan"))
            connection.execute(text("RESET enable_sort"))
    assert found, "the work ran no SELECT"
    return found


def _nodes(node: dict) -> Iterator[str]:
    relation = node.get("Relation Name")
    yield f"{node['Node Type']} on {relation}" if relation else node["Node Type"]
    for child in node.get("Plans", []):
        yield from _nodes(child)


_SQLITE_FULL_SCAN = re.compile(r"^SCAN (school|inspection|indicator|api_token|partnership)\b")


def assert_indexed(found, *, ordered: bool) -> None:
    for statement, steps in found:
        for step in steps:
            assert not _SQLITE_FULL_SCAN.match(step), f"full scan: {step}\n{statement}"
            assert not step.startswith("Seq Scan"), f"full scan: {step}\n{statement}"
            if ordered:
                assert "TEMP B-TREE FOR ORDER BY" not in step and step not in ("Sort", "Incremental Sort"), \
                    f"sorted instead of read in index order: {step}\n{statement}"


@pytest.fixture
def register(session, world):
    """Some schools of both partnerships, with histories, so the planner has rows to weigh."""
    for n in range(30):
        ours = factories.make_school(session, world.ours, urn=f"5{n:05d}", name=f"School {n}",
                                     phase="primary" if n % 3 else "secondary", pupils=100 + n)
        factories.make_inspection(session, ours)
        factories.make_school(session, world.theirs, urn=f"6{n:05d}", name=f"Their school {n}")
    return accounts.operator(world.ours)


SORTS = ["name", "-name", "urn", "-urn", "pupils", "-pupils", "fsm_percent", "-fsm_percent"]


@pytest.mark.parametrize("sort", SORTS)
def test_each_sort_reads_a_page_in_index_order(session, engine, register, sort):
    first = schools.page(session, SchoolFilters(), sort=sort, limit=5, by=register)
    assert_indexed(plans(session, engine, lambda: schools.page(session, SchoolFilters(), sort=sort, limit=5,
                                                               by=register)), ordered=True)
    assert_indexed(plans(session, engine, lambda: schools.page(session, SchoolFilters(), sort=sort, limit=5,
                                                               cursor=first.next_cursor, by=register)),
                   ordered=True)


@pytest.mark.parametrize("filters", [
    SchoolFilters(phase=["primary"]),
    SchoolFilters(status=["open"]),
    SchoolFilters(ofsted=["good"]),
    SchoolFilters(ofsted=["not_inspected", "inadequate"]),
    SchoolFilters(la_category=["red", "none"]),
    SchoolFilters(q="school 1"),
    SchoolFilters(engaged=False),
], ids=["phase", "status", "ofsted", "ofsted-none", "category", "search", "engaged"])
def test_filtered_pages_and_counts_never_scan_every_school(session, engine, register, filters):
    assert_indexed(plans(session, engine, lambda: schools.page(session, filters, limit=5, by=register)),
                   ordered=False)


def test_one_school_its_history_and_figures(session, engine, register):
    def work():
        school = schools.get(session, "500007", by=register)
        inspections.list_for_school(session, school, by=register)
        indicators.list_for_school(session, school, by=register)

    assert_indexed(plans(session, engine, work), ordered=False)


def test_the_token_check(session, engine, world):
    assert_indexed(plans(session, engine, lambda: tokens.authenticate(session, world.write_token)), ordered=False)


def test_the_latest_inspection_lookup(session, engine, register):
    school = schools.get(session, "500003", by=register)
    assert_indexed(plans(session, engine, lambda: inspections.refresh_latest(session, school)), ordered=True)


def test_the_types_in_use_are_found_by_seeks_and_only_ours(session, engine, world, register):
    factories.make_school(session, world.ours, urn="700001", establishment_type="Foundation school")
    factories.make_school(session, world.ours, urn="700002", establishment_type="Academy converter")
    factories.make_school(session, world.theirs, urn="700003", establishment_type="Free schools")
    types = schools.facets(session, by=register)["establishment_type"]
    assert "Free schools" not in types and types == sorted(types)
    assert {"Foundation school", "Academy converter"} <= set(types) and len(types) == len(set(types))
    assert_indexed(plans(session, engine, lambda: schools.facets(session, by=register)), ordered=False)
