"""Writing a checked GIAS plan: a few batched Core statements for the whole file.

They run on the session's own connection and bypass the ORM's tenant hooks, so every one names
the partnership explicitly. A school changed by someone else meanwhile stops the import (its
version is checked in the batched UPDATE), and copies of the schools already in the session are
brought up to date.

No flush sees these writes, so the audit trail is written here (app.services.audit.record_bulk):
one executemany for every school and inspection the import created or changed. A plain executemany
returns no ids (INSERT ... RETURNING was the slow path on PostgreSQL), so inspections name their
school by URN, and one SELECT afterwards reads back the ids of the schools and of the inspections
the import wrote, for the school ids the rest needs and for the audit trail's record ids.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session

from app.errors import Conflict, PreconditionFailed
from app.models.base import utcnow
from app.models.inspection import Inspection
from app.models.school import School
from app.services import audit, inspections
from app.services.imports import gias_format
from app.services.principal import Principal

if TYPE_CHECKING:
    from app.services.imports.gias import _Plan

_SCHOOL = School.__table__
_INSPECTION = Inspection.__table__
# Who a GIAS import's changes are by, on the record's "last changed by".
GIAS_IMPORT = "GIAS import"


def write_plan(session: Session, plan: "_Plan", existing: dict[str, dict], by: Principal) -> None:
    # Core statements on the session's own connection, each an executemany: a few statements
    # for the whole file. They bypass the ORM's tenant hooks, so every one names the
    # partnership explicitly.
    session.flush()
    connection = session.connection()
    now = utcnow()
    ids = {urn: school["id"] for urn, school in existing.items()}
    if plan.creates:
        partnership_owned = {"partnership_id": by.partnership_id, "engaged": True, "not_engaged_reason": None,
                             "la_category": None, "headteacher_started_on": None, "version": 1,
                             "created_at": now, "updated_at": now, "updated_by": GIAS_IMPORT, "from_gias": True}
        # A plain executemany, not INSERT ... RETURNING: psycopg re-parses each multi-row
        # RETURNING batch, which made a national import six times slower on PostgreSQL.
        try:
            connection.execute(insert(_SCHOOL), [values | partnership_owned for values in plan.creates])
        except IntegrityError:
            raise Conflict("another import or edit added some of these schools at the same moment; nothing "
                           "was imported, run the import again") from None
        _refresh_statistics(connection, len(plan.creates), "school")
    if plan.updates:
        _update(session, plan.updates, by, now)
    if plan.claimed:
        # No value changes, but what may be edited by hand does: a new version, so that a form
        # opened before the import cannot save a field GIAS now keeps without being told.
        connection.execute(update(_SCHOOL).where(_SCHOOL.c.id == bindparam("b_id"),
                                                 _SCHOOL.c.partnership_id == by.partnership_id)
                           .values(from_gias=True, version=_SCHOOL.c.version + 1, updated_at=now,
                                   updated_by=GIAS_IMPORT),
                           [{"b_id": school_id} for school_id in plan.claimed])
        for school_id in plan.claimed:
            loaded = session.identity_map.get(identity_key(School, school_id))
            if loaded is not None:
                session.expire(loaded)
    outcomes: dict[int, dict] = {}
    if plan.inspections:
        for data in {id(data): data for _, _, data in plan.inspections}.values():
            outcomes[id(data)] = {
                "framework": data.framework.value, "overall_effectiveness": data.overall_effectiveness,
                "category_of_concern": data.category_of_concern.value if data.category_of_concern else None,
                "safeguarding": None, "grades": {}, "headline": inspections.headline(data).value,
                "report_url": None, "source": data.source,
            }
        # The school by URN (the unique index finds it): a school this import created has no id here yet.
        school_of = (select(_SCHOOL.c.id).where(_SCHOOL.c.partnership_id == by.partnership_id,
                                                _SCHOOL.c.urn == bindparam("b_urn")).scalar_subquery())
        connection.execute(insert(_INSPECTION).values(school_id=school_of), [
            {"partnership_id": by.partnership_id, "b_urn": urn, "inspected_on": inspected_on,
             "version": 1, "created_at": now, "updated_at": now} | outcomes[id(data)]
            for urn, inspected_on, data in plan.inspections
        ])
        plan.summary.inspections_added = len(plan.inspections)
        _refresh_statistics(connection, len(plan.inspections), "inspection")
    inspection_ids: dict[str, int] = {}
    if plan.creates or plan.inspections:
        # Core tables, naming the partnership once: the ORM's tenant filter on the inspection side
        # led SQLite to its partnership index, a scan of every inspection for every school.
        stmt = (select(_SCHOOL.c.urn, _SCHOOL.c.id, _INSPECTION.c.id)
                .select_from(_SCHOOL.outerjoin(_INSPECTION, and_(_INSPECTION.c.school_id == _SCHOOL.c.id,
                                                                 _INSPECTION.c.created_at == now)))
                .where(_SCHOOL.c.partnership_id == by.partnership_id))
        for urn, school_id, inspection_id in connection.execute(stmt):
            ids[urn] = school_id
            if inspection_id is not None:
                inspection_ids[urn] = inspection_id
    if plan.inspections:
        _refresh_latest(session, plan, existing, ids, outcomes, by, now)
    audit.record_bulk(session, {"school": _school_events(plan, ids),
                                "inspection": _inspection_events(plan, ids, inspection_ids, outcomes)}, by=by)


# PostgreSQL plans the statements that follow a large insert from the table's statistics, which
# still describe the table before it: the inspections' lookup of each school by URN and the read-back
# join then chose plans for an empty table, and a national import into a new partnership took 77 s
# instead of 10. ANALYZE in the transaction counts its own new rows (it samples, in a fraction of a
# second); small imports keep the statistics they have. ANALYZE holds its lock (SHARE UPDATE
# EXCLUSIVE, which ordinary reads and writes never wait for) until the import commits, so two large
# imports into different partnerships take turns, as autovacuum does with them.
ANALYZE_AFTER_ROWS = 5000


def _refresh_statistics(connection, rows: int, table: str) -> None:  # noqa: ANN001
    if rows >= ANALYZE_AFTER_ROWS and connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {table}")


# The events are made one at a time as record_bulk writes them, never all kept at once: a national
# import's million [before, after] pairs held together kept Python's garbage collector sweeping the
# whole heap, which cost more than writing them.
def _school_events(plan: "_Plan", ids: dict[str, int]) -> Iterator[tuple[int, str, dict]]:
    owned = {"engaged": True, "from_gias": True}
    for values in plan.creates:
        yield ids[values["urn"]], "create", {k: [None, v] for k, v in (values | owned).items() if v is not None}
    for school, changes in plan.updates:
        recorded = {k: [school[k], v] for k, v in changes.items()}
        if not school["from_gias"]:
            recorded["from_gias"] = [False, True]
        yield school["id"], audit.action_for(recorded), recorded
    for school_id in plan.claimed:
        yield school_id, "update", {"from_gias": [False, True]}


def _inspection_events(plan: "_Plan", ids: dict[str, int], inspection_ids: dict[str, int],
                       outcomes: dict[int, dict]) -> Iterator[tuple[int, str, dict]]:
    for urn, inspected_on, data in plan.inspections:
        values = {"school_id": ids[urn], "inspected_on": inspected_on} | outcomes[id(data)]
        yield inspection_ids[urn], "create", {k: [None, v] for k, v in values.items() if v is not None}


def _refresh_latest(session: Session, plan: "_Plan", existing: dict[str, dict], ids: dict[str, int],
                    outcomes: dict[int, dict], by: Principal, now: datetime) -> None:
    """Each school given a newer inspection than it had carries it as its latest (as
    inspections.refresh_latest does for one), in one batched UPDATE. An import adds at most one
    inspection a school, on a day not already in its history."""
    table = _SCHOOL
    params = []
    for urn, inspected_on, data in plan.inspections:
        known = existing.get(urn, {}).get("latest_inspected_on")
        if known is not None and known > inspected_on:
            continue
        outcome = outcomes[id(data)]
        params.append({"b_id": ids[urn], "b_on": inspected_on, "b_framework": outcome["framework"],
                       "b_headline": outcome["headline"]})
    if not params:
        return
    stmt = (update(table).where(table.c.id == bindparam("b_id"), table.c.partnership_id == by.partnership_id)
            .values(latest_inspected_on=bindparam("b_on"), latest_framework=bindparam("b_framework"),
                    latest_headline=bindparam("b_headline"), updated_at=now))
    session.connection().execute(stmt, params)
    for values in params:
        loaded = session.identity_map.get(identity_key(School, values["b_id"]))
        if loaded is not None:
            for key, value in (("latest_inspected_on", values["b_on"]), ("latest_framework", values["b_framework"]),
                               ("latest_headline", values["b_headline"]), ("updated_at", now)):
                set_committed_value(loaded, key, value)


def _update(session: Session, updates: list[tuple[dict, dict]], by: Principal, now: datetime) -> None:
    """One executemany UPDATE that still refuses to overwrite a row someone changed meanwhile."""
    # The ORM would emit one UPDATE per versioned row; this keeps its version check instead.
    stmt = (
        update(_SCHOOL)
        .where(_SCHOOL.c.id == bindparam("b_id"), _SCHOOL.c.version == bindparam("b_version"),
               _SCHOOL.c.partnership_id == by.partnership_id)
        .values({key: bindparam(f"b_{key}") for key in gias_format.GIAS_FIELDS}
                | {"version": bindparam("b_new_version"), "updated_at": now, "updated_by": GIAS_IMPORT,
                   "from_gias": True})
    )
    params = [{f"b_{key}": changes.get(key, school[key]) for key in gias_format.GIAS_FIELDS}
              | {"b_id": school["id"], "b_version": school["version"], "b_new_version": school["version"] + 1}
              for school, changes in updates]
    result = session.connection().execute(stmt, params)
    if result.rowcount != len(params):
        raise PreconditionFailed("a school was changed by someone else during the import; nothing was "
                                 "imported, run the import again")
    # Copies of these schools already in the session must not keep the old values or version.
    for school, changes in updates:
        loaded = session.identity_map.get(identity_key(School, school["id"]))
        if loaded is not None:
            for key, value in changes.items():
                set_committed_value(loaded, key, value)
            set_committed_value(loaded, "version", school["version"] + 1)
            set_committed_value(loaded, "updated_at", now)
            set_committed_value(loaded, "updated_by", GIAS_IMPORT)
            set_committed_value(loaded, "from_gias", True)
