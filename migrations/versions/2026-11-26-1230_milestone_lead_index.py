"""/my-milestones reaches a person's milestones from their lead codes' actions: an index on the
milestone's action (then the partnership), holding what the page chooses by (status, due date,
plan), so that it never reads every milestone of a partnership (122,000 at national size). Led by
the action, not the partnership, so that SQLite (without statistics) never takes it for a covering
partnership index when it reads one plan's milestones.

A school's profile reads its flag history across clinics, its clinic actions and its review
judgements: indexes on the school (then the partnership) for each, which were read through the
partnership's index (the judgements' unique constraint on the school alone lost to it).

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
                              ['action_id', 'partnership_id', 'status', 'due_on', 'plan_id', 'id'], unique=False)
    with op.batch_alter_table('clinic_agenda_item', schema=None) as batch_op:
        batch_op.create_index('ix_clinic_agenda_item_school', ['school_id', 'partnership_id'], unique=False)
    with op.batch_alter_table('clinic_action', schema=None) as batch_op:
        batch_op.create_index('ix_clinic_action_school', ['school_id', 'partnership_id'], unique=False)
    with op.batch_alter_table('review_judgement', schema=None) as batch_op:
        batch_op.create_index('ix_review_judgement_school', ['school_id', 'partnership_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_judgement', schema=None) as batch_op:
        batch_op.drop_index('ix_review_judgement_school')
    with op.batch_alter_table('clinic_action', schema=None) as batch_op:
        batch_op.drop_index('ix_clinic_action_school')
    with op.batch_alter_table('clinic_agenda_item', schema=None) as batch_op:
        batch_op.drop_index('ix_clinic_agenda_item_school')
    with op.batch_alter_table('plan_milestone', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_milestone_lead')
