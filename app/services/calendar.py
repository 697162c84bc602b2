"""Each person's calendar feed: the visits they may read, in every partnership they belong to, as
iCalendar, at an address with a secret in it (calendar apps cannot sign in). Only the secret's
hash is stored; making a new address ends the old one. Clinics join it for those who sit on them
(officers, viewers, the chair and members); action-plan milestones with a due date join it for
those who hold one of their action's lead role codes (app.services.plan_roles)."""

import secrets
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlmodel import Session

from app.db import all_tenants, as_tenant
from app.errors import NotFound
from app.models.account import User
from app.models.action_plan import ActionPlan, PlanAction, PlanActionLead, PlanMilestone, PlanPriority, PlanStatus
from app.models.clinic import Clinic
from app.models.collaborative import Triad
from app.models.school import School
from app.models.visit import TriadVisit, VisitKind
from app.security import sha256_hex
from app.services import accounts, permissions, plan_roles

# A feed holds the last year's visits and every one planned: enough for a calendar, bounded.
HISTORY = timedelta(days=366)
KIND_WORDS = {VisitKind.triad_review.value: "Triad visit", VisitKind.support_partner.value: "Support partner visit",
              VisitKind.governance_review.value: "Governing body review"}


def new_address(session: Session, *, user_id: int) -> str:
    """A new secret for the person's feed (the old address stops working); shown to them once."""
    key = secrets.token_urlsafe(32)
    with all_tenants(session):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("no such person")
        user.calendar_key_hash = sha256_hex(key)
        session.flush()
    return key


def has_address(session: Session, *, user_id: int) -> bool:
    with all_tenants(session):
        return session.scalar(select(User.calendar_key_hash).where(User.id == user_id)) is not None


def feed(session: Session, key: str, *, today: date | None = None) -> bytes:
    """The iCalendar document for the person whose secret this is; 404 for any other secret."""
    with all_tenants(session):
        user = session.scalars(select(User).where(User.calendar_key_hash == sha256_hex(key),
                                                  User.is_active.is_(True))).first()
    if user is None:
        raise NotFound("no calendar at this address; make a new one from your account page")
    since = (today or date.today()) - HISTORY
    calendar = Calendar()
    calendar.add("prodid", "-//School partnerships//Visits//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "School partnership visits")
    for partnership in accounts.partnerships_of(session, user.id):
        by = accounts.principal_for(session, user, partnership.id)
        if by is None:
            continue
        with as_tenant(session, partnership.id):  # each partnership in turn, as its own principal
            rows = _visits(session, by, since)
        for row in rows:
            words = [f"{partnership.name}", f"URN {row.urn}", f"Status: {_words(row.status)}"]
            if row.triad:
                words.insert(1, f"Triad: {row.triad}")
            calendar.add_component(_event(f"visit-{row.id}@{partnership.slug}", f"{KIND_WORDS.get(row.kind, 'Visit')}: "
                                          f"{row.school}", row.visit_date, row.updated_at, words))
        if permissions.reads_clinics(by):
            with as_tenant(session, partnership.id):
                meetings = _clinics(session, since)
            for clinic in meetings:
                words = [partnership.name, f"Focus: {clinic.focus or 'not set'}", f"Status: {_words(clinic.status)}"]
                if clinic.chair_name:
                    words.insert(1, f"Chair: {clinic.chair_name}")
                calendar.add_component(_event(f"clinic-{clinic.id}@{partnership.slug}",
                                              f"School performance clinic ({clinic.meeting})", clinic.held_on,
                                              clinic.updated_at, words))
        with as_tenant(session, partnership.id):
            codes = plan_roles.held_codes(session, by)
            milestones = _milestones(session, codes, since) if codes else []
        for row in milestones:
            calendar.add_component(_event(
                f"milestone-{row.id}@{partnership.slug}",
                f"Milestone {row.priority_number}.{row.action_number}: {row.description}", row.due_on, row.updated_at,
                [partnership.name, f"Plan: {row.plan}", f"Status: {_words(row.status)}"]))
    return calendar.to_ical()


def _words(status: str) -> str:
    return status.replace("_", " ")


def _event(uid: str, summary: str, day: date, changed: datetime, words: list[str]) -> Event:
    """A whole-day event of the feed; `uid` is made unique to this service."""
    event = Event()
    event.add("uid", f"{uid}.school-partnerships")
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("description", "\n".join(words))
    return event


def _milestones(session: Session, codes: frozenset[str], since: date) -> list:
    """The dated milestones of plans not closed whose action one of `codes` leads, from `since`."""
    led = select(PlanActionLead.action_id).where(PlanActionLead.code.in_(sorted(codes)))
    return session.execute(
        select(PlanMilestone.id, PlanMilestone.description, PlanMilestone.due_on, PlanMilestone.status,
               PlanMilestone.updated_at, PlanAction.number.label("action_number"),
               PlanPriority.number.label("priority_number"), ActionPlan.title.label("plan"))
        .join(PlanAction, PlanAction.id == PlanMilestone.action_id)
        .join(PlanPriority, PlanPriority.id == PlanAction.priority_id)
        .join(ActionPlan, ActionPlan.id == PlanMilestone.plan_id)
        .where(PlanMilestone.action_id.in_(led), PlanMilestone.due_on >= since,
               ActionPlan.status != PlanStatus.closed.value)
        .order_by(PlanMilestone.due_on, PlanMilestone.id)
    ).all()


def _clinics(session: Session, since: date) -> list:
    return session.execute(
        select(Clinic.id, Clinic.held_on, Clinic.meeting, Clinic.focus, Clinic.chair_name, Clinic.status,
               Clinic.updated_at).where(Clinic.held_on >= since).order_by(Clinic.held_on, Clinic.id)
    ).all()


def _visits(session: Session, by, since: date) -> list:  # noqa: ANN001 (a Principal)
    """The visits `by` may read from `since`, with their school and triad, in date order."""
    scope = permissions.visit_scope(session, by)
    return session.execute(
        select(TriadVisit.id, TriadVisit.kind, TriadVisit.visit_date, TriadVisit.status, TriadVisit.updated_at,
               School.name.label("school"), School.urn, Triad.name.label("triad"))
        .join(School, School.id == TriadVisit.school_id)
        .outerjoin(Triad, Triad.id == TriadVisit.triad_id)
        .where(TriadVisit.visit_date >= since, permissions.readable_visits(scope, Triad.collaborative_id))
        .order_by(TriadVisit.visit_date, TriadVisit.id)
    ).all()
