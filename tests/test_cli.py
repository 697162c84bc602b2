"""The command line, run for real as `python -m app ...` against a database of its own."""

import os
import subprocess
import sys

import pytest
from alembic import command

from app.config import DEFAULT_SECRET, PROJECT_ROOT
from tests.conftest import alembic_config


@pytest.fixture
def cli(fresh_database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "ENVIRONMENT": "development"}
    env.pop("SECRET_KEY", None)

    def run(*args: str, input: str | None = None,  # noqa: A002
            environ: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
        """Run the command; `environ` overrides variables for this run (None removes one)."""
        run_env = {**env, **(environ or {})}
        run_env = {k: v for k, v in run_env.items() if v is not None}
        return subprocess.run([sys.executable, "-m", "app", *args], cwd=PROJECT_ROOT, env=run_env, input=input,
                              capture_output=True, text=True, timeout=120)

    command.upgrade(alembic_config(fresh_database_url), "head")
    return run


def test_partnership_user_and_token(cli, tmp_path):
    made = cli("create-partnership", "--name", "Fenland Schools Partnership", "--slug", "fenland", "--la-code", "874",
               "--categories", "priority 1,priority 2,priority 3")
    assert made.returncode == 0, made.stderr
    assert "created partnership fenland" in made.stdout

    password = tmp_path / "password"
    password.write_text("a long enough password\n")
    user = cli("create-user", "--email", "Head@Fenland.example", "--name", "Hana Head", "--partnership", "fenland",
               "--role", "officer", "--password-file", str(password))
    assert user.returncode == 0, user.stderr
    assert "head@fenland.example is officer of fenland" in user.stdout

    token = cli("create-token", "--partnership", "fenland", "--name", "Alliance sync", "--scopes", "read,write")
    assert token.returncode == 0, token.stderr
    last = token.stdout.rstrip("\n").splitlines()[-1]
    assert last.startswith("sp_") and " " not in last and len(last) > 40

    listed = cli("list-tokens", "--partnership", "fenland")
    assert last[:11] in listed.stdout and "active" in listed.stdout
    assert last not in listed.stdout
    assert cli("revoke-token", "--partnership", "fenland", "--prefix", last[:11]).returncode == 0
    assert "revoked" in cli("list-tokens", "--partnership", "fenland").stdout


BAD_INPUT = [
    (("create-partnership", "--name", "X", "--slug", "Bad Slug"), "slug"),
    (("create-partnership", "--name", "X", "--slug", "okay", "--la-code", "87"), "la_code"),
    (("create-token", "--partnership", "nowhere", "--name", "x"), "no partnership"),
    (("create-user", "--email", "a@b.example", "--name", "A", "--partnership", "nowhere", "--role", "officer",
      "--password-file", "/nonexistent"), "no partnership"),
    (("import-gias", "/nonexistent.csv", "--partnership", "nowhere"), "no such file"),
]


def test_bad_input_exits_non_zero_with_a_message(cli, tmp_path):
    for args, message in BAD_INPUT:
        result = cli(*args)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)

    cli("create-partnership", "--name", "Fenland", "--slug", "fenland")
    bad_scope = cli("create-token", "--partnership", "fenland", "--name", "x", "--scopes", "admin")
    assert bad_scope.returncode != 0 and "scopes" in bad_scope.stderr
    password = tmp_path / "password"
    password.write_text("a long enough password")
    bad_role = cli("create-user", "--email", "a@b.example", "--name", "A", "--partnership", "fenland",
                   "--role", "emperor", "--password-file", str(password))
    assert bad_role.returncode != 0 and "role" in bad_role.stderr

    # No password file and no terminal: refuse rather than read a password from a pipe.
    result = cli("create-user", "--email", "a@b.example", "--name", "A", "--partnership", "fenland",
                 "--role", "viewer", input="secret\n")
    assert result.returncode != 0 and "--password-file" in result.stderr


def test_demo_data_once_and_if_empty(cli):
    first = cli("demo-data")
    assert first.returncode == 0, first.stderr
    assert "officer: officer@northfield.example  password: " in first.stdout
    assert "viewer:  viewer@northfield.example  password: " in first.stdout
    schools = int(first.stdout.split("(")[1].split(" schools")[0])
    assert 60 <= schools <= 80
    again = cli("demo-data", "--if-empty")
    assert again.returncode == 0 and "already present" in again.stdout
    assert cli("demo-data").returncode != 0


def _said(result: subprocess.CompletedProcess) -> str:
    """stderr with the console's line wrapping undone."""
    return " ".join(result.stderr.split())


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, None], ids=["sent", "left-unset"])
def test_default_secret_is_refused_outside_development(cli, secret):
    production = {"ENVIRONMENT": "production", "SECRET_KEY": secret}
    refused = cli("create-partnership", "--name", "X", "--slug", "xyz", environ=production)
    assert refused.returncode == 1, refused.stdout
    assert "SECRET_KEY is still the development default" in _said(refused)

    # The database is migrated and a real secret is accepted: the refusal was the secret's, and it wrote nothing.
    accepted = cli("create-partnership", "--name", "X", "--slug", "xyz",
                   environ=production | {"SECRET_KEY": "a-real-secret-for-production-use"})
    assert accepted.returncode == 0, accepted.stderr
    assert "created partnership xyz" in accepted.stdout


def test_short_secret_is_refused(cli):
    refused = cli("create-partnership", "--name", "X", "--slug", "xyz",
                  environ={"ENVIRONMENT": "production", "SECRET_KEY": "fifteen-chars-x"})
    assert refused.returncode == 1, refused.stdout
    assert "SECRET_KEY must be at least 16 characters long" in _said(refused)

    accepted = cli("create-partnership", "--name", "X", "--slug", "xyz",
                   environ={"ENVIRONMENT": "production", "SECRET_KEY": "sixteen-chars-xx"})
    assert accepted.returncode == 0, accepted.stderr


def test_serve_refuses_to_start_without_the_stylesheet(cli, tmp_path):
    """A pip install without the npm step would serve unstyled pages that fail accessibility checks."""
    (tmp_path / "static").mkdir()
    result = cli("serve", "--port", "1", environ={"STATIC_DIR": str(tmp_path / "static")})
    assert result.returncode == 1
    assert "stylesheet" in result.stderr and "npm run build:css" in result.stderr


def test_a_gias_import_prints_its_warnings(cli, tmp_path):
    from tests.gias_csv import gias_row, write_gias_csv

    assert cli("create-partnership", "--name", "Fenland", "--slug", "fenland").returncode == 0
    path = write_gias_csv(tmp_path / "extract.csv", [
        gias_row("303001", rating="Insufficient evidence", inspected="12-03-2019"), gias_row("303002")])
    result = cli("import-gias", str(path), "--partnership", "fenland")
    assert result.returncode == 0, result.stderr
    assert "created 2" in result.stdout
    assert "OfstedRating (name) 'Insufficient evidence': 1 row (line 2); not a judgement" in result.stdout


def test_scoped_roles_name_their_collaborative_or_school(cli, tmp_path, fresh_database_url):
    from sqlalchemy import create_engine, text

    assert cli("create-partnership", "--name", "Fenland", "--slug", "fenland").returncode == 0
    engine = create_engine(fresh_database_url)
    with engine.begin() as conn:
        pid = conn.execute(text("SELECT id FROM partnership WHERE slug = 'fenland'")).scalar_one()
        conn.execute(text(
            "INSERT INTO school (partnership_id, urn, name, phase, status, engaged, version, created_at, updated_at, "
            "from_gias) VALUES (:p, '110001', 'Fen Primary', 'primary', 'open', true, 1, :now, :now, false)"),
            {"p": pid, "now": "2026-11-25 10:00:00"})
        conn.execute(text(
            "INSERT INTO collaborative (partnership_id, name, phase, academic_year, version, created_at, updated_at) "
            "VALUES (:p, 'Primary North', 'primary', '2026/27', 1, :now, :now)"),
            {"p": pid, "now": "2026-11-25 10:00:00"})
        collaborative = conn.execute(text("SELECT id FROM collaborative")).scalar_one()
    password = tmp_path / "password"
    password.write_text("a long enough password")
    base = ("create-user", "--name", "Lee Lead", "--partnership", "fenland", "--password-file", str(password))

    lead = cli(*base, "--email", "lead@fen.example", "--role", "lead_headteacher",
               "--collaborative", str(collaborative))
    assert lead.returncode == 0, lead.stderr
    assert f"is lead_headteacher of collaborative {collaborative}" in lead.stdout
    head = cli(*base, "--email", "head@fen.example", "--role", "headteacher", "--school", "110001")
    assert head.returncode == 0, head.stderr
    with engine.connect() as conn:
        grants = set(conn.execute(text("SELECT role, scope_kind, scope_id FROM membership")).all())
    engine.dispose()
    assert ("lead_headteacher", "collaborative", collaborative) in grants
    assert any(role == "headteacher" and kind == "school" for role, kind, _ in grants)

    for args, message in [
        (("--role", "headteacher"), "needs --school"),
        (("--role", "lead_headteacher"), "needs --collaborative"),
        (("--role", "officer", "--school", "110001"), "--school belongs to the headteacher"),
        (("--role", "headteacher", "--school", "999999"), "no school with URN 999999"),
        (("--role", "lead_headteacher", "--collaborative", "9999"), "no collaborative 9999"),
    ]:
        result = cli(*base, "--email", "x@fen.example", *args)
        assert result.returncode == 1, (args, result.stdout)
        assert message in _said(result), (args, result.stderr)
