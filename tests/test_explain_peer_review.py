"""The plans of the peer-review lists (collaboratives, triads, visits, a triad's visits, audit
events) on generated data, on the engine under test: a fresh database filled by the generator at
small scale (two partnerships of 100 and 60 schools, their collaboratives, triads, visit records,
actions and audit events), then each list's statements explained as bench/query_plans.py does at
national size (it reads the plans the same way; see its docstring for what is flagged).

On PostgreSQL the planner is told to avoid scans and sorts (as tests/services/test_query_plans.py
does): a few hundred rows would make a scan the cheapest plan, so one left in means that no index
could serve the query."""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import build_engine, session_scope
from app.services import generate
from bench.query_plans import TABLES, list_works, newest_triad, plans_of, principal_for, problems
from tests.conftest import DATABASE_URL, alembic_config

LISTS = [
    "collaboratives",
    "collaboratives page 2",
    "collaboratives of a year",
    "triads",
    "triads page 2",
    "triads of a year",
    "visits",
    "visits page 2",
    "visits of a year",
    "visits submitted",
    "triad's visits",
    "audit events",
    "audit events page 2",
    "audit events of a table",
]
# The page's schools and actions are looked up by `... IN (the page's ids) AND partnership_id = ?`.
# Without statistics SQLite took the index on partnership_id alone for that (one equality, which it
# guesses more selective than fifty) and read every row of the partnership: at national size 21 ms
# for a page of visits' actions, 4 ms for a page of triads' schools. The indexes led by
# (partnership_id, visit_id) and (partnership_id, triad_id / collaborative_id) serve it now.
# The audit trail is read newest first by id; on PostgreSQL no index served `partnership_id = ?
# ORDER BY id DESC` (the planner walked pk_audit_event backwards keeping the partnership's events)
# until ix_audit_event_partnership_order (partnership_id, id).
FROM = re.compile(r"\bFROM (\w+)")


@contextmanager
def _fresh_url(tmp_path_factory) -> Iterator[str]:
    url = make_url(DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('explain') / 'explain.db'}"
        return
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A database of its own, migrated and generated at small scale (the slugs and tokens)."""
    from alembic import command

    with _fresh_url(tmp_path_factory) as url:
        command.upgrade(alembic_config(url), "head")
        engine = build_engine(url)
        try:
            with session_scope(engine=engine) as session:
                result = generate.generate(session, "small")
            if engine.dialect.name == "postgresql":
                with engine.begin() as conn:
                    for table in TABLES:
                        conn.execute(text(f"ANALYZE {table}"))
            yield engine, result
        finally:
            engine.dispose()


def _plans(generated, name: str) -> list[tuple[str, list]]:
    """Each partnership's plans of the list `name`."""
    engine, result = generated
    found = []
    for partnership in result.partnerships:
        with Session(engine) as session:
            by = principal_for(session, partnership.token)
            work = list_works(session, by, newest_triad(session, by.partnership_id))[name]
            found.append(
                (partnership.slug, plans_of(session, engine, work, force_index=engine.dialect.name == "postgresql"))
            )
            session.rollback()
    return found


@pytest.mark.parametrize("name", LISTS)
def test_no_list_scans_a_table_or_sorts_its_page(generated, name):
    for slug, plans in _plans(generated, name):
        assert plans, f"{slug}: {name} ran no SELECT"
        for plan in plans:
            assert not plan["full_scans"], f"{slug}: {name}: {plan['full_scans']}\n{plan['statement']}"
            if plan["pages_in_order"]:
                assert not plan["sorts"], f"{slug}: {name}: sorted page {plan['sorts']}\n{plan['statement']}"


@pytest.mark.parametrize("name", LISTS)
def test_each_page_is_found_through_an_index_led_by_the_partnership(generated, name, request):
    """Not by walking a whole index (on PostgreSQL: the primary key, newest first, keeping the
    partnership's rows), which costs what lies before the partnership's newest rows."""
    if name.startswith("audit events") and generated[0].dialect.name == "postgresql":
        # On this small data PostgreSQL still finds the primary key's walk cheapest (one partnership
        # holds most events); whether it takes ix_audit_event_partnership_order at national size is
        # for bench/query_plans.py to show.
        request.applymarker(pytest.mark.xfail(strict=False, reason="planner's choice on small data"))
    for slug, plans in _plans(generated, name):
        pages = [plan for plan in plans if plan["pages_in_order"]]
        assert pages, f"{slug}: {name}: no page read: {[plan['statement'] for plan in plans]}"
        for page in pages:  # a second page's list reads the first page too
            table = FROM.search(page["statement"]).group(1)
            walks = [step for step in page["index_walks"] if f" on {table} " in step]
            assert not walks, f"{slug}: {name}: {walks}\n{page['statement']}"


@pytest.mark.parametrize("name", LISTS)
def test_a_pages_schools_and_actions_are_found_by_their_records_not_by_reading_the_partnership(
    generated, name, request
):
    if generated[0].dialect.name == "postgresql":
        pytest.skip(
            "PostgreSQL weighs the two indexes by their statistics; on a few hundred rows either is "
            "cheap, so the plan says nothing (bench/query_plans.py reads it at national size)"
        )
    for slug, plans in _plans(generated, name):
        wrong = problems(plans)
        assert not wrong, f"{slug}: {name}:\n" + "\n".join(wrong)
