"""Properties of keyset pagination (`app.services.schools.page`), checked by hypothesis.

For random sets of schools (names in mixed case, with duplicates and letters beyond ASCII; pupils
and fsm_percent often missing, often tied), every sort and random page sizes:

- following `next_cursor` visits every matching school exactly once, in the order of the sort,
  ties broken by id (descending sorts reverse both), with `total` the number of matches;
- a school inserted between two page fetches never makes a page repeat or skip a school that was
  already there, and is served exactly when it sorts after the last school already served.

The expected order is worked out apart from the code under test. Numbers compare in Python, a
missing one as -1 (first when ascending, last when descending), as `SORTS` in the service says. Text
compares as the database collates it: the rank of each distinct key comes from a plain ORDER BY
over the keys alone, so the property holds on SQLite and on PostgreSQL whatever the collation.

Each example runs in a savepoint that is rolled back: the function-scoped `session` and `world`
fixtures are shared by all the examples of a test.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import Session

from app.db import all_tenants
from app.models.school import School
from app.services import accounts
from app.services.schools import SORT_CHOICES, SchoolFilters, page

MARKER = "Paging property school"  # their establishment type, which no other school has

# Per sort: every sort gets its own examples. Without the explain phase: schemathesis, loaded in the
# same pytest process, silences hypothesis' printer of failing examples, so each test notes its
# inputs itself, and explaining (which only annotates that printout) would cost time for nothing.
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, phases=[p for p in Phase if p is not Phase.explain],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Few distinct values, so that ties are common; names that differ only in case; letters whose
# lower case SQLite does not fold (it folds ASCII only), or folds differently from Python.
NAMES = st.one_of(
    st.sampled_from(["Alder", "alder", "ALDER", "Birch", "birch", "École", "école", "ÉCOLE", "Ecole", "Zebra",
                     "İris", "iris", "Straße", "STRASSE", "ΟΔΟΣ", "οδος", "a b", "ab", "a-b"]),
    st.text(alphabet="aAbBzZ éÉ-İßΣς0", min_size=1, max_size=6),
)
SCHOOL = st.fixed_dictionaries({
    "name": NAMES,
    "pupils": st.none() | st.integers(0, 3) | st.integers(0, 2000),
    "fsm_percent": st.none() | st.sampled_from([0.0, 12.5, 100.0]) | st.floats(0, 100, allow_nan=False),
    "phase": st.sampled_from(["primary", "secondary"]),
    "engaged": st.booleans(),
})
FILTERS = st.fixed_dictionaries({
    "phase": st.sampled_from([[], ["primary"], ["secondary"], ["primary", "secondary"]]),
    "engaged": st.sampled_from([None, True, False]),
})


@contextmanager
def rolled_back(session: Session) -> Iterator[None]:
    savepoint = session.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


def make_schools(session: Session, partnership, rows: list[dict], first_urn: int = 500000) -> list[School]:
    """The schools, inserted in one flush (hypothesis runs many examples, and more when shrinking)."""
    schools = [School(partnership_id=partnership.id, urn=f"{first_urn + i:06d}", establishment_type=MARKER,
                      status="open", **row) for i, row in enumerate(rows)]
    with all_tenants(session):
        session.add_all(schools)
        session.flush()
    return schools


def matches(school: School, filters: dict) -> bool:
    return ((not filters["phase"] or school.phase in filters["phase"])
            and (filters["engaged"] is None or school.engaged is filters["engaged"]))


def expected_order(session: Session, schools: list[School], sort: str) -> list[int]:
    """The ids of `schools` in the order `sort` promises, ties broken by id."""
    field = sort.removeprefix("-")
    ids = [s.id for s in schools]
    if field in ("pupils", "fsm_percent"):
        keys = {s.id: -1 if getattr(s, field) is None else getattr(s, field) for s in schools}
    else:
        expression = func.lower(School.name) if field == "name" else School.urn
        with all_tenants(session):
            values = dict(session.execute(select(School.id, expression).where(School.id.in_(ids))).all())
            ranked = session.scalars(select(expression).where(School.id.in_(ids)).distinct().order_by(expression))
        rank = {value: i for i, value in enumerate(ranked)}
        keys = {school_id: rank[value] for school_id, value in values.items()}
        if field == "name":
            # Case never matters: names that differ only in ASCII case share a key.
            for s in schools:
                if s.name.isascii():
                    assert values[s.id] == s.name.lower(), (s.name, values[s.id])
    ascending = sorted(ids, key=lambda school_id: (keys[school_id], school_id))
    return ascending[::-1] if sort.startswith("-") else ascending


def pages(session: Session, by, filters: dict, sort: str, limit: int, most: int, between=None) -> Iterator:
    """Each page in turn, following next_cursor; `between(n)` runs after the n-th page. More than
    `most` pages means that the cursors go round in circles."""
    cursor, served = None, 0
    while True:
        result = page(session, SchoolFilters(establishment_type=[MARKER], **filters), sort=sort, limit=limit,
                      cursor=cursor, by=by)
        served += 1
        yield result
        if result.next_cursor is None:
            return
        assert len(result.rows) == limit, "only the last page may be short"
        assert served < most, "the cursors never reach the end"
        if between is not None:
            between(served)
        cursor = result.next_cursor


@pytest.mark.parametrize("sort", SORT_CHOICES)
@PROPERTY_SETTINGS
@given(rows=st.lists(SCHOOL, max_size=25), limit=st.integers(1, 20), filters=FILTERS)
def test_following_next_cursor_visits_each_match_once_in_sort_order(session, world, rows, sort, limit, filters):
    note(f"sort={sort!r} limit={limit!r} filters={filters!r} rows={rows!r}")
    by = accounts.operator(world.ours)
    with rolled_back(session):
        schools = make_schools(session, world.ours, rows)
        matching = [s for s in schools if matches(s, filters)]

        served, totals = [], set()
        for result in pages(session, by, filters, sort, limit, most=len(schools) + 1):
            assert result.rows or not matching, "no empty page after the last school"
            served += [row.id for row in result.rows]
            totals.add(result.total)

        assert served == expected_order(session, matching, sort)
        assert totals == {len(matching)}


@pytest.mark.parametrize("sort", SORT_CHOICES)
@PROPERTY_SETTINGS
@given(rows=st.lists(SCHOOL, min_size=1, max_size=20), newcomers=st.lists(SCHOOL, min_size=1, max_size=3),
       limit=st.integers(1, 20))
def test_a_school_added_between_pages_never_repeats_or_skips_one(session, world, rows, newcomers, sort, limit):
    note(f"sort={sort!r} limit={limit!r} rows={rows!r} newcomers={newcomers!r}")
    by = accounts.operator(world.ours)
    everyone = {"phase": [], "engaged": None}
    with rolled_back(session):
        schools = make_schools(session, world.ours, rows)
        added: list[tuple[School, list[int]]] = []  # each newcomer, with what had been served before it
        served: list[int] = []

        def add_one(pages_served: int) -> None:
            if pages_served <= len(newcomers):
                [school] = make_schools(session, world.ours, [newcomers[pages_served - 1]],
                                        first_urn=600000 + pages_served)
                added.append((school, list(served)))

        first = None
        for result in pages(session, by, everyone, sort, limit, most=len(schools) + len(newcomers) + 1,
                            between=add_one):
            first = first or result
            served += [row.id for row in result.rows]

        assert len(served) == len(set(served)), "a school was served twice"
        assert first.total == len(schools)
        originals = [school_id for school_id in served if school_id in {s.id for s in schools}]
        assert originals == expected_order(session, schools, sort), "an existing school was skipped or misplaced"
        # With everyone in place, a newcomer is served exactly when it sorts after the last school
        # served before it was added: keyset paging resumes from that school, wherever it now is.
        final = expected_order(session, schools + [school for school, _ in added], sort)
        for school, before in added:
            resumes_after = final.index(before[-1])
            assert (school.id in served) == (final.index(school.id) > resumes_after), (school.name, sort)
        assert served == [school_id for school_id in final if school_id in set(served)]
