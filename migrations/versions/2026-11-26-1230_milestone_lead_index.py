"""/my-milestones reaches a person's milestones from their lead codes' actions: an index on the
milestone's action led by the partnership, holding what the page chooses by (status, due date,
plan), so that it never reads every milestone of a partnership (122,000 at national size).

Revision ID: b2d4f6a8c0e1
Revises: a7c3e5f91b20
Created: 2026-11-26 12:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'b2d4f6a8c0e1'
down_revision: str | None = 'a7c3e5f91b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('plan_milestone', schema=None) as batch_op:
        batch_op.create_index('ix_plan_milestone_lead',
                              ['partnership_id', 'action_id', 'status', 'due_on', 'plan_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plan_milestone', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_milestone_lead')
