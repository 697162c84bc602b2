"""The raw baseline of the red-flag list (bench/raw_flags.py, served by bench/raw_app.py) answers exactly
the JSON the project answers, on the engine under test: the first page, a filter by severity, and every
page of a small limit by its cursors, for a small partnership whose schools trip every kind of rule, with
manual flags, overrides and a rule's settings changed. The baseline reads committed data on its own
DB-API connection, so the partnership is made in a database of this test's own."""

from datetime import date

import pytest
from alembic import command
from fastapi.testclient import TestClient

from app.db import build_engine, session_scope
from app.main import create_app
from app.models.flag import FlagRuleSetting
from app.services import flag_cache
from bench import raw_app
from tests import factories
from tests.conftest import alembic_config
from tests.flag_setup import add, judgement, manual, national, troubled_school

LIST = "/api/v1/red-flags"


@pytest.fixture
def seeded(fresh_database_url):
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = build_engine(fresh_database_url)
    with session_scope(engine=engine) as session:
        world = factories.make_world(session)
        ours = world.ours
        for n, tree in enumerate(("Yew", "Oak", "Ash", "Elm", "Fir", "Box")):
            school = troubled_school(session, ours, name=f"{tree} Primary")
            if n == 1:
                manual(session, school)
            if n == 2:
                manual(session, school, kind="override", rule="budget_deficit", severity="amber",
                       reason="The trust is covering the deficit")
            if n == 3:
                manual(session, school, kind="override", rule="la_category", severity=None, reason="Moved up")
        for n, name in enumerate(("Hazel Infant", "holly junior", "Larch Academy")):
            school = factories.make_school(session, ours, name=name, la_category="amber",
                                           establishment_type="Academy converter" if n == 2 else "Community school",
                                           headteacher_started_on=date(2026, 1, 5) if n else None)
            factories.make_indicator(session, school, measure="absence", value=6.0 + n)
            factories.make_indicator(session, school, measure="budget_balance", value=150_000.0)
            judgement(session, school, "quality_of_education", 3)
        factories.make_school(session, ours, name="Closed School", status="closed", la_category="red")
        national(session, ours, "absence", 6.5)
        add(session, FlagRuleSetting(partnership_id=ours.id, rule="attainment_below_floor", enabled=True,
                                     thresholds={"floor": 45.0}))
        add(session, FlagRuleSetting(partnership_id=ours.id, rule="triad_grade", enabled=False, thresholds={}))
        troubled_school(session, world.theirs, name="Their School")
        token = world.read_token
    yield fresh_database_url, engine, token
    engine.dispose()


def test_the_raw_baseline_answers_the_red_flag_list_as_the_project_does(seeded):
    url, engine, token = seeded
    headers = {"Authorization": f"Bearer {token}"}
    flag_cache.clear()  # another test's partnership may have had the same id
    try:
        with TestClient(create_app(engine=engine), base_url="https://testserver", headers=headers) as ours, \
                TestClient(raw_app.build_app(url), base_url="https://testserver", headers=headers) as raw:
            for path in (LIST, f"{LIST}?severity=red", f"{LIST}?severity=amber&severity=red", f"{LIST}?limit=1"):
                mine, theirs = ours.get(path), raw.get(path)
                assert mine.status_code == theirs.status_code == 200, (path, mine.text, theirs.text)
                assert theirs.json() == mine.json(), path
            first = ours.get(LIST).json()
            assert first["total"] == 9 and first["items"][0]["severity"] == "red"
            assert {f["rule"] for item in first["items"] for f in item["flags"]} >= {
                "manual", "budget_deficit", "ofsted_below_good_again", "excess_surplus", "no_improvement_plan"}
            for severity in ("", "&severity=amber"):
                cursor, pages = None, 0
                while True:
                    path = f"{LIST}?limit=2{severity}" + (f"&cursor={cursor}" if cursor else "")
                    mine, theirs = ours.get(path).json(), raw.get(path).json()
                    assert theirs == mine, path
                    cursor, pages = mine["next_cursor"], pages + 1
                    if cursor is None:
                        break
                assert pages == (mine["total"] + 1) // 2
            assert raw.get(f"{LIST}?category=finance").status_code == 400  # not served: refused, not ignored
            assert raw.get(LIST, headers={"Authorization": "Bearer sp_nonsense"}).status_code == 401
    finally:
        flag_cache.clear()
