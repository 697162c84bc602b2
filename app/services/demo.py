"""A realistic, entirely fictional partnership for demonstrations and local development.

No real schools or people: names are drawn from invented place names and common given and
family names, and LA code 990 is not in use by any English authority.
"""

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from app.db import all_tenants
from app.models.account import Role
from app.models.inspection import Inspection, InspectionWrite, ReportCardGrade
from app.models.partnership import Partnership
from app.models.school import School
from app.services import (
    accounts,
    demo_clinics,
    demo_plans,
    demo_support,
    demo_triads,
    inspections,
    partnerships,
    tokens,
)
from app.services.principal import bind

DEMO_SLUG = "northfield"
PLACES = ["Ashcombe", "Brackenfield", "Corley Vale", "Dunmere", "Elmstead", "Fernhollow", "Greystoke Park",
          "Harrowfield", "Ivybridge Lane", "Juniper Hill", "Kestrel Rise", "Larkspur", "Millbeck", "Northgate",
          "Oakhurst", "Pennyworth", "Quarry Bank", "Redmarsh", "Sallowfield", "Thornbury Green", "Upperwood",
          "Valeside", "Willowmere", "Yarrowdale", "Alderbrook", "Birchcombe", "Copperfield", "Dovecote",
          "Easterby", "Foxlease", "Glebe Farm", "Hazelmoor", "Kingsmead", "Lantern Hill", "Marshgate"]
SAINTS = ["St Aidan's", "St Bede's", "St Hilda's", "St Oswald's", "St Cuthbert's", "Holy Trinity", "St Chad's"]
GIVEN = ["Amara", "Ben", "Catherine", "Daniel", "Eleanor", "Farid", "Grace", "Harpreet", "Imogen", "James",
         "Kemi", "Liam", "Mei", "Nathan", "Olivia", "Priya", "Rhys", "Sofia", "Tom", "Yasmin"]
FAMILY = ["Adeyemi", "Bramwell", "Castellano", "Dunmore", "Ellery", "Fairweather", "Grantham", "Holloway",
          "Iqbal", "Jessop", "Kowalczyk", "Lindqvist", "Marchetti", "Nightingale", "Okafor", "Pendleton",
          "Quinlan", "Ravensworth", "Sutcliffe", "Thackeray"]
TRUSTS = ["Meadowlark Learning Trust", "Riverside Education Partnership", "Beacon Hill Academies Trust"]

# phase, how many, name pattern, types, pupils range
PLAN = [
    ("primary", 36, "{place} Primary School", ["Community school", "Voluntary aided school", "Academy converter",
                                               "Academy sponsor led", "Foundation school"], (90, 630)),
    ("infant", 5, "{place} Infant School", ["Community school", "Voluntary controlled school"], (80, 270)),
    ("junior", 5, "{place} Junior School", ["Community school", "Academy converter"], (120, 360)),
    ("nursery", 3, "{place} Nursery School", ["Local authority nursery school"], (40, 120)),
    ("secondary", 11, "{place} Academy", ["Academy converter", "Academy sponsor led", "Free schools"], (600, 1650)),
    ("all_through", 2, "{place} All-Through School", ["Academy converter"], (900, 1800)),
    ("special", 4, "{place} Special School", ["Community special school", "Academy special converter"], (60, 220)),
    ("alternative_provision", 2, "{place} Learning Centre", ["Pupil referral unit"], (20, 80)),
    ("post_16", 1, "{place} Sixth Form College", ["Sixth form centres"], (500, 900)),
]


@dataclass
class DemoResult:
    partnership: Partnership
    officer_email: str
    officer_password: str
    viewer_email: str
    viewer_password: str
    token: str
    schools: int
    # The lead headteachers and headteachers of this year's peer review (app.services.demo_triads), and the
    # clinic chair and member (app.services.demo_clinics).
    people: list[demo_triads.DemoAccount] = field(default_factory=list)
    peer_review: str = ""
    # Indicators, the clinic chair and member, and last term's and the next clinic (app.services.demo_clinics).
    clinics: str = ""


def credential_lines(result: DemoResult) -> list[str]:
    """What the demo command prints and keeps in the credentials file: the partnership, each account
    with its password, and the API token."""
    return [
        f"demo partnership: {result.partnership.name} ({result.schools} schools)",
        *([result.peer_review] if result.peer_review else []),
        *([result.clinics] if result.clinics else []),
        f"officer: {result.officer_email}  password: {result.officer_password}",
        f"viewer:  {result.viewer_email}  password: {result.viewer_password}",
        *(person.line() for person in result.people),
        f"API token (read, write): {result.token}",
    ]


def write_credentials(path: Path, lines: list[str]) -> None:
    """Keep the demo's credentials beside the SQLite database, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def exists(session: Session) -> bool:
    with all_tenants(session):
        return session.scalars(select(Partnership.id).where(Partnership.slug == DEMO_SLUG)).first() is not None


def _inspection_history(rng: random.Random) -> list[InspectionWrite]:
    history = []
    day = date(2013, 9, 1) + timedelta(days=rng.randrange(0, 900))
    grade = rng.choices([1, 2, 3, 4], weights=[12, 60, 20, 8])[0]
    while day < date(2026, 11, 1):
        if day < date(2024, 9, 1):
            concern = None
            if grade == 4:
                concern = rng.choice(["special_measures", "serious_weaknesses"])
            history.append(InspectionWrite(inspected_on=day, overall_effectiveness=grade, category_of_concern=concern,
                                           grades={"quality_of_education": grade,
                                                   "leadership_and_management": max(1, grade - rng.randint(0, 1))}
                                           if day >= date(2019, 9, 1) else {}))
        elif day < date(2025, 11, 10):
            history.append(InspectionWrite(inspected_on=day, grades={
                "quality_of_education": grade, "behaviour_and_attitudes": max(1, grade - 1),
                "personal_development": grade, "leadership_and_management": grade}))
        else:
            scale = list(ReportCardGrade)
            centre = min(4, grade)
            areas = ["inclusion", "curriculum_and_teaching", "achievement", "attendance_and_behaviour",
                     "personal_development_and_wellbeing", "leadership_and_governance"]
            history.append(InspectionWrite(
                inspected_on=day, safeguarding="met" if rng.random() > 0.05 else "not_met",
                grades={a: scale[max(0, min(4, centre - 1 + rng.randint(-1, 1)))] for a in areas}))
        gap_years = {1: 5, 2: 4, 3: 2, 4: 1}[grade]
        day += timedelta(days=365 * gap_years + rng.randrange(-60, 120))
        # Schools in a category are usually turned round (or re-brokered) within two inspections.
        moves = {1: [0, 0, 1], 2: [-1, 0, 0, 0, 1], 3: [-1, -1, 0, 1], 4: [-1, -1, -1, 0]}[grade]
        grade = max(1, min(4, grade + rng.choice(moves)))
    return history


def build(session: Session, *, seed: int = 2026) -> DemoResult:
    """Create the demo partnership with about 70 schools, accounts, a token, this academic year's
    collaboratives, triads and a term of visit records (app.services.demo_triads), and the figures,
    chair, member and meetings of its School Performance Clinic (app.services.demo_clinics)."""
    rng = random.Random(seed)
    with all_tenants(session):
        partnership = partnerships.create(session, name="Northfield Schools Partnership", slug=DEMO_SLUG,
                                          la_code="990", category_scheme=["red", "amber", "green"])
    by = accounts.operator(partnership)
    bind(session, by)
    places = rng.sample(PLACES, len(PLACES))
    saints = iter(rng.sample(SAINTS, len(SAINTS)))
    urn = 190000 + rng.randrange(0, 500)
    count = 0
    for phase, how_many, pattern, types, (low, high) in PLAN:
        for _ in range(how_many):
            count += 1
            place = places[count % len(places)] if count <= len(places) else f"{places[count % len(places)]} North"
            etype = rng.choice(types)
            name = pattern.format(place=place)
            if etype == "Voluntary aided school" and phase == "primary":
                name = f"{next(saints, 'St Anne')} C of E Primary School, {place}"
            urn += rng.randrange(1, 40)
            engaged = rng.random() > 0.08
            school = School(
                urn=str(urn), name=name, phase=phase, establishment_type=etype,
                trust_name=rng.choice(TRUSTS) if etype.startswith(("Academy", "Free")) else None,
                la_code="990", la_name="Northfield", status="open",
                pupils=rng.randrange(low, high), fsm_percent=round(rng.uniform(4, 48), 1),
                headteacher_name=f"{rng.choice(['Mr', 'Mrs', 'Ms', 'Dr'])} {rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                headteacher_started_on=date(2026, 9, 1) - timedelta(days=rng.randrange(60, 4000)),
                postcode=f"NF{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                         f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                engaged=engaged,
                not_engaged_reason=None if engaged else rng.choice(
                    ["Trust runs its own peer review", "Headteacher on long-term leave", "Joining in spring term"]),
                la_category=rng.choices(["red", "amber", "green", None], weights=[10, 25, 55, 10])[0],
                opened_on=date(1950 + rng.randrange(0, 70), 9, 1),
            )
            session.add(school)
            session.flush()
            for data in _inspection_history(rng):
                inspection = Inspection(school_id=school.id, inspected_on=data.inspected_on,
                                        framework=data.framework.value, source="Demo data",
                                        overall_effectiveness=data.overall_effectiveness,
                                        category_of_concern=getattr(data.category_of_concern, "value", None),
                                        safeguarding=getattr(data.safeguarding, "value", None),
                                        grades={k: getattr(v, "value", v) for k, v in data.grades.items()},
                                        headline=inspections.headline(data).value)
                session.add(inspection)
            session.flush()
            inspections.refresh_latest(session, school)
    session.flush()

    officer_password, viewer_password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    with all_tenants(session):
        officer = accounts.create_user(session, email="officer@northfield.example", name="Sam Officer",
                                       password=officer_password)
        viewer = accounts.create_user(session, email="viewer@northfield.example", name="Val Viewer",
                                      password=viewer_password)
        accounts.grant(session, officer, partnership, Role.officer.value)
        accounts.grant(session, viewer, partnership, Role.viewer.value)
    year = demo_triads.build(session, partnership, officer, rng)
    clinic = demo_clinics.build(session, partnership, officer, rng)  # figures, clinic chair and member, clinics
    demo_support.build(session, partnership, officer, seed=seed)  # last year's support deployments
    demo_plans.build(session, partnership, officer)  # the improvement plan (docs/examples/plan.csv)
    _, token = tokens.create(session, name="Demo alliance sync", scopes="read write", by=by)
    summary = (f"peer review {partnership.current_academic_year}: {year.collaboratives} collaboratives, "
               f"{year.triads} triads, {year.visits} visit records")
    return DemoResult(partnership, officer.email, officer_password, viewer.email, viewer_password, token, count,
                      year.accounts + clinic.accounts, summary, clinic.summary)
