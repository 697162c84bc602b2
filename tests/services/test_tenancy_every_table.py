"""The tenant guard, table by table: every partnership-owned table is checked, including the ones
added after this file was written.

The tables come from the SQLModel registry and the metadata, not from app.db: a table dropped
from the guard's own list must still be tested here. Rows are built from the columns alone
(required columns filled by type, foreign keys pointing at new parent rows of the same
partnership), so a new table needs no new line in this file or in tests/factories.py.
"""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Table, TypeDecorator, UniqueConstraint, delete, func, inspect, select, update
from sqlalchemy.sql import sqltypes
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401 (every table registered)
from app.db import TenantViolation, _tenant_classes, all_tenants, set_tenant
from app.models.base import TenantScoped, utcnow
from app.models.partnership import Partnership

# Tables that hold a partnership_id but are deliberately not tenant-scoped, with the reason.
NOT_TENANT_SCOPED = {
    # Read by its cookie's key before anyone knows the partnership; it records which one it is for.
    "web_session",
    # A failed sign-in belongs to no partnership; the others record the one they happened in.
    "security_event",
    # A count of changes to the red-flag rules' inputs, moved by triggers; nothing of the partnership's.
    "flag_stamp",
    "flag_stamp_pending",
}
# A floor, not the list: discovery that silently found nothing would otherwise pass.
KNOWN_TENANT_TABLES = {"school", "inspection", "indicator", "membership", "api_token"}


def _tenant_models() -> list[type[SQLModel]]:
    mapped = (m.class_ for m in SQLModel._sa_registry.mappers)
    return sorted((c for c in mapped if issubclass(c, TenantScoped)), key=lambda c: c.__tablename__)


TENANT_MODELS = _tenant_models()
every_tenant_table = pytest.mark.parametrize("model", TENANT_MODELS, ids=[m.__tablename__ for m in TENANT_MODELS])


# --- building a row of any table ------------------------------------------------------------------

_numbers = itertools.count(500001)


def _model_for(table: Table) -> type[SQLModel]:
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    raise LookupError(f"no mapped class for table {table.name}")


def _sql_type(column) -> sqltypes.TypeEngine:  # noqa: ANN001
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


def sample_value(column):  # noqa: ANN001, ANN201
    """A fresh value for a column, by its SQL type (unique as far as a counter makes it)."""
    n = next(_numbers)
    kind = _sql_type(column)
    if isinstance(kind, sqltypes.Boolean):
        return True
    if isinstance(kind, sqltypes.Integer):
        return n
    if isinstance(kind, sqltypes.Float):
        return float(n % 1000) + 0.5
    if isinstance(kind, sqltypes.Numeric):
        return Decimal(n % 1000)
    if isinstance(kind, sqltypes.Enum):
        return kind.enums[n % len(kind.enums)]
    if isinstance(kind, sqltypes.String):
        return str(n)[-kind.length:] if kind.length else f"value {n}"
    if isinstance(kind, sqltypes.DateTime):
        return utcnow() - timedelta(seconds=n % 100000)
    if isinstance(kind, sqltypes.Date):
        return date(2000, 1, 1) + timedelta(days=n % 9000)
    if isinstance(kind, sqltypes.JSON):
        return {}
    if isinstance(kind, sqltypes.LargeBinary):
        return f"bytes {n}".encode()
    raise TypeError(
        f"no sample value for {column.table.name}.{column.name} ({column.type!r}): teach "
        "sample_value in tests/services/test_tenancy_every_table.py this type"
    )


def make_row(session: Session, model: type[SQLModel], partnership: Partnership, **overrides) -> SQLModel:
    """A flushed row of `model` in `partnership`: every NOT NULL column without a default gets a
    value of its type; every foreign key gets a new parent row (in the same partnership)."""
    with all_tenants(session):
        return _build(session, model, partnership, overrides)


def _build(session: Session, model: type[SQLModel], partnership: Partnership, overrides: dict) -> SQLModel:
    mapper = inspect(model)
    row = model(**overrides)
    for column in mapper.local_table.columns:
        key = mapper.get_property_by_column(column).key
        if key in overrides or getattr(row, key) is not None:
            continue
        if column.primary_key or column is mapper.version_id_col:
            continue
        foreign = next(iter(column.foreign_keys), None)
        if foreign is not None and foreign.column.table is Partnership.__table__:
            setattr(row, key, getattr(partnership, foreign.column.key))
            continue
        if column.nullable or column.default is not None or column.server_default is not None:
            continue
        if foreign is not None:
            parent = _build(session, _model_for(foreign.column.table), partnership, {})
            setattr(row, key, getattr(parent, mapper_key(foreign.column)))
            continue
        setattr(row, key, sample_value(column))
    session.add(row)
    session.flush()
    return row


def mapper_key(column) -> str:  # noqa: ANN001
    return inspect(_model_for(column.table)).get_property_by_column(column).key


def editable(model: type[SQLModel]) -> tuple[str, object]:
    """An ordinary column of the table (no key, no foreign key, not unique, no version) and a new
    value for it (the same value may be given to many rows at once)."""
    mapper = inspect(model)
    table = mapper.local_table
    unique = {c for con in table.constraints if isinstance(con, UniqueConstraint) for c in con.columns}
    unique |= {c for ix in table.indexes if ix.unique for c in ix.columns}
    candidates = [c for c in table.columns
                  if not (c.primary_key or c.foreign_keys or c.unique or c in unique or c is mapper.version_id_col)]
    # A link table (a school's place in a triad) may have nothing else: then a column of its
    # unique constraint, which the tests give one row at a time.
    candidates = candidates or [c for c in table.columns if c in unique and not (c.primary_key or c.foreign_keys)]
    column = next((c for c in candidates if isinstance(_sql_type(c), sqltypes.String)), candidates[0])
    return mapper.get_property_by_column(column).key, sample_value(column)


@pytest.fixture
def pair(session, world):
    """For a table: one row of ours and one of theirs (the world's partnerships)."""

    def build(model):  # noqa: ANN001, ANN202
        return make_row(session, model, world.ours), make_row(session, model, world.theirs)

    return build


# --- which tables ---------------------------------------------------------------------------------


def test_discovery_finds_the_tenant_tables():
    found = {m.__tablename__ for m in TENANT_MODELS}
    assert found >= KNOWN_TENANT_TABLES, f"missing: {sorted(KNOWN_TENANT_TABLES - found)}"


def test_every_table_with_a_partnership_is_guarded():
    owned = {t.name for t in SQLModel.metadata.tables.values() if "partnership_id" in t.c}
    scoped = {m.__tablename__ for m in TENANT_MODELS}
    unguarded = owned - scoped - NOT_TENANT_SCOPED
    assert not unguarded, f"{sorted(unguarded)} hold partnership_id but do not inherit TenantScoped"
    assert set(_tenant_classes()) == set(TENANT_MODELS)


# --- reading ---------------------------------------------------------------------------------------


@every_tenant_table
def test_bound_session_sees_only_its_own_rows(session, world, pair, model):
    mine, theirs = pair(model)
    set_tenant(session, world.ours.id)
    rows = session.execute(select(model.id, model.partnership_id)).all()
    assert mine.id in {r.id for r in rows}
    assert theirs.id not in {r.id for r in rows}, f"{model.__tablename__}: another partnership's row is visible"
    assert {r.partnership_id for r in rows} == {world.ours.id}
    session.expunge_all()
    assert session.get(model, theirs.id) is None
    assert session.get(model, mine.id) is not None


@every_tenant_table
def test_bound_session_joins_and_subqueries_are_scoped(session, world, pair, model):
    mine, theirs = pair(model)
    set_tenant(session, world.ours.id)
    joined = session.execute(
        select(Partnership.id, model.id).join(model, model.partnership_id == Partnership.id)
    ).all()
    assert {p for p, _ in joined} == {world.ours.id}
    assert theirs.id not in {i for _, i in joined}
    own = session.scalar(select(func.count()).select_from(select(model.id).subquery()))
    with all_tenants(session):
        expected = session.scalar(select(func.count()).select_from(model).where(model.partnership_id == world.ours.id))
    assert own == expected


@every_tenant_table
def test_unbound_session_sees_no_rows(session, world, pair, model):
    mine, theirs = pair(model)
    assert session.execute(select(model.id)).all() == []
    assert session.scalar(select(func.count()).select_from(model)) == 0
    session.expunge_all()
    assert session.get(model, mine.id) is None and session.get(model, theirs.id) is None


# --- writing ---------------------------------------------------------------------------------------


@every_tenant_table
def test_changing_another_partnerships_row_raises(session, world, pair, model):
    mine, theirs = pair(model)
    set_tenant(session, world.ours.id)
    key, value = editable(model)
    setattr(mine, key, value)
    session.flush()  # our own row: allowed

    key, value = editable(model)
    setattr(theirs, key, value)
    with pytest.raises(TenantViolation):
        session.flush()


@every_tenant_table
def test_deleting_another_partnerships_row_raises(session, world, pair, model):
    mine, theirs = pair(model)
    set_tenant(session, world.ours.id)
    session.delete(mine)
    session.flush()  # our own row: allowed

    session.delete(theirs)
    with pytest.raises(TenantViolation):
        session.flush()


@every_tenant_table
def test_bulk_update_and_delete_stay_in_the_partnership(session, world, pair, model):
    mine, theirs = pair(model)
    key, value = editable(model)
    before = getattr(theirs, key)
    set_tenant(session, world.ours.id)
    session.execute(update(model).values({key: value}).execution_options(synchronize_session=False))
    session.execute(delete(model).where(model.id == theirs.id).execution_options(synchronize_session=False))
    session.expunge_all()
    with all_tenants(session):
        survivor = session.get(model, theirs.id)
        assert survivor is not None, f"{model.__tablename__}: another partnership's row was deleted"
        assert getattr(survivor, key) == before, f"{model.__tablename__}: another partnership's row was changed"
        assert getattr(session.get(model, mine.id), key) == value
