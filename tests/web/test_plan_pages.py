"""The action plans' pages (issue 9): the list with roll-ups and the schools that need a plan, a
plan's page (collapsible priorities, leads with their titles, Overdue on every overdue milestone, a
filter as a plain link and in place), a milestone's status changed in place (htmx fragment and the
no-JavaScript redirect, a stale version, holder / non-holder / officer / viewer), another
partnership's plan, CSRF, and a statement count that does not grow with the plan."""

import re

import pytest
from sqlmodel import select

from app.db import all_tenants
from app.models.account import Role
from app.models.action_plan import PlanMilestone
from app.models.flag import ReviewJudgement
from tests import factories
from tests.flag_setup import add
from tests.plan_web_setup import build_plan, hold
from tests.web.conftest import csrf_from, sign_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def built(session, world):
    return build_plan(session, world.ours)


def milestone(session, milestone_id: int) -> PlanMilestone:
    with all_tenants(session):
        session.expire_all()
        return session.scalars(select(PlanMilestone).where(PlanMilestone.id == milestone_id)).one()


def row_of(html: str, milestone_id: int) -> str:
    start = html.index(f'id="milestone-{milestone_id}"')
    return html[start:html.index("</tr>", start)]


def post_status(client, built, name: str, *, status: str, evidence: str = "", version: int | None = None,
                headers: dict | None = None, session=None):
    page = client.get(f"/action-plans/{built.plan_id}")
    mid = built.milestone_ids[name]
    if version is None:
        version = int(re.search(r'name="version" value="(\d+)"', row_of(page.text, mid)).group(1))
    data = {"csrf_token": csrf_from(page.text), "version": str(version), "status": status, "evidence": evidence}
    return client.post(f"/milestones/{mid}", data=data, headers=headers or {}, follow_redirects=False)


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_each_plan_with_its_roll_up(signed_in, session, world, built):
    build_plan(session, world.ours, title="Last year's plan", priorities=1, actions=1, milestones=1, status="closed")
    page = signed_in.get("/action-plans")
    assert page.status_code == 200
    assert "Raising standards 2025 to 2027" in page.text and "Last year&#39;s plan" in page.text
    row = page.text[page.text.index("Raising standards 2025 to 2027"):]
    row = row[:row.index("</tr>")]
    # 2 priorities x 2 actions x 2 milestones: one overdue, one off track (due today), six on track.
    assert "1 off track" in row and "7 on track" in row and "1 overdue" in row and "Worst: Off track" in row
    assert 'href="/action-plans/new"' in page.text and 'href="/action-plans/import"' in page.text
    closed = signed_in.get("/action-plans?status=closed")
    assert "Last year&#39;s plan" in closed.text and "Raising standards" not in closed.text
    fragment = signed_in.get("/action-plans?status=closed", headers=HTMX)
    assert fragment.text.lstrip().startswith('<section id="plans"')
    bad = signed_in.get("/action-plans?status=sideways")
    assert bad.status_code == 400 and 'id="filter-plan-status-error"' in bad.text


def test_schools_judged_3_or_4_without_an_active_plan_are_listed_with_a_start_link(signed_in, session, world):
    ash = factories.make_school(session, world.ours, name="Ash Primary")
    elm = factories.make_school(session, world.ours, name="Elm Primary")
    for school in (ash, elm):
        add(session, ReviewJudgement(partnership_id=world.ours.id, school_id=school.id, academic_year="2025/26",
                                     strand="overall_effectiveness", partner_grade=4 if school is ash else 3))
    build_plan(session, world.ours, title="Elm's RAP", priorities=1, actions=1, milestones=1, urn=elm.urn)
    page = signed_in.get("/action-plans")
    aside = page.text[page.text.index('id="needing-title"'):]
    assert f'href="/schools/{ash.urn}"' in aside and "Judged 4" in aside
    assert f'href="/action-plans/new?urn={ash.urn}"' in aside
    assert "Elm Primary" not in aside
    start = signed_in.get(f"/action-plans/new?urn={ash.urn}")
    assert start.status_code == 200 and f'value="{ash.urn}"' in start.text


def test_a_viewer_sees_no_forms_and_is_refused(client, session, world, built):
    sign_in(client, world.viewer.email)
    listing = client.get("/action-plans")
    assert listing.status_code == 200 and 'href="/action-plans/new"' not in listing.text
    page = client.get(f"/action-plans/{built.plan_id}")
    assert page.status_code == 200
    assert 'action="/milestones/' not in page.text and "/edit" not in page.text
    assert client.get("/action-plans/new").status_code == 403
    assert client.get(f"/action-plans/{built.plan_id}/edit").status_code == 403
    token = csrf_from(listing.text)
    mid = built.milestone_ids["Overdue visits"]
    refused = client.post(f"/milestones/{mid}", data={"csrf_token": token, "version": "1", "status": "complete"})
    assert refused.status_code == 403
    assert client.post("/action-plans", data={"csrf_token": token, "title": "Mine"}).status_code == 403
    assert milestone(session, mid).status == "on_track"


# --- a plan's page --------------------------------------------------------------------------------


def test_the_plan_page_shows_priorities_actions_milestones_and_measures(signed_in, built):
    page = signed_in.get(f"/action-plans/{built.plan_id}")
    html = page.text
    assert page.status_code == 200
    assert "<h1 class=\"govuk-heading-l\">Raising standards 2025 to 2027</h1>" in html
    assert "Priority 1: Priority title 1" in html and "Priority 2: Priority title 2" in html
    assert "Action 1.1" in html and "Action 2.2" in html
    assert '<abbr title="Head of School Improvement">HSI</abbr>' in html
    assert '<abbr title="Strategic Information Manager">SIM</abbr> / <abbr title="Director' in html
    assert "What success will look like" in html and "Success statement 1" in html
    assert "Progress at key stage 2" in html
    assert "KS2 indicators in the top 50% of LAs" in html and "Bottom 25%" in html and "Top 60%" in html
    assert f'href="/action-plans/{built.plan_id}/export.csv"' in html
    # Priority 1 (an overdue and an off-track milestone) starts open; priority 2 (all on track) closed.
    assert re.search(rf'id="priority-{built.priority_ids[0]}" open', html)
    assert not re.search(rf'id="priority-{built.priority_ids[1]}" open', html)
    # Overdue on the overdue milestone only; due today is not overdue; no date is "Ongoing".
    assert html.count('app-overdue">Overdue') == 1
    assert 'app-overdue">Overdue' in row_of(html, built.milestone_ids["Overdue visits"])
    assert "Overdue" not in row_of(html, built.milestone_ids["Due today report"])
    assert "govuk-tag--red\">Off track" in row_of(html, built.milestone_ids["Due today report"])
    # Roll-ups of the plan and of each priority.
    plan_rollup = html[html.index('id="plan-rollup"'):]
    plan_rollup = plan_rollup[:plan_rollup.index("</dd>")]
    assert "1 overdue" in plan_rollup and "7 on track" in plan_rollup
    second = html[html.index(f'id="priority-{built.priority_ids[1]}-rollup"'):]
    second = second[:second.index("</p>")]
    assert "4 on track" in second and "overdue" not in second and "Worst: On track" in second


def test_a_milestone_with_no_date_is_ongoing(signed_in, session, world):
    made = build_plan(session, world.ours, priorities=1, actions=2, milestones=3)
    html = signed_in.get(f"/action-plans/{made.plan_id}").text
    assert ">Ongoing<" in row_of(html, made.milestone_ids["Milestone 1.2.3"])


def test_the_overdue_filter_as_a_link_and_in_place(signed_in, built):
    plain = signed_in.get(f"/action-plans/{built.plan_id}?overdue=1")
    assert plain.status_code == 200 and "<html" in plain.text
    assert f'id="milestone-{built.milestone_ids["Overdue visits"]}"' in plain.text
    assert plain.text.count('<tr class="govuk-table__row app-milestone--overdue"') == 1
    assert "Due today report" not in plain.text and "Milestone 2.1.1" not in plain.text
    assert "1 of 8 milestones, overdue" in plain.text
    fragment = signed_in.get(f"/action-plans/{built.plan_id}?overdue=1", headers=HTMX)
    assert fragment.text.lstrip().startswith('<section id="priorities"')
    assert "Overdue visits" in fragment.text and "Due today report" not in fragment.text
    assert "<html" not in fragment.text
    off = signed_in.get(f"/action-plans/{built.plan_id}?status=off_track")
    assert "Due today report" in off.text and "Overdue visits" not in off.text
    everything = signed_in.get(f"/action-plans/{built.plan_id}?status=&overdue=")
    assert "Due today report" in everything.text and "Overdue visits" in everything.text
    bad = signed_in.get(f"/action-plans/{built.plan_id}?status=purple")
    assert bad.status_code == 400 and 'id="filter-status-error"' in bad.text
    assert signed_in.get(f"/action-plans/{built.plan_id}?overdue=maybe").status_code == 400


# --- a milestone's status in place ------------------------------------------------------------------


def test_an_officer_changes_a_status_in_place_with_htmx(signed_in, session, built):
    mid = built.milestone_ids["Overdue visits"]
    answer = post_status(signed_in, built, "Overdue visits", status="complete",
                         evidence="All 12 schools visited; notes on the shared drive", headers=HTMX)
    assert answer.status_code == 200, answer.text
    assert answer.text.lstrip().startswith(f'<tr class="govuk-table__row" id="milestone-{mid}"')
    assert "govuk-tag--blue\">Complete" in answer.text and "All 12 schools visited" in answer.text
    assert "app-overdue" not in row_of(answer.text, mid)
    # The priority's and the plan's roll-ups come with it, out of band, and the banner.
    assert f'id="priority-{built.priority_ids[0]}-rollup" hx-swap-oob="true"' in answer.text
    assert 'id="plan-rollup" hx-swap-oob="true"' in answer.text
    assert 'id="app-banner" hx-swap-oob="true"' in answer.text
    stored = milestone(session, mid)
    assert (stored.status, stored.evidence) == ("complete", "All 12 schools visited; notes on the shared drive")
    assert stored.version == 2


def test_without_javascript_the_change_redirects_back_to_the_plan(signed_in, session, built):
    mid = built.milestone_ids["Due today report"]
    answer = post_status(signed_in, built, "Due today report", status="at_risk", evidence="Data late from DfE")
    assert answer.status_code == 303
    assert answer.headers["location"] == (f"/action-plans/{built.plan_id}?open={built.priority_ids[0]}"
                                          f"#milestone-{mid}")
    page = signed_in.get(answer.headers["location"])
    assert "now “At risk”" in page.text
    assert "govuk-tag--orange\">At risk" in row_of(page.text, mid) and "Data late from DfE" in page.text


def test_a_stale_version_shows_the_current_values_and_keeps_what_was_typed(signed_in, session, world, built):
    mid = built.milestone_ids["Overdue visits"]
    page = signed_in.get(f"/action-plans/{built.plan_id}")
    token = csrf_from(page.text)
    first = signed_in.post(f"/milestones/{mid}", data={"csrf_token": token, "version": "1", "status": "at_risk",
                                                         "evidence": "Two visits moved to January"},
                           follow_redirects=False)
    assert first.status_code == 303
    for headers in (HTMX, {}):
        stale = signed_in.post(f"/milestones/{mid}", headers=headers, follow_redirects=False,
                               data={"csrf_token": token, "version": "1", "status": "complete",
                                     "evidence": "Everything done, I think"})
        assert stale.status_code == 409
        row = row_of(stale.text, mid)
        assert "changed by someone else since you read it" in row
        assert "it is now “At risk”" in row and "Two visits moved to January" in row
        assert "Everything done, I think</textarea>" in row
        assert re.search(r'<option value="complete" selected>', row)
        assert 'name="version" value="2"' in row
    assert milestone(session, mid).status == "at_risk"


def test_a_refused_status_keeps_what_was_typed_beside_the_field(signed_in, session, built):
    mid = built.milestone_ids["Overdue visits"]
    for headers in (HTMX, {}):
        refused = post_status(signed_in, built, "Overdue visits", status="sideways", evidence="Kept words",
                              headers=headers)
        assert refused.status_code == 422
        row = row_of(refused.text, mid)
        assert f'id="milestone-{mid}-status-error"' in row and "Kept words</textarea>" in row
    too_long = post_status(signed_in, built, "Overdue visits", status="on_track", evidence="x" * 4001)
    assert too_long.status_code == 422 and f'id="milestone-{mid}-evidence-error"' in too_long.text
    assert milestone(session, mid).version == 1


def test_holders_of_the_action_s_lead_code_update_its_milestones_only(client, session, world, built):
    head = factories.make_user(session, world.ours, Role.viewer.value)
    hold(session, world.ours, head, "HSI")
    sign_in(client, head.email)
    page = client.get(f"/action-plans/{built.plan_id}")
    # Action 1.1 (HSI) has two milestones: the holder gets their forms and nothing else.
    assert page.text.count('action="/milestones/') == 2
    assert 'action="/milestones/{}"'.format(built.milestone_ids["Overdue visits"]) in page.text
    assert "/edit" not in page.text and "Add a priority" not in page.text
    done = post_status(client, built, "Overdue visits", status="complete", evidence="Visits done")
    assert done.status_code == 303
    assert milestone(session, built.milestone_ids["Overdue visits"]).updated_by == head.name
    other = built.milestone_ids["Milestone 1.2.1"]
    refused = client.post(f"/milestones/{other}", data={"csrf_token": csrf_from(page.text), "version": "1",
                                                           "status": "complete"})
    assert refused.status_code == 403
    assert client.get(f"/milestones/{other}/edit").status_code == 403
    assert milestone(session, other).status == "on_track"


def test_someone_holding_no_code_sees_no_form_and_is_refused(client, session, world, built):
    other = factories.make_user(session, world.ours, Role.viewer.value)
    hold(session, world.ours, other, "CM")
    sign_in(client, other.email)
    page = client.get(f"/action-plans/{built.plan_id}")
    assert 'action="/milestones/' not in page.text
    mid = built.milestone_ids["Overdue visits"]
    answer = client.post(f"/milestones/{mid}", data={"csrf_token": csrf_from(page.text), "version": "1",
                                                        "status": "complete"}, headers=HTMX)
    assert answer.status_code == 403


def test_another_partnerships_plan_is_not_found(client, session, world):
    theirs = build_plan(session, world.theirs, priorities=1, actions=1, milestones=1)
    sign_in(client, world.officer.email)
    assert client.get(f"/action-plans/{theirs.plan_id}").status_code == 404
    assert client.get(f"/action-plans/{theirs.plan_id}/edit").status_code == 404
    assert client.get(f"/priorities/{theirs.priority_ids[0]}/edit").status_code == 404
    assert client.get(f"/plan-actions/{theirs.action_ids[0]}/edit").status_code == 404
    token = csrf_from(client.get("/action-plans").text)
    mid = theirs.milestone_ids["Overdue visits"]
    assert client.post(f"/milestones/{mid}", data={"csrf_token": token, "version": "1",
                                                      "status": "complete"}).status_code == 404
    assert milestone(session, mid).status == "on_track"


def test_a_post_without_the_csrf_token_is_refused(signed_in, session, built):
    mid = built.milestone_ids["Overdue visits"]
    answer = signed_in.post(f"/milestones/{mid}", data={"version": "1", "status": "complete"})
    assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert signed_in.post(f"/milestones/{mid}", data={"csrf_token": "forged", "version": "1",
                                                         "status": "complete"}).status_code == 403
    assert milestone(session, mid).status == "on_track"


# --- statements -----------------------------------------------------------------------------------


def _statements(client, url: str, count_statements) -> int:
    with count_statements() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_the_plan_page_reads_a_constant_number_of_statements(signed_in, session, world, count_statements):
    small = build_plan(session, world.ours, title="Small", priorities=1, actions=1, milestones=1)
    large = build_plan(session, world.ours, title="Large", priorities=4, actions=3, milestones=4)
    hold(session, world.ours, world.officer, "HSI")
    for url in ("/action-plans/{}", "/action-plans/{}?overdue=1"):
        assert _statements(signed_in, url.format(small.plan_id), count_statements) == \
            _statements(signed_in, url.format(large.plan_id), count_statements)


def test_the_list_reads_a_constant_number_of_statements(signed_in, session, world, count_statements):
    build_plan(session, world.ours, title="First", priorities=1, actions=1, milestones=1)
    few = _statements(signed_in, "/action-plans", count_statements)
    for n in range(5):
        build_plan(session, world.ours, title=f"Plan {n}", priorities=2, actions=2, milestones=2)
    assert _statements(signed_in, "/action-plans", count_statements) == few
