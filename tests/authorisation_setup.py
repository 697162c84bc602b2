"""The records and people of the authorisation matrix (tests/test_authorisation_matrix.py).

`realm` builds one record of every kind a route addresses in a partnership, and returns the value
to put in each path parameter. `people` adds, to our partnership, someone in each role the matrix
calls as: the lead headteacher of the collaborative the records are in, the headteacher of the
school they are about, the clinic's chair, and a lead and a headteacher elsewhere in the same
partnership (another collaborative, another school).
"""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.db import all_tenants, as_tenant
from app.models.account import Role, User
from app.models.clinic import ClinicStatus
from app.models.clinic_api import ClinicActionCreate, ClinicCreate, TargetCreate
from app.models.group import GroupTarget, SchoolGroup, SchoolGroupMember
from app.models.partnership import Partnership
from app.models.school import School
from app.models.visit import VisitKind
from app.services import accounts, calendar, clinic_actions, clinic_agenda, clinics, import_jobs, people
from tests import factories, flag_setup
from tests.gias_csv import gias_row, write_gias_csv
from tests.plan_web_setup import build_plan
from tests.support_setup import make_deployment


@dataclass
class Realm:
    """One partnership's records: `ids` fills the path parameters; the schools and collaboratives
    are kept for `people` to grant roles over."""

    partnership: Partnership
    ids: dict[str, str]
    school: School  # the records' school: in `triad`, flagged, on the clinic's agenda
    elsewhere_school: School  # in the other collaborative's triad
    collaborative_id: int
    elsewhere_collaborative_id: int


def realm(session: Session, partnership: Partnership, officer: User, tmp_dir, label: str) -> Realm:
    """One of every record of `partnership` a route can name, made by its operator (a password link by
    its `officer`, as only a person makes one)."""
    by = accounts.operator(partnership)
    school = factories.make_school(session, partnership, name=f"{label} Primary School")
    partner = factories.make_school(session, partnership, name=f"{label} Infant School")
    elsewhere = factories.make_school(session, partnership, name=f"{label} Junior School")
    spares = [factories.make_school(session, partnership, name=f"{label} {n} School") for n in ("Ash", "Elm")]
    inspection = factories.make_inspection(session, school, inspected_on=date(2024, 3, 12), overall_effectiveness=3)
    indicator = factories.make_indicator(session, school)
    flag = flag_setup.manual(session, school)
    collaborative = factories.make_collaborative(session, partnership, [school, partner, *spares],
                                                 name=f"{label} North")
    other = factories.make_collaborative(session, partnership, [elsewhere], name=f"{label} South")
    triad = factories.make_triad(session, collaborative, [school, partner])
    factories.make_triad(session, other, [elsewhere])
    # For the deletes that a record's contents would refuse (409): a triad with no visits, a
    # collaborative with no triads, a clinic not yet opened.
    empty_triad = factories.make_triad(session, collaborative, [], name=f"{label} empty triad")
    empty_collaborative = factories.make_collaborative(session, partnership, [], name=f"{label} Empty")
    # Submitted and graded: the head may still change it, only the lead (or an officer) sign it off.
    visit = factories.make_visit(session, school, kind=VisitKind.triad_review.value, triad_id=triad.id,
                                 status="submitted", grade=2)
    visit_action = factories.make_visit_action(session, visit)
    deployment = make_deployment(session, school)
    member = factories.make_user(session, partnership, Role.viewer.value, name=f"{label} Member")
    factories.make_token(session, partnership, "read", name="To revoke")
    with as_tenant(session, partnership.id):
        plan = build_plan(session, partnership, priorities=1, actions=1, milestones=1, urn=school.urn)
        clinic = clinics.create(session, ClinicCreate(held_on=date(2026, 10, 5), chair_name="Cllr Ann Chair"), by=by)
        clinics.transition(session, clinic, ClinicStatus.in_session, by=by)
        planned_clinic = clinics.create(session, ClinicCreate(held_on=date(2027, 2, 1)), by=by)
        item = clinic_agenda.items_of(session, [clinic.id])[clinic.id][0]
        clinic_action = clinic_actions.add_action(session, clinic.id, ClinicActionCreate(
            text="Book a review visit", urn=school.urn, due_on=date(2026, 12, 1)), by=by)
        target = clinic_actions.add_target(session, clinic.id, TargetCreate(
            urn=school.urn, outcome="Attendance above 95%", target_date=date(2027, 7, 1)), by=by)
        gias = write_gias_csv(tmp_dir / f"{label}.csv", [gias_row("390001" if label == "Our" else "390002")])
        job = import_jobs.upload_gias(session, file_name="edubasealldata.csv", la_code="874", by=by,
                                      content=gias.read_bytes())
        _, password_key = people.make_link(session, user_id=member.id, client="test",
                                           by=accounts.principal_for(session, officer, partnership.id))
    calendar_key = calendar.new_address(session, user_id=member.id)
    with all_tenants(session):
        group = SchoolGroup(partnership_id=partnership.id, name=f"{label} alliance", kind="alliance")
        session.add(group)
        session.flush()
        session.add(SchoolGroupMember(partnership_id=partnership.id, group_id=group.id, school_id=school.id))
        group_target = GroupTarget(partnership_id=partnership.id, group_id=group.id, measure="Attendance",
                                   baseline=91.0, target=95.0, target_on=date(2027, 7, 1))
        session.add(group_target)
        session.flush()
    ids = {
        "urn": school.urn, "inspection_id": inspection.id, "indicator_id": indicator.id, "flag_id": flag.id,
        "collaborative_id": collaborative.id, "triad_id": triad.id, "visit_id": visit.id,
        "visit_action_id": visit_action.id, "clinic_id": clinic.id, "item_id": item.id,
        "clinic_action_id": clinic_action.record.id, "clinic_target_id": target.record.id,
        "plan_id": plan.plan_id, "priority_id": plan.priority_ids[0], "plan_action_id": plan.action_ids[0],
        "milestone_id": next(iter(plan.milestone_ids.values())), "measure_id": _measure_of(session, plan.plan_id),
        "deployment_id": deployment.id, "group_id": group.id, "group_target_id": group_target.id,
        "job_id": job.id, "user_id": member.id, "prefix": _prefix_of(session, partnership, "To revoke"),
        "key": password_key, "calendar_key": calendar_key,
        # What bodies name: schools of the collaborative in no triad, a member, the partnership, a file.
        "spare_urn_1": spares[0].urn, "spare_urn_2": spares[1].urn, "member_email": member.email,
        "partnership_id": partnership.id, "gias_csv": gias.read_text(),
        "empty_triad_id": empty_triad.id, "empty_collaborative_id": empty_collaborative.id,
        "planned_clinic_id": planned_clinic.id,
    }
    return Realm(partnership, {k: str(v) for k, v in ids.items()}, school, elsewhere, collaborative.id, other.id)


def _measure_of(session: Session, plan_id: int) -> int:
    from sqlalchemy import select

    from app.models.action_plan import SuccessMeasure

    with all_tenants(session):
        return session.scalars(select(SuccessMeasure.id).where(SuccessMeasure.plan_id == plan_id)).one()


def _prefix_of(session: Session, partnership: Partnership, name: str) -> str:
    from sqlalchemy import select

    from app.models.account import ApiToken

    with all_tenants(session):
        return session.scalars(select(ApiToken.prefix).where(ApiToken.partnership_id == partnership.id,
                                                             ApiToken.name == name)).one()


@dataclass
class People:
    officer: str
    viewer: str
    lead: str
    head: str
    chair: str
    lead_elsewhere: str
    head_elsewhere: str
    write_token: str
    read_token: str


def people_of(session: Session, world: factories.World, ours: Realm) -> People:
    """The callers, all of our partnership: emails for the people, plain tokens for the tokens."""
    def person(name: str, role: str, kind: str = "partnership", scope_id: int | None = None) -> str:
        user = factories.make_user(session, name=name)
        with all_tenants(session):
            accounts.grant(session, user, world.ours, role, scope_kind=kind, scope_id=scope_id)
            session.flush()
        return user.email

    return People(
        officer=world.officer.email, viewer=world.viewer.email,
        lead=person("Leo Lead", Role.lead_headteacher.value, "collaborative", ours.collaborative_id),
        head=person("Hana Head", Role.headteacher.value, "school", ours.school.id),
        chair=person("Cath Chair", Role.clinic_chair.value),
        lead_elsewhere=person("Lena Lead", Role.lead_headteacher.value, "collaborative",
                              ours.elsewhere_collaborative_id),
        head_elsewhere=person("Hugo Head", Role.headteacher.value, "school", ours.elsewhere_school.id),
        write_token=world.write_token, read_token=world.read_token,
    )
