"""Ten seconds of the load test in the suite: a real server in its own process, on a fresh database
of the engine under test, 50 clients reading and writing at once (bench/load.py's driver).

Nothing about speed is asserted; what must hold under load is that no request fails with a server
error, no connection is dropped, and every write the server acknowledged is there afterwards: schools'
fields and indicators, (issue 7) visit records' findings, their actions and triads' names, and
(issue 8) manual red flags, while the red-flag list is read and its order worked out again after
each change."""

import asyncio
import json
import os
import subprocess
import sys

from alembic import command

from app.config import PROJECT_ROOT
from bench.common import project_server
from bench.load import discover, run_load, tenants_from, verify_writes
from tests.conftest import alembic_config

SECONDS = 10
CLIENTS = 50


async def _load(base_url: str, tenants: list) -> tuple[dict, dict]:
    await discover(base_url, tenants)
    tally = await run_load(base_url, tenants, seconds=SECONDS, clients=CLIENTS)
    return tally.summary(), await verify_writes(base_url, tenants, tally)


def test_fifty_clients_reading_and_writing_get_no_errors_and_lose_no_write(fresh_database_url, tmp_path):
    command.upgrade(alembic_config(fresh_database_url), "head")
    env = {**os.environ, "DATABASE_URL": fresh_database_url}
    tokens = tmp_path / "bench-tokens.json"
    made = subprocess.run([sys.executable, "-m", "app", "generate", "--scale", "small", "--tokens-file", str(tokens)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    tenants = tenants_from(json.loads(tokens.read_text()), None)

    server = project_server(fresh_database_url, env=env, log=tmp_path / "server.log")
    try:
        server.wait_ready()
        summary, writes = asyncio.run(_load(server.url, tenants))
    finally:
        server.stop()

    assert summary["server_errors"] == 0, (summary["server_error_samples"], server.tail())
    assert summary["dropped_connections"] == 0, summary["transport_errors"]
    assert summary["unexpected_answers"] == 0, summary["unexpected_samples"]
    assert summary["acknowledged_patches"] > 0 and summary["acknowledged_indicators"] > 0, summary["statuses"]
    assert writes["all_present"], writes["missing_samples"]
    assert writes["acknowledged_patches_checked"] == summary["acknowledged_patches"]
    assert writes["acknowledged_indicators_checked"] == summary["acknowledged_indicators"]
    for kind in ("visit_patches", "actions", "triad_patches"):
        assert summary[f"acknowledged_{kind}"] > 0, (kind, summary["kinds"])
        assert writes[f"acknowledged_{kind}_checked"] == summary[f"acknowledged_{kind}"], kind
    assert {"list collaboratives", "list triads", "list visits", "list audit-events", "list triad's visits",
            "get visit"} <= set(summary["kinds"]), summary["kinds"]
    assert summary["acknowledged_manual_flags"] > 0, summary["kinds"].get("post manual flag")
    assert writes["acknowledged_manual_flags_checked"] == summary["acknowledged_manual_flags"]
    assert {"list red flags", "get school's flags"} <= set(summary["kinds"]), summary["kinds"]
