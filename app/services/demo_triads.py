"""Northfield's peer review this academic year, for the demo partnership (app.services.demo): three
collaboratives with their lead headteachers, the triad composer's triads, two headteachers'
accounts, and a term of visit records in every state. As fictional as the rest of the demo.

Everything goes through the services, done by whoever would do it: the officer sets up the
collaboratives, each lead accepts the composer's triads and records their triads' visits, the two
headteachers record and submit their own schools' visits, the lead signs them off (and reopens
one), and the officer records a support partner's and a governing body's visit. The rules apply,
and the audit trail reads as the term would have."""

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Row, select
from sqlmodel import Session

from app.db import all_tenants
from app.models.account import Role, ScopeKind, User
from app.models.collaborative import CollaborativeCreate, ProposalAccept, ProposedTriadIn, Triad
from app.models.partnership import Partnership
from app.models.school import School, SchoolStatus
from app.models.visit import (
    ActionStatus,
    FocusArea,
    SchoolVisitCreate,
    SchoolVisitKind,
    TriadVisitCreate,
    VisitAction,
    VisitActionCreate,
    VisitActionUpdate,
    VisitingHead,
    VisitStatus,
    VisitUpdate,
)
from app.services import accounts, collaboratives, triad_composer, triads, visit_actions, visits
from app.services.concurrency import etag
from app.services.principal import Principal, bind
from app.services.standing import Standing, standings
from app.services.terms import term_of
from app.services.visits import VisitView

PRIMARY_PHASES = ("primary", "infant", "junior", "nursery")
# name, phase, budget in pounds; the primary schools are dealt between the first two.
COLLABORATIVES = [
    ("Primary Collaborative A", "primary", 18_000),
    ("Primary Collaborative B", "primary", 18_000),
    ("Secondary and Specialist Collaborative", "mixed", 24_000),
]
# What a visit looks at, by phase (each one of the partnership's focus areas).
PRIMARY_AREAS = ["reading", "phonics", "early years", "SEND", "attendance", "behaviour", "teaching"]
SECONDARY_AREAS = ["achievement", "teaching", "behaviour", "attendance", "SEND", "leadership"]
EMAIL_DOMAIN = "northfield.example"
GOVERNORS = ["Dr Helen Ashworth", "Mr Kwame Mensah", "Mrs Ruth Calloway"]

# Per focus area: (the school's self-evaluation, the visiting heads' view).
FOCUS_NOTES = {
    "reading": [
        (
            "Reading is a strength: most pupils read fluently by the end of Year 2 and the library has been restocked.",
            "Agreed for Key Stage 1. In Year 4 the books the weakest readers take home are too hard for them to "
            "read alone.",
        ),
        (
            "Reading for pleasure was relaunched in September with class reading spines.",
            "Pupils talked keenly about the books read to them; fewer could name a book they had chosen themselves.",
        ),
    ],
    "phonics": [
        (
            "Phonics is taught daily to a validated programme; 81% met the standard in the check last June.",
            "Sessions seen were brisk and consistent. Catch-up groups in Year 3 use different sounds from the "
            "programme's, which confuses some pupils.",
        ),
        (
            "All staff have been trained in the programme, including the teaching assistants who lead catch-up.",
            "Agreed: the teaching seen was consistent from class to class.",
        ),
    ],
    "early years": [
        (
            "Children settle quickly; communication and language is the focus of the provision this year.",
            "Adults model talk well indoors. Outdoors, interactions are more about supervision than learning.",
        ),
        (
            "Reception is good, with a strong start to early maths.",
            "The peers agree about early maths; the two-year-old provision is newer and its planning less secure.",
        ),
    ],
    "SEND": [
        (
            "Pupils with SEND are identified early and their plans are reviewed with parents each term.",
            "Plans are specific and known by staff. Adaptations in lessons vary more than the self-evaluation says.",
        ),
        (
            "The new SENCo has rewritten the register and the provision map.",
            "The register is accurate now; it is too early to see the effect of the provision map in lessons.",
        ),
    ],
    "attendance": [
        (
            "Attendance is 94.8%, close to the national figure; persistent absence has fallen for two years.",
            "Agreed overall. Disadvantaged pupils' attendance is 4 points lower and has not closed the gap.",
        ),
        (
            "First-day calls and home visits are in place, led by the family support worker.",
            "The systems are sound but the weekly figures are not yet looked at by governors.",
        ),
    ],
    "behaviour": [
        (
            "Behaviour is calm and orderly; suspensions have halved since the new policy.",
            "Agreed in lessons and corridors. Lunchtime is less calm, and incidents there are logged but not analysed.",
        ),
        (
            "Pupils know the three school rules and staff apply them consistently.",
            "Pupils said the rules are fair; some said not every adult deals with name-calling the same way.",
        ),
    ],
    "teaching": [
        (
            "Teaching is consistently good; teachers check understanding before moving on.",
            "Checks for understanding were strong in maths; in the foundation subjects tasks were less well matched "
            "to what pupils already knew.",
        ),
        (
            "Coaching for early career teachers is well established.",
            "The early career teachers spoke highly of the coaching; their lessons seen were well structured.",
        ),
    ],
    "achievement": [
        (
            "Progress 8 has risen for two years and is now close to the national average.",
            "Agreed for English and maths. Outcomes in science and humanities are weaker and the gap for "
            "disadvantaged pupils is wide.",
        ),
        (
            "Year 11 mock results point to further improvement this summer.",
            "The mocks were marked internally only; the peers suggest moderation with a partner school.",
        ),
    ],
    "leadership": [
        (
            "Leaders at all levels know the school's strengths and weaknesses.",
            "Senior leaders do. Several heads of department are new and do not yet check the quality of teaching "
            "in their subjects.",
        ),
        (
            "The trust's central team supports finance and HR, leaving leaders to focus on teaching.",
            "Agreed; leaders' time is well protected for the school's priorities.",
        ),
    ],
    "governance": [
        (
            "Governors receive the head's report each term and visit twice a year with a focus.",
            "Minutes show governors receive information but rarely question it; the link governor for SEND has not "
            "met the SENCo this year.",
        ),
        (
            "The board has filled its vacancies and completed a skills audit.",
            "The skills audit is thorough; two new governors have not yet had induction training.",
        ),
    ],
}
STRENGTHS = [
    "Pupils are polite and proud of their school; lessons start promptly and little time is lost.",
    "Leaders know the school well: the self-evaluation matched what the visiting heads saw in most areas.",
    "The curriculum is well sequenced in English and mathematics, and teachers check understanding carefully.",
    "Staff feel well supported and speak positively about training and their workload.",
    "Pupils with SEND are known well; their plans are specific and shared with parents.",
    "Relationships between staff and pupils are warm, and pupils say there is always an adult to talk to.",
]
AREAS_FOR_DEVELOPMENT = [
    "Foundation subjects are less well planned than English and mathematics; pupils recall little of what they "
    "learnt last term.",
    "The attendance of disadvantaged pupils remains well below that of their peers.",
    "Middle leaders are new to their roles and do not yet check the quality of teaching in their subjects.",
    "Adaptations for pupils with SEND in lessons vary from class to class.",
    "The most able pupils are not always given work that stretches them, particularly in mathematics.",
    "Behaviour at lunchtime is less calm than in lessons, and incidents are logged but not analysed.",
]
PRIORITIES_FOR_SUPPORT = [
    "A specialist leader of education to work with the new mathematics lead for six days in the spring term.",
    "A partner school's SENCo to work alongside the school's SENCo on adaptations in lessons.",
    "Joint moderation of writing across the triad before the spring data collection.",
    "Training for middle leaders on checking their subjects, shared with the other schools in the triad.",
    "The local authority's attendance team to review the school's work on persistent absence.",
    "None beyond the triad's own programme; the school offers its early reading expertise to the others.",
]
# (what, who)
ACTIONS = [
    ("Share the phonics assessment tracker with the triad and agree a common format", "Deputy headteacher"),
    ("Audit the books the weakest readers take home against the sounds they know", "Reading lead"),
    ("Pair the new SENCo with an experienced SENCo in the triad for the spring term", "SENCo"),
    ("Report disadvantaged pupils' attendance to governors every half term", "Attendance officer"),
    ("Middle leaders to carry out joint book looks with a partner school", "Assistant headteacher"),
    ("Analyse lunchtime incidents weekly and brief the midday supervisors", "Pastoral lead"),
    ("Moderate Year 10 mock papers in English and science with a partner school", "Deputy headteacher"),
    ("Book an SLE for mathematics for six days in the spring term", "Headteacher"),
    ("Run the triad's reception teachers' moderation of the baseline again in January", "Early years lead"),
    ("Arrange induction training for the two new governors", "Clerk to governors"),
]
# The action a signed-off record is reopened for (it had no owner), and who then owns it.
REOPENED_FOR = ("Report disadvantaged pupils' attendance to governors every half term", "Attendance officer")
REOPEN_REASON = (
    "The action on attendance had no owner; reopened so that one is named before the record is signed off again."
)


@dataclass(frozen=True)
class DemoAccount:
    """A demo person whose password goes in the credentials file."""

    role: str
    scope: str  # the collaborative they lead, or the school they head
    name: str
    email: str
    password: str

    def line(self) -> str:
        return f"{self.role} ({self.scope}): {self.email}  password: {self.password}"


@dataclass
class PeerReview:
    accounts: list[DemoAccount] = field(default_factory=list)
    collaboratives: int = 0
    triads: int = 0
    visits: int = 0


@dataclass
class _Term:
    """What the visit records share: the session, the randomness, and the dates they fall between."""

    session: Session
    rng: random.Random
    officer: Principal
    today: date
    since: date  # the first day visits of this term are dated
    year_end: date
    grades: int  # the number of grades on the partnership's scale
    standing: dict[int, Standing]
    made: int = 0

    def past(self, days_ago_from: int, days_ago_to: int) -> date:
        """A day between the two (counted back from today), within this term's visits and not ahead."""
        low = max(self.since, self.today - timedelta(days=days_ago_from))
        high = max(low, min(self.today, self.today - timedelta(days=days_ago_to)))
        return low + timedelta(days=self.rng.randint(0, (high - low).days))

    def ahead(self) -> date:
        """A day one to four weeks ahead, within the academic year (today, on its last day)."""
        low = min(self.today + timedelta(days=7), self.year_end)
        high = min(self.today + timedelta(days=28), self.year_end)
        return low + timedelta(days=self.rng.randint(0, (high - low).days))


def _name(school: Row) -> str:
    """The head's name without their title: "Mrs Grace Holloway" -> "Grace Holloway"."""
    words = (school.headteacher_name or f"Head of {school.name}").split()
    return " ".join(words[1:] if words[0] in ("Mr", "Mrs", "Ms", "Miss", "Dr") and len(words) > 1 else words)


def _account(
    session: Session, partnership: Partnership, school: Row, used: set[str], *, by: Principal
) -> tuple[User, str]:
    """An account for the head of `school`, with the headteacher role over it, and its password;
    made by `by` (an officer), as the audit trail says."""
    bind(session, by)
    name = _name(school)
    stem = ".".join(name.lower().replace("'", "").split())
    email, n = f"{stem}@{EMAIL_DOMAIN}", 1
    while email in used:
        n += 1
        email = f"{stem}{n}@{EMAIL_DOMAIN}"
    used.add(email)
    password = secrets.token_urlsafe(12)
    with all_tenants(session):
        user = accounts.create_user(session, email=email, name=name, password=password)
        accounts.grant(
            session, user, partnership, Role.headteacher.value, scope_kind=ScopeKind.school.value, scope_id=school.id
        )
    return user, password


def _schools(session: Session) -> list[Row]:
    return list(
        session.execute(
            select(School.id, School.urn, School.name, School.phase, School.headteacher_name, School.latest_headline)
            .where(School.engaged.is_(True), School.status == SchoolStatus.open.value)
            .order_by(School.urn)
        ).all()
    )


def _groups(rng: random.Random, schools: list[Row]) -> list[list[Row]]:
    """The engaged schools dealt into the collaboratives: the primaries mixed across two, the rest in one."""
    primaries = rng.sample(
        [s for s in schools if s.phase in PRIMARY_PHASES], k=sum(1 for s in schools if s.phase in PRIMARY_PHASES)
    )
    half = len(primaries) // 2
    rest = [s for s in schools if s.phase not in PRIMARY_PHASES]
    return [sorted(primaries[:half], key=lambda s: s.urn), sorted(primaries[half:], key=lambda s: s.urn), rest]


# --- visit records --------------------------------------------------------------------------------


def _grade(term: _Term, school: Row) -> int:
    weights = {Standing.good_or_better: [4, 5, 1], Standing.below_good: [1, 3, 5]}.get(
        term.standing[school.id], [2, 5, 2]
    )
    return min(term.grades, term.rng.choices([1, 2, 3], weights=weights)[0])


def _fields(term: _Term, host: Row, *, written: str) -> dict:
    """What the record says: `written` is "planned" (the self-evaluation only), "draft" (findings
    under way, no grade) or "complete"."""
    rng = term.rng
    areas = rng.sample(PRIMARY_AREAS if host.phase in PRIMARY_PHASES else SECONDARY_AREAS, 2)
    focus = []
    for area in areas:
        self_evaluation, peer_view = rng.choice(FOCUS_NOTES[area])
        focus.append(
            FocusArea(area=area, self_evaluation=self_evaluation, peer_view=None if written == "planned" else peer_view)
        )
    if written == "planned":
        return {"focus_areas": focus}
    found = {
        "focus_areas": focus,
        "strengths": " ".join(rng.sample(STRENGTHS, 2)),
        "areas_for_development": " ".join(rng.sample(AREAS_FOR_DEVELOPMENT, 2)),
    }
    if written == "complete":
        found |= {"priorities_for_support": rng.choice(PRIORITIES_FOR_SUPPORT), "grade": _grade(term, host)}
    return found


def _action_plan(term: _Term, status: str) -> list[ActionStatus]:
    """The states of a record's agreed actions: older records have more of them done."""
    done, open_, dropped = ActionStatus.done, ActionStatus.open, ActionStatus.dropped
    if status == "signed_off":
        return term.rng.choice([[done, open_], [done, done, open_], [open_, dropped, done]])
    if status in ("submitted", "reopened"):
        return term.rng.choice([[open_, open_], [done, open_]])
    return [open_] if status == "draft" else []


def _agree_actions(term: _Term, view: VisitView, status: str, by: Principal) -> list[VisitAction]:
    """The record's agreed actions; a record to be reopened has first the one with no owner."""
    plan, agreed = _action_plan(term, status), []
    chosen = term.rng.sample([a for a in ACTIONS if a[0] != REOPENED_FOR[0]], len(plan))
    if status == "reopened":
        chosen[0] = (REOPENED_FOR[0], None)
    for state, (what, owner) in zip(plan, chosen, strict=True):
        due = view.visit.visit_date + timedelta(weeks=term.rng.randint(4, 12))
        agreed.append(
            visit_actions.add(
                term.session, view.visit.id, VisitActionCreate(text=what, owner=owner, due_on=due, status=state), by=by
            )
        )
    return agreed


def _move(term: _Term, view: VisitView, to: VisitStatus, by: Principal, reason: str | None = None) -> None:
    visits.update(
        term.session, view.visit.id, VisitUpdate(status=to, reason=reason), if_match=etag(view.visit.version), by=by
    )


def _finish(term: _Term, view: VisitView, status: str, *, by: Principal, signer: Principal) -> None:
    """Take a new record through the workflow to `status`: "planned" and "draft" stay drafts;
    "reopened" is signed off, reopened with a reason and its action put right."""
    actions = _agree_actions(term, view, status, by)
    if status in ("planned", "draft"):
        return
    _move(term, view, VisitStatus.submitted, by)
    if status == "submitted":
        return
    _move(term, view, VisitStatus.signed_off, signer)
    if status == "reopened":
        _move(term, view, VisitStatus.submitted, signer, REOPEN_REASON)
        action = actions[0]
        visit_actions.update(
            term.session,
            view.visit.id,
            action.id,
            VisitActionUpdate(owner=REOPENED_FOR[1]),
            if_match=etag(action.version),
            by=signer,
        )


def _visit_date(term: _Term, status: str) -> date:
    if status == "planned":
        return term.ahead()
    if status == "draft":
        return term.past(6, 0)
    if status == "submitted":
        return term.past(21, 1)
    return term.past(90, 14)  # signed off, or signed off and reopened: the term's first visits


def _triad_visit(
    term: _Term, triad: Triad, members: list[Row], host: Row, status: str, *, by: Principal, signer: Principal
) -> None:
    """A triad's peer review hosted by `host`, visited by the triad's other heads, taken to `status`."""
    written = {"planned": "planned", "draft": "draft"}.get(status, "complete")
    heads = [VisitingHead(name=s.headteacher_name or _name(s), urn=s.urn) for s in members if s.id != host.id]
    data = TriadVisitCreate(
        urn=host.urn, visit_date=_visit_date(term, status), visiting_heads=heads, **_fields(term, host, written=written)
    )
    view = visits.create_for_triad(term.session, triad.id, data, by=by)
    _finish(term, view, status, by=by, signer=signer)
    term.made += 1


def _school_visit(term: _Term, kind: SchoolVisitKind, host: Row, visitor: VisitingHead, status: str) -> None:
    """A visit that is not a triad's, recorded and signed off by the officer."""
    school = term.session.scalars(select(School).where(School.id == host.id)).one()
    found = _fields(term, host, written="complete")
    if kind == SchoolVisitKind.governance_review:
        self_evaluation, peer_view = term.rng.choice(FOCUS_NOTES["governance"])
        found["focus_areas"] = [FocusArea(area="governance", self_evaluation=self_evaluation, peer_view=peer_view)]
    data = SchoolVisitCreate(kind=kind, visit_date=_visit_date(term, status), visiting_heads=[visitor], **found)
    view = visits.create_for_school(term.session, school, data, by=term.officer)
    _finish(term, view, status, by=term.officer, signer=term.officer)
    term.made += 1


# --- the year --------------------------------------------------------------------------------------


@dataclass
class _Led:
    """A collaborative as built: its lead (acting as themselves), the lead's own school, and its
    triads with their schools."""

    lead_by: Principal
    lead_school: Row
    triads: list[tuple[Triad, list[Row]]]


def _collaborative(
    term: _Term,
    partnership: Partnership,
    plan: tuple[str, str, int],
    members: list[Row],
    result: PeerReview,
    used: set[str],
) -> _Led:
    """A collaborative of `members` set up by the officer, led by the head of one of its good or
    better schools, with the triads the composer proposes, accepted by the lead."""
    session, standing = term.session, term.standing
    name, phase, budget = plan
    good = [s for s in members if standing[s.id] == Standing.good_or_better]
    lead_school = term.rng.choice(good or members)
    reason = None
    if standing[lead_school.id] == Standing.below_good:
        reason = "No school in the collaborative is good or better this year; its most experienced head leads it"
    lead, password = _account(session, partnership, lead_school, used, by=term.officer)
    data = CollaborativeCreate(
        name=name,
        phase=phase,
        academic_year=partnership.current_academic_year,
        lead_user_id=lead.id,
        budget_pounds=budget,
        lead_override_reason=reason,
        schools=[s.urn for s in members],
    )
    collaborative = collaboratives.create(session, data, by=term.officer)
    lead_by = accounts.principal_for(session, lead, partnership.id)
    proposal = triad_composer.propose(session, collaborative.id, by=lead_by)
    accepted = ProposalAccept(
        triads=[ProposedTriadIn(name=g.name, schools=[m.urn for m in g.members]) for g in proposal.groups]
    )
    formed = triads.create_many(session, collaborative, accepted, by=lead_by)
    by_urn = {s.urn: s for s in members}
    result.accounts.append(DemoAccount("lead headteacher", name, lead.name, lead.email, password))
    result.collaboratives += 1
    result.triads += len(formed)
    return _Led(
        lead_by,
        lead_school,
        [(t, [by_urn[u] for u in a.schools]) for t, a in zip(formed, accepted.triads, strict=True)],
    )


def _featured(term: _Term, partnership: Partnership, led: _Led, result: PeerReview, used: set[str]) -> set[int]:
    """The story the first collaborative tells, in its first three triads of three or more that do not
    hold the lead's own school: two heads with accounts (one record of theirs signed off, one being
    written) and a visit planned; a record reopened; one waiting for sign-off. Their triads' ids."""
    shown = [(t, m) for t, m in led.triads if led.lead_school.id not in {s.id for s in m} and len(m) >= 3][:3]
    (triad, members), (reopened, its_members), (waiting, their_members) = shown
    for school, status in ((members[1], "signed_off"), (members[0], "draft")):
        user, password = _account(term.session, partnership, school, used, by=term.officer)
        result.accounts.append(DemoAccount("headteacher", school.name, user.name, user.email, password))
        head_by = accounts.principal_for(term.session, user, partnership.id)
        _triad_visit(term, triad, members, school, status, by=head_by, signer=led.lead_by)
    _triad_visit(term, triad, members, members[2], "planned", by=led.lead_by, signer=led.lead_by)
    _triad_visit(term, reopened, its_members, its_members[0], "reopened", by=led.lead_by, signer=led.lead_by)
    _triad_visit(term, waiting, their_members, their_members[-1], "submitted", by=led.lead_by, signer=led.lead_by)
    return {triad.id, reopened.id, waiting.id}


def _school_visits(term: _Term, schools: list[Row]) -> None:
    """A support partner (an NLE from a good school) at a school below good, signed off; a governing
    body's review, submitted."""
    rng, standing = term.rng, term.standing
    host = rng.choice([s for s in schools if standing[s.id] == Standing.below_good] or schools)
    partner = rng.choice([s for s in schools if standing[s.id] == Standing.good_or_better and s.id != host.id])
    _school_visit(
        term,
        SchoolVisitKind.support_partner,
        host,
        VisitingHead(name=f"{partner.headteacher_name} (NLE)", urn=partner.urn),
        "signed_off",
    )
    reviewed = rng.choice([s for s in schools if s.id != host.id])
    _school_visit(
        term,
        SchoolVisitKind.governance_review,
        reviewed,
        VisitingHead(name=f"{rng.choice(GOVERNORS)} (NLG)"),
        "submitted",
    )


def build(session: Session, partnership: Partnership, officer: User, rng: random.Random) -> PeerReview:
    """Collaboratives, triads, accounts and this term's visit records for `partnership`, set up by `officer`."""
    today = date.today()
    year_start = date(int(partnership.current_academic_year[:4]), 9, 1)
    # Visits this term; in its first weeks, those of the weeks before it too (but never of last year).
    since = max(year_start, min(term_of(today).start, today - timedelta(weeks=3)), today - timedelta(weeks=10))
    by_officer = accounts.principal_for(session, officer, partnership.id)
    schools = _schools(session)
    term = _Term(
        session=session,
        rng=rng,
        officer=by_officer,
        today=today,
        since=since,
        year_end=date(year_start.year + 1, 8, 31),
        grades=len(partnership.grade_labels),
        standing=standings(session, schools),
    )
    result, used = PeerReview(), {officer.email}
    led = [
        _collaborative(term, partnership, plan, members, result, used)
        for plan, members in zip(COLLABORATIVES, _groups(rng, schools), strict=True)
    ]
    visited = _featured(term, partnership, led[0], result, used)
    # Every other triad has had one visit this term, and it has got as far as it has got.
    for group in led:
        for triad, members in group.triads:
            if triad.id not in visited:
                status = rng.choices(["signed_off", "submitted", "draft"], weights=[5, 3, 2])[0]
                _triad_visit(term, triad, members, rng.choice(members), status, by=group.lead_by, signer=group.lead_by)
    _school_visits(term, schools)
    result.visits = term.made
    return result
