"""The query plans of the partnership board's own reads (app.services.board), on the engine under
test: this year's collaboratives and triads, the schools with their places in them, this term's
triad visits and the active support are each found through an index led by the partnership (or by
the school's own key, for its place in a collaborative and a triad), never by a full scan of a
table. Two partnerships are filled, so that the planner has another tenant's rows to pass over.

The red-flag reads the board shares with the red-flag list are app.services.flag_data's, planned
there. On PostgreSQL scans are priced out (tests/services/test_query_plans.py's `plans`), so one left
in the plan means that no index could serve the query. Sorting is allowed: the board shows every
school of the year's groups, and orders a few dozen collaboratives and triads by name."""

import re
from datetime import date

import pytest

from app.db import as_tenant
from app.services import accounts
from app.services import board as boards
from app.services.board import BoardFilters
from tests import factories
from tests.services.test_query_plans import plans
from tests.support_setup import make_deployment

TODAY = date(2026, 11, 26)
YEAR = "2026/27"
TABLES = "school|collaborative|collaborative_school|triad|triad_school|triad_visit|support_deployment"
_SQLITE_SCAN = re.compile(rf"^SCAN ({TABLES})\b")
_PG_SCAN = re.compile(rf"^Seq Scan on ({TABLES})$")
# The board's own statements, told from the red-flag reads by what they select.
OWN = re.compile(r"^SELECT (collaborative\.id|triad\.id|school\.id, school\.urn, school\.name, school\.phase, "
                 r"school\.status|triad_visit\.triad_id|DISTINCT support_deployment\.school_id)")


def _fill(session, partnership, size: int) -> None:
    schools = [factories.make_school(session, partnership, la_category=("red", None)[n % 2]) for n in range(size)]
    for year in ("2025/26", YEAR):
        collaborative = factories.make_collaborative(session, partnership, schools[: 2 * size // 3],
                                                     academic_year=year)
        for t in range(size // 6):
            triad = factories.make_triad(session, collaborative, schools[t * 3: t * 3 + 3])
            factories.make_visit(session, schools[t * 3], kind="triad_review", triad_id=triad.id,
                                 status="submitted", visit_date=date(int(year[:4]), 10, 5))
    for school in schools[::4]:
        make_deployment(session, school, academic_year=YEAR, start_on=date(2026, 10, 1))


@pytest.fixture
def filled(session, world):
    with as_tenant(session, world.theirs.id):
        _fill(session, world.theirs, 12)
    _fill(session, world.ours, 18)
    return accounts.operator(world.ours)


FILTERS = {
    "none": BoardFilters(),
    "phase, engaged and closed": BoardFilters(phase=["primary"], engaged="yes", closed="yes"),
    "not in a collaborative": BoardFilters(collaborative=["none"]),
    "severity": BoardFilters(severity=["red"]),
}


@pytest.mark.parametrize("name", FILTERS)
def test_the_boards_reads_use_indexes(session, engine, filled, name):
    by = filled
    found = plans(session, engine, lambda: boards.board(session, FILTERS[name], by=by, today=TODAY))
    own = [(statement, steps) for statement, steps in found if OWN.match(statement.lstrip())]
    assert len(own) == 5, [s for s, _ in found]
    for statement, steps in own:
        for step in steps:
            assert not _SQLITE_SCAN.match(step) and not _PG_SCAN.match(step), f"full scan: {step}\n{statement}"


def test_a_collaborative_filter_uses_indexes(session, engine, filled):
    by = filled
    chosen = boards.choices(session, by=by, today=TODAY)[0][0]
    found = plans(session, engine, lambda: boards.board(session, BoardFilters(collaborative=[str(chosen)]), by=by,
                                                        today=TODAY))
    own = [(statement, steps) for statement, steps in found if OWN.match(statement.lstrip())]
    assert len(own) == 5
    for statement, steps in own:
        for step in steps:
            assert not _SQLITE_SCAN.match(step) and not _PG_SCAN.match(step), f"full scan: {step}\n{statement}"
