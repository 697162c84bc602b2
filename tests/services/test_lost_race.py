"""A lost save race answers 412 and loses nothing, on SQLite as well as PostgreSQL.

SQLite serialises writers, so two real threads never race there (tests/services/test_concurrency.py).
Here the race is staged instead: another writer bumps the row's version after the editor read it
and before the editor's change is flushed. The editor's UPDATE (WHERE version = <what it read>)
then matches no row; that must become PreconditionFailed (412), and the other writer's change must
still be there.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import event, select, update
from sqlmodel import Session, SQLModel

from app.errors import PROBLEM_JSON, PreconditionFailed
from app.models.indicator import Indicator, IndicatorUpdate
from app.models.inspection import Inspection, InspectionWrite
from app.models.school import School, SchoolUpdate
from app.services import accounts, indicators, inspections, schools
from tests import factories


@dataclass(frozen=True)
class Race:
    """One kind of record: how the editor reads it, what it changes, and what the other writer changes."""

    name: str
    model: type[SQLModel]
    read: Callable  # (session, world, by) -> the record as the editor read it
    save: Callable  # (session, record, if_match, by) -> None, through the service
    ours: dict  # the editor's change, as stored
    theirs: dict  # the other writer's change, as stored
    url: Callable  # (world, record) -> its API address
    method: str
    body: dict


def _inspection(session, world, by):  # noqa: ANN001, ANN202
    made = factories.make_inspection(session, world.our_school, inspected_on=date(2022, 5, 5), overall_effectiveness=2)
    return inspections.get(session, world.our_school, made.id, by=by)


def _indicator(session, world, by):  # noqa: ANN001, ANN202
    made = factories.make_indicator(session, world.our_school, value=5.2)
    return indicators.get(session, world.our_school, made.id, by=by)


RACES = [
    Race(
        "school", School,
        read=lambda session, world, by: schools.get(session, world.our_school.urn, by=by),
        save=lambda session, school, if_match, by: schools.update(
            session, school.urn, SchoolUpdate(pupils=999), if_match=if_match, by=by),
        ours={"pupils": 999}, theirs={"headteacher_name": "Ms Other Writer"},
        url=lambda world, school: f"/api/v1/schools/{school.urn}", method="PATCH", body={"pupils": 999},
    ),
    Race(
        "inspection", Inspection,
        read=_inspection,
        save=lambda session, inspection, if_match, by: inspections.replace(
            session, inspection, InspectionWrite(inspected_on=date(2022, 5, 5), overall_effectiveness=1),
            if_match=if_match, by=by),
        ours={"overall_effectiveness": 1}, theirs={"source": "Other writer"},
        url=lambda world, inspection: f"/api/v1/schools/{world.our_school.urn}/inspections/{inspection.id}",
        method="PUT", body={"inspected_on": "2022-05-05", "overall_effectiveness": 1},
    ),
    Race(
        "indicator", Indicator,
        read=_indicator,
        save=lambda session, indicator, if_match, by: indicators.update(
            session, indicator, IndicatorUpdate(value=9.5), if_match=if_match, by=by),
        ours={"value": 9.5}, theirs={"recorded_on": date(2025, 12, 1)},
        url=lambda world, indicator: f"/api/v1/schools/{world.our_school.urn}/indicators/{indicator.id}",
        method="PATCH", body={"value": 9.5},
    ),
]
each_race = pytest.mark.parametrize("race", RACES, ids=[r.name for r in RACES])


def other_writer(connection, race: Race, record_id: int) -> None:  # noqa: ANN001
    """Another writer's change, with the version bump every saved change makes (Core: no ORM, no guard)."""
    table = race.model.__table__
    changed = connection.execute(
        update(table).where(table.c.id == record_id).values(**race.theirs, version=table.c.version + 1)
    )
    assert changed.rowcount == 1


def stored(connection, race: Race, record_id: int):  # noqa: ANN001, ANN201
    table = race.model.__table__
    return connection.execute(select(table).where(table.c.id == record_id)).one()


@contextmanager
def updates_sent(connection, table_name: str) -> Iterator[list[str]]:  # noqa: ANN001
    """The UPDATE statements sent to a table: proof that the 412 came from the write, not the If-Match check."""
    sent: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith(f"UPDATE {table_name.upper()} "):
            sent.append(statement)

    event.listen(connection, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", listener)


@each_race
def test_a_lost_race_is_412_and_the_other_change_stays(session, connection, world, race):
    by = accounts.operator(world.ours)
    record = race.read(session, world, by)
    read_version = record.version
    before = {key: getattr(record, key) for key in race.ours}
    # The editor's read ends here; its copy of the record is kept as read (expire_on_commit=False).
    session.commit()

    other_writer(connection, race, record.id)

    with updates_sent(connection, race.model.__tablename__) as sent, pytest.raises(PreconditionFailed):
        race.save(session, record, f'"{read_version}"', by)
    assert sent, "the change was refused before it was written: the race was not reached"
    session.rollback()

    row = stored(connection, race, record.id)
    assert row.version == read_version + 1
    assert {key: getattr(row, key) for key in race.theirs} == race.theirs, "the other writer's change was lost"
    assert {key: getattr(row, key) for key in race.ours} == before, "the stale change was written"


@contextmanager
def bumped_at_flush(race: Race, record_id: int) -> Iterator[list[bool]]:
    """While the block runs, the first flush that changes the record first lets another writer in:
    its change and version bump land between the request's read and its write."""
    done: list[bool] = []

    def before_flush(session: Session, _context, _instances) -> None:
        if done:
            return
        if any(isinstance(o, race.model) and o.id == record_id for o in session.dirty):
            other_writer(session.connection(), race, record_id)
            done.append(True)

    event.listen(Session, "before_flush", before_flush)
    try:
        yield done
    finally:
        event.remove(Session, "before_flush", before_flush)


@each_race
def test_a_lost_race_through_the_api_is_412_problem(api, session, connection, world, race):
    by = accounts.operator(world.ours)
    record = race.read(session, world, by)
    url = race.url(world, record)
    etag = api.get(url).headers["ETag"]

    with bumped_at_flush(race, record.id) as bumped:
        response = api.request(race.method, url, json=race.body, headers={"If-Match": etag})
    assert bumped, "the request never flushed a change to the record"
    assert response.status_code == 412, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["status"] == 412

    after = api.get(url)
    assert after.headers["ETag"] == etag
    assert all(after.json()[key] != value for key, value in race.ours.items()), "the stale change was written"
