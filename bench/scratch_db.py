"""A database of its own for scripts/load.sh and scripts/kill-test.sh, so that neither touches data it
was not made for.

- SQLite (no URL, or a sqlite:// one): a new file in the given directory.
- PostgreSQL: a database named after the one in the URL with a suffix (``app_test`` -> ``app_test_load``)
  on the same server, dropped first if a run before left it, and dropped again by ``drop``.

    .venv/bin/python bench/scratch_db.py create [URL] --name load --dir /tmp/work   # prints the new URL
    .venv/bin/python bench/scratch_db.py drop URL
"""

import argparse
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def create(url: str | None, name: str, directory: Path) -> str:
    if not url or url.startswith("sqlite"):
        path = directory / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    parsed = make_url(url)
    scratch = f"{parsed.database}_{name}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
    finally:
        admin.dispose()
    return parsed.set(database=scratch).render_as_string(hide_password=False)


def drop(url: str) -> None:
    """Drop a PostgreSQL scratch database (one whose name create() made); a SQLite file goes with its directory."""
    if url.startswith("sqlite"):
        return
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    made = sub.add_parser("create")
    made.add_argument("url", nargs="?", default="")
    made.add_argument("--name", required=True, help="the SQLite file's stem, or the PostgreSQL database's suffix")
    made.add_argument("--dir", type=Path, required=True, help="where a SQLite file goes")
    dropped = sub.add_parser("drop")
    dropped.add_argument("url")
    args = parser.parse_args()
    if args.action == "create":
        print(create(args.url or None, args.name, args.dir))
    else:
        drop(args.url)


if __name__ == "__main__":
    sys.exit(main())
