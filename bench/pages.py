"""Benchmark the HTML pages of peer review, clinics, action plans and support at a region's size
(2,500 schools) or at national size (`--slug bench-national`: every school in England), beside a raw
baseline of their own statements.

Uses a generated database (``python -m app generate --scale partnership``, the ``bench-region``
partnership: 2,500 open schools, its collaboratives, triads and visit records; see bench/README.md).
The script adds what the generator does not make: an officer who signs in (holding two of the
glossary's lead role codes, so that /my-milestones lists what those roles lead across every plan), and a
clinic opened from the region's current flags (so the clinic's agenda holds every red and amber school).
Issue 9's pages: the plans list (with its roll-ups and the schools needing a plan), the partnership's
own plan, /my-milestones, the support deployments, their data-quality report and the support review.
Issue 10's school profile (of a school that hosted a triad visit) and group dashboard (an alliance of
30 of the partnership's schools, made here once).

For each page, through the whole app in process (session cookie, CSRF, templates), ``--repeat``
times: the server time of one request (median, p90, max), and the first request's (before any
cache is warm: the red-flag list's kept order, app.services.flag_cache, is worked out then).
Beside it the **raw baseline**: the
same SQL statements the page issued (captured from that request), replayed on the same driver
with no ORM, no validation and no template; "ours / raw" is how much time the framework adds.

    DATABASE_URL=sqlite:///$PWD/data/bench/bench.db .venv/bin/python bench/pages.py [--repeat 30]
    DATABASE_URL=... .venv/bin/python bench/pages.py --slug bench-national   # -> pages-national.json

Results: bench/results/pages.json (pages-national.json for bench-national). Targets are recorded
there (the board's: 100 ms for 80 schools, issue 10), never asserted.
"""

import argparse
import os
import re
import secrets
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event, select, text  # noqa: E402

from app.db import all_tenants, build_engine, session_scope  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models.account import Role, User  # noqa: E402
from app.models.action_plan import ActionPlan, PlanRoleHolder  # noqa: E402
from app.models.clinic import Clinic  # noqa: E402
from app.models.clinic_api import ClinicCreate, ClinicUpdate  # noqa: E402
from app.models.collaborative import Collaborative, Triad  # noqa: E402
from app.models.partnership import Partnership  # noqa: E402
from app.models.school import School  # noqa: E402
from app.models.visit import TriadVisit, VisitAction  # noqa: E402
from app.services import accounts, clinics, partnerships  # noqa: E402
from app.services.concurrency import etag  # noqa: E402
from bench.common import RESULTS, machine, percentile, write_results  # noqa: E402

SLUG = "bench-region"
LEAD_CODES = ("HSI", "SIO")  # held by the officer (those of them in the partnership's glossary)


def _officer(engine, partnership_id: int) -> tuple[str, str]:
    email = f"pages-{secrets.token_hex(4)}@bench-pages.example"
    password = secrets.token_urlsafe(16)
    with session_scope(engine=engine) as session, all_tenants(session):
        partnership = session.get(Partnership, partnership_id)
        user = accounts.create_user(session, email=email, name="Pages Benchmark Officer", password=password)
        accounts.grant(session, user, partnership, Role.officer.value)
        glossary = [role["code"] for role in partnership.plan_roles]
        for code in [c for c in LEAD_CODES if c in glossary] or glossary[:1]:
            session.add(PlanRoleHolder(partnership_id=partnership_id, user_id=user.id, code=code))
    return email, password


def _targets(engine, partnership_id: int, officer_email: str) -> dict[str, str]:
    """The pages to time: a collaborative of this year, one of its triads, a visit with actions, a
    clinic opened now (its agenda made from the region's flags)."""
    year = partnerships.academic_year_for(date.today())
    with session_scope(engine=engine) as session:
        with all_tenants(session):
            collaborative = session.scalars(select(Collaborative).where(
                Collaborative.partnership_id == partnership_id, Collaborative.academic_year == year)
                .order_by(Collaborative.id)).first()
            triad = session.scalars(select(Triad).where(Triad.collaborative_id == collaborative.id)).first()
            visit_id = session.scalar(select(TriadVisit.id).join(VisitAction, VisitAction.visit_id == TriadVisit.id)
                                      .where(TriadVisit.partnership_id == partnership_id).limit(1))
            # The school profile of a school that hosted that visit: its triads, visits and flags.
            host_urn = session.scalar(select(School.urn).join(TriadVisit, TriadVisit.school_id == School.id)
                                      .where(TriadVisit.id == visit_id))
            user = session.scalars(select(User).where(User.email == officer_email)).one()
            plan_id = session.scalar(select(ActionPlan.id).where(ActionPlan.partnership_id == partnership_id,
                                                                 ActionPlan.school_id.is_(None))
                                     .order_by(ActionPlan.id))
        by = accounts.principal_for(session, user, partnership_id)
        with all_tenants(session):
            clinic = session.scalars(select(Clinic).where(Clinic.partnership_id == partnership_id,
                                                          Clinic.status == "in_session")).first()
        if clinic is None:
            clinic = clinics.create(session, ClinicCreate(held_on=date.today()), by=by)
            clinics.update(session, clinic.id, ClinicUpdate(status="in_session"), if_match=etag(clinic.version),
                           by=by)
        clinic_id = clinic.id
        group_id = _bench_group(session, by)
    return {
        "schools list": "/schools",
        "school profile": f"/schools/{host_urn}",
        "collaboratives": f"/collaboratives?academic_year={year}",
        "collaborative board": f"/collaboratives/{collaborative.id}",
        "triad": f"/triads/{triad.id}",
        "visit record": f"/visits/{visit_id}",
        "red flags": "/red-flags",
        "clinic": f"/clinics/{clinic_id}",
        "action plans": "/action-plans",
        "the partnership's plan": f"/action-plans/{plan_id}",
        "my milestones": "/my-milestones",
        "support deployments": "/support",
        "support data quality": "/support/data-quality",
        "support review": "/reports/support-review",
        "group dashboard": f"/groups/{group_id}",
    }


def _bench_group(session, by) -> int:  # noqa: ANN001
    """An alliance of 30 of the partnership's schools (the generator makes no groups), made once."""
    from app.models.group import SchoolGroup
    from app.models.group_api import GroupCreate
    from app.services import groups
    from app.services.principal import bind

    bind(session, by)  # the tenant guard then reads this partnership's rows
    found = session.scalar(select(SchoolGroup.id).where(SchoolGroup.name == "Bench alliance"))
    if found is not None:
        return found
    urns = list(session.scalars(select(School.urn).where(School.status == "open").order_by(School.urn).limit(30)))
    return groups.create(session, GroupCreate(name="Bench alliance", kind="alliance", schools=urns), by=by).group.id


def _signed_in(client: TestClient, email: str, password: str) -> None:
    form = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    done = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password, "next": "/schools"},
                       follow_redirects=False)
    if done.status_code != 303:
        raise SystemExit(f"sign-in answered {done.status_code}")


def _capture(engine, client: TestClient, path: str) -> list[tuple[str, object]]:
    """The statements (and their parameters) one request for `path` issues."""
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def _replay(engine, statements: list[tuple[str, object]]) -> float:
    """The statements run on the bare driver connection, rows fetched: seconds."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for statement, parameters in statements:
            if statement.lstrip().upper().startswith(("SELECT", "WITH", "PRAGMA")):
                cursor.execute(statement, parameters)
                cursor.fetchall()
        elapsed = time.perf_counter() - started
        raw.rollback()
        return elapsed
    finally:
        raw.close()


def _figures(samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    return {"median_ms": round(statistics.median(ms), 2), "p90_ms": round(percentile(ms, 0.9), 2),
            "max_ms": round(max(ms), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--slug", default=SLUG, help="the generated partnership whose pages to time")
    parser.add_argument("--results", type=Path)
    args = parser.parse_args()
    slug = args.slug
    if not args.database_url:
        raise SystemExit("give --database-url or DATABASE_URL (a generated database)")
    engine = build_engine(args.database_url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM partnership WHERE slug = :s"), {"s": slug}).scalar()
        schools = conn.execute(text("SELECT count(*) FROM school WHERE partnership_id = :p"), {"p": found}).scalar()
    if found is None:
        raise SystemExit(f"no {slug} partnership: run python -m app generate (bench/README.md) first")
    email, password = _officer(engine, found)
    targets = _targets(engine, found, email)
    app = create_app(engine=engine)
    results: dict = {"machine": machine(), "database": engine.dialect.name, "partnership": slug, "schools": schools,
                     "repeat": args.repeat, "pages": {}}
    with TestClient(app, base_url="https://testserver") as client:
        _signed_in(client, email, password)
        for name, path in targets.items():
            started = time.perf_counter()
            assert client.get(path).status_code == 200, (name, path)
            first = time.perf_counter() - started
            for _ in range(2):  # warm caches and the template
                assert client.get(path).status_code == 200, (name, path)
            statements = _capture(engine, client, path)
            ours, raw = [], []
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(path)
                ours.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{name} answered {response.status_code}")
                raw.append(_replay(engine, statements))
            figures = {"path": path, "statements": len(statements), "bytes": len(response.content),
                       "first_request_ms": round(first * 1000, 2), "ours": _figures(ours), "raw": _figures(raw)}
            figures["ours_over_raw"] = round(figures["ours"]["median_ms"] / max(figures["raw"]["median_ms"], 0.01), 1)
            results["pages"][name] = figures
            print(f"{name:<20} {figures['statements']:>3} statements  ours {figures['ours']['median_ms']:>8} ms  "
                  f"raw {figures['raw']['median_ms']:>7} ms  ({figures['ours_over_raw']}x)  "
                  f"first {figures['first_request_ms']} ms  {path}")
    name = "pages.json" if slug == SLUG else f"pages-{slug.removeprefix('bench-')}.json"
    write_results(args.results or RESULTS / name, results)


if __name__ == "__main__":
    main()
