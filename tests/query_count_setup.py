"""A partnership holding some of every record a page or an API endpoint shows, built at a given
size: the statement-count test (tests/test_query_counts.py) builds it small and large, and asks
each endpoint the same question of both. At size n the partnership has n schools beside its main
one (each flagged, in the collaborative and the group), and its main records have n of what they
show: the main school n visits, inspections, figures, flags, deployments and plans; the triad n
visits; the visit n actions; the clinic n agenda items, actions and targets; the plan n priorities
of n actions of n milestones; the group n targets and stages; and n more of every listed record."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.db import all_tenants
from app.models.account import PasswordLink, Role
from app.models.action_plan import SuccessMeasure
from app.models.base import utcnow
from app.models.clinic import ClinicAgendaItem, ClinicStatus
from app.models.clinic_api import ClinicActionCreate, ClinicCreate, TargetCreate
from app.models.collaborative import CollaborativeSchool
from app.models.group import GroupStage
from app.models.group_api import GroupCreate, StageIn, TargetIn
from app.models.import_job import ImportJob, ImportStatus
from app.models.partnership import Partnership
from app.models.school import School
from app.models.visit import TriadVisit
from app.security import sha256_hex
from app.services import accounts, calendar, clinic_actions, clinics, groups, partnerships, tokens
from tests import factories, flag_setup, support_setup, visit_setup
from tests.plan_web_setup import build_plan, hold

TODAY = date.today()
YEAR = partnerships.academic_year_for(TODAY)
TERM_START = date(int(YEAR[:4]), 9, 1)
LAST_YEAR = partnerships.academic_year_for(TERM_START - timedelta(days=1))
PASSWORD_KEY = "query-count-password-link-key-{}"


@dataclass
class Built:
    """One partnership's records, and the ids its endpoints are asked about."""

    partnership: Partnership
    officer_email: str
    token: str
    ids: dict[str, str] = field(default_factory=dict)


def _visit(session: Session, school: School, triad_id: int | None, day: int, **values) -> TriadVisit:
    kind = "triad_review" if triad_id else "support_partner"
    return factories.make_visit(session, school, kind=kind, triad_id=triad_id,
                                visit_date=TERM_START + timedelta(days=day), **values)


def _clinic(session: Session, by, schools: list[School], n: int, held_on: date):  # noqa: ANN001
    """A clinic in session (its agenda: the partnership's flagged schools) with n actions and targets."""
    clinic = clinics.create(session, ClinicCreate(held_on=held_on, chair_name="Cllr Ann Chair",
                                                  attendees=["Lead member"]), by=by)
    clinics.transition(session, clinic, ClinicStatus.in_session, by=by)
    made = []
    for k in range(n):
        school = schools[k % len(schools)]
        made.append(clinic_actions.add_action(session, clinic.id, ClinicActionCreate(
            text=f"Agree a reading plan {k}", urn=school.urn, owner="Head of school", due_on=held_on + timedelta(30)),
            by=by))
        clinic_actions.add_target(session, clinic.id, TargetCreate(urn=school.urn, outcome=f"Reading at 70% ({k})",
                                                                   target_date=held_on + timedelta(days=200)), by=by)
    return clinic, made


def build(session: Session, n: int) -> Built:
    partnership = factories.make_partnership(session, category_scheme=["red", "amber", "green"])
    by = accounts.operator(partnership)
    officer = factories.make_user(session, partnership, Role.officer.value)
    built = Built(partnership, officer.email, factories.make_token(session, partnership, "read write"))
    ids = built.ids

    # Schools: the main one and n more, each flagged by several rules; national figures for the rules.
    main = flag_setup.troubled_school(session, partnership, name="Alder Primary School")
    others = [flag_setup.troubled_school(session, partnership, name=f"School {k:02d} Primary") for k in range(n)]
    schools = [main, *others]
    for measure, value in (("absence", 5.0), ("attainment", 60.0), ("persistent_absence", 18.0)):
        flag_setup.national(session, partnership, measure, value, academic_year=YEAR)
        for k in range(n):
            flag_setup.national(session, partnership, measure, value + k, academic_year=f"{2010 + k}/{11 + k}")
    for k in range(n):
        factories.make_inspection(session, main, inspected_on=date(2010 + k, 3, 1), overall_effectiveness=2)
        factories.make_indicator(session, main, measure="absence", academic_year=f"{2015 + k}/{16 + k}", value=4 + k)
        flag_setup.manual(session, main, reason=f"Chair of governors resigned ({k})")
        flag_setup.judgement(session, main, "quality_of_education", 2 + k % 2, academic_year=f"{2018 + k}/{19 + k}")
        support_setup.make_deployment(session, main, academic_year=YEAR, provider_school_id=others[k].id,
                                      start_on=TERM_START + timedelta(days=k))
        support_setup.make_deployment(session, others[k], academic_year=YEAR, provider_kind="peer_review",
                                      days_delivered=2.0)
    ids |= {"urn": main.urn, "school_id": str(main.id),
            "inspection_id": str(factories.make_inspection(session, main, inspected_on=date(2022, 1, 8)).id),
            "indicator_id": str(factories.make_indicator(session, main, measure="attainment",
                                                         academic_year="2024/25", value=58.0).id),
            "flag_id": str(flag_setup.manual(session, main, reason="Interim executive board").id),
            "deployment_id": str(support_setup.make_deployment(session, main, academic_year=YEAR).id)}

    # The peer-review network: this year's collaborative of every school, its main triad, the rest
    # waiting for the composer's proposal; last year's, in triads of three; n more collaboratives.
    network = visit_setup.collaborative(session, partnership, year=YEAR)
    earlier = visit_setup.collaborative(session, partnership, year=LAST_YEAR)
    with all_tenants(session):
        for group in (network, earlier):
            for school in schools:
                session.add(CollaborativeSchool(partnership_id=partnership.id, collaborative_id=group.id,
                                                school_id=school.id, academic_year=group.academic_year))
        session.flush()
    triads = [visit_setup.triad(session, network, [main, *others[:2]])]
    triads += [visit_setup.triad(session, earlier, schools[k:k + 3]) for k in range(0, len(schools) - 2, 3)]
    main_visit = _visit(session, main, triads[0].id, 20, status="submitted")
    for k in range(n):
        factories.make_visit_action(session, main_visit, text=f"Share the phonics tracker ({k})")
        factories.make_visit_action(session, _visit(session, others[k % 2], triads[0].id, 30 + k), text="Plan")
        _visit(session, main, None, 40 + k)
        visit_setup.collaborative(session, partnership, year=YEAR)
    ids |= {"collaborative_id": str(network.id), "triad_id": str(triads[0].id), "visit_id": str(main_visit.id),
            "visit_action_id": str(factories.make_visit_action(session, main_visit).id)}

    # Clinics: n held (each with its flagged schools and open actions), the main one in session.
    clinic, agreed = _clinic(session, by, schools, n, TODAY + timedelta(days=3))
    for k in range(n):
        clinics.create(session, ClinicCreate(held_on=TODAY + timedelta(days=40 + 35 * k)), by=by)
    with all_tenants(session):
        item_id = session.scalars(select(ClinicAgendaItem.id).where(ClinicAgendaItem.clinic_id == clinic.id)
                                  .order_by(ClinicAgendaItem.position)).first()
    ids |= {"clinic_id": str(clinic.id), "clinic_action_id": str(agreed[0].record.id), "item_id": str(item_id)}

    # Plans: the main one of n priorities of n actions of n milestones, n more, and the main school's.
    plan = build_plan(session, partnership, title="Main plan", priorities=n, actions=n, milestones=n)
    for k in range(n):
        build_plan(session, partnership, title=f"Plan {k}", priorities=1, actions=1, milestones=2)
        build_plan(session, partnership, title=f"School plan {k}", priorities=1, actions=1, milestones=2,
                   urn=main.urn)
    hold(session, partnership, officer, "HSI", "SIM", "DCS")
    with all_tenants(session):
        measure_id = session.scalars(select(SuccessMeasure.id).where(SuccessMeasure.plan_id == plan.plan_id)).first()
    ids |= {"plan_id": str(plan.plan_id), "priority_id": str(plan.priority_ids[0]),
            "plan_action_id": str(plan.action_ids[0]), "milestone_id": str(plan.milestone_ids["Overdue visits"]),
            "measure_id": str(measure_id)}

    # Groups: the main one of every school with n targets and n stages; n more.
    group = groups.create(session, GroupCreate(
        name="Main alliance", kind="alliance", schools=[s.urn for s in schools],
        targets=[TargetIn(measure=f"Reading {k} (%)", baseline=60, target=80, target_on=TODAY + timedelta(days=300),
                          latest_value=65, latest_on=TERM_START) for k in range(n)],
        stage=StageIn(stage="emerging", reached_on=TERM_START)), by=by)
    with all_tenants(session):
        for k in range(1, n):
            session.add(GroupStage(partnership_id=partnership.id, group_id=group.group.id, stage="developing",
                                   reached_on=TERM_START + timedelta(days=k)))
        session.flush()
    for k in range(n):
        groups.create(session, GroupCreate(name=f"Alliance {k}", kind="named", schools=[others[k].urn]), by=by)
    ids["group_id"] = str(group.group.id)

    # People, tokens, import jobs, a password link and the officer's calendar feed.
    members = [factories.make_user(session, partnership, Role.viewer.value) for _ in range(n)]
    for _ in range(n):
        factories.make_token(session, partnership, "read")
    with all_tenants(session):
        for k in range(n + 1):
            session.add(ImportJob(partnership_id=partnership.id, kind="gias", file_name=f"extract-{k}.csv",
                                  file_size=1000, status=ImportStatus.refused.value, created_by_user_id=officer.id,
                                  created_by_name=officer.name, progress_done=n, progress_total=n,
                                  problems=[[line, "URN: not six digits"] for line in range(2, n + 2)],
                                  message="The file was refused"))
        session.flush()
        job_id = session.scalars(select(ImportJob.id).where(ImportJob.partnership_id == partnership.id)
                                 .order_by(ImportJob.id)).first()
        session.add(PasswordLink(partnership_id=partnership.id, user_id=members[0].id, created_by_user_id=officer.id,
                                 key_hash=sha256_hex(PASSWORD_KEY.format(partnership.id)),
                                 expires_at=utcnow() + timedelta(hours=12)))
        session.flush()
    token_prefix = tokens.list_all(session, by=by)[0].prefix
    ids |= {"user_id": str(members[0].id), "job_id": str(job_id), "prefix": token_prefix,
            "password_key": PASSWORD_KEY.format(partnership.id),
            "calendar_key": calendar.new_address(session, user_id=officer.id)}
    return built
