"""Test harness: the real schema (alembic upgrade head) on SQLite or PostgreSQL, chosen by
TEST_DATABASE_URL; every test runs inside a transaction that is rolled back afterwards."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="sp-tests-"))
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
os.environ["ENVIRONMENT"] = "test"
os.environ["SECRET_KEY"] = "test-secret-key-not-for-production-use"
# Still argon2id, at a cost that keeps a test's three accounts from dominating its run time.
os.environ["ARGON2_TIME_COST"] = "1"
os.environ["ARGON2_MEMORY_KIB"] = "1024"
# Tests share one connection across the app's threads: token use is written only when the app
# stops (or when a test flushes it), never by a background task beside a running test.
os.environ["TOKEN_USAGE_FLUSH_SECONDS"] = "0"

import pytest  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.config import PROJECT_ROOT, get_settings  # noqa: E402
from app.db import build_engine  # noqa: E402
from app.main import create_app  # noqa: E402
from tests import factories  # noqa: E402

DATABASE_URL = os.environ["DATABASE_URL"]

# Hypothesis searches afresh on every local run; CI replays one fixed search (derandomised, no saved
# examples) so that a red build is reproducible. .ci/run sets HYPOTHESIS_PROFILE=ci; CI=true also does.
# The profile extends hypothesis' own "ci" profile (no deadline), saying what this suite relies on.
hypothesis_settings.register_profile("ci", hypothesis_settings.get_profile("ci"), derandomize=True, database=None,
                                     print_blob=True)
_in_ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _in_ci else "default"))


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def reset_database(url: str) -> None:
    """Empty the test database completely, then build it with the migrations."""
    engine = build_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    command.upgrade(alembic_config(url), "head")


@pytest.fixture
def fresh_database_url(tmp_path) -> Iterator[str]:
    """An empty database of the engine under test, of this test's own (dropped afterwards)."""
    url = make_url(DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine():
    get_settings.cache_clear()
    reset_database(DATABASE_URL)
    engine = build_engine(DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine) -> Iterator:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


def _session(connection) -> Session:
    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(connection) -> Iterator[Session]:
    with _session(connection) as s:
        yield s


@pytest.fixture
def app(connection):
    return create_app(session_factory=lambda write: _session(connection))


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as c:
        yield c


@pytest.fixture
def world(session):
    """Two partnerships, each with people, a token pair and schools; the everyday test setting."""
    return factories.make_world(session)


@pytest.fixture
def api(client, world):
    """A client that speaks for the first partnership with a read-write token."""
    client.headers["Authorization"] = f"Bearer {world.write_token}"
    return client


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len([s for s in self.statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])


@pytest.fixture
def count_statements(engine):
    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()

        def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", listener)

    return counting
