"""The demo partnership served by a real server in its own process, for the load tests that act as
people do (signing in, writing through forms or the API at once)."""

import os
import subprocess
import sys

from alembic import command

from app.config import PROJECT_ROOT
from bench.common import project_server
from tests.conftest import alembic_config


def served_demo(database_url: str, tmp_path) -> tuple:  # noqa: ANN001
    """The database migrated and filled with `demo-data`, and a server for it (not yet waited for):
    (server, what demo-data printed: its accounts and token)."""
    command.upgrade(alembic_config(database_url), "head")
    # Development: cookies without the Secure flag, as these clients speak plain HTTP to loopback.
    env = {**os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "development"}
    demo = subprocess.run([sys.executable, "-m", "app", "demo-data"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    return project_server(database_url, env=env, log=tmp_path / "server.log"), demo.stdout
