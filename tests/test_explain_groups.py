"""The plans of the groups' statements, on the engine under test: the list's page, count, schools,
targets and stages, and a dashboard's reads. None scans a table; the list's page is read in the
order of its (partnership, name, id) index, not sorted; a group's members, figures and support are
found from the group, not by reading the partnership.

The partnership's figure (the whole partnership as if one school) reads the year's figures of the
partnership by design: it is checked to come through the partnership's index, not a scan of every
partnership's. On PostgreSQL the planner is told to avoid scans and sorts (as
tests/test_explain_peer_review.py does), so one left in means no index could serve the query."""

import re

import pytest

from app.models.group_api import GroupCreate
from app.services import group_dashboard, groups
from bench.query_plans import captured, explain
from tests import factories, flag_setup
from tests.support_setup import make_deployment

YEAR = "2025/26"
TABLES = ("school_group", "school_group_member", "group_target", "group_stage", "route_map", "school", "indicator",
          "support_deployment", "national_figure", "partnership")
SQLITE_SCAN = re.compile(rf"^SCAN ({'|'.join(TABLES)})\b")
PG_SCAN = re.compile(rf"^Seq Scan on ({'|'.join(TABLES)})\b")
PAGE = re.compile(r"\bORDER BY\b.*\bLIMIT\b", re.S)


@pytest.fixture
def setting(session, world):
    officer = flag_setup.principal(session, world.ours)
    made = []
    for n in range(4):
        schools = [factories.make_school(session, world.ours, pupils=100 + i) for i in range(5)]
        for school in schools:
            factories.make_indicator(session, school, measure="attainment", academic_year=YEAR, value=60.0 + n)
            make_deployment(session, school, academic_year=YEAR)
        made.append(groups.create(session, GroupCreate.model_validate({
            "name": f"Alliance {n}", "kind": "alliance", "schools": [s.urn for s in schools],
            "targets": [{"measure": "m", "baseline": 1, "target": 2, "target_on": "2027-01-01"}],
            "stage": {"stage": "emerging", "reached_on": "2025-09-01"}}), by=officer))
    flag_setup.national(session, world.ours, "attainment", 61.0, YEAR)
    return officer, made


def _plans(session, engine, work) -> list[dict]:
    work()
    with captured(engine) as seen:
        work()
    postgresql = engine.dialect.name == "postgresql"
    found = []
    for statement, parameters in seen:
        plan = explain(session, statement, parameters, force_index=postgresql)
        plan["statement"] = " ".join(statement.split())
        scan = PG_SCAN if postgresql else SQLITE_SCAN
        plan["scans"] = [step for step in plan["steps"] if scan.match(step)]
        found.append(plan)
    return found


def test_the_list_scans_nothing_and_reads_its_page_in_index_order(session, engine, setting):
    officer, _ = setting
    first = groups.page(session, limit=2, by=officer)
    plans = _plans(session, engine, lambda: groups.page(session, limit=2, cursor=first.next_cursor, by=officer))
    assert len(plans) >= 5
    for plan in plans:
        assert not plan["scans"], f"{plan['scans']}\n{plan['statement']}"
    page = [plan for plan in plans if "FROM school_group " in plan["statement"] and PAGE.search(plan["statement"])]
    assert page, [plan["statement"] for plan in plans]
    for plan in page:
        assert not plan["sorts"], f"sorted page: {plan['sorts']}\n{plan['statement']}"


def test_the_dashboard_scans_nothing(session, engine, setting):
    officer, made = setting
    group_id = made[0].group.id
    plans = _plans(session, engine, lambda: group_dashboard.dashboard(session, group_id, year=YEAR, by=officer))
    for plan in plans:
        assert not plan["scans"], f"{plan['scans']}\n{plan['statement']}"
    if engine.dialect.name == "sqlite":
        # The group's own figures are found school by school, from its members.
        figures = next(p for p in plans if "JOIN indicator" in p["statement"])
        assert any(re.match(r"^SEARCH indicator USING INDEX \w+ \(school_id=\?", s) for s in figures["steps"]), \
            figures["steps"]
