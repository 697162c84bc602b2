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
    finally:
        engine.dispose()
