"""Backing up and restoring the whole database (`python -m app backup FILE` / `restore FILE`).

SQLite: SQLite's online backup API (sqlite3's Connection.backup), one step, so the copy is one
consistent snapshot taken in a read transaction: with WAL the service's writers carry on meanwhile.
The copy is written beside FILE and renamed into place, so FILE is never half a backup; it is a
single file (journal mode DELETE). Restoring checks the file first (a SQLite database, `PRAGMA
integrity_check` ok, this service's schema at a revision our migrations know), then copies it into
the database with the same API in one step: one write transaction, all or nothing.

PostgreSQL: `pg_dump -Fc`. Restoring checks the file with `pg_restore --list` and reads its schema
revision, which must be one our migrations know; then pg_restore's SQL runs through psql in one
transaction that first drops and remakes the public schema, so that nothing of the database before
survives beside the backup (a table added by a later migration would have, and `migrate` would then
fail on it); if any of it fails, the database is as it was. The connection details come from
DATABASE_URL; the password goes to the tools in PGPASSWORD, never on their command line (where `ps`
would show it).

Neither engine's backup can be restored into the other.
"""

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from app.config import PROJECT_ROOT

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
VERSION_TABLE = "alembic_version"


class BackupError(Exception):
    """The backup or restore could not be done; the message says why, for the operator."""


class NotEmpty(BackupError):
    """The database to restore into holds data, and --force was not given."""


@dataclass(frozen=True)
class Outcome:
    file: Path
    bytes: int
    engine: str  # "sqlite" or "postgresql"
    revision: str | None = None  # the schema revision in the file, when read


def backup(database_url: str, file: Path) -> Outcome:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_backup(_sqlite_path(url), file)
    if url.get_backend_name() == "postgresql":
        return _pg_backup(url, file)
    raise BackupError(f"cannot back up a {url.get_backend_name()} database")


def restore(database_url: str, file: Path, *, force: bool = False) -> Outcome:
    """Check `file` whole, then (unless `force`) that the database holds no data, then restore."""
    url = make_url(database_url)
    if not file.is_file():
        raise BackupError(f"no such file: {file}")
    if url.get_backend_name() == "sqlite":
        revision = _check_sqlite_file(file)
        target = _sqlite_path(url)
        if not force and target.exists():
            _refuse_if_not_empty(f"sqlite:///{target}")
        return _sqlite_restore(file, target, revision)
    if url.get_backend_name() == "postgresql":
        revision = _check_pg_file(file)
        if not force:
            _refuse_if_not_empty(url)
        return _pg_restore(url, file, revision)
    raise BackupError(f"cannot restore into a {url.get_backend_name()} database")


# SQLite


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"DATABASE_URL names no SQLite file ({url.database or 'none'})")
    path = Path(url.database)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _open(path: Path, *, backup_file: bool = False) -> sqlite3.Connection:
    """A connection; to a backup file (nobody else writes it): read-only, without locks."""
    if backup_file:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    return sqlite3.connect(path, timeout=30)


def _sqlite_backup(source: Path, file: Path) -> Outcome:
    if not source.is_file():
        raise BackupError(f"there is no database at {source} (DATABASE_URL)")
    staging = _staging_path(file)
    try:
        src, dst = _open(source), _open(staging)
        try:
            src.backup(dst)  # pages=-1: one step, one read transaction, one snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # a single file, whatever the source's mode
        finally:
            dst.close()
            src.close()
        _durably_rename(staging, file)
    except sqlite3.Error as exc:
        raise BackupError(f"the backup failed: {exc}") from None
    finally:
        staging.unlink(missing_ok=True)
    return Outcome(file, file.stat().st_size, "sqlite", _sqlite_revision(file))


def _check_sqlite_file(file: Path) -> str:
    """The schema revision of a sound backup of this service; BackupError otherwise."""
    with file.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{file} is a PostgreSQL backup; DATABASE_URL names a SQLite database")
    if head != SQLITE_MAGIC:
        raise BackupError(f"{file} is not a SQLite database (nor a backup of this service)")
    try:
        conn = _open(file, backup_file=True)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file} is damaged: {exc}") from None
    if problems != ["ok"]:
        raise BackupError(f"{file} is damaged: integrity_check found {'; '.join(problems[:3])}")
    revision = _sqlite_revision(file)
    if revision is None:
        raise BackupError(f"{file} is a SQLite database, but not a backup of this service (no schema revision)")
    _require_known(file, revision)
    return revision


def _sqlite_revision(file: Path) -> str | None:
    try:
        conn = _open(file, backup_file=True)
        try:
            return conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()[0]
        finally:
            conn.close()
    except (sqlite3.Error, TypeError):
        return None


def _sqlite_restore(file: Path, target: Path, revision: str) -> Outcome:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        src, dst = _open(file, backup_file=True), _open(target)
        try:
            # One step: the target's pages are all replaced in one write transaction, which waits for
            # (busy timeout) and then excludes the target's other writers; readers see before or after.
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed, and the database is as it was: {exc}") from None
    return Outcome(file, file.stat().st_size, "sqlite", revision)


def _require_known(file: Path, revision: str) -> None:
    if not _known_revision(revision):
        raise BackupError(f"{file} has schema revision {revision}, which this version of the service does not "
                          "know (a backup from a newer version?)")


def _known_revision(revision: str) -> bool:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    scripts = ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini")))
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


# PostgreSQL


def _pg_command(url: URL, tool: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """The tool's command line and environment: the connection as a libpq string without the
    password, which goes in PGPASSWORD."""
    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    parts |= {key: value for key, value in url.query.items() if isinstance(value, str)}
    conninfo = " ".join(f"{key}={_quoted(str(value))}" for key, value in parts.items() if value is not None)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return [tool, f"--dbname={conninfo}", *args], env


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _require_tool(tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")


def _run(command: list[str], env: dict[str, str], failure: str) -> subprocess.CompletedProcess:
    _require_tool(command[0])
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        said = result.stderr.strip().splitlines()
        raise BackupError(f"{failure}: {said[-1] if said else f'{command[0]} exited {result.returncode}'}")
    return result


def _pg_backup(url: URL, file: Path) -> Outcome:
    staging = _staging_path(file)
    try:
        command, env = _pg_command(url, "pg_dump", "--format=custom", f"--file={staging}")
        _run(command, env, "the backup failed")
        _durably_rename(staging, file)
    finally:
        staging.unlink(missing_ok=True)
    return Outcome(file, file.stat().st_size, "postgresql")


def _check_pg_file(file: Path) -> str:
    """The schema revision of a sound backup of this service; BackupError otherwise."""
    with file.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        raise BackupError(f"{file} is a SQLite backup; DATABASE_URL names a PostgreSQL database")
    if not head.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{file} is not a PostgreSQL custom-format backup (pg_dump -Fc)")
    _require_tool("pg_restore")
    listed = subprocess.run(["pg_restore", "--list", str(file)], capture_output=True, text=True)
    if listed.returncode != 0:
        said = listed.stderr.strip().splitlines()
        raise BackupError(f"{file} is damaged: {said[-1] if said else 'pg_restore --list failed'}")
    if not any(f" TABLE public {VERSION_TABLE} " in f"{line} " for line in listed.stdout.splitlines()):
        raise BackupError(f"{file} is a PostgreSQL backup, but not of this service (no {VERSION_TABLE} table)")
    data = subprocess.run(["pg_restore", "--data-only", f"--table={VERSION_TABLE}", "--file=-", str(file)],
                          capture_output=True, text=True)
    revision = _copied_value(data.stdout, VERSION_TABLE) if data.returncode == 0 else None
    if revision is None:
        raise BackupError(f"{file} is damaged: its {VERSION_TABLE} table holds no schema revision")
    _require_known(file, revision)
    return revision


def _copied_value(sql: str, table: str) -> str | None:
    """The first value of the first row of `table`'s COPY block in pg_restore's SQL."""
    lines = iter(sql.splitlines())
    for line in lines:
        if line.startswith(f"COPY public.{table} "):
            row = next(lines, "\\.")
            return None if row == "\\." else row.split("\t")[0]
    return None


# Run first, in the restore's own transaction: what the database held goes, whatever it was.
REPLACE_SCHEMA = b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"


def _pg_restore(url: URL, file: Path, revision: str) -> Outcome:
    for tool in ("pg_restore", "psql"):
        _require_tool(tool)
    # One transaction, committed only once pg_restore has given every statement: psql ends at the
    # first error (ON_ERROR_STOP), and if pg_restore stops short, no COMMIT is sent, psql reaches the
    # end of its input inside the transaction and the server rolls it back.
    command, env = _pg_command(url, "psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file=-")
    with tempfile.TemporaryFile() as dump_errors, tempfile.TemporaryFile() as psql_errors:
        dump = subprocess.Popen(["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(file)],
                                stdout=subprocess.PIPE, stderr=dump_errors)
        psql = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=psql_errors)
        try:
            psql.stdin.write(b"BEGIN;\n" + REPLACE_SCHEMA)
            shutil.copyfileobj(dump.stdout, psql.stdin)
            dump.stdout.close()
            if dump.wait() == 0:
                psql.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: said below
        finally:
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
            dump.stdout.close()
        dumped, applied = dump.wait(), psql.wait()
        if dumped != 0 or applied != 0:
            errors = psql_errors if applied != 0 else dump_errors
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip().splitlines()
            raise BackupError("the restore failed, and the database is as it was: "
                              f"{said[-1] if said else 'pg_restore or psql exited with an error'}")
    return Outcome(file, file.stat().st_size, "postgresql", revision)


# Both


def _staging_path(file: Path) -> Path:
    if file.is_dir():
        raise BackupError(f"{file} is a directory; name the backup file")
    if not file.parent.is_dir():
        raise BackupError(f"no such directory: {file.parent}")
    handle, name = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".partial", dir=file.parent)
    os.close(handle)
    return Path(name)


def _durably_rename(staging: Path, file: Path) -> None:
    """The staged backup on disk before it takes its name, and the name on disk after: a power cut
    leaves the previous file or the whole new one, never an empty file under the final name."""
    with staging.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(staging, file)
    folder = os.open(file.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _refuse_if_not_empty(url: URL | str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t != VERSION_TABLE]
            preparer = engine.dialect.identifier_preparer
            holding = [t for t in tables
                       if conn.execute(text(f"SELECT 1 FROM {preparer.quote(t)} LIMIT 1")).first() is not None]
    except Exception as exc:  # noqa: BLE001 - any failure to look is a reason not to overwrite
        raise BackupError(f"could not look into the database to restore into: {exc}") from None
    finally:
        engine.dispose()
    if holding:
        raise NotEmpty(f"the database is not empty ({len(holding)} table(s) hold rows, e.g. {holding[0]}); "
                       "restore replaces everything in it: give --force to do so")
