"""The plans of the collaborative and triad lists, on the engine under test (as
tests/services/test_query_plans.py does for schools): each statement finds its rows through an
index led by the partnership or by the parent's key, and a page is read in index order (academic
year, id), never by scanning and sorting every row of the partnership."""

import re

import pytest

from app.services import accounts, collaboratives, triads
from app.services.collaboratives import ListFilters
from tests import factories
from tests.services.test_query_plans import plans

TABLES = "collaborative|collaborative_school|triad|triad_school|school|app_user|membership"
_SQLITE_FULL_SCAN = re.compile(rf"^SCAN ({TABLES})\b")


def assert_indexed(found, *, ordered_first: bool) -> None:
    """No statement scans a table; with `ordered_first`, the page's rows (the second statement,
    after the count) come in index order, unsorted."""
    for n, (statement, steps) in enumerate(found):
        for step in steps:
            assert not _SQLITE_FULL_SCAN.match(step), f"full scan: {step}\n{statement}"
            assert not step.startswith("Seq Scan"), f"full scan: {step}\n{statement}"
            if ordered_first and n == 1:
                assert "TEMP B-TREE FOR ORDER BY" not in step and step not in ("Sort", "Incremental Sort"), \
                    f"sorted instead of read in index order: {step}\n{statement}"


@pytest.fixture
def network(session, world):
    """Collaboratives and triads over four years in both partnerships, so the planner has rows to weigh."""
    lead = factories.make_user(session, world.ours)
    for n in range(12):
        year = f"{2022 + n % 4}/{(23 + n % 4):02d}"
        schools = [factories.make_school(session, world.ours) for _ in range(3)]
        collaborative = factories.make_collaborative(session, world.ours, schools, lead=lead, academic_year=year)
        factories.make_triad(session, collaborative, schools)
        theirs = [factories.make_school(session, world.theirs) for _ in range(3)]
        factories.make_triad(session, factories.make_collaborative(session, world.theirs, theirs, academic_year=year),
                             theirs)
    return accounts.operator(world.ours)


FILTERS = {
    "none": (ListFilters(), True),
    "year": (ListFilters(academic_year=["2024/25"]), True),
    "collaborative": (ListFilters(collaborative_id=[1, 2, 3]), False),
    "urn": (ListFilters(urn=["100001", "100002"]), False),
}


@pytest.mark.parametrize("name", FILTERS)
def test_a_page_of_collaboratives(session, engine, network, name):
    filters, ordered = FILTERS[name]
    first = collaboratives.page(session, filters, limit=3, by=network)
    found = plans(session, engine, lambda: collaboratives.page(session, filters, limit=3, by=network))
    assert len(found) == (3 if first.items else 2)
    assert_indexed(found, ordered_first=ordered)
    if first.next_cursor:
        assert_indexed(plans(session, engine, lambda: collaboratives.page(
            session, filters, limit=3, cursor=first.next_cursor, by=network)), ordered_first=ordered)


@pytest.mark.parametrize("name", FILTERS)
def test_a_page_of_triads(session, engine, network, name):
    filters, ordered = FILTERS[name]
    first = triads.page(session, filters, limit=3, by=network)
    found = plans(session, engine, lambda: triads.page(session, filters, limit=3, by=network))
    assert len(found) == (3 if first.items else 2)
    assert_indexed(found, ordered_first=ordered)
    if first.next_cursor:
        assert_indexed(plans(session, engine, lambda: triads.page(
            session, filters, limit=3, cursor=first.next_cursor, by=network)), ordered_first=ordered)
