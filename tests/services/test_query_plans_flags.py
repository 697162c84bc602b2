"""The red flags' reads, on the engine under test (the style of test_query_plans.py): each finds the
partnership's rows through an index led by the partnership (or the school), never by scanning a
table of every partnership's rows; the review judgements' latest year is grouped once, not
looked up row by row."""

import re

import pytest

from app.services import flags
from tests import factories
from tests.flag_setup import TODAY, manual, national, principal, troubled_school
from tests.services.test_query_plans import plans

_TABLES = ("school", "inspection", "indicator", "national_figure", "triad_visit", "clinic_action", "review_judgement",
           "manual_flag", "flag_rule_setting", "partnership")
_SQLITE_FULL_SCAN = re.compile(rf"^SCAN ({'|'.join(_TABLES)})\b")


def assert_indexed(found) -> None:
    for statement, steps in found:
        for step in steps:
            assert not _SQLITE_FULL_SCAN.match(step), f"full scan: {step}\n{statement}"
            assert not step.startswith("Seq Scan"), f"full scan: {step}\n{statement}"
            assert "CORRELATED" not in step, f"a subquery run for each row: {step}\n{statement}"


def populate(session, partnership, count: int) -> None:
    for n in range(count):
        school = troubled_school(session, partnership, name=f"School {n}")
        manual(session, school)
    national(session, partnership, "absence", 5.0)


def test_a_partnerships_flags_are_read_by_index(session, engine, world):
    populate(session, world.ours, 6)
    populate(session, world.theirs, 6)
    officer = principal(session, world.ours)
    found = plans(session, engine, lambda: flags.current(session, by=officer, today=TODAY))
    assert len(found) >= 9
    assert_indexed(found)


def test_some_schools_flags_are_read_by_index_too(session, engine, world):
    populate(session, world.ours, 6)
    school = factories.make_school(session, world.ours)
    officer = principal(session, world.ours)
    found = plans(session, engine, lambda: flags.current(session, by=officer, school_ids=[school.id], today=TODAY))
    assert_indexed(found)


def test_a_few_schools_are_looked_up_by_their_own_index_not_the_partnerships(session, engine, world):
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses between the indexes by its statistics")
    populate(session, world.ours, 6)
    school = troubled_school(session, world.ours, name="The one asked for")
    officer = principal(session, world.ours)
    found = plans(session, engine, lambda: flags.current(session, by=officer, school_ids=[school.id], today=TODAY))
    by_table = {t: steps for t in ("school", "inspection", "indicator", "triad_visit", "review_judgement")
                for statement, steps in found if re.search(rf"\bFROM {t}\b", statement)}
    assert set(by_table) == {"school", "inspection", "indicator", "triad_visit", "review_judgement"}
    for table, steps in by_table.items():
        assert not any(f"ix_{table}_partnership_id" in step for step in steps), (table, steps)
        assert any(step.startswith(f"SEARCH {table}") for step in steps), (table, steps)
