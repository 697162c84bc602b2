"""The peer-review network of each generated partnership (`python -m app generate`, after its schools):
collaboratives, their triads and the visit records with their agreed actions, planned in memory
(app/services/generate_network.py, generate_visits.py) and written in bulk (generate_rows.py), each
row naming its partnership (the per-row services would take minutes).

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
from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa
from sqlalchemy import Connection, select
from sqlmodel import Session

from app.models.account import Membership, User
from app.models.base import utcnow
from app.models.collaborative import Collaborative, CollaborativeSchool, Triad, TriadSchool
from app.models.partnership import Partnership
from app.models.visit import TriadVisit, VisitAction
from app.services import accounts, audit
from app.services.generate_network import PEOPLE_DOMAIN, NetworkBuilder, NetworkCounts
from app.services.generate_rows import Progress, chunks, insert

# Progress, chunks and insert are also imported from here (bench/flags.py).
__all__ = ["Progress", "chunks", "insert", "delete_generated_people", "write_networks"]


def delete_generated_people(connection: Connection) -> None:
    """The generated lead headteachers who belong to no partnership any more (after their partnerships
    were removed)."""
    user, membership = User.__table__, Membership.__table__
    connection.execute(
        sa.delete(user).where(
            user.c.email.like(f"%@{PEOPLE_DOMAIN}"), ~sa.exists().where(membership.c.user_id == user.c.id)
        )
    )



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
    builders = [NetworkBuilder(rng, p, schools[p.id], today, now) for p in partnerships]
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
