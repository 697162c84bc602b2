"""The demo partnership: this year's collaboratives and triads, their lead headteachers and two
headteachers (whose passwords are in the credentials file and work), a term of visit records in
every state, and the School Performance Clinic's figures, chair, member and meetings, built through
the services."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.db import all_tenants
from app.models.account import Membership, Role, ScopeKind, User
from app.models.clinic import Clinic, ClinicAction, ClinicAgendaItem, ClinicStatus
from app.models.collaborative import Collaborative, CollaborativeSchool, Triad, TriadSchool
from app.models.flag import NationalFigure
from app.models.indicator import KNOWN_MEASURES, Indicator
from app.models.school import School
from app.models.visit import TriadVisit, VisitAction, VisitKind, VisitStatus
from app.security import verify_password
from app.services import accounts, demo, flags, partnerships
from app.services.flag_types import worst
from app.services.terms import term_of


@pytest.fixture
def built(session):
    return demo.build(session)


def test_collaboratives_and_triads_for_the_current_year(session, built):
    year = partnerships.academic_year_for(date.today())
    pid = built.partnership.id
    assert built.partnership.current_academic_year == year
    with all_tenants(session):
        groups = session.scalars(select(Collaborative).where(Collaborative.partnership_id == pid)).all()
        placed = session.scalar(
            select(func.count(CollaborativeSchool.id)).where(CollaborativeSchool.partnership_id == pid)
        )
        engaged = session.scalar(
            select(func.count(School.id)).where(School.partnership_id == pid, School.engaged.is_(True))
        )
        sizes = session.execute(
            select(TriadSchool.triad_id, func.count(TriadSchool.id))
            .where(TriadSchool.partnership_id == pid)
            .group_by(TriadSchool.triad_id)
        ).all()
        triad_years = set(session.scalars(select(Triad.academic_year).where(Triad.partnership_id == pid)))
    assert 2 <= len(groups) <= 3 and {g.academic_year for g in groups} == {year}
    assert {g.phase for g in groups} >= {"primary", "mixed"}
    assert all(g.lead_user_id is not None for g in groups)
    assert placed == engaged and placed > built.schools / 2  # every engaged school, most of the demo's
    assert triad_years == {year}
    counts = [n for _, n in sizes]
    assert all(2 <= n <= 4 for n in counts) and counts.count(3) > len(counts) / 2


def test_lead_and_headteachers_have_scoped_roles_and_working_passwords(session, built, tmp_path):
    pid = built.partnership.id
    leads = [p for p in built.people if p.role == "lead headteacher"]
    heads = [p for p in built.people if p.role == "headteacher"]
    assert len(leads) >= 1 and len(heads) == 2

    path = tmp_path / "demo-credentials.txt"
    demo.write_credentials(path, demo.credential_lines(built))
    written = path.read_text().splitlines()
    assert f"officer: {built.officer_email}  password: {built.officer_password}" in written
    with all_tenants(session):
        for person in leads + heads:
            assert f"{person.role} ({person.scope}): {person.email}  password: {person.password}" in written
            user = session.scalars(select(User).where(User.email == person.email)).one()
            assert verify_password(user.password_hash, person.password)
            grants = {
                (m.role, m.scope_kind, m.scope_id)
                for m in session.scalars(
                    select(Membership).where(Membership.user_id == user.id, Membership.partnership_id == pid)
                )
            }
            if person in leads:
                led = session.scalars(select(Collaborative).where(Collaborative.lead_user_id == user.id)).one()
                assert led.name == person.scope
                assert (Role.lead_headteacher.value, ScopeKind.collaborative.value, led.id) in grants
            else:
                school = session.scalars(
                    select(School).where(School.name == person.scope, School.partnership_id == pid)
                ).one()
                assert (Role.headteacher.value, ScopeKind.school.value, school.id) in grants
                assert session.scalar(select(TriadSchool.id).where(TriadSchool.school_id == school.id)) is not None
                assert session.scalar(select(TriadVisit.id).where(TriadVisit.school_id == school.id)) is not None


def test_a_term_of_visit_records_in_every_state(session, built):
    today = date.today()
    year = built.partnership.current_academic_year
    with all_tenants(session):
        found = session.scalars(select(TriadVisit).where(TriadVisit.partnership_id == built.partnership.id)).all()
        actions = session.scalars(select(VisitAction).where(VisitAction.partnership_id == built.partnership.id)).all()
    triad_visits = [v for v in found if v.kind == VisitKind.triad_review.value]
    by_status = {s.value: [v for v in triad_visits if v.status == s.value] for s in VisitStatus}
    assert all(by_status.values()), {s: len(vs) for s, vs in by_status.items()}
    reopened = [v for v in by_status["submitted"] if v.reopen_reason]
    assert reopened and all(v.signed_off_at is None for v in reopened)
    assert all(v.signed_off_by and v.grade for v in by_status["signed_off"])
    assert {v.kind for v in found} == {k.value for k in VisitKind}
    assert len([v for v in found if v.kind != VisitKind.triad_review.value]) == 2
    assert all(v.triad_id is None for v in found if v.kind != VisitKind.triad_review.value)

    assert all(v.academic_year == year for v in found)
    assert all(v.visit_date <= today for v in found if v.status != VisitStatus.draft.value)
    if (today - term_of(today).start).days >= 21:  # a board of "visits done this term" has some
        assert any(v.visit_date >= term_of(today).start for v in found if v.status != VisitStatus.draft.value)
    grades = len(built.partnership.grade_labels)
    assert all(1 <= v.grade <= grades for v in found if v.grade is not None)
    complete = [v for v in found if v.status != VisitStatus.draft.value]
    assert all(v.strengths and v.areas_for_development and v.priorities_for_support for v in complete)
    assert all(a["self_evaluation"] and a["peer_view"] for v in complete for a in v.focus_areas)
    assert {a.status for a in actions} == {"open", "done", "dropped"}
    assert "visit records" in built.peer_review


def test_figures_flags_clinic_people_and_meetings(session, built, tmp_path):
    today = date.today()
    pid = built.partnership.id
    start = int(partnerships.academic_year_for(today)[:4]) - 1
    last_year = f"{start}/{(start + 1) % 100:02d}"  # the latest year of results and attendance

    # A year of figures for every measure the rules read (the roll over three years), and England's.
    with all_tenants(session):
        measures = dict(session.execute(
            select(Indicator.measure, func.count(func.distinct(Indicator.academic_year)))
            .where(Indicator.partnership_id == pid).group_by(Indicator.measure)).all())
        nationals = set(session.execute(select(NationalFigure.measure, NationalFigure.academic_year)
                                        .where(NationalFigure.partnership_id == pid)).all())
    assert set(KNOWN_MEASURES) <= set(measures), set(KNOWN_MEASURES) - set(measures)
    assert measures["roll"] == 3
    assert {("absence", last_year), ("persistent_absence", last_year), ("attainment", last_year)} <= nationals

    # The rules raise some red, more amber, and most schools nothing.
    with all_tenants(session):
        officer = session.scalars(select(User).where(User.email == built.officer_email)).one()
    by = accounts.principal_for(session, officer, pid)
    found = flags.current(session, by=by)
    severities = [worst(school_flags) for school_flags in found.values()]
    assert severities.count("red") >= 1 and severities.count("amber") >= 1
    assert len(found) < built.schools / 2
    rules = {f.rule for school_flags in found.values() for f in school_flags}
    assert {"budget_deficit", "governance_intervention", "overdue_clinic_action"} <= rules

    # The clinic's chair and member: partnership-wide roles, in the credentials file, passwords that work.
    path = tmp_path / "demo-credentials.txt"
    demo.write_credentials(path, demo.credential_lines(built))
    written = path.read_text().splitlines()
    people = {p.role: p for p in built.people if p.role in ("clinic chair", "clinic member")}
    assert set(people) == {"clinic chair", "clinic member"}
    assert any(line.startswith("clinics: ") for line in written)
    with all_tenants(session):
        for role, person in people.items():
            assert f"{role} (School Performance Clinic): {person.email}  password: {person.password}" in written
            user = session.scalars(select(User).where(User.email == person.email)).one()
            assert verify_password(user.password_hash, person.password)
            grants = set(session.execute(select(Membership.role, Membership.scope_kind, Membership.scope_id)
                                         .where(Membership.user_id == user.id, Membership.partnership_id == pid)))
            assert grants == {(role.replace(" ", "_"), ScopeKind.partnership.value, None)}

    # Last term's clinic, minuted and approved, with open actions (some overdue) and done ones; the next, planned.
    with all_tenants(session):
        meetings = session.scalars(select(Clinic).where(Clinic.partnership_id == pid).order_by(Clinic.held_on)).all()
        assert [c.status for c in meetings] == [ClinicStatus.minutes_approved.value, ClinicStatus.planned.value]
        past, upcoming = meetings
        actions = session.scalars(select(ClinicAction).where(ClinicAction.clinic_id == past.id)).all()
        agenda = session.scalars(select(ClinicAgendaItem).where(ClinicAgendaItem.clinic_id == past.id)).all()
    assert past.held_on < today < upcoming.held_on
    assert past.approved_by == people["clinic chair"].name and past.opened_at is not None
    assert any(a.status == "open" and a.due_on < today for a in actions)
    assert any(a.status == "open" and a.due_on > today for a in actions)
    assert {a.status for a in actions} == {"open", "done", "dropped"}
    assert len(agenda) >= 5 and any(i.explanation and i.minutes for i in agenda)
    assert "interim executive head" in " ".join(i.explanation or "" for i in agenda)
    assert all(i.snapshot["severity"] in ("red", "amber") for i in agenda if i.kind == "flagged")
