"""PostgreSQL: a transaction notes each partnership in flag_stamp_pending once, not once a statement.

The statement triggers of 8e4b6c0d2f53 inserted a note for every statement that changed what the
red-flag rules read, and the deferred trigger that settles them at commit ran once for each note,
each time deleting the partnership's notes with a scan of the table: quadratic in the statements of
a transaction. psycopg's executemany runs one statement a row, so 16,000 single-row inserts took
17 s to commit and a generated national register did not finish its commit in 13 minutes. Now a
statement adds a note only for a partnership this transaction has not noted yet (the notes of other
open transactions are invisible to it, and each settles its own), found through a new index; the
commit then settles one note per partnership.

Revision ID: d4f6b8c0e2a3
Revises: c3e5a7b9d1f2
Created: 2026-11-26 15:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'd4f6b8c0e2a3'
down_revision: str | None = 'c3e5a7b9d1f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("id", "partnership_id")  # the partnership table's own id; every other table's partnership_id


def upgrade() -> None:
    with op.batch_alter_table('flag_stamp_pending', schema=None) as batch_op:
        batch_op.create_index('ix_flag_stamp_pending_partnership', ['partnership_id'], unique=False)
    if op.get_context().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"""
            CREATE OR REPLACE FUNCTION flag_stamp_by_{column}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO flag_stamp_pending (partnership_id)
                SELECT DISTINCT c.{column} FROM changed_rows c
                WHERE NOT EXISTS (SELECT 1 FROM flag_stamp_pending p WHERE p.partnership_id = c.{column});
                RETURN NULL;
            END $$""")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for column in COLUMNS:
            op.execute(f"""
                CREATE OR REPLACE FUNCTION flag_stamp_by_{column}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO flag_stamp_pending (partnership_id) SELECT DISTINCT {column} FROM changed_rows;
                    RETURN NULL;
                END $$""")
    with op.batch_alter_table('flag_stamp_pending', schema=None) as batch_op:
        batch_op.drop_index('ix_flag_stamp_pending_partnership')
