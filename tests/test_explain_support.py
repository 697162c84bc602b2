"""The plans of the support-deployment lists (the list with each filter, its next page, and the
data-quality report), on the engine under test, in the style of tests/test_explain_peer_review.py
and tests/services/test_query_plans_visits.py: no statement scans a table whole (on PostgreSQL
with scans and sorts priced out, so that one left in means no index could serve it), and the
pages that the index on (partnership_id, academic_year, id) orders are read in its order, unsorted.

A filter on the school, kind or outcome finds its rows by its own index, led by the partnership,
and sorts that school's, kind's or outcome's rows by year (the list runs newest year first)."""

import re
from datetime import date

import pytest

from app.services import support, support_quality
from app.services.support import SupportFilters
from tests import factories
from tests import visit_setup as vs
from tests.services.test_query_plans import plans
from tests.support_setup import make_deployment

_SQLITE_FULL_SCAN = re.compile(r"^SCAN (support_deployment|school|triad_school|triad|partnership)\b")
KINDS = ("sle", "nle", "adviser", "peer_review")
OUTCOMES = ("green", "amber", "red", "not_yet_completed")


def assert_indexed(found, *, ordered: bool = False) -> None:
    for statement, steps in found:
        for step in steps:
            assert not _SQLITE_FULL_SCAN.match(step), f"full scan: {step}\n{statement}"
            assert not step.startswith("Seq Scan"), f"full scan: {step}\n{statement}"
            if ordered and "ORDER BY" in statement:
                assert "TEMP B-TREE FOR ORDER BY" not in step and step not in ("Sort", "Incremental Sort"), \
                    f"sorted instead of read in index order: {step}\n{statement}"


@pytest.fixture
def spread(session, world):
    """Deployments of several years, kinds and outcomes in both partnerships, with provider
    schools in a triad, so that the planner has rows to weigh and every query runs."""
    schools = [factories.make_school(session, world.ours) for _ in range(6)]
    theirs = [factories.make_school(session, world.theirs) for _ in range(3)]
    group = vs.collaborative(session, world.ours)
    vs.triad(session, group, schools[:3])
    for n in range(60):
        year = 2021 + n % 5
        for pool in (schools, theirs):
            make_deployment(session, pool[n % len(pool)], academic_year=f"{year}/{(year + 1) % 100:02d}",
                            provider_kind=KINDS[n % 4], outcome=OUTCOMES[n % 4],
                            provider_school_id=pool[(n + 1) % len(pool)].id,
                            start_on=date(year, 10, 1), end_on=date(year + 1, 3, 1))
    return schools


@pytest.mark.parametrize("filters", [
    SupportFilters(),
    SupportFilters(year=["2025/26"]),
], ids=["all", "year"])
def test_the_list_reads_its_page_in_index_order(session, engine, world, spread, filters):
    officer = vs.officer(world.ours)
    first = support.page(session, filters, limit=5, by=officer)
    assert first.next_cursor is not None and len(first.views) == 5
    for cursor in (None, first.next_cursor):
        found = plans(session, engine, lambda c=cursor: support.page(session, filters, limit=5, cursor=c, by=officer))
        assert_indexed(found, ordered=True)


@pytest.mark.parametrize("filters", [
    SupportFilters(urn="school"),
    SupportFilters(kind=["adviser"]),
    SupportFilters(outcome=["green"]),
    SupportFilters(year=["2024/25"], kind=["sle"], outcome=["green"]),
], ids=["urn", "kind", "outcome", "all three"])
def test_each_filter_finds_its_rows_by_an_index(session, engine, world, spread, filters):
    if filters.urn == "school":
        filters.urn = [spread[0].urn]
    officer = vs.officer(world.ours)
    assert support.page(session, filters, limit=5, by=officer).views
    assert_indexed(plans(session, engine, lambda: support.page(session, filters, limit=5, by=officer)))


def test_the_data_quality_report_never_scans(session, engine, world, spread):
    officer = vs.officer(world.ours)
    first = support_quality.page(session, limit=5, by=officer)
    assert first.total > 5 and first.next_cursor
    for work in (lambda: support_quality.page(session, limit=5, by=officer),
                 lambda: support_quality.page(session, limit=5, cursor=first.next_cursor, by=officer),
                 lambda: support_quality.page(session, year=["2023/24"], limit=5, by=officer)):
        assert_indexed(plans(session, engine, work))
