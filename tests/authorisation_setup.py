"""The records, people and request bodies of the authorisation matrix (tests/test_authorisation_matrix.py).

`realm` builds one record of every kind a route addresses in a partnership, and returns the value
to put in each path parameter. `people_of` adds, to our partnership, someone in each role the matrix
calls as: the lead headteacher of the collaborative the records are in, the headteacher of the
school they are about, the clinic's chair, and a lead and a headteacher elsewhere in the same
partnership (another collaborative, another school).
"""

from collections.abc import Callable
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
from tests.factories import PASSWORD
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


# --- the bodies the matrix sends -------------------------------------------------------------------------------------

Body = Callable[[dict[str, str]], dict]


def _json(make: Callable[[dict[str, str]], dict]) -> Body:
    return lambda i: {"json": make(i)}


def _bulk(i: dict[str, str]) -> dict:
    return {"items": [{"urn": i["urn"], "measure": "absence", "academic_year": "2024/25", "value": 4.8,
                       "source": "DfE"}]}


V = "/api/v1"
# The API's bodies: valid for our records, by (method, path).
BODIES: dict[tuple[str, str], Body] = {(m, V + p): _json(f) for (m, p), f in {
    ("POST", "/schools"): lambda i: {"urn": "390101", "name": "Hazel Primary School", "phase": "primary"},
    ("PATCH", "/schools/{urn}"): lambda i: {"pupils": 220},
    ("POST", "/schools/{urn}/inspections"): lambda i: {"inspected_on": "2023-06-10", "overall_effectiveness": 2},
    ("PUT", "/schools/{urn}/inspections/{inspection_id}"): lambda i: {"inspected_on": "2024-03-12",
                                                                      "overall_effectiveness": 2},
    ("POST", "/schools/{urn}/indicators"): lambda i: {"measure": "absence", "academic_year": "2024/25",
                                                      "value": 4.8, "source": "DfE"},
    ("PATCH", "/schools/{urn}/indicators/{indicator_id}"): lambda i: {"value": 5.0},
    ("POST", "/indicators/bulk"): _bulk,
    ("POST", "/triads/{triad_id}/visits"): lambda i: {"visit_date": "2025-11-10", "urn": i["urn"]},
    ("POST", "/schools/{urn}/visits"): lambda i: {"visit_date": "2025-11-10", "kind": "support_partner"},
    ("PATCH", "/visits/{visit_id}"): lambda i: {"strengths": "A strong reading culture"},
    ("POST", "/visits/{visit_id}/actions"): lambda i: {"text": "Share the maths tracker"},
    ("PATCH", "/visits/{visit_id}/actions/{action_id}"): lambda i: {"owner": "Head of maths"},
    ("POST", "/collaboratives"): lambda i: {"name": "West", "phase": "primary", "academic_year": "2025/26"},
    ("PATCH", "/collaboratives/{collaborative_id}"): lambda i: {"name": "North renamed"},
    ("POST", "/collaboratives/{collaborative_id}/triad-proposals/accept"): lambda i: {
        "triads": [{"name": "Spare triad", "schools": [i["spare_urn_1"], i["spare_urn_2"]]}]},
    ("POST", "/triads"): lambda i: {"name": "Spare triad", "collaborative_id": int(i["collaborative_id"]),
                                    "schools": [i["spare_urn_1"], i["spare_urn_2"]]},
    ("PATCH", "/triads/{triad_id}"): lambda i: {"name": "Triad renamed"},
    ("POST", "/schools/{urn}/flags"): lambda i: {"reason": "The chair of governors resigned", "severity": "amber",
                                                 "category": "governance"},
    ("PATCH", "/flag-rules/{rule}"): lambda i: {"enabled": False},
    ("POST", "/clinics"): lambda i: {"held_on": "2027-01-20"},
    ("PATCH", "/clinics/{clinic_id}"): lambda i: {"chair_name": "Cllr Bo Chair"},
    ("POST", "/clinics/{clinic_id}/agenda"): lambda i: {"urn": i["spare_urn_1"]},
    ("PATCH", "/clinics/{clinic_id}/agenda/{item_id}"): lambda i: {"minutes": "Agreed a review visit"},
    ("POST", "/clinics/{clinic_id}/actions"): lambda i: {"text": "Book a review visit"},
    ("PATCH", "/actions/{action_id}"): lambda i: {"owner": "Head of school improvement"},
    ("POST", "/clinics/{clinic_id}/targets"): lambda i: {"urn": i["urn"], "outcome": "Attendance above 96%"},
    ("PATCH", "/targets/{target_id}"): lambda i: {"review": "On track"},
    ("POST", "/schools/{urn}/review-judgements"): lambda i: {"academic_year": "2025/26", "partner_grade": 2,
                                                             "strand": "leadership_and_management"},
    ("POST", "/action-plans/{plan_id}/priorities"): lambda i: {"title": "Attendance"},
    ("PATCH", "/priorities/{priority_id}"): lambda i: {"title": "Priority renamed"},
    ("POST", "/priorities/{priority_id}/actions"): lambda i: {"description": "Audit attendance", "leads": ["HSI"]},
    ("PATCH", "/plan-actions/{action_id}"): lambda i: {"description": "Action renamed"},
    ("POST", "/plan-actions/{action_id}/milestones"): lambda i: {"description": "Termly check"},
    ("PATCH", "/milestones/{milestone_id}"): lambda i: {"status": "on_track", "evidence": "Visit notes"},
    ("POST", "/action-plans/{plan_id}/success-measures"): lambda i: {"measure": "KS2 reading"},
    ("PATCH", "/success-measures/{measure_id}"): lambda i: {"latest_value": "Top 40%"},
    ("POST", "/action-plans"): lambda i: {"title": "Attendance 2026", "period_start": "2025-09",
                                          "period_end": "2027-08"},
    ("PATCH", "/action-plans/{plan_id}"): lambda i: {"title": "Plan renamed"},
    ("POST", "/support-deployments"): lambda i: {"urn": i["urn"], "provider_kind": "sle", "objective": "Phonics"},
    ("PATCH", "/support-deployments/{deployment_id}"): lambda i: {"days_delivered": 2},
    ("POST", "/groups"): lambda i: {"name": "West alliance", "kind": "alliance", "schools": [i["urn"]]},
    ("PATCH", "/groups/{group_id}"): lambda i: {"description": "Schools working on attendance"},
}.items()}


def _file(name: str, content: str, **data: str) -> Body:
    return lambda i: {"files": {"file": (name, content.format(**i).encode(), "text/csv")}, "data": data}


INDICATORS_CSV = "urn,national,measure,academic_year,value,source,recorded_on\n{urn},no,absence,2024/25,4.8,DfE,\n"
PLAN_CSV = ("priority,priority_title,action,action_description,lead,time_frame,milestone,due_date,status\n"
            "1,Leadership,1.1,Appoint a head of school improvement,DCS,Sept 2026,Post filled,2027-01-31,green\n")
NEW_PASSWORD = "a different horse battery staple"
# Browser forms: the fields to fill in (or change) in the form the page offers, by POST path.
FORMS: dict[str, Body] = {
    "/sign-in": lambda i: {"email": i["member_email"], "password": PASSWORD},
    "/partnership": lambda i: {"partnership_id": i["partnership_id"]},
    "/account/password": lambda i: {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                    "again": NEW_PASSWORD},
    "/password/{key}": lambda i: {"password": NEW_PASSWORD, "again": NEW_PASSWORD},
    "/imports/gias": lambda i: {"files": {"file": ("edubasealldata.csv", i["gias_csv"].encode(), "text/csv")},
                                "data": {"la_code": "874"}},
    "/indicators/import": _file("indicators.csv", INDICATORS_CSV, action="check"),
    "/action-plans/import": _file("plan.csv", PLAN_CSV, title="Imported plan"),
    "/action-plans": lambda i: {"title": "Attendance 2026", "period_start": "2025-09", "period_end": "2027-08",
                                "status": "draft"},
    "/action-plans/{plan_id}/measures/new": lambda i: {"measure": "KS2 reading"},
    "/action-plans/{plan_id}/priorities/new": lambda i: {"title": "Attendance"},
    "/priorities/{priority_id}/actions/new": lambda i: {"description": "Audit attendance", "leads": "HSI"},
    "/plan-actions/{action_id}/milestones/new": lambda i: {"description": "Termly check"},
    "/clinics": lambda i: {"held_on": "2027-01-20"},
    "/clinics/{clinic_id}/actions": lambda i: {"text": "Book a review visit"},
    "/clinics/{clinic_id}/agenda": lambda i: {"urn": i["spare_urn_1"]},
    "/clinics/{clinic_id}/items/{item_id}": lambda i: {"minutes": "Agreed a review visit"},
    "/clinics/{clinic_id}/items/{item_id}/move": lambda i: {"position": "1", "version": "1"},
    "/clinics/{clinic_id}/targets": lambda i: {"urn": i["urn"], "outcome": "Attendance above 96%"},
    "/clinics/{clinic_id}/targets/{target_id}": lambda i: {"review": "On track", "met": "yes", "version": "1"},
    "/collaboratives/{collaborative_id}/triad-proposals": lambda i: {
        "triad.0.name": "Spare triad", "triad.0.schools": f"{i['spare_urn_1']},{i['spare_urn_2']}"},
    "/groups": lambda i: {"name": "West alliance", "kind": "alliance", "schools": i["urn"]},
    "/groups/{group_id}/stage": lambda i: {"reached_on": "2026-10-01"},
    "/groups/{group_id}/targets": lambda i: {"measure": "Attendance", "baseline": "91", "target": "95",
                                             "target_on": "2027-07-01"},
    "/groups/{group_id}/targets/{target_id}": lambda i: {"latest_value": "93", "latest_on": "2026-10-01"},
    "/red-flags/new": lambda i: {"urn": i["urn"], "severity": "amber", "category": "governance",
                                 "reason": "The chair resigned"},
    "/schools/{urn}/indicators": lambda i: {"measure": "absence", "academic_year": "2024/25", "value": "4.8",
                                            "source": "DfE"},
    "/schools/{urn}/inspections": lambda i: {"inspected_on": "2023-06-10", "overall_effectiveness": "2"},
    "/settings/people": lambda i: {"name": "Nell New", "email": "nell.new@school.example", "role": "viewer"},
    "/settings/people/{user_id}/role": lambda i: {"role": "officer"},
    "/settings/people/{user_id}/plan-roles": lambda i: {"codes": "HSI"},
    "/settings/tokens": lambda i: {"name": "Reporting", "scopes": "read"},
    "/support": lambda i: {"urn": i["urn"], "provider_kind": "sle", "objective": "Phonics",
                           "outcome": "not_yet_completed"},
    "/triads/{triad_id}/visits": lambda i: {"urn": i["urn"], "visit_date": "2025-11-10"},
    "/visits/{visit_id}/actions": lambda i: {"text": "Share the maths tracker"},
    "/visits/{visit_id}/status": lambda i: {"status": "signed_off"},
    "/red-flags/withdraw": lambda i: {"urn": i["urn"], "flag_id": i["flag_id"]},
}
# Routes whose path names no record but whose body does: `theirs` sends another partnership's.
BODY_NAMES_A_RECORD = {
    ("POST", "/api/v1/triads"), ("POST", "/api/v1/support-deployments"), ("POST", "/api/v1/groups"),
    ("POST", "/api/v1/indicators/bulk"), ("POST", "/partnership"), ("POST", "/red-flags/new"),
    ("POST", "/red-flags/withdraw"), ("POST", "/support"), ("POST", "/groups"),
}
