"""Alembic owns the schema: an empty database goes up to head, down to base and up again,
and the migrations describe exactly what the models declare. Runs on the configured engine."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from tests.conftest import alembic_config


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_database_url):
    config = alembic_config(fresh_database_url)
    expected = {t.name for t in SQLModel.metadata.sorted_tables}

    command.upgrade(config, "head")
    assert tables(fresh_database_url) == expected
    command.downgrade(config, "base")
    assert tables(fresh_database_url) == set()
    command.upgrade(config, "head")
    assert tables(fresh_database_url) == expected

    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_constraints_follow_the_naming_convention(fresh_database_url):
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = create_engine(fresh_database_url)
    try:
        insp = inspect(engine)
        fks = insp.get_foreign_keys("school")
        uniques = insp.get_unique_constraints("school")
    finally:
        engine.dispose()
    assert [fk["name"] for fk in fks] == ["fk_school_partnership_id_partnership"]
    assert [u["name"] for u in uniques] == ["uq_school_partnership_id_urn"]
