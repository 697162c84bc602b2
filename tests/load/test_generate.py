"""`python -m app generate`: the data every benchmark and the load test run on."""

import json
import os
import subprocess
import sys

from alembic import command
from sqlalchemy import text

from app.config import PROJECT_ROOT
from app.db import build_engine
from tests.conftest import alembic_config


def _generate(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", "generate", "--scale", "small", *args], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def test_small_scale_then_refused_then_replaced_with_force(fresh_database_url, tmp_path):
    command.upgrade(alembic_config(fresh_database_url), "head")
    env = {**os.environ, "DATABASE_URL": fresh_database_url}
    tokens = tmp_path / "tokens.json"

    made = _generate(env, "--tokens-file", str(tokens))
    assert made.returncode == 0, made.stderr
    first = json.loads(tokens.read_text())
    assert [p["slug"] for p in first["partnerships"]] == ["bench-small-1", "bench-small-2"]
    assert [p["schools"] for p in first["partnerships"]] == [100, 60]
    assert oct(tokens.stat().st_mode & 0o777) == "0o600"

    refused = _generate(env, "--tokens-file", str(tokens))
    assert refused.returncode == 1
    assert "already has data" in refused.stderr and "--force" in refused.stderr

    replaced = _generate(env, "--force", "--seed", "7", "--tokens-file", str(tokens))
    assert replaced.returncode == 0, replaced.stderr
    second = json.loads(tokens.read_text())
    assert {p["token"] for p in second["partnerships"]}.isdisjoint({p["token"] for p in first["partnerships"]})

    engine = build_engine(fresh_database_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM partnership")) == 2
            assert conn.scalar(text("SELECT count(*) FROM school")) == 160
            assert conn.scalar(text("SELECT count(*) FROM api_token WHERE scopes = 'read write'")) == 2
            # Every school's latest inspection is kept on its row, as the services keep it.
            wrong = conn.scalar(text(
                "SELECT count(*) FROM school s WHERE s.latest_inspected_on IS NOT "
                "(SELECT max(i.inspected_on) FROM inspection i WHERE i.school_id = s.id)"
                if engine.dialect.name == "sqlite" else
                "SELECT count(*) FROM school s WHERE s.latest_inspected_on IS DISTINCT FROM "
                "(SELECT max(i.inspected_on) FROM inspection i WHERE i.school_id = s.id)"))
            assert wrong == 0
            assert conn.scalar(text("SELECT count(*) FROM indicator")) > 160
            _assert_networks(conn, second)
            _assert_plans(conn, second)
    finally:
        engine.dispose()


def test_bad_input_exits_with_a_message_and_writes_nothing(fresh_database_url, tmp_path):
    """Without a schema: exit 1 naming `migrate`. An unknown scale or a seed that is not a number:
    exit 2 from the command line's own check, naming the option. No tokens file is left behind."""
    env = {**os.environ, "DATABASE_URL": fresh_database_url}
    tokens = tmp_path / "tokens.json"

    no_schema = _generate(env, "--tokens-file", str(tokens))
    assert no_schema.returncode == 1
    assert "no schema yet" in no_schema.stderr and "migrate" in no_schema.stderr

    command.upgrade(alembic_config(fresh_database_url), "head")
    for args, named in ((["--scale", "county"], "--scale"), (["--seed", "many"], "--seed")):
        refused = subprocess.run([sys.executable, "-m", "app", "generate", *args, "--tokens-file", str(tokens)],
                                 cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2, refused.stderr
        assert named in refused.stderr
    assert not tokens.exists()
    engine = build_engine(fresh_database_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM school")) == 0
    finally:
        engine.dispose()


def _count(conn, sql: str) -> int:
    return conn.scalar(text(sql))


def _assert_networks(conn, generated: dict) -> None:
    """Each partnership's collaboratives, triads and visits, as the tokens file counts them, keep the
    rules the services keep; the generated leads of the first run were removed with its partnerships."""
    for p in generated["partnerships"]:
        assert p["collaboratives"] > 0 and p["triads"] > 0 and p["visits"] > p["triads"] and p["visit_actions"] > 0
    assert _count(conn, "SELECT count(*) FROM triad") == sum(p["triads"] for p in generated["partnerships"])
    assert _count(conn, "SELECT count(*) FROM triad_visit") == sum(p["visits"] for p in generated["partnerships"])
    # Triads of three mostly, never fewer than two nor more than four.
    sizes = conn.execute(text("SELECT count(*) FROM triad_school GROUP BY triad_id")).scalars().all()
    assert min(sizes) >= 2 and max(sizes) <= 4 and sizes.count(3) > len(sizes) / 2
    # Everything of a triad (its collaborative, schools and visits) is in one partnership and one year.
    assert _count(conn, "SELECT count(*) FROM triad t JOIN collaborative c ON c.id = t.collaborative_id "
                        "WHERE c.partnership_id != t.partnership_id OR c.academic_year != t.academic_year") == 0
    assert _count(conn, "SELECT count(*) FROM triad_school ts JOIN collaborative_school cs ON cs.school_id = "
                        "ts.school_id AND cs.academic_year = ts.academic_year JOIN triad t ON t.id = ts.triad_id "
                        "WHERE t.collaborative_id != cs.collaborative_id") == 0
    assert _count(conn, "SELECT count(*) FROM triad_visit v JOIN triad t ON t.id = v.triad_id "
                        "WHERE t.academic_year != v.academic_year OR t.partnership_id != v.partnership_id") == 0
    assert _count(conn, "SELECT count(*) FROM triad_visit v WHERE v.triad_id IS NOT NULL AND NOT EXISTS "
                        "(SELECT 1 FROM triad_school ts WHERE ts.triad_id = v.triad_id AND ts.school_id = "
                        "v.school_id)") == 0
    assert _count(conn, "SELECT count(*) FROM triad_visit v JOIN school s ON s.id = v.school_id "
                        "WHERE s.partnership_id != v.partnership_id") == 0
    # A visit's year is its date's (September to August); its status one of the workflow's.
    for year, first_day, last_day in conn.execute(text(
            "SELECT academic_year, min(visit_date), max(visit_date) FROM triad_visit GROUP BY academic_year")):
        start = int(year[:4])
        assert str(first_day) >= f"{start}-09-01" and str(last_day) <= f"{start + 1}-08-31", year
    statuses = set(conn.execute(text("SELECT DISTINCT status FROM triad_visit")).scalars())
    assert statuses == {"draft", "submitted", "signed_off"}
    assert _count(conn, "SELECT count(*) FROM triad_visit WHERE status = 'signed_off' AND (grade IS NULL OR "
                        "signed_off_at IS NULL OR signed_off_by IS NULL)") == 0
    assert _count(conn, "SELECT count(*) FROM triad_visit WHERE grade NOT BETWEEN 1 AND 3") == 0
    assert _count(conn, "SELECT count(*) FROM visit_action a JOIN triad_visit v ON v.id = a.visit_id "
                        "WHERE a.partnership_id != v.partnership_id") == 0
    # Each lead heads a school of their collaborative and is its lead; the first run's leads are gone.
    assert _count(conn, "SELECT count(*) FROM collaborative c WHERE NOT EXISTS (SELECT 1 FROM membership m "
                        "JOIN collaborative_school cs ON cs.school_id = m.scope_id AND cs.collaborative_id = c.id "
                        "WHERE m.user_id = c.lead_user_id AND m.role = 'headteacher')") == 0
    assert _count(conn, "SELECT count(*) FROM app_user") == _count(
        conn, "SELECT count(DISTINCT lead_user_id) FROM collaborative")
    assert _count(conn, "SELECT count(*) FROM audit_event WHERE table_name = 'triad_visit'") == _count(
        conn, "SELECT count(*) FROM triad_visit")


def _assert_plans(conn, generated: dict) -> None:
    """Each partnership's plans, milestones and support deployments, as the tokens file counts them:
    every row of a plan's tree in its plan and partnership, numbers unique, brokering dates in order."""
    partnerships = generated["partnerships"]
    for p in partnerships:
        assert p["plans"] > 1 and p["milestones"] >= 120 and p["deployments"] > 0
    assert _count(conn, "SELECT count(*) FROM action_plan") == sum(p["plans"] for p in partnerships)
    assert _count(conn, "SELECT count(*) FROM plan_milestone") == sum(p["milestones"] for p in partnerships)
    assert _count(conn, "SELECT count(*) FROM support_deployment") == sum(p["deployments"] for p in partnerships)
    assert _count(conn, "SELECT count(*) FROM action_plan WHERE school_id IS NULL") == len(partnerships)
    assert _count(conn, "SELECT count(*) FROM plan_milestone m JOIN plan_action a ON a.id = m.action_id "
                        "JOIN plan_priority p ON p.id = a.priority_id JOIN action_plan ap ON ap.id = p.plan_id "
                        "WHERE m.plan_id != a.plan_id OR a.plan_id != p.plan_id "
                        "OR m.partnership_id != ap.partnership_id OR a.partnership_id != ap.partnership_id") == 0
    assert _count(conn, "SELECT count(*) FROM plan_action a WHERE NOT EXISTS "
                        "(SELECT 1 FROM plan_action_lead l WHERE l.action_id = a.id)") == 0
    assert _count(conn, "SELECT count(*) FROM action_plan ap JOIN school s ON s.id = ap.school_id "
                        "WHERE s.partnership_id != ap.partnership_id") == 0
    assert _count(conn, "SELECT count(*) FROM support_deployment WHERE NOT (contacted_on <= responded_on AND "
                        "responded_on <= adviser_allocated_on AND adviser_allocated_on <= conflicts_checked_on AND "
                        "conflicts_checked_on <= adviser_visit_on AND adviser_visit_on <= matched_on AND "
                        "matched_on <= delivery_started_on AND (reviewed_on IS NULL OR delivery_started_on <= "
                        "reviewed_on))") == 0
    assert _count(conn, "SELECT count(*) FROM support_deployment WHERE outcome = 'not_yet_completed' "
                        "AND reviewed_on IS NOT NULL") == 0
