"""The operator's commands: backup and restore of the whole database (docs/operations.md)."""

from pathlib import Path
from typing import Annotated

import typer

from app.cli import cli, fail, out
from app.config import get_settings


@cli.command()
def backup(
    file: Annotated[Path, typer.Argument(help="where to write the backup (replaced if it exists)")],
) -> None:
    """Back up the whole database to FILE, safely while the service is serving (SQLite: the online
    backup API; PostgreSQL: pg_dump -Fc)."""
    from app.services import backup as backups

    try:
        done = backups.backup(get_settings().database_url, file)
    except backups.BackupError as exc:
        raise fail(str(exc)) from None
    revision = f", schema {done.revision}" if done.revision else ""
    out.print(f"backed up the {done.engine} database to {done.file} ({done.bytes:,} bytes{revision})",
              soft_wrap=True, markup=False)


@cli.command()
def restore(
    file: Annotated[Path, typer.Argument(help="a file written by `backup` on the same kind of database")],
    force: Annotated[bool, typer.Option("--force", help="replace a database that holds data")] = False,
) -> None:
    """Replace the database's contents with a backup, all or nothing; the file is checked first.
    Refuses a database that holds data unless --force. Stop the service first; run `migrate` after
    restoring a backup made by an older version."""
    from app.services import backup as backups

    try:
        done = backups.restore(get_settings().database_url, file, force=force)
    except backups.BackupError as exc:
        raise fail(str(exc)) from None
    out.print(f"restored the {done.engine} database from {done.file}", soft_wrap=True, markup=False)
