"""PostgreSQL: the flag stamp moved when a transaction commits, not at its first write.

The statement triggers of 5b1e0f3c9d27 updated the partnership's flag_stamp row as soon as a
statement changed what the red-flag rules read, and so held that row's lock until the transaction
ended: every writer in a partnership waited for every other, and a writer holding a school's row
while waiting for the stamp could deadlock with one holding the stamp while waiting for the school
(an import beside an officer's edit). Now a statement only notes its partnerships in
flag_stamp_pending (an insert, which waits for nobody), and a deferred constraint trigger on that
table moves the stamp at commit: the stamp's lock is held only while the transaction commits.

SQLite keeps its row triggers (its writers take turns for the whole database anyway); the table
is made there too, unused, so that both engines have the same tables.

Revision ID: 8e4b6c0d2f53
Revises: 7d3a5b9c1e42
Created: 2026-11-26 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8e4b6c0d2f53'
down_revision: str | None = '7d3a5b9c1e42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("id", "partnership_id")  # the partnership table's own id; every other table's partnership_id


def upgrade() -> None:
    op.create_table(
        'flag_stamp_pending',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column('partnership_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_flag_stamp_pending')),
    )
    if op.get_context().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"""
            CREATE OR REPLACE FUNCTION flag_stamp_by_{column}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO flag_stamp_pending (partnership_id) SELECT DISTINCT {column} FROM changed_rows;
                RETURN NULL;
            END $$""")
    op.execute("""
        CREATE FUNCTION flag_stamp_settle() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM flag_stamp_pending WHERE partnership_id = NEW.partnership_id;
            IF FOUND THEN  -- the first of this transaction's notes for the partnership: the others are gone
                INSERT INTO flag_stamp (partnership_id, changed) VALUES (NEW.partnership_id, 1)
                ON CONFLICT (partnership_id) DO UPDATE SET changed = flag_stamp.changed + 1;
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE CONSTRAINT TRIGGER flag_stamp_settle AFTER INSERT ON flag_stamp_pending
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION flag_stamp_settle()""")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        op.drop_table('flag_stamp_pending')
        return
    op.execute("DROP TRIGGER IF EXISTS flag_stamp_settle ON flag_stamp_pending")
    op.execute("DROP FUNCTION IF EXISTS flag_stamp_settle()")
    for column in COLUMNS:
        op.execute(f"""
            CREATE OR REPLACE FUNCTION flag_stamp_by_{column}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO flag_stamp (partnership_id, changed)
                SELECT DISTINCT {column}, 1 FROM changed_rows ORDER BY 1
                ON CONFLICT (partnership_id) DO UPDATE SET changed = flag_stamp.changed + 1;
                RETURN NULL;
            END $$""")
    op.drop_table('flag_stamp_pending')
