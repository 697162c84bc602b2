"""The officers' forms for a plan (issue 9): start one, change its fields, add and change priorities,
actions (leads ticked from the glossary), milestones and success measures, delete them. Every refusal
keeps what was typed with the message beside the field; a number taken is 409 beside the number; a
stale save shows the stored values beside the typed ones."""

import re

from sqlmodel import select

from app.db import all_tenants
from app.models.action_plan import ActionPlan, PlanAction, PlanActionLead, PlanMilestone, SuccessMeasure
from tests.plan_web_setup import build_plan
from tests.web.conftest import csrf_from


def send(client, url: str, form_url: str | None = None, **fields):
    """GET the form (its token and version), then POST it with `fields` over what it holds."""
    page = client.get(form_url or url)
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_from(page.text)}
    version = re.search(r'name="version" value="(\d+)"', page.text)
    if version:
        data["version"] = version.group(1)
    data |= fields
    return client.post(url, data=data, follow_redirects=False)


def test_starting_a_plan_refused_keeps_what_was_typed_then_saved(signed_in, session):
    refused = send(signed_in, "/action-plans", "/action-plans/new", title="Improvement plan 2026",
                   period_start="May 2026", period_end="2028-07", owner_user_id="", owner_urn="", status="active")
    assert refused.status_code == 422
    assert 'id="period_start-error"' in refused.text and "Use a month like 2016-05" in refused.text
    assert 'value="Improvement plan 2026"' in refused.text and 'value="May 2026"' in refused.text
    backwards = send(signed_in, "/action-plans", "/action-plans/new", title="Backwards", period_start="2027-05",
                     period_end="2026-07", owner_user_id="", owner_urn="", status="draft")
    assert backwards.status_code == 422 and 'id="period_end-error"' in backwards.text
    made = send(signed_in, "/action-plans", "/action-plans/new", title="Improvement plan 2026",
                period_start="2026-05", period_end="2028-07", owner_urn="", status="active")
    assert made.status_code == 303
    with all_tenants(session):
        plan = session.scalars(select(ActionPlan).where(ActionPlan.title == "Improvement plan 2026")).one()
    assert made.headers["location"] == f"/action-plans/{plan.id}" and plan.status == "active"
    page = signed_in.get(made.headers["location"])
    assert "The plan was started" in page.text and "May 2026 to July 2028" in page.text


def test_changing_a_plan_and_a_stale_save(signed_in, session, world):
    built = build_plan(session, world.ours, priorities=1, actions=1, milestones=1)
    url = f"/action-plans/{built.plan_id}/edit"
    page = signed_in.get(url)
    token, version = csrf_from(page.text), re.search(r'name="version" value="(\d+)"', page.text).group(1)
    fields = {"csrf_token": token, "version": version, "title": "Renamed plan", "period_start": "2025-09",
              "period_end": "2027-08", "owner_user_id": "", "owner_urn": "", "status": "closed"}
    assert signed_in.post(url, data=fields, follow_redirects=False).status_code == 303
    stale = signed_in.post(url, data=fields | {"title": "My own title"}, follow_redirects=False)
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text and 'value="My own title"' in stale.text
    assert "Renamed plan" in stale.text


def test_a_priority_number_taken_is_409_beside_the_number(signed_in, session, world):
    built = build_plan(session, world.ours, priorities=1, actions=1, milestones=1)
    url = f"/action-plans/{built.plan_id}/priorities/new"
    taken = send(signed_in, url, number="1", title="Attendance", success_criteria="Fewer absences\nFewer exclusions",
                 areas="Attendance and exclusions")
    assert taken.status_code == 409
    assert 'id="number-error"' in taken.text and "Priority 1 is taken" in taken.text
    assert ">Attendance</textarea>" in taken.text and "Fewer absences\nFewer exclusions</textarea>" in taken.text
    assert re.search(r'value="Attendance and exclusions"\s+checked', taken.text)
    made = send(signed_in, url, number="", title="Attendance", success_criteria="Fewer absences",
                areas=["Attendance and exclusions", "Use of data to target support"])
    assert made.status_code == 303
    page = signed_in.get(made.headers["location"])
    assert "Priority 2: Attendance" in page.text and "Use of data to target support" in page.text


def test_an_action_number_taken_is_409_and_leads_are_ticked_from_the_glossary(signed_in, session, world):
    built = build_plan(session, world.ours, priorities=1, actions=1, milestones=1)
    url = f"/priorities/{built.priority_ids[0]}/actions/new"
    form = signed_in.get(url)
    assert 'value="HSI"' in form.text and "HSI: Head of School Improvement" in form.text
    taken = send(signed_in, url, number="1", description="Moderate writing across schools", leads=["SIO", "HSI"],
                 time_frame="Termly")
    assert taken.status_code == 409
    assert 'id="number-error"' in taken.text and "Action 1 is taken" in taken.text
    assert "Moderate writing across schools</textarea>" in taken.text and 'value="Termly"' in taken.text
    assert re.search(r'value="SIO"\s+checked', taken.text) and re.search(r'value="HSI"\s+checked', taken.text)
    no_lead = send(signed_in, url, number="", description="Moderate writing", time_frame="")
    assert no_lead.status_code == 422 and 'id="leads-error"' in no_lead.text
    made = send(signed_in, url, number="", description="Moderate writing across schools", leads=["SIO", "HSI"],
                time_frame="Termly", start_on="", end_on="")
    assert made.status_code == 303
    page = signed_in.get(made.headers["location"])
    assert "Action 1.2" in page.text
    assert '<abbr title="School Improvement Officers">SIO</abbr> / <abbr title="Head of School Improvement">HSI' \
        in page.text


def test_changing_an_action_s_leads_and_deleting_it(signed_in, session, world):
    built = build_plan(session, world.ours, priorities=1, actions=2, milestones=1)
    action_id = built.action_ids[0]
    url = f"/plan-actions/{action_id}/edit"
    edit = signed_in.get(url)
    assert re.search(r'value="HSI"\s+checked', edit.text)
    saved = send(signed_in, url, number="1", description="Action text 1.1", leads="SIM", time_frame="Termly")
    assert saved.status_code == 303
    with all_tenants(session):
        assert list(session.scalars(select(PlanActionLead.code).where(PlanActionLead.action_id == action_id))) == \
            ["SIM"]
    page = signed_in.get(url)
    token = csrf_from(page.text)
    stale = signed_in.post(f"/plan-actions/{action_id}/delete", data={"csrf_token": token, "version": "1"},
                           follow_redirects=False)
    assert stale.status_code == 409 and "nothing was deleted" in stale.text
    version = re.search(r'name="version" value="(\d+)"', stale.text).group(1)
    gone = signed_in.post(f"/plan-actions/{action_id}/delete", data={"csrf_token": token, "version": version},
                          follow_redirects=False)
    assert gone.status_code == 303
    with all_tenants(session):
        assert session.get(PlanAction, action_id) is None
        assert not list(session.scalars(select(PlanMilestone).where(PlanMilestone.action_id == action_id)))


def test_adding_and_changing_a_milestone(signed_in, session, world):
    built = build_plan(session, world.ours, priorities=1, actions=1, milestones=1)
    url = f"/plan-actions/{built.action_ids[0]}/milestones/new"
    bad = send(signed_in, url, description="Termly report to the panel", due_on="", status="not_started",
               evidence="", evidence_links="javascript:alert(1)")
    assert bad.status_code == 422 and 'id="evidence_links-error"' in bad.text
    assert "Termly report to the panel</textarea>" in bad.text
    made = send(signed_in, url, description="Termly report to the panel", due_on="", status="not_started",
                evidence="", evidence_links="https://example.org/report")
    assert made.status_code == 303
    with all_tenants(session):
        added = session.scalars(select(PlanMilestone).where(PlanMilestone.description == "Termly report to the panel")
                                ).one()
    assert added.due_on is None and added.evidence_links == ["https://example.org/report"]
    edit_url = f"/milestones/{added.id}/edit"
    changed = send(signed_in, edit_url, description="Termly report to the panel", due_on="2026-12-01",
                   status="on_track", evidence="Drafted", evidence_links="")
    assert changed.status_code == 303
    with all_tenants(session):
        session.refresh(added)
    assert (str(added.due_on), added.status, added.evidence_links) == ("2026-12-01", "on_track", [])


def test_success_measures_of_the_plan_and_of_a_priority(signed_in, session, world):
    built = build_plan(session, world.ours, priorities=1, actions=1, milestones=1)
    url = f"/action-plans/{built.plan_id}/measures/new"
    refused = send(signed_in, url, measure="", priority_id=str(built.priority_ids[0]), baseline="61%")
    assert refused.status_code == 422 and 'id="measure-error"' in refused.text and 'value="61%"' in refused.text
    made = send(signed_in, url, measure="Pupils at the expected standard in RWM",
                priority_id=str(built.priority_ids[0]), baseline="61%", target="70%", target_on="2027-07-01",
                latest_value="", latest_on="")
    assert made.status_code == 303
    with all_tenants(session):
        measure = session.scalars(select(SuccessMeasure).where(SuccessMeasure.baseline == "61%")).one()
    assert measure.priority_id == built.priority_ids[0]
    saved = send(signed_in, f"/measures/{measure.id}/edit", measure=measure.measure,
                 priority_id=str(measure.priority_id), baseline="61%", target="70%", target_on="2027-07-01",
                 latest_value="66%", latest_on="2026-09-01")
    assert saved.status_code == 303
    page = signed_in.get(f"/action-plans/{built.plan_id}")
    assert "66%" in page.text and "Pupils at the expected standard in RWM" in page.text
