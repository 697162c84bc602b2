"""The peer-review network of each generated partnership (`python -m app generate`, after its schools):
collaboratives, their triads and the visit records with their agreed actions, written with bulk Core
statements that each name the row's partnership (the per-row services would take minutes).

For every partnership, about a third of its engaged open schools take part. They are grouped by
phase into collaboratives of six or nine schools mostly (4-11), each led by a lead headteacher of
one of its schools: a person of their own, with a headteacher membership of that school and a lead
headteacher membership of the collaborative, who cannot sign in (no password). The collaboratives
run for two academic years, last year's and this one's (the year today falls in), with the same
schools and triads recomposed each year: three schools mostly, two or four where the numbers do not
divide. A school is in one collaborative and one triad a year, as the database requires.

Visit records: last year every triad school hosted its peer review (signed off mostly, a few left
submitted or draft); this year about a third have been visited so far (drafts, submitted and signed
off) and some visits are planned (drafts ahead of today). Besides those, schools below good or in the
partnership's worst LA category have support partners' visits, and some governing bodies a peer
review. Each visit's academic year is its date's; a signed-off one has a grade on the partnership's
scale and who signed it off. Visits that have happened have agreed actions (0-4).

In proportion: about 0.2 triads and 0.8 visit records per open school over the two years, so the
2,500-school region has about 500 triads and 2,000 visits, and the 150 LA-sized partnerships of the
national scale about 5,000 triads and 20,000 visits between them; the national partnership has its
own in the same proportion.

Each collaborative, triad and visit record gets its audit event ("create", by "command line", as the
audit trail's bulk writer records them), so that the audit trail of a generated partnership is not
empty. The actions get none: their 80,000 events at national scale would double the time the audit
trail takes to write (about 5 s more on SQLite, 7 s on PostgreSQL) for nothing a list measures.
"""

import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection, select
from sqlmodel import Session

from app.models.account import Membership, Role, ScopeKind, User
from app.models.base import utcnow
from app.models.collaborative import Collaborative, CollaborativeSchool, Triad, TriadSchool
from app.models.partnership import DEFAULT_FOCUS_AREAS, Partnership
from app.models.visit import ActionStatus, TriadVisit, VisitAction, VisitKind, VisitStatus
from app.services import accounts, audit
from app.services.partnerships import academic_year_for, previous_year
from app.services.standing import BELOW_GOOD, GOOD_OR_BETTER

Progress = Callable[[str, int, int | None], None]

CHUNK = 5_000
# Generated people (the lead headteachers) are known by their address, so that `--force` removes them.
PEOPLE_DOMAIN = "generated.bench.invalid"
PARTICIPATION = 0.34  # of a partnership's engaged open schools
COLLABORATIVE_SIZES = {6: 36, 9: 30, 7: 9, 8: 9, 10: 6, 4: 4, 5: 4, 11: 2}  # size: weight
TRIAD = 3
# Of last year's visits: signed off, submitted, draft.
LAST_YEAR_STATUSES = {VisitStatus.signed_off: 86, VisitStatus.submitted: 9, VisitStatus.draft: 5}
THIS_YEAR_STATUSES = {VisitStatus.signed_off: 35, VisitStatus.submitted: 35, VisitStatus.draft: 30}
VISITED_SO_FAR = 0.34  # of this year's triad schools, by today
PLANNED_AHEAD = 0.2  # of this year's triad schools: a draft dated ahead of today
SUPPORT_SHARE = 0.3  # of the schools that cause concern, each year: one or two support partner visits
GOVERNANCE_SHARE = 0.05  # of all open schools, each year
ACTIONS_PER_VISIT = (0, 1, 1, 2, 2, 2, 3, 3, 4)
GRADES = {1: 30, 2: 50, 3: 20}

PHASE_GROUPS = {
    "nursery": "primary",
    "primary": "primary",
    "infant": "primary",
    "junior": "primary",
    "middle": "primary",
    "secondary": "secondary",
    "all_through": "secondary",
    "post_16": "secondary",
    "special": "special",
    "alternative_provision": "special",
}
FIRST_NAMES = [
    "Amina",
    "Ben",
    "Carys",
    "Dev",
    "Ellen",
    "Farid",
    "Grace",
    "Hugh",
    "Isla",
    "Jonah",
    "Kiran",
    "Lena",
    "Marcus",
    "Niamh",
    "Owen",
    "Priya",
    "Rosa",
    "Sam",
    "Tariq",
    "Una",
    "Victor",
    "Wen",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Adeyemi",
    "Brooks",
    "Chowdhury",
    "Davies",
    "Evans",
    "Fletcher",
    "Green",
    "Hussain",
    "Iqbal",
    "Jones",
    "Kowalski",
    "Lewis",
    "Morgan",
    "Nowak",
    "O'Brien",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Taylor",
    "Walsh",
    "Young",
]
SELF_EVALUATIONS = [
    "Good",
    "Good, and improving in key stage 2",
    "Requires improvement, with a clear plan",
    "Outstanding in the early years, good elsewhere",
    "Secure, with pockets of weaker practice",
]
PEER_VIEWS = [
    "Agreed: the evidence supports the judgement",
    "Good, with gaps in consistency between classes",
    "Stronger than the school judges",
    "Not yet good: books show uneven progress",
    "Secure, with clear next steps",
    "Agreed, though the monitoring is thin",
]
STRENGTHS = [
    "Calm, purposeful classrooms and warm relationships.",
    "Leaders know the school well; self-evaluation is accurate.",
    "Early reading is taught systematically and well.",
    "A broad curriculum, well sequenced in most subjects.",
    "Pupils with SEND are identified early and supported well.",
]
AREAS = [
    "Consistency of feedback across year groups.",
    "Attendance of disadvantaged pupils.",
    "Challenge for the most able in mathematics.",
    "Subject leadership in the foundation subjects.",
    "Writing in key stage 2 lags behind reading.",
]
PRIORITIES = [
    "Support from an SLE for mathematics.",
    "A reading lead from the triad to coach new staff.",
    "Governor training on holding leaders to account.",
    "Peer moderation of writing with the triad.",
    "An attendance officer's review of persistent absence.",
]
ACTIONS = [
    ("Share the phonics tracker with the triad", "Head of English"),
    ("Book a joint moderation of year 6 writing", "Deputy headteacher"),
    ("Review the attendance of disadvantaged pupils each half term", "Attendance lead"),
    ("Visit the host's maths lessons with the subject lead", "Maths lead"),
    ("Report the curriculum review to governors", "Headteacher"),
    ("Arrange SLE support for early years", "EYFS lead"),
    ("Audit the SEND register against the new criteria", "SENCo"),
]
SUPPORT_PARTNERS = ["Ann Adviser", "Tom Reed (SLE)", "Priya Nair (NLE)", "Jo Carter (LLE)", "Challenge Partners"]
GOVERNANCE_REVIEWERS = ["Sue Marsh (NLG)", "Ravi Shah (NLG)", "Chair of governors, partner school"]
ACTION_STATUSES_LAST_YEAR = {ActionStatus.done: 70, ActionStatus.open: 20, ActionStatus.dropped: 10}
ACTION_STATUSES_THIS_YEAR = {ActionStatus.open: 80, ActionStatus.done: 17, ActionStatus.dropped: 3}


@dataclass
class NetworkCounts:
    collaboratives: int = 0
    triads: int = 0
    visits: int = 0
    visit_actions: int = 0
    audit_events: int = 0


@dataclass
class _Visit:
    row: dict
    actions: list[dict] = field(default_factory=list)


# --- writing rows ----------------------------------------------------------------------------------


def chunks(rows: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def new_ids(connection: Connection, table: sa.Table, count: int) -> list[int]:
    """Ids for `count` new rows of `table`, taken before the rows are written, in one statement: the
    id sequence's next values on PostgreSQL, the ids after the largest on SQLite (whose one writer
    holds the database). INSERT ... RETURNING in the rows' order would do it, but psycopg's
    executemany then sends one row at a time (2,000 rows/s), and there are 80,000 visit actions."""
    if not count:
        return []
    if connection.dialect.name == "postgresql":
        stmt = sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
        return list(connection.execute(stmt, {"table": table.name, "count": count}).scalars())
    start = (connection.scalar(select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def insert(
    connection: Connection,
    table: sa.Table,
    rows: list[dict],
    label: str,
    report: Progress | None,
    *,
    with_ids: bool = False,
) -> list[int]:
    """The rows in chunks of CHUNK, reporting progress; `with_ids` gives each row its id first (see
    new_ids) and returns them, in the rows' order."""
    ids = new_ids(connection, table, len(rows)) if with_ids else []
    for row, row_id in zip(rows, ids, strict=False):
        row["id"] = row_id
    done = 0
    if report:
        report(label, 0, len(rows))
    for chunk in chunks(rows):
        connection.execute(sa.insert(table), chunk)
        done += len(chunk)
        if report:
            report(label, done, len(rows))
    return ids


def delete_generated_people(connection: Connection) -> None:
    """The generated lead headteachers who belong to no partnership any more (after their partnerships
    were removed)."""
    user, membership = User.__table__, Membership.__table__
    connection.execute(
        sa.delete(user).where(
            user.c.email.like(f"%@{PEOPLE_DOMAIN}"), ~sa.exists().where(membership.c.user_id == user.c.id)
        )
    )


# --- the network -------------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _years(today: date) -> tuple[str, str]:
    this_year = academic_year_for(today)
    return previous_year(this_year), this_year


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randrange(8, 18), rng.randrange(60)), UTC)


def _split(members: list[dict]) -> list[list[dict]]:
    """Triads of three, as far as the numbers allow: round(n / 3) groups as even as can be (2-4 each)."""
    count = max(1, round(len(members) / TRIAD))
    size, extra = divmod(len(members), count)
    groups, start = [], 0
    for n in range(count):
        end = start + size + (1 if n < extra else 0)
        groups.append(members[start:end])
        start = end
    return groups


class _Builder:
    """Builds one partnership's rows in memory; ids come from the database as each table is written."""

    def __init__(
        self, rng: random.Random, partnership: Partnership, schools: list[dict], today: date, now: datetime
    ) -> None:
        self.rng, self.p, self.schools, self.today, self.now = rng, partnership, schools, today, now
        self.last_year, self.this_year = _years(today)
        self.groups: list[dict] = []  # {"phase", "name", "members", "lead": school, "lead_name"}

    def plan_groups(self) -> None:
        engaged = [s for s in self.schools if s["engaged"] and s["phase"] in PHASE_GROUPS]
        taking_part = self.rng.sample(engaged, round(len(engaged) * PARTICIPATION))
        by_phase: dict[str, list[dict]] = {}
        for school in sorted(taking_part, key=lambda s: s["id"]):
            by_phase.setdefault(PHASE_GROUPS[school["phase"]], []).append(school)
        for phase, pool in by_phase.items():
            self.rng.shuffle(pool)
            number = 0
            while len(pool) >= 4:
                size = min(len(pool), _weighted(self.rng, COLLABORATIVE_SIZES))
                if len(pool) - size < 4:
                    size = len(pool) if len(pool) <= 11 else size
                members, pool = pool[:size], pool[size:]
                number += 1
                good = [s for s in members if s["latest_headline"] in GOOD_OR_BETTER]
                lead = self.rng.choice(good or members)
                name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                self.groups.append(
                    {
                        "phase": phase,
                        "name": f"{phase.capitalize()} Collaborative {number}",
                        "members": members,
                        "lead": lead,
                        "lead_name": name,
                        "override": None
                        if good
                        else "No member school is yet judged good; the "
                        "lead has a record of leading improvement in the triad",
                    }
                )

    def people(self) -> list[dict]:
        return [
            {
                "email": f"lead-{n + 1}.{self.p.slug}@{PEOPLE_DOMAIN}",
                "name": g["lead_name"],
                "password_hash": "!" + secrets.token_hex(16),
                "is_active": True,
                "created_at": self.now,
            }
            for n, g in enumerate(self.groups)
        ]

    def collaboratives(self, lead_ids: list[int]) -> list[dict]:
        rows = []
        for group, lead_id in zip(self.groups, lead_ids, strict=True):
            group["lead_id"] = lead_id
            budget = self.rng.randrange(5, 31) * 1000
            for year in (self.last_year, self.this_year):
                rows.append(
                    {
                        "partnership_id": self.p.id,
                        "name": group["name"],
                        "phase": group["phase"],
                        "academic_year": year,
                        "lead_user_id": lead_id,
                        "budget_pounds": budget,
                        "lead_override_reason": group["override"],
                        "version": 1,
                        "created_at": self.now,
                        "updated_at": self.now,
                        "updated_by": None,
                    }
                )
        return rows

    def memberships(self, collaborative_ids: list[int]) -> tuple[list[dict], list[dict]]:
        """The leads' memberships, and each school's place in its collaborative, both years."""
        memberships, places = [], []
        ids = iter(collaborative_ids)
        for group in self.groups:
            group["collaborative_ids"] = {self.last_year: next(ids), self.this_year: next(ids)}
            memberships.append(
                {
                    "partnership_id": self.p.id,
                    "user_id": group["lead_id"],
                    "role": Role.headteacher.value,
                    "scope_kind": ScopeKind.school.value,
                    "scope_id": group["lead"]["id"],
                    "created_at": self.now,
                }
            )
            for year, collaborative_id in group["collaborative_ids"].items():
                memberships.append(
                    {
                        "partnership_id": self.p.id,
                        "user_id": group["lead_id"],
                        "role": Role.lead_headteacher.value,
                        "scope_kind": ScopeKind.collaborative.value,
                        "scope_id": collaborative_id,
                        "created_at": self.now,
                    }
                )
                places.extend(
                    {
                        "partnership_id": self.p.id,
                        "collaborative_id": collaborative_id,
                        "school_id": s["id"],
                        "academic_year": year,
                    }
                    for s in group["members"]
                )
        return memberships, places

    def triads(self) -> list[dict]:
        rows = []
        for group in self.groups:
            group["triads"] = {}
            for year, collaborative_id in group["collaborative_ids"].items():
                members = list(group["members"])
                self.rng.shuffle(members)
                teams = _split(members)
                group["triads"][year] = teams
                for n, team in enumerate(teams):
                    rows.append(
                        {
                            "partnership_id": self.p.id,
                            "name": f"Triad {chr(ord('A') + n)}",
                            "collaborative_id": collaborative_id,
                            "academic_year": year,
                            "version": 1,
                            "created_at": self.now,
                            "updated_at": self.now,
                            "updated_by": None,
                            "_team": team,
                            "_group": group,
                        }
                    )
        return rows

    def visits(self, triads: list[dict]) -> list[_Visit]:
        found = []
        for triad in triads:
            year, team, group = triad["academic_year"], triad["_team"], triad["_group"]
            start = date(int(year[:4]), 9, 1)
            for host in team:
                if year == self.last_year:
                    day = start + timedelta(days=self.rng.randrange(14, 315))
                    status = _weighted(self.rng, LAST_YEAR_STATUSES)
                else:
                    chance = self.rng.random()
                    if chance < VISITED_SO_FAR:
                        day = start + timedelta(days=self.rng.randrange(7, max(8, (self.today - start).days)))
                        status = _weighted(self.rng, THIS_YEAR_STATUSES)
                    elif chance < VISITED_SO_FAR + PLANNED_AHEAD:
                        day = self.today + timedelta(days=self.rng.randrange(7, 200))
                        status = VisitStatus.draft
                    else:
                        continue
                heads = [
                    {"name": s["headteacher_name"] or f"Headteacher, {s['name']}", "urn": s["urn"]}
                    for s in team
                    if s is not host
                ]
                found.append(
                    self._visit(VisitKind.triad_review, host, day, status, heads, triad["id"], group["lead_name"])
                )
        for school in self.schools:
            concern = school["latest_headline"] in BELOW_GOOD or school["la_category"] == self.p.category_scheme[0]
            for year in (self.last_year, self.this_year):
                start = date(int(year[:4]), 9, 1)
                latest = (start + timedelta(days=330)) if year == self.last_year else self.today
                visits = []
                if concern and self.rng.random() < SUPPORT_SHARE:
                    visits += [VisitKind.support_partner] * self.rng.choice((1, 1, 2))
                if self.rng.random() < GOVERNANCE_SHARE:
                    visits.append(VisitKind.governance_review)
                for kind in visits:
                    day = start + timedelta(days=self.rng.randrange(10, max(11, (latest - start).days)))
                    statuses = LAST_YEAR_STATUSES if year == self.last_year else THIS_YEAR_STATUSES
                    who = SUPPORT_PARTNERS if kind == VisitKind.support_partner else GOVERNANCE_REVIEWERS
                    found.append(
                        self._visit(
                            kind,
                            school,
                            day,
                            _weighted(self.rng, statuses),
                            [{"name": self.rng.choice(who), "urn": None}],
                            None,
                            "command line",
                        )
                    )
        return found

    def _visit(
        self,
        kind: VisitKind,
        host: dict,
        day: date,
        status: VisitStatus,
        heads: list[dict],
        triad_id: int | None,
        signer: str,
    ) -> _Visit:
        rng = self.rng
        happened = day <= self.today
        if kind == VisitKind.governance_review:
            areas = ["governance"]
        else:
            areas = rng.sample(DEFAULT_FOCUS_AREAS[:-1], rng.choice((1, 2, 2, 3)))
        written = happened and (status != VisitStatus.draft or rng.random() < 0.5)
        focus = [
            {
                "area": area,
                "self_evaluation": rng.choice(SELF_EVALUATIONS) if written else None,
                "peer_view": rng.choice(PEER_VIEWS) if written else None,
            }
            for area in areas
        ]
        submitted = status in (VisitStatus.submitted, VisitStatus.signed_off)
        submitted_at = _moment(min(day + timedelta(days=rng.randrange(1, 10)), self.today), rng) if submitted else None
        signed = status == VisitStatus.signed_off
        signed_at = (
            max(submitted_at, _moment(min(day + timedelta(days=rng.randrange(7, 30)), self.today), rng))
            if signed
            else None
        )
        row = {
            "partnership_id": self.p.id,
            "kind": kind.value,
            "triad_id": triad_id,
            "school_id": host["id"],
            "visit_date": day,
            "academic_year": academic_year_for(day),
            "visiting_heads": heads,
            "focus_areas": focus,
            "strengths": rng.choice(STRENGTHS) if written else None,
            "areas_for_development": rng.choice(AREAS) if written else None,
            "priorities_for_support": rng.choice(PRIORITIES) if written else None,
            "grade": _weighted(rng, GRADES) if signed or (written and rng.random() < 0.5) else None,
            "status": status.value,
            "submitted_at": submitted_at,
            "signed_off_at": signed_at,
            "signed_off_by": signer if signed else None,
            "reopen_reason": "The grade was reconsidered after the data came in"
            if signed and rng.random() < 0.02
            else None,
            "version": 1 + int(submitted) + int(signed),
            "created_at": self.now,
            "updated_at": self.now,
            "updated_by": None,
        }
        visit = _Visit(row)
        if happened and written:
            statuses = (
                ACTION_STATUSES_LAST_YEAR if row["academic_year"] == self.last_year else ACTION_STATUSES_THIS_YEAR
            )
            for text, owner in rng.sample(ACTIONS, rng.choice(ACTIONS_PER_VISIT)):
                visit.actions.append(
                    {
                        "partnership_id": self.p.id,
                        "text": text,
                        "owner": owner,
                        "due_on": day + timedelta(days=rng.randrange(30, 180)),
                        "status": _weighted(rng, statuses).value,
                        "version": 1,
                        "created_at": self.now,
                        "updated_at": self.now,
                        "updated_by": None,
                    }
                )
        return visit


def _read_schools(connection: Connection, school: sa.Table, partnership_ids: list[int]) -> dict[int, list[dict]]:
    """Each partnership's open schools, with what the network is built from."""
    columns = [
        school.c[name]
        for name in ("id", "partnership_id", "urn", "name", "phase", "engaged", "la_category", "headteacher_name")
        if name in school.c
    ]
    headline = school.c["latest_headline"] if "latest_headline" in school.c else sa.null()
    found: dict[int, list[dict]] = {p: [] for p in partnership_ids}
    for chunk in chunks(partnership_ids, 500):
        stmt = (
            select(*columns, headline.label("latest_headline"))
            .where(school.c.partnership_id.in_(chunk), school.c.status == "open")
            .order_by(school.c.id)
        )
        for row in connection.execute(stmt).mappings():
            found[row["partnership_id"]].append(dict(row))
    return found


def _audited(rows: list[dict], ids: list[int]) -> Iterator[tuple[int, str, dict]]:
    """Each new row as the audit trail records a create: its values as [null, value], nulls left out."""
    noise = {"id", "partnership_id", "version", "created_at", "updated_at", "updated_by"}
    for row, record_id in zip(rows, ids, strict=True):
        yield (
            record_id,
            "create",
            {k: [None, v] for k, v in row.items() if v is not None and k not in noise and not k.startswith("_")},
        )


def write_networks(
    session: Session,
    connection: Connection,
    school: sa.Table,
    rng: random.Random,
    partnerships: list[Partnership],
    report: Progress,
    *,
    today: date | None = None,
    with_audit: bool = True,
) -> dict[int, NetworkCounts]:
    """Collaboratives, triads, visit records and actions for each partnership (see the module's
    docstring); how many of each were written, by partnership id."""
    today = today or date.today()
    now = utcnow()
    report("planning collaboratives and triads", 0, None)
    schools = _read_schools(connection, school, [p.id for p in partnerships])
    builders = [_Builder(rng, p, schools[p.id], today, now) for p in partnerships]
    for b in builders:
        b.plan_groups()

    people = [row for b in builders for row in b.people()]
    lead_ids = iter(insert(connection, User.__table__, people, "lead headteachers", report, with_ids=True))
    collaborative_rows = {b.p.id: b.collaboratives([next(lead_ids) for _ in b.groups]) for b in builders}
    flat = [row for b in builders for row in collaborative_rows[b.p.id]]
    ids = iter(insert(connection, Collaborative.__table__, flat, "collaboratives", report, with_ids=True))
    collaborative_ids = {b.p.id: [next(ids) for _ in collaborative_rows[b.p.id]] for b in builders}
    memberships, places = [], []
    for b in builders:
        m, p = b.memberships(collaborative_ids[b.p.id])
        memberships += m
        places += p
    insert(connection, Membership.__table__, memberships, "memberships", report)
    insert(connection, CollaborativeSchool.__table__, places, "collaboratives' schools", report)

    triad_rows = {b.p.id: b.triads() for b in builders}
    flat = [row for b in builders for row in triad_rows[b.p.id]]
    written = [{k: v for k, v in row.items() if not k.startswith("_")} for row in flat]
    for row, triad_id in zip(
        flat, insert(connection, Triad.__table__, written, "triads", report, with_ids=True), strict=True
    ):
        row["id"] = triad_id
    members = [
        {
            "partnership_id": row["partnership_id"],
            "triad_id": row["id"],
            "school_id": s["id"],
            "academic_year": row["academic_year"],
        }
        for row in flat
        for s in row["_team"]
    ]
    insert(connection, TriadSchool.__table__, members, "triads' schools", report)

    visits = {b.p.id: b.visits(triad_rows[b.p.id]) for b in builders}
    flat_visits = [v for b in builders for v in visits[b.p.id]]
    visit_ids = insert(
        connection, TriadVisit.__table__, [v.row for v in flat_visits], "visit records", report, with_ids=True
    )
    for visit, visit_id in zip(flat_visits, visit_ids, strict=True):
        visit.row["id"] = visit_id
        for action in visit.actions:
            action["visit_id"] = visit_id
    actions = [a for v in flat_visits for a in v.actions]
    action_ids = insert(connection, VisitAction.__table__, actions, "agreed actions", report, with_ids=True)
    for action, action_id in zip(actions, action_ids, strict=True):
        action["id"] = action_id

    counts: dict[int, NetworkCounts] = {}
    for b in builders:
        rows = visits[b.p.id]
        counts[b.p.id] = NetworkCounts(
            len(collaborative_rows[b.p.id]), len(triad_rows[b.p.id]), len(rows), sum(len(v.actions) for v in rows)
        )
    if with_audit:
        report("audit events", 0, len(builders))
        for n, b in enumerate(builders):
            coll = collaborative_rows[b.p.id]
            events = {
                "collaborative": list(_audited(coll, collaborative_ids[b.p.id])),
                "triad": list(_audited(triad_rows[b.p.id], [r["id"] for r in triad_rows[b.p.id]])),
                "triad_visit": list(_audited([v.row for v in visits[b.p.id]], [v.row["id"] for v in visits[b.p.id]])),
            }
            counts[b.p.id].audit_events = audit.record_bulk(session, events, by=accounts.operator(b.p))
            report("audit events", n + 1, len(builders))
    return counts
