"""Everything about one school on one page: its register entry and Ofsted history, its indicator
trends against the partnership's thresholds and the national figures (school_profile_trends), its
current red flags and the flags each clinic's agenda recorded for it, its triads and visit records,
the support it received, the plans that name it, and its recent changes.

"A plan names the school" where the model links them: the school's own plans (ActionPlan.school_id),
and the plan actions a support deployment for the school came from (origin_plan_action_id), with
their milestones. Words in a plan's text are not searched.

Each section is read only if the caller may read it (app.services.permissions): flags and review
judgements for the schools in their flag scope, clinics for officers and the clinic, visits within
their visit scope, the audit trail for officers and tokens; a section they may not read is None
(left out), one with nothing recorded an empty list. A fixed number of statements whatever the
school's history (at most MAX_STATEMENTS; tests/services/test_school_profile.py counts them)."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, literal, select, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.errors import Forbidden
from app.models.action_plan import ActionPlan, PlanAction, PlanMilestone, PlanPriority
from app.models.audit import AuditEvent
from app.models.clinic import Clinic, ClinicAction, ClinicAgendaItem, ClinicTarget
from app.models.collaborative import Collaborative, Triad, TriadSchool
from app.models.flag import ManualFlag, ReviewJudgement
from app.models.indicator import Indicator
from app.models.inspection import Inspection
from app.models.partnership import Partnership
from app.models.school import School
from app.models.support import SupportDeployment, SupportOutcome
from app.models.visit import TriadVisit, VisitAction
from app.services import (
    audit,
    flag_settings,
    flags,
    indicators,
    inspections,
    partnerships,
    permissions,
    plan_overview,
    review_judgements,
)
from app.services.flag_types import Flag
from app.services.plan_tree import RollUp, action_label, roll_up
from app.services.principal import Principal, bind
from app.services.school_profile_trends import Trend, nationals_for, trends

AUDIT_LIMIT = 20
# The most statements a profile takes (an officer's, every section read), whatever the school's history:
# ten of them work out its red flags as the red-flag list does (app.services.flags).
MAX_STATEMENTS = 29
SD = SupportDeployment


@dataclass
class TriadEntry:
    id: int
    name: str
    academic_year: str
    collaborative_id: int
    collaborative_name: str
    members: list[tuple[str, str]] = field(default_factory=list)  # (urn, name), this school included


@dataclass
class VisitEntry:
    id: int
    kind: str
    visit_date: date
    academic_year: str
    status: str
    grade: int | None
    grade_label: str | None
    triad_name: str | None
    actions_open: int = 0
    actions_total: int = 0


@dataclass
class AgendaEntry:
    """The school on one clinic's agenda, as it stood when the clinic opened."""

    clinic_id: int
    held_on: date
    meeting: str
    academic_year: str
    clinic_status: str
    kind: str
    severity: str | None
    flags: list[dict[str, Any]]
    explanation: str | None
    minutes: str | None


@dataclass
class ClinicRecord:
    """What the clinics agreed for the school: its agenda across clinics, actions and targets."""

    agenda: list[AgendaEntry]
    actions: list[Row]  # ClinicAction, held_on of the clinic that agreed it
    targets: list[Row]  # ClinicTarget, held_on


@dataclass
class SupportEntry:
    deployment: SupportDeployment
    provider_urn: str | None
    provider_school_name: str | None


@dataclass
class LinkedAction:
    """A plan action a support deployment for the school came from, with its milestones."""

    id: int
    label: str
    description: str
    plan_id: int
    plan_title: str
    plan_status: str
    school_plan: bool  # the school's own plan, or the partnership's
    milestones: list[PlanMilestone] = field(default_factory=list)

    def rollup(self, today: date) -> RollUp:
        return roll_up(self.milestones, today)


@dataclass
class Plans:
    own: list[ActionPlan]
    rollups: dict[int, RollUp]
    linked: list[LinkedAction]


@dataclass
class Profile:
    school: School
    partnership: Partnership
    history: list[Inspection]
    figures: list[Indicator]
    trends: list[Trend]
    flags: list[Flag] | None
    judgements: list[ReviewJudgement] | None
    clinics: ClinicRecord | None
    triads: list[TriadEntry]
    visits: list[VisitEntry]
    support: list[SupportEntry]
    plans: Plans
    audit: list[Row] | None
    today: date

    @property
    def support_outcomes(self) -> dict[str, int]:
        """How many deployments have each outcome (every outcome, zero included)."""
        counts = {o.value: 0 for o in SupportOutcome}
        for entry in self.support:
            counts[entry.deployment.outcome] = counts.get(entry.deployment.outcome, 0) + 1
        return counts

    @property
    def support_days(self) -> float:
        return sum(e.deployment.days_delivered or 0 for e in self.support)


# --- the sections -------------------------------------------------------------------------------


def _clinics(session: Session, school: School) -> ClinicRecord:
    """Three statements: its agenda items with their clinics, its actions, its targets."""
    agenda = [AgendaEntry(clinic_id, held_on, meeting, year, status, kind, severity, (snapshot or {}).get("flags", []),
                          explanation, minutes)
              for clinic_id, held_on, meeting, year, status, kind, severity, snapshot, explanation, minutes
              in session.execute(
                  select(Clinic.id, Clinic.held_on, Clinic.meeting, Clinic.academic_year, Clinic.status,
                         ClinicAgendaItem.kind, ClinicAgendaItem.severity, ClinicAgendaItem.snapshot,
                         ClinicAgendaItem.explanation, ClinicAgendaItem.minutes)
                  .join(Clinic, Clinic.id == ClinicAgendaItem.clinic_id)
                  .where(ClinicAgendaItem.school_id == school.id)
                  .order_by(Clinic.held_on.desc(), Clinic.id.desc()))]
    actions = list(session.execute(
        select(ClinicAction, Clinic.held_on).join(Clinic, Clinic.id == ClinicAction.clinic_id)
        .where(ClinicAction.school_id == school.id).order_by(Clinic.held_on.desc(), ClinicAction.id)))
    targets = list(session.execute(
        select(ClinicTarget, Clinic.held_on).join(Clinic, Clinic.id == ClinicTarget.clinic_id)
        .where(ClinicTarget.school_id == school.id).order_by(Clinic.held_on.desc(), ClinicTarget.id)))
    return ClinicRecord(agenda, actions, targets)


def _triads(session: Session, school: School) -> list[TriadEntry]:
    """Two statements: the school's triads with their collaboratives, then every member of them."""
    found = {row[0]: TriadEntry(*row) for row in session.execute(
        select(Triad.id, Triad.name, Triad.academic_year, Collaborative.id, Collaborative.name)
        .join(TriadSchool, TriadSchool.triad_id == Triad.id)
        .join(Collaborative, Collaborative.id == Triad.collaborative_id)
        .where(TriadSchool.school_id == school.id)
        .order_by(Triad.academic_year.desc(), Triad.id))}
    mine = select(TriadSchool.triad_id).where(TriadSchool.school_id == school.id)
    for triad_id, urn, name in session.execute(
            select(TriadSchool.triad_id, School.urn, School.name).join(School, School.id == TriadSchool.school_id)
            .where(TriadSchool.triad_id.in_(mine)).order_by(TriadSchool.triad_id, School.name, School.urn)):
        if triad_id in found:
            found[triad_id].members.append((urn, name))
    return list(found.values())


def _visits(session: Session, school: School, labels: list[str], by: Principal) -> list[VisitEntry]:
    """The visits the school hosted that the caller may read, newest first, with how many of their
    agreed actions are open: one statement (and one for a headteacher's triads, as the scope reads)."""
    scope = permissions.visit_scope(session, by)
    entries: dict[int, VisitEntry] = {}
    rows = session.execute(
        select(TriadVisit.id, TriadVisit.kind, TriadVisit.visit_date, TriadVisit.academic_year, TriadVisit.status,
               TriadVisit.grade, Triad.name, VisitAction.status)
        .outerjoin(Triad, Triad.id == TriadVisit.triad_id)
        .outerjoin(VisitAction, VisitAction.visit_id == TriadVisit.id)
        .where(TriadVisit.school_id == school.id, permissions.readable_visits(scope, Triad.collaborative_id))
        .order_by(TriadVisit.visit_date.desc(), TriadVisit.id.desc()))
    for visit_id, kind, on, year, status, grade, triad_name, action_status in rows:
        entry = entries.get(visit_id)
        if entry is None:
            label = labels[grade - 1] if grade is not None and 1 <= grade <= len(labels) else None
            entry = entries[visit_id] = VisitEntry(visit_id, kind, on, year, status, grade, label, triad_name)
        if action_status is not None:
            entry.actions_total += 1
            entry.actions_open += action_status == "open"
    return list(entries.values())


def _support(session: Session, school: School) -> list[SupportEntry]:
    """The deployments supporting the school, newest year first, with the provider school: one
    statement, sorted here (a school's few; sorted in SQL, SQLite walked the partnership's
    deployments in year order instead of finding the school's through its index)."""
    provider = aliased(School)
    found = [SupportEntry(d, urn, name) for d, urn, name in session.execute(
        select(SD, provider.urn, provider.name).outerjoin(provider, provider.id == SD.provider_school_id)
        .where(SD.school_id == school.id))]
    found.sort(key=lambda e: (e.deployment.academic_year, e.deployment.start_on or date.min, e.deployment.id),
               reverse=True)
    return found


def _plans(session: Session, school: School, by: Principal, today: date) -> Plans:
    """The school's own plans with their roll-ups, and the plan actions its support came from with
    their milestones: three statements at most (the roll-ups' only when it has plans)."""
    own = list(session.scalars(select(ActionPlan).where(ActionPlan.school_id == school.id)
                               .order_by(ActionPlan.id.desc())))
    rollups = plan_overview.rollups(session, [p.id for p in own], by=by, today=today)
    origins = select(SD.origin_plan_action_id).where(SD.school_id == school.id,
                                                     SD.origin_plan_action_id.is_not(None))
    linked: dict[int, LinkedAction] = {}
    rows = session.execute(
        select(PlanAction.id, PlanPriority.number, PlanAction.number, PlanAction.description, ActionPlan.id,
               ActionPlan.title, ActionPlan.status, ActionPlan.school_id, PlanMilestone)
        .join(PlanPriority, PlanPriority.id == PlanAction.priority_id)
        .join(ActionPlan, ActionPlan.id == PlanAction.plan_id)
        .outerjoin(PlanMilestone, PlanMilestone.action_id == PlanAction.id)
        .where(PlanAction.id.in_(origins))
        .order_by(ActionPlan.id.desc(), PlanPriority.number, PlanAction.number, PlanMilestone.due_on,
                  PlanMilestone.id))
    for action_id, priority_number, number, description, plan_id, title, status, plan_school, milestone in rows:
        entry = linked.get(action_id)
        if entry is None:
            entry = linked[action_id] = LinkedAction(action_id, action_label(priority_number, number), description,
                                                     plan_id, title, status, plan_school == school.id)
        if milestone is not None:
            entry.milestones.append(milestone)
    return Plans(own, rollups, list(linked.values()))


# The records of the school whose changes its history shows: each table by the column naming the school.
# The tables of a school's own records, and whether the index that finds a school's rows there is
# led by the partnership (True) or by the school itself (False).
_OWN_RECORDS = ((Inspection, "inspection", False), (Indicator, "indicator", False), (SD, "support_deployment", True),
                (ManualFlag, "manual_flag", True), (ReviewJudgement, "review_judgement", False),
                (TriadVisit, "triad_visit", False), (ActionPlan, "action_plan", True))
# Tables whose records' parts are audited under them (a visit's actions, a plan's items).
_PARENTS = ("triad_visit", "action_plan")


def _owned_ids(session: Session, school: School, pid: int) -> dict[str, list[int]]:
    """The ids of the school's own records, by table: one Core statement naming the partnership on
    each table. Where the school's index is not led by the partnership, the partnership is written
    `partnership_id + 0`, so that SQLite (without statistics) finds the few rows through the
    school's index instead of reading the partnership's whole table through its own."""
    parts = []
    for model, table, partnership_leads in _OWN_RECORDS:
        c = model.__table__.c
        mine = c.partnership_id == pid if partnership_leads else (c.partnership_id + 0) == pid
        parts.append(select(literal(table).label("table_name"), c.id).where(c.school_id == school.id, mine))
    found: dict[str, list[int]] = {table: [] for _, table, _ in _OWN_RECORDS}
    for table, record_id in session.connection().execute(union_all(*parts)):
        found[table].append(record_id)
    return found


def _audit(session: Session, school: School, by: Principal) -> list[Row]:
    """The newest AUDIT_LIMIT changes to the school's register entry and to the records of it
    (inspections, figures, deployments, manual flags, judgements, visits and plans, and their parts):
    the records' ids first (_owned_ids), then one statement, each part the newest few through the
    trail's own indexes (partnership, table, record or parent), merged. A record since deleted is no
    longer linked to the school, so its events are left out here (the audit page has them)."""
    pid = by.partnership_id
    owned = _owned_ids(session, school, pid)
    columns = audit.COLUMNS
    # `id + 0`: each part sorts its few events itself; ordered by the bare id, SQLite walks the
    # partnership's whole trail backwards through its id index looking for them.
    newest = (AuditEvent.id + 0).desc()
    parts = [select(*columns).where(AuditEvent.partnership_id == pid, AuditEvent.table_name == "school",
                                    AuditEvent.record_id == school.id).order_by(newest).limit(AUDIT_LIMIT)]
    for table, ids in owned.items():
        if ids:
            parts.append(select(*columns).where(AuditEvent.partnership_id == pid, AuditEvent.table_name == table,
                                                AuditEvent.record_id.in_(ids)).order_by(newest).limit(AUDIT_LIMIT))
    for table in _PARENTS:
        if owned[table]:
            parts.append(select(*columns).where(AuditEvent.partnership_id == pid, AuditEvent.parent_table == table,
                                                AuditEvent.parent_id.in_(owned[table])).order_by(newest)
                         .limit(AUDIT_LIMIT))
    merged = union_all(*(select(part.subquery()) for part in parts)).subquery()
    return list(session.execute(select(merged).order_by(merged.c.id.desc()).limit(AUDIT_LIMIT)))


def reads_audit(by: Principal) -> bool:
    """Whether the caller may read the audit trail (permissions.require_audit_reader, as a question)."""
    try:
        permissions.require_audit_reader(by)
    except Forbidden:
        return False
    return True


# --- the whole profile --------------------------------------------------------------------------


def build(session: Session, school: School, *, by: Principal, today: date | None = None) -> Profile:
    """The school's profile, each section the caller may read. At most MAX_STATEMENTS statements."""
    bind(session, by)
    by.require_read()
    today = today or date.today()
    partnership = partnerships.current(session, by=by)
    figures = indicators.list_for_school(session, school, by=by)
    settings = flag_settings.all_in_force(session)
    nationals = nationals_for(session, {f.measure for f in figures})
    scope = permissions.flag_scope(session, by)
    sees_flags = scope.everything or school.id in scope.school_ids
    return Profile(
        school=school,
        partnership=partnership,
        history=inspections.list_for_school(session, school, by=by),
        figures=figures,
        trends=trends(figures, nationals, settings),
        flags=flags.for_school(session, school, by=by, today=today) if sees_flags else None,
        judgements=review_judgements.of_school(session, school, by=by) if sees_flags else None,
        clinics=_clinics(session, school) if permissions.reads_clinics(by) else None,
        triads=_triads(session, school),
        visits=_visits(session, school, list(partnership.grade_labels or []), by),
        support=_support(session, school),
        plans=_plans(session, school, by, today),
        audit=_audit(session, school, by) if reads_audit(by) else None,
        today=today,
    )
