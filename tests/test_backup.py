"""`python -m app backup FILE` and `restore FILE`, run for real against databases of their own, on the
engine under test (SQLite's backup API, or pg_dump/pg_restore)."""

import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import PROJECT_ROOT, get_settings
from app.db import build_engine
from app.main import create_app
from tests import factories
from tests.conftest import DATABASE_URL, alembic_config

ON_SQLITE = make_url(DATABASE_URL).get_backend_name() == "sqlite"


def _databases(folder: Path) -> tuple[Callable[[], str], Callable[[], None]]:
    """A maker of empty databases of the engine under test, and what drops them all."""
    made: list[str] = []
    admin = None if ON_SQLITE else create_engine(make_url(DATABASE_URL), isolation_level="AUTOCOMMIT")

    def make() -> str:
        if admin is None:
            return f"sqlite:///{folder / f'db-{uuid.uuid4().hex[:8]}.db'}"
        name = f"backup_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        if admin is not None:
            with admin.connect() as conn:
                for name in made:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    return make, drop


@pytest.fixture
def new_database(tmp_path) -> Iterator[Callable[[], str]]:
    make, drop = _databases(tmp_path)
    yield make
    drop()


def app_cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    """The real command, `python -m app ...`, in a process of its own."""
    env = {**os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "development"}
    env.pop("SECRET_KEY", None)
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def run(database_url: str, *args: str) -> Result:
    """The same command in this process (a new process costs seconds on a busy machine)."""
    previous = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = database_url
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args))
    finally:
        os.environ["DATABASE_URL"] = previous
        get_settings.cache_clear()


def said(result: subprocess.CompletedProcess | Result) -> str:
    """stderr with the console's line wrapping undone."""
    return " ".join(result.stderr.split())


class Data:
    token: str
    urn: str
    triad: str


def populate(url: str) -> Data:
    """Schools, accounts and tokens of two partnerships, a collaborative with a triad, a visit record."""
    command.upgrade(alembic_config(url), "head")
    engine = build_engine(url)
    data = Data()
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = factories.make_world(session)
            others = [factories.make_school(session, world.ours) for _ in range(2)]
            lead = factories.make_user(session, world.ours, "viewer")
            collaborative = factories.make_collaborative(session, world.ours, schools=[world.our_school], lead=lead)
            triad = factories.make_triad(session, collaborative, schools=[world.our_school, *others],
                                         name="Fen Triad")
            visit = factories.make_visit(session, world.our_school)
            factories.make_visit_action(session, visit)
            session.commit()
            data.token, data.urn, data.triad = world.write_token, world.our_school.urn, triad.name
    finally:
        engine.dispose()
    return data


def contents(url: str) -> dict[str, list[str]]:
    """Every table's rows, in an order that does not depend on how they were stored."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {table: sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"')))
                    for table in sorted(inspect(conn).get_table_names())}
    finally:
        engine.dispose()


@dataclass
class Source:
    url: str
    data: Data
    file: Path  # its backup, made by the real command
    expected: dict[str, list[str]]  # what the backup holds


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Iterator[Source]:
    folder = tmp_path_factory.mktemp("backup-source")
    make, drop = _databases(folder)
    try:
        url = make()
        data = populate(url)
        file = folder / "partnership.backup"
        made = app_cli(url, "backup", str(file))
        assert made.returncode == 0, made.stderr
        assert f"to {file}" in " ".join(made.stdout.split()) and file.stat().st_size > 0
        assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]
        yield Source(url, data, file, contents(url))
    finally:
        drop()


def test_round_trip_of_real_data(source, new_database):
    target = new_database()  # empty: nothing there, not even the schema
    restored = app_cli(target, "restore", str(source.file))
    assert restored.returncode == 0, restored.stderr
    expected = source.expected
    assert all(expected[table] for table in ("school", "triad", "triad_visit", "visit_action", "app_user",
                                             "api_token", "collaborative"))
    assert contents(target) == expected

    # The restored database serves: the token still opens the API, and the triad is there.
    engine = build_engine(target)
    try:
        with TestClient(create_app(engine=engine)) as client:
            headers = {"Authorization": f"Bearer {source.data.token}"}
            assert client.get(f"/api/v1/schools/{source.data.urn}", headers=headers).status_code == 200
            triads = client.get("/api/v1/triads", headers=headers)
            assert triads.status_code == 200 and source.data.triad in triads.text
    finally:
        engine.dispose()


def _changed(url: str) -> dict[str, list[str]]:
    """Make the database differ from the backup; what it holds then."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE school SET name = 'Changed since the backup'"))
    engine.dispose()
    return contents(url)


def test_a_database_holding_data_is_replaced_only_with_force(source, new_database):
    target = new_database()
    assert run(target, "restore", str(source.file)).exit_code == 0
    theirs = _changed(target)

    refused = run(target, "restore", str(source.file))
    assert refused.exit_code == 1
    assert "not empty" in said(refused) and "--force" in said(refused)
    assert contents(target) == theirs

    # A table the backup does not have (as a later migration adds one) does not survive beside it:
    # `migrate` would otherwise meet it and fail.
    engine = create_engine(target)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE left_behind (id integer PRIMARY KEY)"))
            conn.execute(text("INSERT INTO left_behind VALUES (1)"))
    finally:
        engine.dispose()
    forced = run(target, "restore", "--force", str(source.file))
    assert forced.exit_code == 0, forced.stderr
    assert contents(target) == source.expected


def test_a_migrated_but_empty_database_is_restored_without_force(source, new_database):
    target = new_database()
    command.upgrade(alembic_config(target), "head")
    restored = run(target, "restore", str(source.file))
    assert restored.exit_code == 0, restored.stderr
    assert contents(target) == source.expected


def test_a_missing_or_damaged_file_is_refused_and_changes_nothing(source, new_database, tmp_path):
    target = new_database()
    assert run(target, "restore", str(source.file)).exit_code == 0
    theirs = _changed(target)

    missing = run(target, "restore", "--force", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "no such file" in said(missing)
    bracketed = run(target, "restore", "--force", str(tmp_path / "[bold]term[/bold].dump"))
    assert bracketed.exit_code == 1 and "[bold]term[/bold]" in said(bracketed)  # quoted as written, not markup

    noise = tmp_path / "noise"
    noise.write_bytes(os.urandom(64 * 1024))
    refused = run(target, "restore", "--force", str(noise))
    assert refused.exit_code == 1
    assert ("not a SQLite database" if ON_SQLITE else "not a PostgreSQL custom-format backup") in said(refused)

    other_kind = tmp_path / "other-kind"
    other_kind.write_bytes((b"PGDMP" if ON_SQLITE else b"SQLite format 3\x00") + bytes(4096))
    refused = run(target, "restore", "--force", str(other_kind))
    assert refused.exit_code == 1
    assert ("is a PostgreSQL backup" if ON_SQLITE else "is a SQLite backup") in said(refused)

    # Cut short: SQLite's integrity check finds it; pg_restore's list may not (the table of contents
    # comes first), but the restore, one transaction, then fails whole.
    truncated = tmp_path / "truncated"
    truncated.write_bytes(source.file.read_bytes()[: source.file.stat().st_size * 2 // 3])
    refused = run(target, "restore", "--force", str(truncated))
    assert refused.exit_code == 1
    assert "damaged" in said(refused) or (not ON_SQLITE and "restore failed, and the database is as it was"
                                          in said(refused))

    assert contents(target) == theirs


def test_a_database_of_another_schema_is_refused(new_database, tmp_path):
    file = tmp_path / "foreign"
    if ON_SQLITE:
        engine = create_engine(f"sqlite:///{file}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        engine.dispose()
    else:
        empty = new_database()  # pg_dump of a database that has never been migrated
        assert run(empty, "backup", str(file)).exit_code == 0
    refused = run(new_database(), "restore", str(file))
    assert refused.exit_code == 1
    assert "not a backup of this service" in said(refused) or "not of this service" in said(refused)


def test_backup_refuses_a_missing_directory(source, tmp_path):
    refused = run(source.url, "backup", str(tmp_path / "no" / "such" / "dir" / "file"))
    assert refused.exit_code == 1 and "no such directory" in said(refused)


def test_a_backup_taken_while_another_connection_writes(source, new_database, tmp_path):
    """The writer is never held up or refused, and the backup is one snapshot: the writer's rows
    1..k for some k, with no gap, between those committed before and after the backup ran."""
    live = new_database()
    assert run(live, "restore", str(source.file)).exit_code == 0
    engine = build_engine(live)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch_writes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    written, errors, stop = [0], [], threading.Event()

    def writer() -> None:
        try:
            with engine.connect() as conn:
                while not stop.is_set():
                    with conn.begin():
                        conn.execute(text("INSERT INTO scratch_writes (id, body) VALUES (:id, :body)"),
                                     {"id": written[0] + 1, "body": "x" * 200})
                    written[0] += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 20 and thread.is_alive():
            threading.Event().wait(0.01)
        at_start = written[0]
        file = tmp_path / "live.backup"
        made = app_cli(live, "backup", str(file))  # its own process, as beside a serving one
        at_end = written[0]
    finally:
        stop.set()
        thread.join()
        engine.dispose()
    assert made.returncode == 0, made.stderr
    assert not errors, errors
    assert at_end > at_start  # the writer went on while the backup process ran

    target = new_database()
    assert run(target, "restore", str(file)).exit_code == 0
    check = create_engine(target)
    try:
        with check.connect() as conn:
            ids = list(conn.scalars(text("SELECT id FROM scratch_writes ORDER BY id")))
    finally:
        check.dispose()
    assert at_start <= len(ids) <= at_end
    assert ids == list(range(1, len(ids) + 1))


@pytest.mark.skipif(not ON_SQLITE, reason="the SQLite backup file itself")
def test_the_sqlite_backup_is_one_sound_file(source):
    conn = sqlite3.connect(source.file)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert sorted(p.name for p in source.file.parent.iterdir() if p.name.startswith(source.file.name)) == \
        [source.file.name]


def test_the_postgresql_password_goes_in_the_environment_not_the_command_line():
    from app.services.backup import _pg_command

    url = make_url("postgresql+psycopg://app:s3cret'pw@db.example:6543/partnerships?sslmode=require")
    command_line, env = _pg_command(url, "pg_dump", "--format=custom")
    assert env["PGPASSWORD"] == "s3cret'pw"
    assert not any("s3cret" in part for part in command_line)
    assert command_line[1] == ("--dbname=host='db.example' port='6543' user='app' dbname='partnerships' "
                               "sslmode='require'")
