"""The red-flag rules' inputs stamp (issue 8): flag_stamp, one row per partnership, moved by
triggers on every table the rules read, in the transaction that changes it.

SQLite: a row trigger for each insert, update and delete (SQLite has no statement triggers; its
writers take turns anyway). PostgreSQL: statement triggers with transition tables, one stamp
update per partnership per statement, however many rows it touched.

Revision ID: 5b1e0f3c9d27
Revises: 4a60ccb8c532
Created: 2026-11-26 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5b1e0f3c9d27'
down_revision: str | None = '4a60ccb8c532'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As they were when this migration was written (app.models.flag.FLAG_INPUT_TABLES may grow later,
# with a migration of its own).
INPUTS = {
    "school": "partnership_id", "inspection": "partnership_id", "indicator": "partnership_id",
    "national_figure": "partnership_id", "triad_visit": "partnership_id", "clinic_action": "partnership_id",
    "review_judgement": "partnership_id", "manual_flag": "partnership_id", "flag_rule_setting": "partnership_id",
    "partnership": "id",
}
EVENTS = {"insert": "NEW", "update": "NEW", "delete": "OLD"}


def upgrade() -> None:
    op.create_table(
        'flag_stamp',
        sa.Column('partnership_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('changed', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('partnership_id', name=op.f('pk_flag_stamp')),
    )
    if op.get_context().dialect.name == "postgresql":
        _postgresql_up()
    else:
        _sqlite_up()


def _sqlite_up() -> None:
    for table, column in INPUTS.items():
        for event, row in EVENTS.items():
            op.execute(f"""
                CREATE TRIGGER flag_stamp_{table}_{event} AFTER {event.upper()} ON {table}
                BEGIN
                    INSERT INTO flag_stamp (partnership_id, changed) VALUES ({row}.{column}, 1)
                    ON CONFLICT (partnership_id) DO UPDATE SET changed = changed + 1;
                END""")


def _postgresql_up() -> None:
    for column in sorted(set(INPUTS.values())):
        op.execute(f"""
            CREATE FUNCTION flag_stamp_by_{column}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO flag_stamp (partnership_id, changed)
                SELECT DISTINCT {column}, 1 FROM changed_rows ORDER BY 1
                ON CONFLICT (partnership_id) DO UPDATE SET changed = flag_stamp.changed + 1;
                RETURN NULL;
            END $$""")
    for table, column in INPUTS.items():
        for event, row in EVENTS.items():
            op.execute(f"""
                CREATE TRIGGER flag_stamp_{table}_{event} AFTER {event.upper()} ON {table}
                REFERENCING {row} TABLE AS changed_rows
                FOR EACH STATEMENT EXECUTE FUNCTION flag_stamp_by_{column}()""")


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for table in INPUTS:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS flag_stamp_{table}_{event}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for column in sorted(set(INPUTS.values())):
            op.execute(f"DROP FUNCTION IF EXISTS flag_stamp_by_{column}()")
    op.drop_table('flag_stamp')
