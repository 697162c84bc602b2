"""Plain factory functions for tests: make_school(session, partnership, **overrides)."""

import itertools
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.db import all_tenants
from app.models.account import ApiToken, Role, User
from app.models.indicator import Indicator
from app.models.inspection import Inspection, InspectionWrite
from app.models.partnership import Partnership
from app.models.school import School
from app.models.visit import TriadVisit, VisitAction
from app.security import new_api_token
from app.services import accounts, inspections, partnerships

PASSWORD = "correct horse battery staple"
_urns = itertools.count(100001)
_seq = itertools.count(1)


def make_partnership(session: Session, **overrides) -> Partnership:
    n = next(_seq)
    values = {"name": f"Partnership {n}", "slug": f"partnership-{n}", "la_code": "874"} | overrides
    with all_tenants(session):
        return partnerships.create(session, **values)


def make_user(session: Session, partnership: Partnership | None = None, role: str = Role.officer.value,
              **overrides) -> User:
    n = next(_seq)
    values = {"email": f"person{n}@school.example", "name": f"Person {n}", "password": PASSWORD} | overrides
    with all_tenants(session):
        user = accounts.create_user(session, **values)
        if partnership is not None:
            accounts.grant(session, user, partnership, role)
    return user


def make_token(session: Session, partnership: Partnership, scopes: str = "read write", **overrides) -> str:
    plain, prefix, digest = new_api_token()
    with all_tenants(session):
        session.add(ApiToken(partnership_id=partnership.id, name=overrides.get("name", "Integration"),
                             prefix=prefix, token_hash=digest, scopes=scopes, revoked_at=overrides.get("revoked_at")))
        session.flush()
    return plain


def make_school(session: Session, partnership: Partnership, **overrides) -> School:
    urn = overrides.pop("urn", None) or str(next(_urns))
    values = {"urn": urn, "name": f"School {urn}", "phase": "primary", "status": "open",
              "establishment_type": "Community school", "la_code": "874", "la_name": "Peterborough",
              "pupils": 210, "fsm_percent": 18.5, "engaged": True} | overrides
    with all_tenants(session):
        school = School(partnership_id=partnership.id, **values)
        session.add(school)
        session.flush()
    return school


def make_inspection(session: Session, school: School, **overrides) -> Inspection:
    data = InspectionWrite(**({"inspected_on": date(2023, 5, 10), "overall_effectiveness": 2} | overrides))
    with all_tenants(session):
        inspection = Inspection(partnership_id=school.partnership_id, school_id=school.id,
                                inspected_on=data.inspected_on, framework=data.framework.value,
                                overall_effectiveness=data.overall_effectiveness,
                                category_of_concern=getattr(data.category_of_concern, "value", None),
                                safeguarding=data.safeguarding.value if data.safeguarding else None,
                                grades={k: getattr(v, "value", v) for k, v in data.grades.items()},
                                headline=inspections.headline(data).value)
        session.add(inspection)
        session.flush()
        inspections.refresh_latest(session, school)
    return inspection


def make_indicator(session: Session, school: School, **overrides) -> Indicator:
    values = {"measure": "absence", "academic_year": "2025/26", "value": 5.2, "source": "DfE",
              "recorded_on": date(2026, 10, 1)} | overrides
    with all_tenants(session):
        indicator = Indicator(partnership_id=school.partnership_id, school_id=school.id, **values)
        session.add(indicator)
        session.flush()
    return indicator


@dataclass
class World:
    ours: Partnership
    theirs: Partnership
    officer: User
    viewer: User
    outsider: User
    write_token: str
    read_token: str
    their_token: str
    our_school: School
    their_school: School


def make_world(session: Session) -> World:
    ours = make_partnership(session, name="Northfield Schools Partnership")
    theirs = make_partnership(session, name="Southmoor Alliance")
    world = World(
        ours=ours, theirs=theirs,
        officer=make_user(session, ours, Role.officer.value),
        viewer=make_user(session, ours, Role.viewer.value),
        outsider=make_user(session, theirs, Role.officer.value),
        write_token=make_token(session, ours, "read write"),
        read_token=make_token(session, ours, "read"),
        their_token=make_token(session, theirs, "read write"),
        our_school=make_school(session, ours, name="Alder Primary School"),
        their_school=make_school(session, theirs, name="Birch Academy"),
    )
    return world


def make_visit(session: Session, school: School, **overrides) -> TriadVisit:
    """A visit record hosted by `school` (a support partner's, unless `kind` and `triad_id` say
    otherwise), as a draft dated 15 October 2025 unless told otherwise."""
    values = {"kind": "support_partner", "visit_date": date(2025, 10, 15), "status": "draft",
              "visiting_heads": [{"name": "Ann Adviser", "urn": None}],
              "focus_areas": [{"area": "reading", "self_evaluation": "Good", "peer_view": "Good, with gaps"}],
              } | overrides
    values.setdefault("academic_year", partnerships.academic_year_for(values["visit_date"]))
    with all_tenants(session):
        visit = TriadVisit(partnership_id=school.partnership_id, school_id=school.id, **values)
        session.add(visit)
        session.flush()
    return visit


def make_visit_action(session: Session, visit: TriadVisit, **overrides) -> VisitAction:
    values = {"text": "Share the phonics tracker with the triad", "owner": "Head of English",
              "due_on": date(2026, 1, 31), "status": "open"} | overrides
    with all_tenants(session):
        action = VisitAction(partnership_id=visit.partnership_id, visit_id=visit.id, **values)
        session.add(action)
        session.flush()
    return action


def make_collaborative(session: Session, partnership: Partnership, schools=(), lead: User | None = None,
                       **overrides):
    """A collaborative of `schools` (2025/26 unless told otherwise); a `lead` is also granted the
    lead headteacher role over it, as the service does."""
    from app.models.collaborative import Collaborative, CollaborativeSchool

    n = next(_seq)
    values = {"name": f"Collaborative {n}", "phase": "primary", "academic_year": "2025/26"} | overrides
    with all_tenants(session):
        collaborative = Collaborative(partnership_id=partnership.id, lead_user_id=lead.id if lead else None,
                                      **values)
        session.add(collaborative)
        session.flush()
        for school in schools:
            session.add(CollaborativeSchool(partnership_id=partnership.id, collaborative_id=collaborative.id,
                                            school_id=school.id, academic_year=collaborative.academic_year))
        if lead is not None:
            accounts.grant(session, lead, partnership, Role.lead_headteacher.value, scope_kind="collaborative",
                           scope_id=collaborative.id)
        session.flush()
    return collaborative


def make_triad(session: Session, collaborative, schools=(), **overrides):
    """A triad of `schools` in `collaborative`, its year; a school not yet in the collaborative joins it."""
    from sqlalchemy import select

    from app.models.collaborative import CollaborativeSchool, Triad, TriadSchool

    values = {"name": f"Triad {next(_seq)}"} | overrides
    with all_tenants(session):
        triad = Triad(partnership_id=collaborative.partnership_id, collaborative_id=collaborative.id,
                      academic_year=collaborative.academic_year, **values)
        session.add(triad)
        session.flush()
        members = set(session.scalars(select(CollaborativeSchool.school_id)
                                      .where(CollaborativeSchool.collaborative_id == collaborative.id)))
        for school in schools:
            if school.id not in members:
                session.add(CollaborativeSchool(partnership_id=collaborative.partnership_id,
                                                collaborative_id=collaborative.id, school_id=school.id,
                                                academic_year=collaborative.academic_year))
            session.add(TriadSchool(partnership_id=collaborative.partnership_id, triad_id=triad.id,
                                    school_id=school.id, academic_year=collaborative.academic_year))
        session.flush()
    return triad
