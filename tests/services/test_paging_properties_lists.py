"""Keyset pagination of every paged list but the schools' (tests/services/test_paging_properties.py
holds those), checked by hypothesis against a model: rows are inserted and deleted between page
fetches, as other people would meanwhile, and each page must be exactly what keyset paging
promises at the moment it is read: the first `limit` rows still there that sort after the last
row served (its place in the order is kept even once it is gone), `next_cursor` set exactly when
more such rows remain, and `total` the rows there are then. From that:

- no row is served twice, and the rows served come in the list's order;
- a row there from the first page to the last is served, once (none is skipped);
- a row added meanwhile is served exactly when it sorts after the last row served before it came,
  and a row deleted before its turn never is.

The order is each list's documented one, worked out here apart from the code under test: triads
and collaboratives by academic year then id; visits (the partnership's and a triad's) and clinics
newest date first, then the latest recorded; action plans and audit events newest first by id;
milestones as added; support deployments (and the data-quality report's) newest year first, then
the latest recorded; groups by name; national figures by measure, then id; red flags worst first
(any red, more reds, more ambers), then by name and id. Sort values come from a few choices, so
that ties are common; text keys are lower-case ASCII, on which every collation agrees (the
schools' property covers the rest).

Each example runs in a savepoint that is rolled back (the function-scoped fixtures are shared by
all the examples of a test). Examples are kept few and small: the thirteen lists together add well
under a minute on each engine (about 10 s on SQLite, 35 s on PostgreSQL)."""

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.db import all_tenants
from app.models.action_plan import ActionPlan
from app.models.audit import AuditEvent
from app.models.clinic import Clinic
from app.models.flag import ManualFlag, NationalFigure
from app.models.group import SchoolGroup
from app.models.school import School
from app.services import action_plans as plans_service
from app.services import (
    audit,
    clinics,
    collaboratives,
    flags,
    groups,
    national_figures,
    plan_milestones,
    support,
    support_quality,
    triads,
    visits,
)
from app.services.action_plans import PlanFilters
from app.services.audit import AuditFilters
from app.services.collaboratives import ListFilters
from app.services.flags import FlagFilters
from app.services.plan_milestones import MilestoneFilters
from app.services.support import SupportFilters
from app.services.visits import VisitFilters
from tests import factories
from tests import visit_setup as vs
from tests.flag_setup import TODAY
from tests.support_setup import make_deployment

# Fewer examples than the schools' property (40 per sort): thirteen lists, each with inserts and
# deletes between its pages. Without the explain phase, as there (schemathesis silences the printer).
PROPERTY_SETTINGS = settings(
    max_examples=30, deadline=None, phases=[p for p in Phase if p is not Phase.explain],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MARKER = "paging property"  # the audit events' actor, which no other event has

# A row's sort value is one of four choices (0-3), so that ties are common.
CHOICE = st.integers(0, 3)
# Between two pages: a few changes, each an insert (of a sort value) or a delete (of the n-th row there).
CHANGE = st.one_of(st.tuples(st.just("insert"), CHOICE), st.tuples(st.just("delete"), st.integers(0, 99)))
YEARS = ("2023/24", "2024/25", "2025/26", "2026/27")
DAYS = (date(2025, 9, 8), date(2025, 11, 3), date(2026, 1, 12), date(2026, 3, 2))
NAMES = ("alder", "birch", "birches", "cedar")
MEASURES = ("absence", "attainment", "persistent_absence", "roll")
# A flagged school's manual flags: (reds, ambers).
FLAG_MIXES = ((1, 0), (0, 1), (2, 0), (1, 1))


@contextmanager
def rolled_back(session: Session) -> Iterator[None]:
    savepoint = session.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


def added(session: Session, row):  # noqa: ANN001, ANN201
    with all_tenants(session):
        session.add(row)
        session.flush()
    return row


def letters(n: int) -> str:
    """n in lower-case letters (a, b, ..., ba, bb ...): a name suffix every collation orders alike."""
    out = ""
    while True:
        out = "abcdefghijklmnopqrstuvwxyz"[n % 26] + out
        n //= 26
        if not n:
            return out


@dataclass(frozen=True)
class Listed:
    """A list under test: `setup(ctx)` makes what its rows hang from; `make(ctx, choice, n)` adds
    the n-th row with a sort value chosen by `choice` and returns (row, its key); `fetch(ctx,
    cursor, limit)` reads a page as (ids, next_cursor, total); `drop(ctx, row)` removes a row. The
    key orders rows as the list promises, ascending."""

    name: str
    make: Callable[[Any, int, int], tuple[Any, tuple]]
    fetch: Callable[[Any, str | None, int], tuple[list[int], str | None, int]]
    setup: Callable[[Any], None] = lambda ctx: None
    drop: Callable[[Any, Any], None] | None = None


def _page(result, ids: Callable[[Any], int], items: str = "items"):  # noqa: ANN001, ANN202
    return [ids(i) for i in getattr(result, items)], result.next_cursor, result.total


# --- the lists ----------------------------------------------------------------------------------------

def _collaborative(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    row = factories.make_collaborative(ctx.session, ctx.world.ours, academic_year=YEARS[choice],
                                       name=f"Paging {n}")
    return row, (YEARS[choice], row.id)


def _triad_setup(ctx) -> None:  # noqa: ANN001
    ctx.groups = [factories.make_collaborative(ctx.session, ctx.world.ours, academic_year=y) for y in YEARS]


def _triad(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    row = factories.make_triad(ctx.session, ctx.groups[choice], name=f"Paging {n}")
    return row, (YEARS[choice], row.id)


def _newest_first_date(row_date: date, row_id: int) -> tuple:
    return (-row_date.toordinal(), -row_id)


def _visit(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    row = factories.make_visit(ctx.session, ctx.world.our_school, visit_date=DAYS[choice])
    return row, _newest_first_date(DAYS[choice], row.id)


def _triad_visit_setup(ctx) -> None:  # noqa: ANN001
    ctx.net = vs.network(ctx.session, ctx.world)
    # Visits the triad's list must never show: another triad's, and a support partner's at its school.
    factories.make_visit(ctx.session, ctx.net.cedar, kind="triad_review", triad_id=ctx.net.south_triad.id)
    factories.make_visit(ctx.session, ctx.net.ash)


def _triad_visit(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    host = (ctx.net.ash, ctx.net.beech, ctx.world.our_school)[n % 3]
    row = factories.make_visit(ctx.session, host, kind="triad_review", triad_id=ctx.net.north_triad.id,
                               visit_date=DAYS[choice])
    return row, _newest_first_date(DAYS[choice], row.id)


def _plan(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    row = added(ctx.session, ActionPlan(partnership_id=ctx.world.ours.id, title=f"Plan {n}",
                                        period_start=date(2025, 9, 1), period_end=date(2027, 7, 1),
                                        status=("draft", "active")[choice % 2]))
    return row, (-row.id,)


def _milestone_setup(ctx) -> None:  # noqa: ANN001
    from app.models.action_plan import PlanAction, PlanPriority

    ours = ctx.world.ours.id
    ctx.plan = added(ctx.session, ActionPlan(partnership_id=ours, title="Plan", period_start=date(2025, 9, 1),
                                             period_end=date(2027, 7, 1)))
    priority = added(ctx.session, PlanPriority(partnership_id=ours, plan_id=ctx.plan.id, number=1, title="Reading"))
    ctx.action = added(ctx.session, PlanAction(partnership_id=ours, plan_id=ctx.plan.id, priority_id=priority.id,
                                               number=1, description="Phonics"))


def _milestone(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    from app.models.action_plan import PlanMilestone

    row = added(ctx.session, PlanMilestone(partnership_id=ctx.world.ours.id, plan_id=ctx.plan.id,
                                           action_id=ctx.action.id, description=f"Milestone {n}",
                                           due_on=DAYS[choice]))
    return row, (row.id,)


def _deployment(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    row = make_deployment(ctx.session, ctx.world.our_school, academic_year=YEARS[choice])
    return row, (-choice, -row.id)  # YEARS is in order, so -choice is newest year first


def _unreviewed(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    """A deployment the data-quality report lists: an outcome given, but no review date."""
    row = make_deployment(ctx.session, ctx.world.our_school, academic_year=YEARS[choice], outcome="green")
    return row, (-choice, -row.id)


def _group(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    name = f"{NAMES[choice]} {letters(n)}"  # names are unique in a partnership
    row = added(ctx.session, SchoolGroup(partnership_id=ctx.world.ours.id, name=name, kind="named"))
    return row, (name, row.id)


START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _event(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    row = added(ctx.session, AuditEvent(partnership_id=ctx.world.ours.id, occurred_at=START + timedelta(days=choice),
                                        actor=MARKER, table_name="school", record_id=1 + choice, action="update"))
    return row, (-row.id,)


def _clinic(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    row = added(ctx.session, Clinic(partnership_id=ctx.world.ours.id, held_on=DAYS[choice], academic_year="2025/26",
                                    meeting="termly"))
    return row, _newest_first_date(DAYS[choice], row.id)


def _figure(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    # (measure, year, source) is unique in a partnership: each row its own year.
    row = added(ctx.session, NationalFigure(partnership_id=ctx.world.ours.id, measure=MEASURES[choice],
                                            academic_year=f"{1950 + n}/{(51 + n) % 100:02d}", value=5.0,
                                            source="DfE"))
    return row, (MEASURES[choice], row.id)


def _flagged(ctx, choice: int, n: int):  # noqa: ANN001, ANN202
    """A school flagged by hand only: its reds and ambers by `choice`, named so that names tie."""
    name = NAMES[n % 4]
    school = factories.make_school(ctx.session, ctx.world.ours, name=name, urn=f"{800000 + n}")
    reds, ambers = FLAG_MIXES[choice]
    for severity in ["red"] * reds + ["amber"] * ambers:
        added(ctx.session, ManualFlag(partnership_id=school.partnership_id, school_id=school.id, kind="add",
                                      rule="manual", severity=severity, category="governance",
                                      reason="Chair of governors resigned"))
    return school, (0 if reds else 1, -reds, -ambers, name, school.id)


def _drop_flagged(ctx, school: School) -> None:  # noqa: ANN001
    with all_tenants(ctx.session):
        ctx.session.delete(school)
        ctx.session.flush()


LISTS = [
    Listed("collaboratives", _collaborative, lambda ctx, c, n: _page(
        collaboratives.page(ctx.session, ListFilters(), limit=n, cursor=c, by=ctx.by), lambda i: i.record.id)),
    Listed("triads", _triad, lambda ctx, c, n: _page(
        triads.page(ctx.session, ListFilters(), limit=n, cursor=c, by=ctx.by), lambda i: i.record.id),
        setup=_triad_setup),
    Listed("visits", _visit, lambda ctx, c, n: _page(
        visits.page(ctx.session, VisitFilters(), limit=n, cursor=c, by=ctx.by), lambda v: v.visit.id, "views")),
    Listed("a triad's visits", _triad_visit, lambda ctx, c, n: _page(
        visits.page(ctx.session, VisitFilters(triad_id=[ctx.net.north_triad.id]), limit=n, cursor=c, by=ctx.by),
        lambda v: v.visit.id, "views"), setup=_triad_visit_setup),
    Listed("action plans", _plan, lambda ctx, c, n: _page(
        plans_service.page(ctx.session, PlanFilters(), limit=n, cursor=c, by=ctx.by), lambda v: v.plan.id, "views")),
    Listed("milestones", _milestone, lambda ctx, c, n: _page(
        plan_milestones.page(ctx.session, ctx.plan.id, MilestoneFilters(), limit=n, cursor=c, by=ctx.by,
                             today=TODAY), lambda v: v.milestone.id, "views"), setup=_milestone_setup),
    Listed("support deployments", _deployment, lambda ctx, c, n: _page(
        support.page(ctx.session, SupportFilters(), limit=n, cursor=c, by=ctx.by), lambda v: v.deployment.id,
        "views")),
    Listed("the support data-quality report", _unreviewed, lambda ctx, c, n: _page(
        support_quality.page(ctx.session, limit=n, cursor=c, by=ctx.by, today=TODAY), lambda r: r.deployment.id,
        "rows")),
    Listed("groups", _group, lambda ctx, c, n: _page(
        groups.page(ctx.session, limit=n, cursor=c, by=ctx.by), lambda v: v.group.id)),
    Listed("audit events", _event, lambda ctx, c, n: _page(
        audit.page(ctx.session, AuditFilters(actor=MARKER), limit=n, cursor=c, by=ctx.by), lambda r: r.id, "rows")),
    Listed("clinics", _clinic, lambda ctx, c, n: _page(
        clinics.page(ctx.session, limit=n, cursor=c, by=ctx.by), lambda r: r.id)),
    Listed("national figures", _figure, lambda ctx, c, n: _page(
        national_figures.page(ctx.session, limit=n, cursor=c, by=ctx.by), lambda r: r.id, "rows")),
    Listed("red flags", _flagged, lambda ctx, c, n: _page(
        flags.page(ctx.session, FlagFilters(), limit=n, cursor=c, by=ctx.by, today=TODAY), lambda s: s.id),
        drop=_drop_flagged),
]


def _delete(ctx, row) -> None:  # noqa: ANN001
    with all_tenants(ctx.session):
        ctx.session.delete(row)
        ctx.session.flush()


@pytest.mark.parametrize("listed", LISTS, ids=[listed.name for listed in LISTS])
@PROPERTY_SETTINGS
@given(rows=st.lists(CHOICE, max_size=10), limit=st.integers(1, 4),
       changes=st.lists(st.lists(CHANGE, max_size=2), max_size=5))
def test_each_page_is_what_keyset_paging_promises_under_inserts_and_deletes(session, world, listed, rows, limit,
                                                                             changes):
    note(f"list={listed.name!r} limit={limit!r} rows={rows!r} changes={changes!r}")
    with rolled_back(session):
        ctx = SimpleNamespace(session=session, world=world, by=vs.officer(world.ours))
        listed.setup(ctx)
        counter = itertools.count()
        there: dict[int, tuple[Any, tuple, int]] = {}  # id: (row, key, n), the rows there now

        def insert(choice: int) -> int:
            # Rows are told apart by n, the order they were made in: SQLite gives a deleted row's id
            # to the next row when it was the highest, and that is another row.
            n = next(counter)
            row, key = listed.make(ctx, choice, n)
            there[row.id] = (row, key, n)
            return n

        originals = {insert(choice) for choice in rows}
        deleted_before_served: set[int] = set()
        served: list[int] = []  # each row's n
        last_key: tuple | None = None
        cursor: str | None = None
        for fetched in itertools.count():
            ids, next_cursor, total = listed.fetch(ctx, cursor, limit)
            after = sorted((key, row_id) for row_id, (_, key, _) in there.items() if last_key is None or key > last_key)
            expected = [row_id for _, row_id in after[:limit]]
            assert ids == expected, f"page {fetched + 1}: served {ids}, keyset paging serves {expected}"
            assert (next_cursor is not None) == (len(after) > limit), f"page {fetched + 1}: next_cursor {next_cursor}"
            assert total == len(there), f"page {fetched + 1}: total {total}, {len(there)} rows there"
            served += [there[row_id][2] for row_id in ids]
            if ids:
                last_key = there[ids[-1]][1]
            if next_cursor is None:
                break
            assert fetched < len(rows) + 2 * len(changes) + 2, "the cursors never reach the end"
            cursor = next_cursor
            for kind, value in changes[fetched] if fetched < len(changes) else []:
                if kind == "insert":
                    insert(value)
                elif there:
                    row, _, n = there.pop(sorted(there)[value % len(there)])
                    (listed.drop or _delete)(ctx, row)
                    if n not in served:
                        deleted_before_served.add(n)

        assert len(served) == len(set(served)), "a row was served twice"
        now = {n: key for _, key, n in there.values()}
        assert all(now[a] < now[b] for a, b in itertools.pairwise(n for n in served if n in now)), "out of order"
        assert originals & set(now) <= set(served), "a row there throughout was skipped"
        assert not deleted_before_served & set(served), "a row deleted before its turn was served"
