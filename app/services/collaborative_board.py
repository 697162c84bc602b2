"""A collaborative's board: its triads, each school with its Ofsted outcome and LA category, and
which visits are done this term; the schools in no triad yet. A fixed number of queries, however
many schools and triads.

A triad visits one of its schools each term (three schools, three terms), so a triad is "done" for
the term once a visit dated in it is submitted or signed off; a draft is "in progress"."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, select
from sqlmodel import Session

from app.models.account import User
from app.models.collaborative import Collaborative, CollaborativeSchool, Triad, TriadSchool
from app.models.school import School
from app.models.visit import TriadVisit, VisitStatus
from app.services import collaboratives, partnerships, permissions, triads
from app.services.principal import Principal, bind
from app.services.terms import Term, term_of
from app.services.triads import warnings_for

DONE = frozenset({VisitStatus.submitted.value, VisitStatus.signed_off.value})


@dataclass
class BoardVisit:
    id: int
    school_id: int
    visit_date: date
    status: str
    readable: bool  # the caller may open it (a headteacher sees only their own triad's)


@dataclass
class BoardSchool:
    id: int
    urn: str
    name: str
    phase: str | None
    latest_headline: str | None
    latest_inspected_on: date | None
    la_category: str | None
    visits: list[BoardVisit] = field(default_factory=list)  # this term's, hosted here


@dataclass
class BoardTriad:
    id: int
    name: str
    schools: list[BoardSchool]
    visits: list[BoardVisit]  # this term's, newest first
    warnings: list[str]

    @property
    def state(self) -> str:
        """This term: done (a visit submitted or signed off), in progress (a draft), or due."""
        if any(v.status in DONE for v in self.visits):
            return "done"
        return "in_progress" if self.visits else "due"


@dataclass
class Board:
    collaborative: Collaborative
    lead_name: str | None
    term: Term
    triads: list[BoardTriad]
    unassigned: list[BoardSchool]  # in the collaborative, in no triad this year
    category_scheme: list[str]
    can_edit_triads: bool
    can_manage: bool

    @property
    def done(self) -> int:
        return sum(1 for t in self.triads if t.state == "done")

    @property
    def school_count(self) -> int:
        return sum(len(t.schools) for t in self.triads) + len(self.unassigned)


def _term_for(collaborative: Collaborative, today: date) -> Term:
    """This term if it falls in the collaborative's year; else its year's first (a past or future
    year's board still shows its autumn)."""
    if partnerships.academic_year_for(today) == collaborative.academic_year:
        return term_of(today)
    return term_of(date(int(collaborative.academic_year[:4]), 9, 1))


def board(session: Session, collaborative_id: int, *, by: Principal, today: date | None = None) -> Board:
    """Everything the board shows, read in six queries (seven for a headteacher)."""
    collaborative = collaboratives.get(session, collaborative_id, by=by)
    term = _term_for(collaborative, today or date.today())
    lead_name = session.scalar(select(User.name).where(User.id == collaborative.lead_user_id)) \
        if collaborative.lead_user_id else None
    triad_rows = session.execute(select(Triad.id, Triad.name).where(Triad.collaborative_id == collaborative.id)
                                 .order_by(Triad.name, Triad.id)).all()
    members = session.execute(
        select(School.id, School.urn, School.name, School.phase, School.latest_headline,
               School.latest_inspected_on, School.la_category, TriadSchool.triad_id)
        .join(CollaborativeSchool, CollaborativeSchool.school_id == School.id)
        .outerjoin(TriadSchool, and_(TriadSchool.school_id == School.id,
                                     TriadSchool.academic_year == collaborative.academic_year))
        .where(CollaborativeSchool.collaborative_id == collaborative.id)
        .order_by(School.name, School.urn)
    ).all()
    visit_rows = session.execute(
        # By the collaborative's triads (their own index), not the partnership's visits of the term
        # joined to triads: at national size that read 9,000 visits for six (24 ms). Sorted here:
        # an ORDER BY in SQL made SQLite walk the partnership's visits by date again, to skip a sort.
        select(TriadVisit.id, TriadVisit.triad_id, TriadVisit.school_id, TriadVisit.visit_date, TriadVisit.status)
        .where(TriadVisit.triad_id.in_([t.id for t in triad_rows]), TriadVisit.visit_date >= term.start,
               TriadVisit.visit_date <= term.end)
    ).all()
    visit_rows = sorted(visit_rows, key=lambda v: (v.visit_date, v.id), reverse=True)
    scope = permissions.visit_scope(session, by)
    scheme = list(partnerships.current(session, by=by).category_scheme)

    by_triad: dict[int, list[BoardVisit]] = {t.id: [] for t in triad_rows}
    by_school: dict[int, list[BoardVisit]] = {}
    for v in visit_rows:
        seen = BoardVisit(v.id, v.school_id, v.visit_date, v.status,
                          permissions.can_read_visit(scope, v, collaborative.id))
        by_triad.setdefault(v.triad_id, []).append(seen)
        by_school.setdefault(v.school_id, []).append(seen)
    in_triad: dict[int, list[BoardSchool]] = {t.id: [] for t in triad_rows}
    unassigned = []
    for m in members:
        school = BoardSchool(m.id, m.urn, m.name, m.phase, m.latest_headline, m.latest_inspected_on,
                             m.la_category, by_school.get(m.id, []))
        in_triad.get(m.triad_id, unassigned).append(school)
    triads = [BoardTriad(t.id, t.name, in_triad[t.id], by_triad[t.id], warnings_for(len(in_triad[t.id])))
              for t in triad_rows]
    return Board(collaborative, lead_name, term, triads, unassigned, scheme,
                 permissions.manages(by) or permissions.leads(by, collaborative.id), permissions.manages(by))


def years_held(session: Session, *, by: Principal, today: date | None = None) -> list[str]:
    """The academic years that have collaboratives, newest first, and always the current year."""
    bind(session, by)
    by.require_read()
    held = set(session.scalars(select(Collaborative.academic_year).distinct()))
    held.add(partnerships.academic_year_for(today or date.today()))
    return sorted(held, reverse=True)


@dataclass
class TriadPage:
    triad: Triad
    collaborative_name: str
    schools: list[BoardSchool]
    hosts: list[BoardSchool]  # the members the caller may record a visit for
    warnings: list[str]
    category_scheme: list[str]


def triad_page(session: Session, triad_id: int, *, by: Principal) -> TriadPage:
    """A triad with its schools (Ofsted outcome, LA category) and the hosts the caller may record a
    visit for: three queries."""
    triad = triads.get(session, triad_id, by=by)
    name = session.scalar(select(Collaborative.name).where(Collaborative.id == triad.collaborative_id))
    rows = session.execute(
        select(School.id, School.urn, School.name, School.phase, School.latest_headline,
               School.latest_inspected_on, School.la_category)
        .join(TriadSchool, TriadSchool.school_id == School.id)
        .where(TriadSchool.triad_id == triad.id).order_by(School.name, School.urn)
    ).all()
    schools = [BoardSchool(*r) for r in rows]
    hosts = [s for s in schools
             if permissions.can_create_visit(by, school_id=s.id, collaborative_id=triad.collaborative_id)]
    return TriadPage(triad, name or "", schools, hosts, warnings_for(len(schools)),
                     list(partnerships.current(session, by=by).category_scheme))
