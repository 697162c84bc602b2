"""/my-milestones (issue 9): what is due next for the lead role codes the signed-in person holds,
across the plans not closed: overdue first, then by due date, the ongoing last; complete ones and
closed plans left out; each linked to its plan; a person holding no code is told whom to ask; paged
with a "show all"; a constant number of statements whatever the number."""

import re
from datetime import timedelta

from app.models.account import Role
from app.models.action_plan_api import MilestoneCreate
from app.services import accounts, plan_milestones
from tests import factories
from tests.plan_web_setup import TODAY, build_plan, hold
from tests.web.conftest import sign_in


def test_what_is_due_next_for_my_codes_overdue_first(client, session, world):
    live = build_plan(session, world.ours, title="Live plan", priorities=2, actions=2, milestones=3)
    build_plan(session, world.ours, title="Closed plan", priorities=1, actions=1, milestones=2, status="closed")
    by = accounts.operator(world.ours)
    # Another overdue one under action 1.1 (HSI), older; and one complete, which is not due.
    plan_milestones.add(session, live.action_ids[0], MilestoneCreate(
        description="Long overdue audit", due_on=TODAY - timedelta(days=30), status="at_risk"), by=by)
    plan_milestones.add(session, live.action_ids[0], MilestoneCreate(
        description="Finished already", due_on=TODAY - timedelta(days=40), status="complete"), by=by)
    head = factories.make_user(session, world.ours, Role.viewer.value)
    hold(session, world.ours, head, "HSI")
    sign_in(client, head.email)
    page = client.get("/my-milestones")
    assert page.status_code == 200
    html = page.text
    assert '<abbr title="Head of School Improvement">HSI</abbr>' in html
    shown = re.findall(r'#milestone-\d+">([^<]+)</a>', html)
    # Action 1.1's: the two overdue (oldest first), due today, then the ongoing one; nothing led by others.
    assert shown == ["Long overdue audit", "Overdue visits", "Due today report", "Milestone 1.1.3"]
    assert html.count('app-overdue">Overdue') == 2
    assert "Closed plan" not in html and "Finished already" not in html
    assert f'href="/action-plans/{live.plan_id}?open={live.priority_ids[0]}#milestone-' in html
    assert "Action 1.1: Action text 1.1" in html


def test_someone_holding_no_code_is_told_whom_to_ask(client, session, world):
    build_plan(session, world.ours, priorities=1, actions=1, milestones=1)
    sign_in(client, world.viewer.email)
    page = client.get("/my-milestones")
    assert page.status_code == 200
    assert "You hold no lead role" in page.text and "people settings page" in page.text
    assert f"Ask {world.officer.name}" in page.text
    assert 'href="/settings/people"' not in page.text  # a viewer cannot open it


def test_paged_with_a_show_all(signed_in, session, world):
    hold(session, world.ours, world.officer, "SIM")
    build_plan(session, world.ours, priorities=3, actions=4, milestones=3)  # SIM leads 11 actions: 33
    first = signed_in.get("/my-milestones")
    assert "33 milestones, page 1 of 2" in first.text and len(re.findall(r'#milestone-\d+">', first.text)) == 25
    second = signed_in.get("/my-milestones?page=2")
    assert len(re.findall(r'#milestone-\d+">', second.text)) == 8
    everything = signed_in.get("/my-milestones?page=all")
    assert len(re.findall(r'#milestone-\d+">', everything.text)) == 33
    past = signed_in.get("/my-milestones?page=9")  # past the end (a bookmark from before): the last page
    assert past.status_code == 200 and "33 milestones, page 2 of 2" in past.text
    assert re.findall(r'#milestone-\d+">', past.text) == re.findall(r'#milestone-\d+">', second.text)
    bad = signed_in.get("/my-milestones?page=seven")
    assert bad.status_code == 400 and "That page link is out of date" in bad.text


def test_the_page_reads_a_constant_number_of_statements(signed_in, session, world, count_statements):
    hold(session, world.ours, world.officer, "HSI")
    build_plan(session, world.ours, priorities=1, actions=1, milestones=1)

    def statements() -> int:
        with count_statements() as counter:
            assert signed_in.get("/my-milestones?page=all").status_code == 200
        return counter.count

    few = statements()
    for n in range(4):
        build_plan(session, world.ours, title=f"Plan {n}", priorities=3, actions=2, milestones=3)
    assert statements() == few
