"""Writing the generator's rows in bulk (`python -m app generate`): what every phase of
app/services/generate.py, generate_triads.py and generate_plans.py writes goes through `insert`.

The rows are plain dicts naming their partnership. They are handed to the driver as tuples, converted
by each column's own bind processor (so the stored values are exactly what a Core insert stores),
without a Core statement per chunk: `executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL,
several times faster than INSERT there. Like the Core inserts they replace, they pass by the ORM's
tenant guard, so every row carries its partnership_id explicitly.
"""

import gc
import random
from bisect import bisect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from itertools import accumulate, islice

import sqlalchemy as sa
from sqlalchemy import Connection, select

Progress = Callable[[str, int, int | None], None]

CHUNK = 5_000  # rows per executemany on SQLite
COPY_CHUNK = 20_000  # rows per progress report on PostgreSQL (one COPY for the lot)
SQLITE_CACHE_KIB = 512 * 1024


def chunks(rows: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Weighted:
    """`rng.choices(list(weights), weights=list(weights.values()))[0]`, with the cumulative weights
    summed once: the same pick from the same one draw of the generator, so the same data."""

    __slots__ = ("population", "cumulative", "total", "hi")

    def __init__(self, weights: dict) -> None:
        self.population = list(weights)
        self.cumulative = list(accumulate(weights.values()))
        self.total = self.cumulative[-1] + 0.0
        self.hi = len(self.population) - 1

    def pick(self, rng: random.Random) -> object:
        return self.population[bisect(self.cumulative, rng.random() * self.total, 0, self.hi)]


@contextmanager
def roomy_cache(connection: Connection) -> Iterator[None]:
    """On SQLite, a page cache the size of a national database (512 MiB) while the generator writes:
    with the default 2 MiB, each row's index entries send pages out and back (half the time of the
    inserts); the connection's own size is put back afterwards."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the generator builds millions of rows in memory (each
    full collection walks them all, again and again: a fifth of the time); back on afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def new_ids(connection: Connection, table: sa.Table, count: int) -> list[int]:
    """Ids for `count` new rows of `table`, taken before the rows are written, in one statement: the
    id sequence's next values on PostgreSQL, the ids after the largest on SQLite (whose one writer
    holds the database). INSERT ... RETURNING in the rows' order would do it, but psycopg's
    executemany then sends one row at a time (2,000 rows/s), and there are 80,000 visit actions."""
    if not count:
        return []
    if connection.dialect.name == "postgresql":
        stmt = sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
        return list(connection.execute(stmt, {"table": table.name, "count": count}).scalars())
    start = (connection.scalar(select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def insert(
    connection: Connection,
    table: sa.Table | sa.TableClause,
    rows: list[dict],
    label: str,
    report: Progress | None,
    *,
    with_ids: bool = False,
) -> list[int]:
    """Write the rows (every one with the first's keys, all columns of `table`), reporting progress;
    `with_ids` gives each row its id first (see new_ids) and returns them, in the rows' order."""
    if rows and "partnership_id" in table.c and any(row.get("partnership_id") is None for row in rows):
        # The driver is written to directly, past the tenant guard of app.db: the check is here.
        raise ValueError(f"every row written to {table.name} must name its partnership")
    ids = new_ids(connection, table, len(rows)) if with_ids else []
    for row, row_id in zip(rows, ids, strict=False):
        row["id"] = row_id
    if report:
        report(label, 0, len(rows))
    if rows:
        names, values = _tuples(connection.dialect, table, rows)
        quote = connection.dialect.identifier_preparer.quote
        columns = ", ".join(quote(name) for name in names)
        write = _copy if connection.dialect.name == "postgresql" else _executemany
        write(connection, f"{quote(table.name)} ({columns})", len(names), values,
              lambda done: report and report(label, done, len(rows)))
    return ids


def _tuples(dialect: sa.Dialect, table: sa.Table | sa.TableClause, rows: list[dict]) -> tuple[list[str], Iterator]:
    """The column names and each row as a tuple of what the driver is given, as a Core insert of the
    same dicts would give it: each column's bind processor applied, and the Python-side default of
    any column the rows leave out (per row, as Core evaluates it)."""
    names = list(rows[0])
    missing = [c for c in table.c if c.key not in rows[0] and getattr(c, "default", None) is not None]
    for column in missing:
        if not (column.default.is_scalar or column.default.is_callable):
            raise ValueError(f"{table.name}.{column.key}: only Python-side defaults are filled in")
    names += [c.key for c in missing]
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    converted = [(i, _remembering(p)) for i, p in enumerate(processors) if p is not None]
    defaults = [(c.default.arg, c.default.is_callable) for c in missing]
    width = len(rows[0])

    def convert(row: dict) -> tuple:
        if len(row) != width:
            raise ValueError(f"{table.name}: every row must have the same columns as the first")
        values = [row[name] for name in names[:width]]
        values += [arg(None) if is_callable else arg for arg, is_callable in defaults]
        for i, process in converted:
            values[i] = process(values[i])
        return tuple(values)

    return names, map(convert, rows)


def _remembering(process: Callable) -> Callable:
    """A bind processor that converts each date or timestamp once (the rows share a few: their
    created_at, due dates), and an empty list once; what it gives is the processor's own result."""
    seen: dict = {}
    empty: list = []

    def convert(value: object) -> object:
        kind = type(value)
        if kind is datetime or kind is date:
            try:
                return seen[value]
            except KeyError:
                seen[value] = converted = process(value)
                return converted
        if kind is list and not value:
            if not empty:
                empty.append(process(value))
            return empty[0]
        return process(value)

    return convert


def _executemany(connection: Connection, into: str, width: int, values: Iterator, done: Callable) -> None:
    sql = f"INSERT INTO {into} VALUES ({', '.join('?' * width)})"
    cursor = connection.connection.cursor()
    count = 0
    try:
        while chunk := _take(values, CHUNK):
            cursor.executemany(sql, chunk)
            count += len(chunk)
            done(count)
    finally:
        cursor.close()


def _copy(connection: Connection, into: str, width: int, values: Iterator, done: Callable) -> None:
    cursor = connection.connection.cursor()
    count = 0
    try:
        with cursor.copy(f"COPY {into} FROM STDIN") as copy:
            while chunk := _take(values, COPY_CHUNK):
                for row in chunk:
                    copy.write_row(row)
                count += len(chunk)
                done(count)
    finally:
        cursor.close()


def _take(values: Iterator, size: int) -> list:
    return list(islice(values, size))
