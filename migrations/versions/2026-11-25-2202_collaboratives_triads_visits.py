"""Collaboratives and triads (with their schools, one of each a year per school), visit records
with their agreed actions, the audit trail, and the partnership's focus areas and grade labels.

Reviewed by hand: existing partnerships get the default focus areas and grade labels.

Revision ID: 7ef158f1b6be
Revises: 6ebea37ba8ad
Created: 2026-11-25 22:02:39.638091
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '7ef158f1b6be'
down_revision: str | None = '6ebea37ba8ad'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app.models.partnership had them when this migration was written (a migration keeps its own copy).
DEFAULT_FOCUS_AREAS = ["achievement", "teaching", "behaviour", "leadership", "early years", "phonics", "reading",
                       "SEND", "attendance", "governance"]
DEFAULT_GRADE_LABELS = ["Strong", "Secure, with areas to develop", "Needs support"]


def upgrade() -> None:
    op.create_table('collaborative',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('academic_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('lead_user_id', sa.Integer(), nullable=True),
    sa.Column('budget_pounds', sa.Integer(), nullable=True),
    sa.Column('lead_override_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lead_user_id'], ['app_user.id'], name=op.f('fk_collaborative_lead_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_collaborative_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collaborative')),
    sa.UniqueConstraint('partnership_id', 'academic_year', 'name', name=op.f('uq_collaborative_partnership_id_academic_year_name'))
    )
    with op.batch_alter_table('collaborative', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collaborative_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_collaborative_partnership_year', ['partnership_id', 'academic_year', 'id'], unique=False)

    op.create_table('audit_event',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_token_id', sa.Integer(), nullable=True),
    sa.Column('table_name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('parent_table', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_token_id'], ['api_token.id'], name=op.f('fk_audit_event_actor_token_id_api_token'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id'], name=op.f('fk_audit_event_actor_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_audit_event_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_audit_event_record', ['partnership_id', 'table_name', 'record_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_time', ['partnership_id', 'occurred_at', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_partnership_order', ['partnership_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_parent', ['partnership_id', 'parent_table', 'parent_id', 'id'],
                              unique=False)

    op.create_table('collaborative_school',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collaborative_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('academic_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.ForeignKeyConstraint(['collaborative_id'], ['collaborative.id'], name=op.f('fk_collaborative_school_collaborative_id_collaborative'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_collaborative_school_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_collaborative_school_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collaborative_school')),
    sa.UniqueConstraint('school_id', 'academic_year', name=op.f('uq_collaborative_school_school_id_academic_year'))
    )
    with op.batch_alter_table('collaborative_school', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collaborative_school_collaborative_id'), ['collaborative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collaborative_school_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_collaborative_school_member', ['partnership_id', 'collaborative_id'], unique=False)

    op.create_table('triad',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('collaborative_id', sa.Integer(), nullable=False),
    sa.Column('academic_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.ForeignKeyConstraint(['collaborative_id'], ['collaborative.id'], name=op.f('fk_triad_collaborative_id_collaborative'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_triad_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triad')),
    sa.UniqueConstraint('collaborative_id', 'name', name=op.f('uq_triad_collaborative_id_name'))
    )
    with op.batch_alter_table('triad', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triad_collaborative_id'), ['collaborative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_triad_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_triad_partnership_year', ['partnership_id', 'academic_year', 'id'], unique=False)

    op.create_table('triad_school',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('triad_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('academic_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_triad_school_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_triad_school_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['triad_id'], ['triad.id'], name=op.f('fk_triad_school_triad_id_triad'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triad_school')),
    sa.UniqueConstraint('school_id', 'academic_year', name=op.f('uq_triad_school_school_id_academic_year'))
    )
    with op.batch_alter_table('triad_school', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triad_school_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_triad_school_triad_id'), ['triad_id'], unique=False)
        batch_op.create_index('ix_triad_school_member', ['partnership_id', 'triad_id'], unique=False)

    op.create_table('triad_visit',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('triad_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('academic_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('visiting_heads', sa.JSON(), nullable=False),
    sa.Column('focus_areas', sa.JSON(), nullable=False),
    sa.Column('strengths', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('areas_for_development', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('priorities_for_support', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_off_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('reopen_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_triad_visit_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_triad_visit_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['triad_id'], ['triad.id'], name=op.f('fk_triad_visit_triad_id_triad'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triad_visit'))
    )
    with op.batch_alter_table('triad_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triad_visit_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_triad_visit_partnership_year', ['partnership_id', 'academic_year', 'id'], unique=False)
        batch_op.create_index('ix_triad_visit_partnership_date', ['partnership_id', 'visit_date', 'id'], unique=False)
        batch_op.create_index('ix_triad_visit_school', ['school_id', 'visit_date'], unique=False)
        batch_op.create_index('ix_triad_visit_triad', ['triad_id', 'visit_date'], unique=False)

    op.create_table('visit_action',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_visit_action_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['triad_visit.id'], name=op.f('fk_visit_action_visit_id_triad_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_action'))
    )
    with op.batch_alter_table('visit_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_action_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_action_visit_id'), ['visit_id'], unique=False)
        batch_op.create_index('ix_visit_action_partnership_visit', ['partnership_id', 'visit_id'], unique=False)

    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('focus_areas', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('grade_labels', sa.JSON(), nullable=True))
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_app_user_calendar_key_hash'), ['calendar_key_hash'])
    partnership = sa.table('partnership', sa.column('focus_areas', sa.JSON()), sa.column('grade_labels', sa.JSON()))
    op.execute(partnership.update().values(focus_areas=DEFAULT_FOCUS_AREAS, grade_labels=DEFAULT_GRADE_LABELS))
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.alter_column('focus_areas', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('grade_labels', existing_type=sa.JSON(), nullable=False)



def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_app_user_calendar_key_hash'), type_='unique')
        batch_op.drop_column('calendar_key_hash')
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('grade_labels')
        batch_op.drop_column('focus_areas')

    with op.batch_alter_table('visit_action', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_action_partnership_visit')
        batch_op.drop_index(batch_op.f('ix_visit_action_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_action_partnership_id'))

    op.drop_table('visit_action')
    with op.batch_alter_table('triad_visit', schema=None) as batch_op:
        batch_op.drop_index('ix_triad_visit_triad')
        batch_op.drop_index('ix_triad_visit_school')
        batch_op.drop_index('ix_triad_visit_partnership_date')
        batch_op.drop_index('ix_triad_visit_partnership_year')
        batch_op.drop_index(batch_op.f('ix_triad_visit_partnership_id'))

    op.drop_table('triad_visit')
    with op.batch_alter_table('triad_school', schema=None) as batch_op:
        batch_op.drop_index('ix_triad_school_member')
        batch_op.drop_index(batch_op.f('ix_triad_school_triad_id'))
        batch_op.drop_index(batch_op.f('ix_triad_school_partnership_id'))

    op.drop_table('triad_school')
    with op.batch_alter_table('triad', schema=None) as batch_op:
        batch_op.drop_index('ix_triad_partnership_year')
        batch_op.drop_index(batch_op.f('ix_triad_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_triad_collaborative_id'))

    op.drop_table('triad')
    with op.batch_alter_table('collaborative_school', schema=None) as batch_op:
        batch_op.drop_index('ix_collaborative_school_member')
        batch_op.drop_index(batch_op.f('ix_collaborative_school_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_collaborative_school_collaborative_id'))

    op.drop_table('collaborative_school')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_parent')
        batch_op.drop_index('ix_audit_event_partnership_order')
        batch_op.drop_index('ix_audit_event_time')
        batch_op.drop_index('ix_audit_event_record')
        batch_op.drop_index(batch_op.f('ix_audit_event_partnership_id'))

    op.drop_table('audit_event')
    with op.batch_alter_table('collaborative', schema=None) as batch_op:
        batch_op.drop_index('ix_collaborative_partnership_year')
        batch_op.drop_index(batch_op.f('ix_collaborative_partnership_id'))

    op.drop_table('collaborative')
