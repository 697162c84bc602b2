"""Clinics (issue 8): planning by the cadence, opening makes the agenda (a snapshot that never
changes), what changed since the previous clinic, actions carried forward until closed, targets,
minutes locked once approved, the next meeting planned, and who may do what."""

from datetime import date

import pytest
from sqlmodel import select

from app.db import all_tenants
from app.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from app.models.clinic import Clinic
from app.models.clinic_api import (
    AgendaAdd,
    AgendaItemUpdate,
    ClinicActionCreate,
    ClinicActionUpdate,
    ClinicCreate,
    ClinicUpdate,
    ReviewJudgementWrite,
    TargetCreate,
    TargetUpdate,
)
from app.services import accounts, clinic_actions, clinic_agenda, clinics, review_judgements
from app.services.concurrency import etag
from tests import factories, visit_setup


@pytest.fixture
def officer(session, world):
    return accounts.principal_for(session, world.officer, world.ours.id)


@pytest.fixture
def schools(session, world):
    """A school judged inadequate (red), one requiring improvement (amber), one good (no flag)."""
    red = factories.make_school(session, world.ours, name="Alder Red Primary", la_category="amber")
    factories.make_inspection(session, red, overall_effectiveness=4, inspected_on=date(2024, 3, 1))
    amber = factories.make_school(session, world.ours, name="Birch Amber Primary", la_category="green")
    factories.make_inspection(session, amber, overall_effectiveness=3, inspected_on=date(2024, 3, 1))
    good = factories.make_school(session, world.ours, name="Cedar Good Primary", la_category="green")
    factories.make_inspection(session, good, overall_effectiveness=2, inspected_on=date(2024, 3, 1))
    return {"red": red, "amber": amber, "good": good}


def plan(session, by, held_on=date(2026, 10, 5), **fields):
    return clinics.create(session, ClinicCreate(held_on=held_on, **fields), by=by)


def step(session, clinic, status, by):
    return clinics.update(session, clinic.id, ClinicUpdate(status=status), if_match=etag(clinic.version), by=by)


def person(session, world, role: str):
    return visit_setup.person(session, world.ours, f"A {role}", (role, "partnership", None))


class TestPlanning:
    def test_the_meeting_and_focus_come_from_the_cadence(self, session, officer):
        autumn = plan(session, officer, date(2026, 10, 5))
        assert (autumn.meeting, autumn.focus, autumn.academic_year) == ("autumn", "Provision data", "2026/27")
        spring = plan(session, officer, date(2027, 2, 3))
        assert (spring.meeting, spring.focus) == ("spring", "Predictions and census")
        summer = plan(session, officer, date(2027, 6, 20), focus="Our own focus")
        assert (summer.meeting, summer.focus) == ("summer", "Our own focus")

    def test_an_unknown_meeting_is_refused(self, session, officer):
        with pytest.raises(ValidationFailed) as refused:
            plan(session, officer, meeting="midwinter")
        assert refused.value.errors[0].field == "meeting"

    def test_the_review_group_cadence_names_its_months(self, session, world, officer):
        from app.models.partnership import REVIEW_GROUP_MEETINGS

        with all_tenants(session):
            world.ours.meeting_cadence = [dict(m) for m in REVIEW_GROUP_MEETINGS]
            session.flush()
        assert plan(session, officer, date(2027, 1, 20)).meeting == "january"
        assert plan(session, officer, date(2027, 5, 20)).meeting == "april"

    def test_only_officers_plan_and_headteachers_see_no_clinic(self, session, world, officer):
        # (Another partnership's clinic is 404: tests/api/test_clinics_api.py, with its own token.)
        chair = person(session, world, "clinic_chair")
        with pytest.raises(Forbidden):
            plan(session, chair)
        clinic = plan(session, officer)
        headteacher = visit_setup.head(session, world.ours, world.our_school)
        with pytest.raises(Forbidden):
            clinics.get(session, clinic.id, by=headteacher)


class TestOpening:
    def test_the_agenda_is_red_then_amber_with_flags_as_they_stood(self, session, officer, schools):
        clinic = plan(session, officer)
        step(session, clinic, "in_session", officer)
        items = clinic_agenda.items_of(session, [clinic.id])[clinic.id]
        names = [i.snapshot["name"] for i in items if i.kind == "flagged"]
        assert names[:2] == ["Alder Red Primary", "Birch Amber Primary"]
        assert "Cedar Good Primary" not in names
        assert items[0].snapshot["severity"] == "red" and items[0].snapshot["flags"]
        assert all(f["reason"] for f in items[0].snapshot["flags"])

    def test_the_snapshot_never_changes_after_opening(self, session, officer, schools):
        clinic = plan(session, officer)
        step(session, clinic, "in_session", officer)
        before = [dict(i.snapshot) for i in clinic_agenda.items_of(session, [clinic.id])[clinic.id]]
        # The red school is reinspected good; the clinic's papers still show what it discussed.
        factories.make_inspection(session, schools["red"], overall_effectiveness=2, inspected_on=date(2024, 7, 1))
        session.expire_all()
        after = [dict(i.snapshot) for i in clinic_agenda.items_of(session, [clinic.id])[clinic.id]]
        assert after == before

    def test_what_changed_since_the_previous_clinic(self, session, world, officer, schools):
        first = plan(session, officer, date(2026, 10, 5))
        step(session, first, "in_session", officer)
        assert first.changes.get("first") is True
        factories.make_inspection(session, schools["red"], overall_effectiveness=2, inspected_on=date(2024, 7, 1))
        factories.make_inspection(session, schools["good"], overall_effectiveness=4, inspected_on=date(2024, 7, 1))
        with all_tenants(session):
            schools["amber"].la_category = "red"
            session.flush()
        second = plan(session, officer, date(2027, 1, 20))
        step(session, second, "in_session", officer)
        assert second.previous_clinic_id == first.id
        assert "Cedar Good Primary" in {c["name"] for c in second.changes["new_flags"]}
        assert "Alder Red Primary" in {c["name"] for c in second.changes["cleared_flags"]}
        assert second.changes["categories"] == [{"urn": schools["amber"].urn, "name": "Birch Amber Primary",
                                                 "before": "green", "after": "red"}]

    def test_the_baseline_is_kept_apart_and_not_read_to_show_a_clinic(self, session, officer, schools):
        from sqlalchemy import inspect as inspected

        clinic = plan(session, officer)
        step(session, clinic, "in_session", officer)
        assert "baseline" not in clinic.changes
        assert clinic.baseline["categories"][str(schools["amber"].id)] == "green"
        assert "ofsted_inadequate" in clinic.baseline["flags"][str(schools["red"].id)]
        session.expunge_all()
        shown = clinics.get(session, clinic.id, by=officer)
        assert "baseline" in inspected(shown).unloaded and "changes" not in inspected(shown).unloaded

    def test_a_red_school_not_in_the_worst_category_is_at_risk(self, session, officer, schools):
        clinic = plan(session, officer)
        step(session, clinic, "in_session", officer)
        assert {s["name"] for s in clinic.changes["at_risk"]} >= {"Alder Red Primary"}

    def test_the_officer_adds_a_school_and_reorders(self, session, officer, schools):
        clinic = plan(session, officer)
        with pytest.raises(Conflict):
            clinic_agenda.add(session, clinic.id, AgendaAdd(urn=schools["good"].urn), by=officer)
        step(session, clinic, "in_session", officer)
        added = clinic_agenda.add(session, clinic.id, AgendaAdd(urn=schools["good"].urn, explanation="New head"),
                                  by=officer)
        with pytest.raises(Conflict):
            clinic_agenda.add(session, clinic.id, AgendaAdd(urn=schools["good"].urn), by=officer)
        with pytest.raises(ValidationFailed):
            clinic_agenda.add(session, clinic.id, AgendaAdd(urn="999999"), by=officer)
        versions = {i.id: i.version for i in clinic_agenda.items_of(session, [clinic.id])[clinic.id]}
        clinic_agenda.update(session, clinic.id, added.id, AgendaItemUpdate(position=1),
                             if_match=etag(added.version), by=officer)
        session.expire_all()
        items = clinic_agenda.items_of(session, [clinic.id])[clinic.id]
        assert [i.position for i in items] == list(range(1, len(items) + 1))
        assert items[0].id == added.id
        others = [i for i in items if i.id != added.id]
        assert all(i.version == versions[i.id] for i in others), "moving one item leaves the others' versions"


class TestMinutesAndLocking:
    def test_the_workflow_locks_and_plans_the_next_meeting(self, session, world, officer, schools):
        clinic = plan(session, officer, date(2026, 10, 5), chair_name="Cllr Ann Chair")
        member = person(session, world, "clinic_member")
        chair = person(session, world, "clinic_chair")
        with pytest.raises(Forbidden):
            step(session, clinic, "in_session", member)
        step(session, clinic, "in_session", officer)
        item = clinic_agenda.items_of(session, [clinic.id])[clinic.id][0]
        clinic_agenda.update(session, clinic.id, item.id, AgendaItemUpdate(minutes="Discussed; HMI visit due"),
                             if_match=etag(item.version), by=member)
        step(session, clinic, "minutes_draft", member)
        with pytest.raises(Forbidden):
            step(session, clinic, "minutes_approved", member)
        step(session, clinic, "minutes_approved", chair)
        assert clinic.approved_by == "A clinic_chair"
        with pytest.raises(Conflict):
            clinic_agenda.update(session, clinic.id, item.id, AgendaItemUpdate(minutes="changed"),
                                 if_match=etag(item.version), by=officer)
        with pytest.raises(Conflict):
            clinics.update(session, clinic.id, ClinicUpdate(focus="x"), if_match=etag(clinic.version), by=officer)
        with pytest.raises(Conflict):
            step(session, clinic, "in_session", officer)
        with all_tenants(session):
            nxt = session.exec(select(Clinic).where(Clinic.held_on > clinic.held_on)).one()
        assert (nxt.meeting, nxt.status, nxt.chair_name) == ("spring", "planned", "Cllr Ann Chair")

    def test_a_stale_change_is_refused(self, session, officer):
        clinic = plan(session, officer)
        with pytest.raises(PreconditionFailed):
            clinics.update(session, clinic.id, ClinicUpdate(focus="x"), if_match=etag(clinic.version + 1),
                           by=officer)

    def test_only_a_planned_clinic_is_deleted(self, session, officer, schools):
        clinic = plan(session, officer)
        step(session, clinic, "in_session", officer)
        with pytest.raises(Conflict):
            clinics.delete(session, clinic.id, if_match=etag(clinic.version), by=officer)
        spare = plan(session, officer, date(2027, 2, 1))
        clinics.delete(session, spare.id, if_match=etag(spare.version), by=officer)
        with pytest.raises(NotFound):
            clinics.get(session, spare.id, by=officer)


class TestActionsAndTargets:
    def test_open_actions_are_carried_forward_until_closed(self, session, world, officer, schools):
        first = plan(session, officer, date(2026, 10, 5))
        step(session, first, "in_session", officer)
        action = clinic_actions.add_action(session, first.id, ClinicActionCreate(
            text="Commission a review of governance", urn=schools["red"].urn, owner="Head of school improvement",
            due_on=date(2026, 12, 1)), by=officer).record
        done = clinic_actions.add_action(session, first.id, ClinicActionCreate(text="Write to the trust"),
                                         by=officer).record
        clinic_actions.update_action(session, done.id, ClinicActionUpdate(status="done"),
                                     if_match=etag(done.version), by=officer)
        step(session, first, "minutes_draft", officer)
        step(session, first, "minutes_approved", officer)
        with all_tenants(session):
            second = session.exec(select(Clinic).where(Clinic.held_on > first.held_on)).one()
        step(session, second, "in_session", officer)
        _, carried, _ = clinic_actions.agreed_at(session, second)
        assert [a.record.id for a in carried] == [action.id]
        assert carried[0].urn == schools["red"].urn
        with pytest.raises(Conflict):  # its words stay: its clinic is locked
            clinic_actions.update_action(session, action.id, ClinicActionUpdate(text="x"),
                                         if_match=etag(action.version), by=officer)
        with pytest.raises(ValidationFailed):  # dropping needs a note
            clinic_actions.update_action(session, action.id, ClinicActionUpdate(status="dropped", clinic_id=second.id),
                                         if_match=etag(action.version), by=officer)
        clinic_actions.update_action(session, action.id, ClinicActionUpdate(status="done", clinic_id=second.id,
                                                                            note="Review done in November"),
                                     if_match=etag(action.version), by=officer)
        third = plan(session, officer, date(2027, 6, 10))
        assert clinic_actions.agreed_at(session, third)[1] == []
        _, closed_here, _ = clinic_actions.agreed_at(session, second)
        assert [a.record.status for a in closed_here] == ["done"], "shown where it was closed"

    def test_actions_wait_for_the_clinic_to_meet(self, session, officer):
        clinic = plan(session, officer)
        with pytest.raises(Conflict):
            clinic_actions.add_action(session, clinic.id, ClinicActionCreate(text="Too soon"), by=officer)

    def test_targets_are_reviewed_at_a_later_clinic(self, session, officer, schools):
        first = plan(session, officer, date(2026, 10, 5))
        step(session, first, "in_session", officer)
        target = clinic_actions.add_target(session, first.id, TargetCreate(
            urn=schools["amber"].urn, outcome="Persistent absence below 15%", target_date=date(2027, 7, 1)),
            by=officer).record
        second = plan(session, officer, date(2027, 2, 1))
        assert [t.record.id for t in clinic_actions.agreed_at(session, second)[2]] == [target.id]
        clinic_actions.update_target(session, target.id, TargetUpdate(review="On track", met=False,
                                                                      reviewed_at_clinic_id=second.id),
                                     if_match=etag(target.version), by=officer)
        third = plan(session, officer, date(2027, 6, 1))
        assert clinic_actions.agreed_at(session, third)[2] == []


class TestReviewJudgements:
    def test_recorded_and_corrected_on_the_partnerships_strands(self, session, world, officer):
        school = world.our_school
        data = ReviewJudgementWrite(academic_year="2026/27", strand="quality_of_education", partner_grade=3,
                                    self_grade=2)
        judgement, created = review_judgements.record(session, school, data, by=officer)
        assert created and judgement.version == 1
        again, created = review_judgements.record(session, school, data.model_copy(update={"partner_grade": 2}),
                                                  by=officer)
        assert not created and again.id == judgement.id and again.partner_grade == 2
        with pytest.raises(ValidationFailed):
            review_judgements.record(session, school, data.model_copy(update={"strand": "sport"}), by=officer)
        head = visit_setup.head(session, world.ours, world.our_school)
        assert [j.strand for j in review_judgements.of_school(session, school, by=head)] == ["quality_of_education"]
        other = visit_setup.head(session, world.ours, factories.make_school(session, world.ours))
        with pytest.raises(NotFound):
            review_judgements.of_school(session, school, by=other)


def test_agenda_items_are_audited_under_their_clinic(session, officer, schools):
    from app.services import audit

    clinic = plan(session, officer)
    step(session, clinic, "in_session", officer)
    history = audit.history(session, "clinic", clinic.id)
    assert any(e.table_name == "clinic_agenda_item" and e.action == "create" for e in history)
    assert any(e.table_name == "clinic" and e.action == "status" for e in history)

