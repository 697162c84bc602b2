"""Figures loaded in bulk, all or nothing: schools' indicators and national figures, upserted by
their unique keys (a school's: school, measure, academic year, source; a national figure's:
partnership, measure, academic year, source). The API's bulk upload and the CSV import
(app.services.imports.indicators_csv) both come here.

First every item is checked (its URN is a school of the caller's partnership; no two items share a
key) and the figures already stored under the items' keys are read, in one query per table. Then
each table is written with the dialect's own upsert (`INSERT ... ON CONFLICT DO UPDATE ... WHERE
the value differs ... RETURNING`), one statement per chunk of rows, whatever another writer did
meanwhile: a key someone else added since the read is updated, never a unique-key error. A figure
whose value (and `recorded_on`, when given) is already as sent is left alone, its version too.

These Core statements bypass the ORM, so they name the partnership, move the version and
`updated_at`/`updated_by` themselves, and say what they changed to the audit trail
(app.services.audit.record_bulk).

Concurrency: on PostgreSQL the read locks the rows it found (`FOR UPDATE`, in id order), so the
audit trail's "before" values are the ones replaced; rows are written in key order, so two uploads
of overlapping keys wait for each other rather than deadlock. On SQLite writers take turns.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.errors import FieldError, ValidationFailed
from app.models.base import utcnow
from app.models.flag import NationalFigure
from app.models.indicator import Indicator
from app.models.indicator_bulk import IndicatorItem
from app.models.school import School
from app.services import audit
from app.services.principal import Principal, bind

# Rows per INSERT: 1,000 rows of 10 columns is well inside both drivers' limits on parameters.
CHUNK = 1000
SHOWN_IN_DETAIL = 10

_INDICATOR: Table = Indicator.__table__
_NATIONAL: Table = NationalFigure.__table__
_INDICATOR_KEY = ("school_id", "measure", "academic_year", "source")
_NATIONAL_KEY = ("partnership_id", "measure", "academic_year", "source")


@dataclass(frozen=True)
class Problem:
    """Why item `index` (0-based) was refused, and which of its fields is at fault. A figure sent
    twice names the item it repeats (`same_as`), which the message calls `{other}`."""

    index: int
    field: str
    message: str
    same_as: int | None = None

    def said(self, other: str | None = None) -> str:
        """The message, naming the repeated item as the caller numbers it ("item 3", "line 5")."""
        return self.message.format(other=other if other is not None else f"item {self.same_as}")


class BulkRefused(ValidationFailed):
    """Some items were refused, and nothing was written: `errors` name `items.<n>.<field>`."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.index)
        items = len({p.index for p in self.problems})
        shown = "; ".join(f"items.{p.index}.{p.field}: {p.said()}" for p in self.problems[:SHOWN_IN_DETAIL])
        more = len(self.problems) - SHOWN_IN_DETAIL
        super().__init__([FieldError(f"items.{p.index}.{p.field}", p.said()) for p in self.problems],
                         f"{items} item(s) refused and nothing was written: {shown}"
                         + (f"; and {more} more" if more > 0 else ""))


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class BulkResult:
    indicators: Counts = field(default_factory=Counts)
    national_figures: Counts = field(default_factory=Counts)

    def as_dict(self) -> dict[str, Any]:
        both = (self.indicators, self.national_figures)
        return {"created": sum(c.created for c in both), "updated": sum(c.updated for c in both),
                "unchanged": sum(c.unchanged for c in both), "indicators": self.indicators.as_dict(),
                "national_figures": self.national_figures.as_dict()}


@dataclass
class _Row:
    """An item ready to write: its key and values, and what is stored under its key now (None: nothing)."""

    key: tuple
    values: dict[str, Any]
    dated: bool  # recorded_on was given (a school's figure); otherwise today's, used only if the value changes
    stored: dict[str, Any] | None = None

    @property
    def changes(self) -> bool:
        if self.stored is None:
            return True
        return self.stored["value"] != self.values["value"] or (
            self.dated and self.stored["recorded_on"] != self.values["recorded_on"])


@dataclass
class Plan:
    """The checked items, split by table, each row knowing what it replaces; `problems` if refused."""

    schools: list[_Row] = field(default_factory=list)
    national: list[_Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def expected(self) -> BulkResult:
        """What writing would do, from what was read (a dry run's answer)."""
        result = BulkResult()
        for rows, counts in ((self.schools, result.indicators), (self.national, result.national_figures)):
            for row in rows:
                if row.stored is None:
                    counts.created += 1
                elif row.changes:
                    counts.updated += 1
                else:
                    counts.unchanged += 1
        return result


def upsert(session: Session, items: Sequence[IndicatorItem], *, by: Principal, dry_run: bool = False) -> BulkResult:
    """Add or update every item's figure in the caller's partnership, or none if any item is refused."""
    plan = check(session, items, by=by, lock=not dry_run)
    if plan.problems:
        raise BulkRefused(plan.problems)
    return plan.expected() if dry_run else write(session, plan, by=by)


def check(session: Session, items: Sequence[IndicatorItem], *, by: Principal, lock: bool = False) -> Plan:
    """Each item checked against the partnership (its school; no key twice) and matched to what is
    stored under its key. `lock` (before a write) locks the stored rows found, on PostgreSQL."""
    bind(session, by)
    by.require_write()
    today = date.today()
    urns = {item.urn for item in items if item.urn is not None}
    school_ids: dict[str, int] = {}
    if urns:
        school_ids = {urn: school_id for urn, school_id in
                      session.execute(select(School.urn, School.id).where(School.urn.in_(urns)))}
    plan = Plan()
    seen: dict[tuple, int] = {}
    for index, item in enumerate(items):
        if item.national:
            key = (by.partnership_id, item.measure, item.academic_year, item.source)
            values = {"measure": item.measure, "academic_year": item.academic_year, "value": item.value,
                      "source": item.source}
            target, what = plan.national, "national figure"
        else:
            school_id = school_ids.get(item.urn)
            if school_id is None:
                plan.problems.append(Problem(index, "urn", f"no school with URN {item.urn} in this partnership"))
                continue
            key = (school_id, item.measure, item.academic_year, item.source)
            values = {"school_id": school_id, "measure": item.measure, "academic_year": item.academic_year,
                      "value": item.value, "source": item.source, "recorded_on": item.recorded_on or today}
            target, what = plan.schools, "school"
        kind_key = (item.national, *key)
        if kind_key in seen:
            plan.problems.append(Problem(index, "measure", f"the same {what}, measure, academic_year and source as "
                                                           "{other}; send each figure once", seen[kind_key]))
            continue
        seen[kind_key] = index
        target.append(_Row(key, values, dated=item.recorded_on is not None))
    if plan.problems:
        return plan
    _match_stored(session, plan.schools, Indicator, _INDICATOR_KEY, lock=lock)
    _match_stored(session, plan.national, NationalFigure, _NATIONAL_KEY, lock=lock)
    return plan


def _match_stored(session: Session, rows: list[_Row], model: type, key: tuple[str, ...], *, lock: bool) -> None:
    """Give each row what is stored under its key, in one query: every stored row of the items'
    schools (or partnership), measures and years, the few that match kept."""
    if not rows:
        return
    columns = [getattr(model, name) for name in ("id", *key, "value", "version")]
    if model is Indicator:
        columns.append(Indicator.recorded_on)
    stmt = select(*columns)
    for position, name in enumerate(key[:3]):  # the last, source, is free text: left to the match below
        if name != "partnership_id":  # the tenant filter says it already
            stmt = stmt.where(getattr(model, name).in_({row.key[position] for row in rows}))
    if lock:
        # Locked in id order: two uploads reading overlapping rows queue rather than deadlock.
        stmt = stmt.order_by(model.id).with_for_update()
    found = {tuple(stored[name] for name in key): dict(stored) for stored in session.execute(stmt).mappings()}
    for row in rows:
        row.stored = found.get(row.key)


def write(session: Session, plan: Plan, *, by: Principal) -> BulkResult:
    """Write a checked plan; returns what was created, updated and left unchanged."""
    bind(session, by)
    by.require_write()
    session.flush()  # anything pending goes first; the statements below do not pass through the ORM
    now = utcnow()
    result = BulkResult()
    # What every row shares is written into the statement as SQL (by the dialect's own literal
    # rendering), not bound row by row: psycopg parses every placeholder of a statement in Python,
    # which for 5,000 rows was most of an upload's time on PostgreSQL. Numbers and times only; who
    # made the change, free text, stays a bound parameter.
    dialect = session.connection().dialect
    common = {name: literal_column(_INDICATOR.c[name].type.literal_processor(dialect)(value),
                                   type_=_INDICATOR.c[name].type)
              for name, value in (("partnership_id", by.partnership_id), ("version", 1), ("created_at", now),
                                  ("updated_at", now))}
    label = by.label[:200]
    school_events = _upsert(session, plan.schools, _INDICATOR, _INDICATOR_KEY, Indicator, result.indicators,
                            common, label)
    national_events = _upsert(session, plan.national, _NATIONAL, _NATIONAL_KEY, NationalFigure,
                              result.national_figures, common, label)
    audit.record_bulk(session, {"indicator": school_events, "national_figure": national_events}, by=by)
    return result


def _upsert(session: Session, rows: list[_Row], table: Table, key: tuple[str, ...], model: type, counts: Counts,
            common: dict[str, Any], label: str) -> list[tuple[int, str, dict]]:
    """Upsert `rows` into `table`, chunk by chunk in key order; count them and return their audit events.

    A row read (and locked) as already holding what was sent is not sent again."""
    counts.unchanged = len(rows)
    rows = sorted((row for row in rows if row.changes), key=lambda row: row.key)
    if not rows:
        return []
    by_key = {row.key: row for row in rows}
    # A figure sent without recorded_on keeps the stored date unless its value changes: sending the
    # same file again another day changes nothing. Those rows go in statements of their own.
    groups = [[row for row in rows if row.dated], [row for row in rows if not row.dated]]
    connection = session.connection()
    fields = _AUDITED[table.name]
    events: list[tuple[int, str, dict]] = []
    written = 0
    for group, dated in zip(groups, (True, False), strict=True):
        if not group:
            continue
        stmt = _statement(connection.dialect.name, table, key, common, dated=dated and "recorded_on" in table.c)
        for start in range(0, len(group), CHUNK):
            params = [row.values | {"updated_by": label} for row in group[start:start + CHUNK]]
            for returned in connection.execute(stmt, params):
                written += 1
                record_id, version, *returned_key = returned
                events.append(_event(record_id, version, by_key[tuple(returned_key)], fields))
    _forget(session, model, {record_id for record_id, _, _ in events})
    counts.created = sum(1 for _, action, _ in events if action == "create")
    counts.updated = written - counts.created
    counts.unchanged -= written
    return events


def _statement(dialect: str, table: Table, key: tuple[str, ...], common: dict[str, Any], *,
               dated: bool):  # noqa: ANN202
    """INSERT ... ON CONFLICT (key) DO UPDATE SET <value, version + 1, ...> WHERE <changed> RETURNING."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(common)
    new = stmt.excluded
    changed = table.c.value.is_distinct_from(new.value)
    values = {"value": new.value, "version": table.c.version + 1, "updated_at": new.updated_at,
              "updated_by": new.updated_by}
    if "recorded_on" in table.c:
        values["recorded_on"] = new.recorded_on
        if dated:
            changed = or_(changed, table.c.recorded_on.is_distinct_from(new.recorded_on))
    returning = [table.c.id, table.c.version, *(table.c[name] for name in key)]
    return stmt.on_conflict_do_update(index_elements=[table.c[name] for name in key], set_=values,
                                      where=changed).returning(*returning)


_AUDITED = {"indicator": ("school_id", "measure", "academic_year", "value", "source", "recorded_on"),
            "national_figure": ("measure", "academic_year", "value", "source")}


def _event(record_id: int, version: int, row: _Row, fields: tuple[str, ...]) -> tuple[int, str, dict]:
    if version == 1:
        return record_id, "create", {name: [None, row.values[name]] for name in fields}
    stored = row.stored
    if stored is None:
        # Added by someone else between this upload's read and its write: what it held is not known here
        # (that writer's own event says what it added).
        return record_id, "update", {name: [None, row.values[name]] for name in ("value", "recorded_on")
                                     if name in row.values}
    return record_id, "update", {name: [stored[name], row.values[name]] for name in ("value", "recorded_on")
                                 if name in row.values and stored[name] != row.values[name]}


def _forget(session: Session, model: type, written: set[int]) -> None:
    """Copies of written rows already in the session must not keep their old value or version."""
    for loaded in list(session.identity_map.values()):
        if type(loaded) is model and loaded.id in written:
            session.expire(loaded)

