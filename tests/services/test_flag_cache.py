"""The kept order of a partnership's flagged schools (app.services.flag_cache) and the stamp that
keeps it honest: on committed data in a database of this module's own, read as a request reads
(a read-only session), written as requests and imports write (ORM and Core, committed).

A flag must change as soon as its data does, whichever table the change is in and however it is
written; a kept order must page exactly as one worked out afresh."""

from collections.abc import Iterator
from datetime import date

import pytest
from alembic import command
from sqlalchemy import delete, inspect, text, update

from app.db import all_tenants, build_engine, new_session, session_scope
from app.models.flag import FLAG_INPUT_TABLES
from app.models.indicator import Indicator
from app.models.partnership import Partnership
from app.models.school import School
from app.services import flag_cache, flags
from app.services.flags import FlagFilters
from tests import factories
from tests.conftest import alembic_config
from tests.flag_setup import TODAY, principal, troubled_school


@pytest.fixture
def engine(fresh_database_url) -> Iterator:
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = build_engine(fresh_database_url)
    flag_cache.clear()
    yield engine
    flag_cache.clear()
    engine.dispose()


@pytest.fixture
def setting(engine) -> dict:
    """Two partnerships; ours with eight troubled schools and one untroubled, committed."""
    with session_scope(engine=engine) as session:
        world = factories.make_world(session)
        schools = [troubled_school(session, world.ours, name=f"School {n:02d}") for n in range(8)]
        troubled_school(session, world.theirs, name="Their school")
        officer = principal(session, world.ours)
        ids = {"ours": world.ours.id, "theirs": world.theirs.id, "schools": [s.id for s in schools],
               "urns": [s.urn for s in schools], "plain": world.our_school.id}
    ids["officer"] = officer
    return ids


def stamp(engine, partnership_id: int) -> int:
    with new_session(write=False, engine=engine) as session:
        return flag_cache.stamp(session, partnership_id)


def read_page(engine, by, filters: FlagFilters | None = None, *, limit: int = 3, cursor: str | None = None,
              write: bool = False):
    with new_session(write=write, engine=engine) as session:
        found = flags.page(session, filters or FlagFilters(), limit=limit, cursor=cursor, by=by, today=TODAY)
        return [(s.urn, s.severity, [(f.rule, f.severity, f.reason) for f in s.flags]) for s in found.items], \
            found.total, found.next_cursor


def every_page(engine, by, filters: FlagFilters | None = None, *, write: bool = False) -> list:
    pages, cursor = [], None
    while True:
        items, total, cursor = read_page(engine, by, filters, cursor=cursor, write=write)
        pages.append((items, total))
        if cursor is None:
            return pages


def test_every_table_the_rules_read_has_a_trigger_for_each_change(engine):
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(text("SELECT event_object_table, event_manipulation FROM "
                                     "information_schema.triggers WHERE trigger_name LIKE 'flag_stamp_%'"))
        else:
            rows = conn.execute(text("SELECT tbl_name, upper(substr(name, length('flag_stamp_' || tbl_name) + 2)) "
                                     "FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'flag_stamp_%'"))
        found = {(table, event.upper()) for table, event in rows}
    settle = {("flag_stamp_pending", "INSERT")} if engine.dialect.name == "postgresql" else set()  # at commit
    assert found == {(t, e) for t in FLAG_INPUT_TABLES for e in ("INSERT", "UPDATE", "DELETE")} | settle
    assert set(FLAG_INPUT_TABLES) <= set(inspect(engine).get_table_names())


def test_each_kind_of_write_moves_the_stamp_of_its_own_partnership_only(engine, setting):
    ours, theirs = setting["ours"], setting["theirs"]
    before = stamp(engine, ours), stamp(engine, theirs)
    assert before[0] > 0 and before[1] > 0  # the setting's own writes moved them
    writes = [
        update(Indicator).where(Indicator.partnership_id == ours).values(source="Restated"),  # Core, many rows
        update(School).where(School.id == setting["schools"][0]).values(la_category="amber"),
        delete(Indicator).where(Indicator.school_id == setting["schools"][1], Indicator.measure == "attainment"),
        update(Partnership).where(Partnership.id == ours).values(grade_labels=["A", "B", "C", "D"]),
    ]
    for statement in writes:
        with session_scope(engine=engine) as session, all_tenants(session):
            session.execute(statement)
        after = stamp(engine, ours)
        assert after > before[0], statement
        before = after, before[1]
    with session_scope(engine=engine) as session, all_tenants(session):  # the ORM's insert
        school = session.get(School, setting["schools"][2])
        factories.make_indicator(session, school, measure="absence", academic_year="2025/26", value=9.0)
    assert stamp(engine, ours) > before[0]
    assert stamp(engine, theirs) == before[1]


def test_a_rolled_back_write_leaves_the_stamp_where_it_was(engine, setting):
    ours = setting["ours"]
    before = stamp(engine, ours)
    session = new_session(write=True, engine=engine)
    with all_tenants(session):
        session.execute(update(School).where(School.partnership_id == ours).values(la_category=None))
    session.rollback()
    session.close()
    assert stamp(engine, ours) == before


def test_a_kept_order_pages_exactly_as_one_worked_out_afresh(engine, setting):
    by = setting["officer"]
    for filters in (None, FlagFilters(severity=["amber"]), FlagFilters(category=["finance", "network"])):
        afresh = every_page(engine, by, filters, write=True)  # a writing session never keeps the order
        first = every_page(engine, by, filters)  # works it out, and keeps it
        kept = every_page(engine, by, filters)  # pages from the kept order
        assert first == afresh == kept
        assert sum(len(items) for items, _ in afresh) == afresh[0][1] >= 8


def test_the_kept_order_is_used_until_the_data_changes(engine, setting, monkeypatch):
    by = setting["officer"]
    worked_out: list[int] = []
    evaluate = flags._evaluate

    def counting(session, **kwargs):  # noqa: ANN001, ANN003, ANN202
        found = evaluate(session, **kwargs)
        worked_out.append(len(found))
        return found

    monkeypatch.setattr(flags, "_evaluate", counting)
    read_page(engine, by)
    read_page(engine, by)
    assert worked_out == [9, 3]  # every school once; then only the page's three
    worked_out.clear()

    with session_scope(engine=engine) as session, all_tenants(session):  # a deficit cleared
        session.execute(update(Indicator).where(Indicator.school_id.in_(setting["schools"]),
                                                Indicator.measure == "budget_balance").values(value=5000.0))
    items, _, _ = read_page(engine, by, limit=50)
    assert worked_out == [9]
    assert all(rule != "budget_deficit" for _, _, found in items for rule, _, _ in found)


def test_a_new_day_works_the_flags_out_again(engine, setting):
    by = setting["officer"]
    with new_session(write=False, engine=engine) as session:
        flags.page(session, FlagFilters(), by=by, today=TODAY)
        key = (flag_cache.stamp(session, setting["ours"]), TODAY)
        assert flag_cache.get(setting["ours"], key) is not None
        assert flag_cache.get(setting["ours"], (key[0], date(2026, 11, 27))) is None


def test_a_writing_session_neither_uses_nor_fills_the_cache(engine, setting):
    by = setting["officer"]
    read_page(engine, by, write=True)
    with new_session(write=False, engine=engine) as session:
        key = (flag_cache.stamp(session, setting["ours"]), TODAY)
    assert flag_cache.get(setting["ours"], key) is None
    with new_session(write=True, engine=engine) as session:
        assert not flag_cache.usable(session)


def test_a_headteacher_sees_only_their_school_whatever_is_kept(engine, setting):
    read_page(engine, setting["officer"])  # the whole partnership's order kept
    with session_scope(engine=engine) as session, all_tenants(session):
        school = session.get(School, setting["schools"][3])
        partnership = session.get(Partnership, setting["ours"])
        head = principal(session, partnership, "headteacher", school=school)
    items, total, _ = read_page(engine, head, limit=50)
    assert total == 1 and [urn for urn, _, _ in items] == [setting["urns"][3]]



def test_writers_in_one_partnership_do_not_wait_for_each_other_on_the_stamp(engine, setting):
    # PostgreSQL moves the stamp as each transaction commits (a deferred trigger), so the stamp's
    # row is never held while a transaction is still open; SQLite's writers take turns anyway.
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers take turns for the whole database")
    ours, (first_id, second_id) = setting["ours"], setting["schools"][:2]
    before = stamp(engine, ours)
    with engine.connect() as first, engine.connect() as second:
        first.begin()
        first.execute(update(School).where(School.id == first_id).values(la_category="amber"))
        second.begin()
        second.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting on the stamp would fail here
        second.execute(update(School).where(School.id == second_id).values(la_category="amber"))
        second.commit()
        assert stamp(engine, ours) == before + 1
        first.commit()
    assert stamp(engine, ours) == before + 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM flag_stamp_pending")).scalar() == 0


def test_a_transaction_of_many_statements_notes_its_partnership_once(engine, setting):
    """psycopg runs executemany one statement a row: each noted its partnership again, and the
    commit settled every note with a scan of them all (16,000 rows took 17 s to commit). A
    transaction now notes a partnership once, however many statements it runs."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite moves the stamp in row triggers; it has no notes to settle")
    ours, theirs = setting["ours"], setting["theirs"]
    before = stamp(engine, ours), stamp(engine, theirs)
    rows = [{"id": school_id, "category": f"c{n}"} for n, school_id in enumerate(setting["schools"] * 25)]
    with engine.connect() as conn:
        conn.begin()
        conn.execute(text("UPDATE school SET la_category = :category WHERE id = :id"), rows)  # 200 statements
        conn.execute(text("UPDATE school SET la_category = 'x' WHERE partnership_id = :p"), {"p": theirs})
        notes = conn.execute(text("SELECT partnership_id, count(*) FROM flag_stamp_pending GROUP BY 1")).all()
        assert sorted(notes) == sorted([(ours, 1), (theirs, 1)])
        conn.commit()
    assert (stamp(engine, ours), stamp(engine, theirs)) == (before[0] + 1, before[1] + 1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM flag_stamp_pending")).scalar() == 0


def test_a_kept_order_is_worked_out_afresh_after_a_while_whatever_the_stamp(engine, setting, monkeypatch):
    by = setting["officer"]
    read_page(engine, by)
    with new_session(write=False, engine=engine) as session:
        key = (flag_cache.stamp(session, setting["ours"]), TODAY)
    assert flag_cache.get(setting["ours"], key) is not None
    monkeypatch.setattr(flag_cache, "KEEP_FOR_SECONDS", -1.0)
    assert flag_cache.get(setting["ours"], key) is None
    flag_cache.put(setting["ours"], (key[0] - 1, TODAY), [])  # an older stamp replaces an expired order
    monkeypatch.setattr(flag_cache, "KEEP_FOR_SECONDS", 900.0)
    assert flag_cache.get(setting["ours"], (key[0] - 1, TODAY)) is not None
    flag_cache.put(setting["ours"], (key[0] - 2, TODAY), [])  # but not one still fresh
    assert flag_cache.get(setting["ours"], (key[0] - 2, TODAY)) is None
