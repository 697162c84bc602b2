"""The visit list's plans, on the engine under test (the style of test_query_plans.py): the
partnership's visits are read through an index led by the partnership, newest first in the
index's own order, never by scanning and sorting; filters, a headteacher's reach and a visit with
its actions find their rows by index too."""

import re
from datetime import date, timedelta

import pytest

from app.services import visits
from app.services.visits import VisitFilters
from tests import factories
from tests import visit_setup as vs
from tests.services.test_query_plans import plans

_SQLITE_FULL_SCAN = re.compile(r"^SCAN (triad_visit|visit_action|school|triad|triad_school|partnership)\b")


def assert_indexed(found, *, ordered: bool) -> None:
    for statement, steps in found:
        for step in steps:
            assert not _SQLITE_FULL_SCAN.match(step), f"full scan: {step}\n{statement}"
            assert not step.startswith("Seq Scan"), f"full scan: {step}\n{statement}"
            if ordered:
                assert "TEMP B-TREE FOR ORDER BY" not in step and step not in ("Sort", "Incremental Sort"), \
                    f"sorted instead of read in index order: {step}\n{statement}"


@pytest.fixture
def net(session, world):
    """Visits of every kind in both partnerships, so that the planner has rows to weigh."""
    net = vs.network(session, world)
    start = date(2024, 9, 2)
    for n in range(40):
        host = (net.ash, net.cedar, net.oak)[n % 3]
        triad = {net.ash.id: net.north_triad.id, net.cedar.id: net.south_triad.id}.get(host.id)
        day = start + timedelta(days=9 * n)
        visit = factories.make_visit(session, host, kind="triad_review" if triad else "support_partner",
                                     triad_id=triad, visit_date=day)
        factories.make_visit_action(session, visit)
        factories.make_visit(session, world.their_school, visit_date=day)
    return net


def test_the_list_reads_a_page_in_index_order(session, engine, world, net):
    officer = vs.officer(world.ours)
    first = visits.page(session, VisitFilters(), limit=5, by=officer)
    assert first.next_cursor is not None
    for cursor in (None, first.next_cursor):
        found = plans(session, engine, lambda c=cursor: visits.page(session, VisitFilters(), limit=5, cursor=c,
                                                                    by=officer))
        page_query = [(s, steps) for s, steps in found if "ORDER BY" in s]
        assert len(page_query) == 2  # the page, and the page's actions
        assert_indexed(page_query[:1], ordered=True)
        assert_indexed(found, ordered=False)


def test_a_years_page_is_read_in_index_order_too(session, engine, world, net):
    officer = vs.officer(world.ours)
    found = plans(session, engine, lambda: visits.page(session, VisitFilters(academic_year=["2025/26"]), limit=5,
                                                       by=officer))
    assert_indexed([(s, steps) for s, steps in found if "ORDER BY" in s][:1], ordered=True)


@pytest.mark.parametrize("filters", [
    VisitFilters(kind=["support_partner"]),
    VisitFilters(status=["submitted"]),
    VisitFilters(urn=["100001"]),
    VisitFilters(triad_id=[1]),
    VisitFilters(academic_year=["2024/25", "2025/26"]),
], ids=["kind", "status", "urn", "triad", "years"])
def test_filtered_pages_and_counts_never_scan(session, engine, world, net, filters):
    officer = vs.officer(world.ours)
    assert_indexed(plans(session, engine, lambda: visits.page(session, filters, limit=5, by=officer)),
                   ordered=False)


def test_a_headteachers_and_a_leads_pages_never_scan(session, engine, world, net):
    for person in (vs.head(session, world.ours, net.ash), vs.lead(session, world.ours, net.south)):
        assert visits.page(session, VisitFilters(), limit=5, by=person).total > 0
        assert_indexed(plans(session, engine, lambda p=person: visits.page(session, VisitFilters(), limit=5, by=p)),
                       ordered=False)


def test_one_visit_with_its_actions(session, engine, world, net):
    officer = vs.officer(world.ours)
    some = visits.page(session, VisitFilters(), limit=1, by=officer).views[0].visit.id
    session.expunge_all()
    assert_indexed(plans(session, engine, lambda: visits.get(session, some, by=officer)), ordered=False)
