"""Indexes for the API lists' filters and sorts that had none (issue 11): the schools list's LA
category filter (beside its siblings' (partnership_id, phase|status|type|headline) indexes), the
audit trail's filters by table alone and by actor (each read newest first in index order, where
they walked the partnership's whole trail keeping the table's or actor's events), and the national
figures list's order (measure, then id), which PostgreSQL sorted.

Revision ID: c3e5a7b9d1f2
Revises: b2d4f6a8c0e1
Created: 2026-11-26 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'c3e5a7b9d1f2'
down_revision: str | None = 'b2d4f6a8c0e1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.create_index('ix_school_partnership_la_category', ['partnership_id', 'la_category'], unique=False)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_table', ['partnership_id', 'table_name', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_actor', ['partnership_id', 'actor', 'id'], unique=False)
    with op.batch_alter_table('national_figure', schema=None) as batch_op:
        batch_op.create_index('ix_national_figure_order', ['partnership_id', 'measure', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('national_figure', schema=None) as batch_op:
        batch_op.drop_index('ix_national_figure_order')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_actor')
        batch_op.drop_index('ix_audit_event_table')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_index('ix_school_partnership_la_category')
