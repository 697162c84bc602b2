"""The calendar feed: made from the account page, shown once, read by calendar apps with the
secret alone; it lists only the visits the person may read, and an old address stops working."""

import re
from datetime import date, timedelta

import pytest
from icalendar import Calendar

from app.db import all_tenants
from app.models.action_plan import ActionPlan, PlanAction, PlanActionLead, PlanMilestone, PlanPriority, PlanRoleHolder
from app.models.clinic import Clinic
from app.models.collaborative import Collaborative, Triad, TriadSchool
from app.models.visit import TriadVisit
from app.services import accounts
from tests import factories
from tests.web.conftest import csrf_from, sign_in


def _visit(session, partnership, school, triad=None, *, days: int = 10, kind: str = "triad_review") -> TriadVisit:
    visit = TriadVisit(partnership_id=partnership.id, kind=kind, triad_id=triad.id if triad else None,
                       school_id=school.id, visit_date=date.today() + timedelta(days=days), academic_year="2026/27")
    session.add(visit)
    session.flush()
    return visit


@pytest.fixture
def network(session, world):
    """A triad of three of our schools (one headed by a headteacher account), a school outside it,
    and a visit to each; another partnership's visit too."""
    with all_tenants(session):
        ours = [factories.make_school(session, world.ours, name=f"Triad School {n}") for n in range(3)]
        outside = factories.make_school(session, world.ours, name="Elsewhere School")
        collaborative = Collaborative(partnership_id=world.ours.id, name="North", phase="primary",
                                      academic_year="2026/27")
        session.add(collaborative)
        session.flush()
        triad = Triad(partnership_id=world.ours.id, name="Triad A", collaborative_id=collaborative.id,
                      academic_year="2026/27")
        session.add(triad)
        session.flush()
        for school in ours:
            session.add(TriadSchool(partnership_id=world.ours.id, triad_id=triad.id, school_id=school.id,
                                    academic_year="2026/27"))
        head = factories.make_user(session, None)
        accounts.grant(session, head, world.ours, "headteacher", scope_kind="school", scope_id=ours[0].id)
        visits = {"triad": _visit(session, world.ours, ours[1], triad), "outside": _visit(session, world.ours, outside),
                  "theirs": _visit(session, world.theirs, world.their_school),
                  "old": _visit(session, world.ours, ours[2], triad, days=-800)}
    return head, visits


def _address(client) -> str:
    page = client.get("/account/calendar")
    made = client.post("/account/calendar", data={"csrf_token": csrf_from(page.text)})
    assert made.status_code == 201
    return re.search(r'id="calendar-address"[^>]*value="([^"]+)"', made.text).group(1)


def _uids(client, address: str) -> set[str]:
    response = client.get(address.replace("https://testserver", ""))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["uid"]) for event in calendar.walk("VEVENT")}


def test_an_officer_s_feed_lists_the_partnership_s_visits_only(signed_in, network):
    _, visits = network
    uids = _uids(signed_in, _address(signed_in))
    ids = {int(re.match(r"visit-(\d+)@", uid).group(1)) for uid in uids}
    assert {visits["triad"].id, visits["outside"].id} <= ids
    assert visits["theirs"].id not in ids, "another partnership's visit"
    assert visits["old"].id not in ids, "more than a year ago"


def test_a_headteacher_s_feed_lists_their_triad_s_visits(client, network):
    head, visits = network
    assert sign_in(client, head.email).status_code == 303
    ids = {int(re.match(r"visit-(\d+)@", uid).group(1)) for uid in _uids(client, _address(client))}
    assert ids == {visits["triad"].id}


def test_a_new_address_ends_the_old_one_and_nobody_signs_in_to_read_it(signed_in, client, network):
    first = _address(signed_in)
    second = _address(signed_in)
    assert first != second
    signed_in.cookies.clear()
    assert client.get(first.replace("https://testserver", "")).status_code == 404
    assert client.get(second.replace("https://testserver", "")).status_code == 200
    assert client.get("/calendar/not-a-secret.ics").status_code == 404


def test_the_address_is_shown_once(signed_in, network):
    address = _address(signed_in)
    assert address not in signed_in.get("/account/calendar").text
    assert "You have a calendar address" in signed_in.get("/account/calendar").text


def test_the_feed_reads_a_constant_number_of_statements(signed_in, session, world, network, count_statements):
    address = _address(signed_in).replace("https://testserver", "")
    with count_statements() as few:
        signed_in.get(address)
    with all_tenants(session):
        school = factories.make_school(session, world.ours, name="One More")
        for n in range(20):
            _visit(session, world.ours, school, days=n)
    with count_statements() as many:
        signed_in.get(address)
    assert len(many.statements) == len(few.statements)


def test_clinics_join_the_feed_of_those_who_sit_on_them(signed_in, client, session, world, network):
    head, _ = network
    with all_tenants(session):
        clinic = Clinic(partnership_id=world.ours.id, held_on=date.today() + timedelta(days=20),
                        academic_year="2026/27", meeting="spring", focus="Predictions and census",
                        chair_name="Cllr Ann Chair")
        theirs = Clinic(partnership_id=world.theirs.id, held_on=date.today() + timedelta(days=20),
                        academic_year="2026/27", meeting="spring")
        session.add_all([clinic, theirs])
        session.flush()
    uids = _uids(signed_in, _address(signed_in))
    assert f"clinic-{clinic.id}@{world.ours.slug}.school-partnerships" in uids
    assert not any(uid.startswith(f"clinic-{theirs.id}@") for uid in uids)
    signed_in.cookies.clear()
    assert sign_in(client, head.email).status_code == 303
    assert not any(uid.startswith("clinic-") for uid in _uids(client, _address(client))), "a headteacher"


def _milestone(session, partnership, action, description: str, days: int | None) -> PlanMilestone:
    milestone = PlanMilestone(partnership_id=partnership.id, plan_id=action.plan_id, action_id=action.id,
                              description=description, status="on_track",
                              due_on=None if days is None else date.today() + timedelta(days=days))
    session.add(milestone)
    session.flush()
    return milestone


def test_milestones_join_the_feed_of_those_who_hold_their_lead_role(signed_in, client, session, world, network,
                                                                     count_statements):
    """A dated milestone of a plan not closed appears for a holder of one of its action's lead codes;
    not for others, not when undated, not once its plan is closed; the feed's statements stay constant."""
    head, _ = network
    address = _address(signed_in).replace("https://testserver", "")
    with all_tenants(session):
        plan = ActionPlan(partnership_id=world.ours.id, title="Raising standards", status="active",
                          period_start=date(2026, 9, 1), period_end=date(2027, 8, 1))
        session.add(plan)
        session.flush()
        priority = PlanPriority(partnership_id=world.ours.id, plan_id=plan.id, number=2, title="Leadership")
        session.add(priority)
        session.flush()
        action = PlanAction(partnership_id=world.ours.id, plan_id=plan.id, priority_id=priority.id, number=3,
                            description="Peer review for every school")
        session.add(action)
        session.flush()
        session.add(PlanActionLead(partnership_id=world.ours.id, plan_id=plan.id, action_id=action.id, code="HSI"))
        session.add(PlanRoleHolder(partnership_id=world.ours.id, user_id=world.officer.id, code="HSI"))
        dated = _milestone(session, world.ours, action, "Model agreed", 30)
        _milestone(session, world.ours, action, "Termly reports", None)
    with count_statements() as few:
        calendar = Calendar.from_ical(signed_in.get(address).content)
    found = {str(e["uid"]): e for e in calendar.walk("VEVENT") if str(e["uid"]).startswith("milestone-")}
    assert set(found) == {f"milestone-{dated.id}@{world.ours.slug}.school-partnerships"}
    event = next(iter(found.values()))
    assert str(event["summary"]) == "Milestone 2.3: Model agreed" and "Plan: Raising standards" in str(
        event["description"])
    with all_tenants(session):
        for n in range(10):
            _milestone(session, world.ours, action, f"Step {n}", n + 1)
    with count_statements() as many:
        assert len([u for u in _uids(signed_in, address) if u.startswith("milestone-")]) == 11
    assert len(many.statements) == len(few.statements)
    signed_in.cookies.clear()
    assert sign_in(client, head.email).status_code == 303
    assert not any(uid.startswith("milestone-") for uid in _uids(client, _address(client))), "holds no code"
    with all_tenants(session):
        plan.status = "closed"
        session.flush()
    assert not any(uid.startswith("milestone-") for uid in _uids(signed_in, address))
