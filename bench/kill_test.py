"""SIGKILL in the middle of the two largest writes, then: is the database sound, and did the write happen
entirely or not at all? Run by scripts/kill-test.sh (docs/operations.md says what a failure means).

(a) ``python -m app import-gias`` on a large generated extract (tests/gias_csv.py), killed once it has
    begun writing. The imports alternate between two extracts (A: ``--rows`` schools; B: 10% more
    schools and every roll changed), so each one creates and updates: the partnership's schools,
    inspections and audit events before the kill must be found exactly as before, or exactly as a
    complete import leaves them (what the re-run that follows the check leaves, since a second import
    of the same file changes nothing). The re-run must succeed.
(b) ``python -m app serve`` handling ``POST /api/v1/indicators/bulk`` with 5,000 items (4,500 figures of
    100 schools and 500 national figures, a source of its own each time), killed at points spread over
    the time such a request takes: after a restart the figures with that source are either all 5,000
    or none (all of them if the client had its answer).

After each kill: on SQLite ``PRAGMA integrity_check`` is ``ok`` and ``PRAGMA foreign_key_check`` finds
nothing; on PostgreSQL the killed process's transaction is gone (no backend of it left) and
``bt_index_check`` (amcheck) passes on every index; on both, no import job is left running.

"Begun writing": on PostgreSQL the process's transaction holds a transaction id (given at its first
write); on SQLite the database's write-ahead log has changed since the process started.

    .venv/bin/python bench/kill_test.py --database-url sqlite:////tmp/kill.db [--rows 50000] [--repeats 3]
"""

import argparse
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from bench.common import PYTHON, Server, project_server, server_env  # noqa: E402
from tests.gias_csv import national_extract  # noqa: E402

SLUG = "kill-test"
MEASURES = ("attainment", "progress", "absence", "persistent_absence", "roll")
YEARS = tuple(f"{y}/{(y + 1) % 100:02d}" for y in range(2017, 2026))  # nine years
NATIONAL = 500
POLL = 0.01
BACKEND_GONE_WITHIN = 300


class Failed(Exception):
    pass


LABEL = ["kill-test"]


def say(line: str) -> None:
    print(f"{LABEL[0]} {line}", flush=True)


class Database:
    """The scratch database the test works in: probes, checks and fingerprints, each on a fresh connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        self.path = Path(url.removeprefix("sqlite:///")) if self.sqlite else None
        self.engine = create_engine(url, poolclass=NullPool)

    def rows(self, sql: str, **params: object) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]

    def scalar(self, sql: str, **params: object) -> object:
        return self.rows(sql, **params)[0][0]

    def wal(self) -> tuple[int, int] | None:
        try:
            stat = Path(f"{self.path}-wal").stat()
        except FileNotFoundError:
            return None
        return stat.st_size, stat.st_mtime_ns

    def has_written(self, wal_before: tuple[int, int] | None) -> bool:
        """Whether another process's open transaction has written (PostgreSQL: holds a transaction id)
        or the write-ahead log has changed since `wal_before` (SQLite)."""
        if self.sqlite:
            return self.wal() != wal_before
        return bool(self.scalar(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = "
            "'transactionid' AND a.datname = current_database() AND a.backend_type = 'client backend' "
            "AND a.pid <> pg_backend_pid()"))

    def transaction_open(self) -> bool:
        """Whether another process has a write transaction open: on SQLite it holds the write lock (a
        writing session begins IMMEDIATE); on PostgreSQL it has written (holds a transaction id)."""
        if not self.sqlite:
            return self.has_written(None)
        probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()

    def check(self) -> str:
        """The database is sound after a kill (raises Failed with what is not); what was checked."""
        if self.sqlite:
            result = [row[0] for row in self.rows("PRAGMA integrity_check")]
            if result != ["ok"]:
                raise Failed(f"PRAGMA integrity_check: {result[:5]}")
            broken = self.rows("PRAGMA foreign_key_check")
            if broken:
                raise Failed(f"PRAGMA foreign_key_check: {broken[:5]}")
        else:
            # A backend learns that its client is gone only when it next talks to it: one in the middle of
            # a long statement finishes it first, then rolls its transaction back.
            started = time.monotonic()
            while self.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                              "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"):
                if time.monotonic() - started > BACKEND_GONE_WITHIN:
                    raise Failed(f"the killed process's backend is still there after {BACKEND_GONE_WITHIN} s")
                time.sleep(0.1)
            waited = time.monotonic() - started
            with self.engine.connect() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
                conn.execute(text(
                    "SELECT bt_index_check(c.oid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE am.amname = 'btree' AND n.nspname = 'public'")).all()
                conn.commit()
        running = self.scalar("SELECT count(*) FROM import_job WHERE status IN ('uploaded', 'checking', 'applying')")
        if running:
            raise Failed(f"{running} import jobs left running")
        if self.sqlite:
            return "integrity_check ok"
        return f"amcheck ok, the killed backend gone after {waited:.1f} s"

    def fingerprint(self, partnership_id: int) -> tuple[int, int, int, str]:
        """The partnership's register as the GIAS import writes it: schools, inspections, audit events."""
        schools = self.rows("SELECT urn, version, name, pupils, status FROM school WHERE partnership_id = :p "
                            "ORDER BY urn", p=partnership_id)
        inspections = self.scalar("SELECT count(*) FROM inspection i JOIN school s ON s.id = i.school_id "
                                  "WHERE s.partnership_id = :p", p=partnership_id)
        events = self.scalar("SELECT count(*) FROM audit_event WHERE partnership_id = :p", p=partnership_id)
        digest = hashlib.sha256(repr(schools).encode()).hexdigest()[:12]
        return len(schools), inspections, events, digest


def cli(db: Database, *args: str, timeout: float = 600) -> str:
    done = subprocess.run([PYTHON, "-m", "app", *args], cwd=ROOT, env=server_env(db.url), capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode:
        raise Failed(f"`python -m app {' '.join(args)}` exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def remember(pid: int) -> None:
    """The PID of a process we started, for the shell's trap to end if this script is killed itself."""
    pids = os.environ.get("KILL_TEST_PIDS")
    if pids:
        with open(pids, "a", encoding="utf-8") as f:
            f.write(f"{pid}\n")


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)


# --- (a) the CLI mid GIAS import ----------------------------------------------------------------------------


def _import(db: Database, extract: Path, log: Path) -> subprocess.Popen:
    process = subprocess.Popen([PYTHON, "-m", "app", "import-gias", str(extract), "--partnership", SLUG], cwd=ROOT,
                               env=server_env(db.url), stdout=log.open("wb"), stderr=subprocess.STDOUT)
    remember(process.pid)
    return process


def _until_written(db: Database, process: subprocess.Popen, wal_before: tuple[int, int] | None,
                   timeout: float = 600) -> bool:
    """Wait until the process has begun writing (True) or has exited (False)."""
    started = time.monotonic()
    while process.poll() is None:
        if db.has_written(wal_before):
            return True
        if time.monotonic() - started > timeout:
            kill(process)
            raise Failed(f"the import did not begin writing within {timeout:.0f} s")
        time.sleep(POLL)
    return False


def _run_import(db: Database, extract: Path, log: Path, kill_after: float | None = None) -> tuple[str, float | None]:
    """Import the extract; kill it `kill_after` seconds after it has begun writing, or let it finish.
    Returns what happened, and (for a whole import that wrote) how long it wrote for, until its commit."""
    wal = db.wal()
    process = _import(db, extract, log)
    writing = None
    if _until_written(db, process, wal):
        began = time.monotonic()
        if kill_after is not None:
            time.sleep(kill_after)
            open_ = db.transaction_open()
            if process.poll() is None:
                kill(process)
                return "killed " + ("with its transaction open" if open_ else "after its transaction ended"), None
            return "finished before the kill", None
        while process.poll() is None and db.transaction_open():
            time.sleep(POLL)
        writing = time.monotonic() - began
    if process.wait(600) != 0:
        raise Failed(f"the import of {extract.name} failed: {log.read_text(errors='replace')[-2000:]}")
    return ("finished before it was seen writing" if writing is None else "whole"), writing


def _extract(work: Path, rows: int, n: int) -> Path:
    """The n-th extract: 5% more schools than the one before, every roll changed."""
    return national_extract(work / f"extract-{n}.csv", rows + n * (rows // 20), roll_change=n % 2)


def gias(db: Database, work: Path, rows: int, repeats: int) -> None:
    cli(db, "migrate")
    cli(db, "create-partnership", "--name", "Kill Test Partnership", "--slug", SLUG)
    partnership_id = db.scalar("SELECT id FROM partnership WHERE slug = :s", s=SLUG)
    started = time.monotonic()
    _, writing = _run_import(db, _extract(work, rows, 0), work / "import-0.log")
    if writing is None:
        raise Failed("the first import was never seen writing")
    first = time.monotonic() - started
    if not db.sqlite:
        # As autovacuum would in time: without statistics on the new rows, PostgreSQL plans the import's
        # read-back of them badly, and the next import's writing would be nothing like the first's.
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    # A whole import like the ones to be killed (schools added, every roll changed): how long it writes.
    _, writing = _run_import(db, _extract(work, rows, 1), work / "import-1.log")
    say(f"gias: {rows:,} rows, the first import {first:.1f} s; the next writes for {writing or 0:.1f} s")
    for n in range(2, repeats + 2):
        # Each import adds schools and changes every roll: it creates and updates.
        extract = _extract(work, rows, n)
        at = (writing or 0) * (n - 1.5) / repeats  # spread over the writing: 1/6, 1/2, 5/6 of it for three
        before = db.fingerprint(partnership_id)
        outcome, _ = _run_import(db, extract, work / f"import-{n}.log", kill_after=at)
        checked = db.check()
        killed = db.fingerprint(partnership_id)
        _, rewriting = _run_import(db, extract, work / f"import-{n}-again.log")
        after = db.fingerprint(partnership_id)
        if killed == before:
            state = "nothing written"
            writing = rewriting or writing  # the next kill is spread over this whole import's writing
        elif killed == after:
            state = "all written"
            again = (work / f"import-{n}-again.log").read_text(errors="replace")
            if "created 0, updated 0," not in again:
                raise Failed(f"the re-run after a whole import of {extract.name} changed something: {again[-500:]}")
        else:
            raise Failed(f"import {extract.name} was half applied: (schools, inspections, audit events, "
                         f"digest) before {before}, after the kill {killed}, after a whole import {after}")
        say(f"gias: kill {n - 1}/{repeats} ({extract.name}, {at:.2f} s into the writing): {outcome}; {checked}; "
            f"{state} (schools, inspections, audit events {killed[:3]}); re-run ok")


# --- (b) the server mid POST /api/v1/indicators/bulk ---------------------------------------------------------


def _body(urns: list[str], source: str) -> dict:
    items = [{"urn": urn, "measure": m, "academic_year": y, "value": n + i / 10, "source": source}
             for n, urn in enumerate(urns) for i, (m, y) in enumerate((m, y) for m in MEASURES for y in YEARS)]
    items += [{"national": True, "measure": f"national_{n}", "academic_year": "2025/26", "value": n,
               "source": source} for n in range(NATIONAL)]
    return {"items": items}


def _stored(db: Database, source: str) -> tuple[int, int]:
    return (db.scalar("SELECT count(*) FROM indicator WHERE source = :s", s=source),
            db.scalar("SELECT count(*) FROM national_figure WHERE source = :s", s=source))


def _serve(db: Database, work: Path, n: object) -> Server:
    server = project_server(db.url, env=server_env(db.url), name=f"kill-{n}", log=work / f"server-{n}.log")
    remember(server.pid)
    server.wait_ready()
    return server


def bulk(db: Database, work: Path, repeats: int) -> None:
    import json

    cli(db, "migrate")
    cli(db, "generate", "--scale", "small", "--tokens-file", str(work / "tokens.json"))
    tokens = json.loads((work / "tokens.json").read_text())
    tenant = next(p for p in tokens["partnerships"] if p["schools"] >= 100)
    headers = {"Authorization": f"Bearer {tenant['token']}"}
    server = _serve(db, work, 0)
    try:
        urns = [s["urn"] for s in httpx.get(f"{server.url}/api/v1/schools", params={"limit": 100}, headers=headers,
                                            timeout=60).json()["items"]]
        expected = (len(urns) * len(MEASURES) * len(YEARS), NATIONAL)
        # One request answered in full: how long one takes, and when its transaction is first seen.
        source = f"kill-{uuid.uuid4().hex[:8]}-whole"
        whole: dict = {}
        thread = threading.Thread(target=_post, args=(server.url, headers, _body(urns, source), whole))
        started = time.monotonic()
        thread.start()
        began = None
        while thread.is_alive():
            if began is None and db.transaction_open():
                began = time.monotonic() - started
            time.sleep(POLL)
        took = time.monotonic() - started
        if whole.get("status") != 200 or _stored(db, source) != expected:
            raise Failed(f"the whole request: {whole}, stored {_stored(db, source)} of {expected}")
        seen = "not seen" if began is None else f"{began:.2f} s"
        say(f"bulk: {sum(expected):,} items, answered in {took:.2f} s (its write transaction seen from {seen})")
        began = began or 0.0
        for n in range(repeats):
            # Spread over the transaction, from just after it is seen to just before the answer.
            at = began + (took - began) * (0.1 + 0.9 * n / max(repeats - 1, 1))
            source = f"kill-{uuid.uuid4().hex[:8]}-{n + 1}"
            result: dict = {}
            thread = threading.Thread(target=_post, args=(server.url, headers, _body(urns, source), result))
            thread.start()
            time.sleep(at)
            open_ = db.transaction_open()
            answered = not thread.is_alive()
            os.kill(server.pid, signal.SIGKILL)
            server.process.wait(30)
            server.stop()
            thread.join(120)
            checked = db.check()
            server = _serve(db, work, n + 1)  # the restart, and the server of the next kill
            alive = httpx.get(f"{server.url}/api/v1/national-figures", params={"limit": 1}, headers=headers,
                              timeout=60)
            if alive.status_code != 200:
                raise Failed(f"after the restart: {alive.status_code} {alive.text[:200]}")
            stored = _stored(db, source)
            if stored not in ((0, 0), expected) or (result.get("status") == 200 and stored != expected):
                raise Failed(f"kill {n + 1}: stored {stored} of {expected} (the client saw {result})")
            state = f"answered {result['status']} first" if answered else (
                "mid request, its write transaction open" if open_ else "mid request, no write transaction seen")
            say(f"bulk: kill {n + 1}/{repeats} at {at:.2f} s ({state}): {checked}; "
                f"{'all' if stored == expected else 'none'} stored {stored}; restart ok")
    finally:
        server.stop()


def _post(url: str, headers: dict, body: dict, result: dict) -> None:
    try:
        response = httpx.post(f"{url}/api/v1/indicators/bulk", json=body, headers=headers, timeout=120)
        result["status"] = response.status_code
    except httpx.TransportError as exc:
        result["error"] = type(exc).__name__


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an empty scratch database (bench/scratch_db.py)")
    parser.add_argument("--part", choices=("gias", "bulk"), required=True)
    parser.add_argument("--rows", type=int, default=50_000, help="the GIAS extract's schools")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, help="where the extracts and logs go (default: a temporary directory)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops our server
    db = Database(args.database_url)
    LABEL[0] = f"kill-test ({'sqlite' if db.sqlite else 'postgresql'})"
    try:
        with tempfile.TemporaryDirectory(prefix="kill-test-") as tmp:
            work = args.work or Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            (gias if args.part == "gias" else bulk)(db, work, *((args.rows,) if args.part == "gias" else ()),
                                                    args.repeats)
    except Failed as exc:
        say(f"FAILED: {exc}")
        return 1
    finally:
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
