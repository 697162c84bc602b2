"""Clinics and red flags (issue 8): flag rule settings, manual flags, national figures, review
judgements; clinics with their agenda items, actions and targets; the partnership's meeting
cadence and judgement strands (filled with the defaults for existing partnerships).

Revision ID: 4a60ccb8c532
Revises: 7ef158f1b6be
Created: 2026-11-26 01:19:16.495314
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# The defaults as they were when this migration was written (the model's may change later).
TERMLY_CLINICS = [
    {"meeting": "autumn", "month": 9, "focus": "Provision data"},
    {"meeting": "spring", "month": 1, "focus": "Predictions and census"},
    {"meeting": "summer", "month": 6, "focus": "Ofsted position"},
]
DEFAULT_JUDGEMENT_STRANDS = ["overall_effectiveness", "quality_of_education", "behaviour_and_attitudes",
                             "personal_development", "leadership_and_management"]


revision: str = '4a60ccb8c532'
down_revision: str | None = '7ef158f1b6be'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clinic',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('academic_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('meeting', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('focus', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('chair_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('previous_clinic_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_clinic_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['previous_clinic_id'], ['clinic.id'], name=op.f('fk_clinic_previous_clinic_id_clinic'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic'))
    )
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.create_index('ix_clinic_partnership_date', ['partnership_id', 'held_on', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clinic_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('flag_rule_setting',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('thresholds', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_flag_rule_setting_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag_rule_setting')),
    sa.UniqueConstraint('partnership_id', 'rule', name=op.f('uq_flag_rule_setting_partnership_id_rule'))
    )
    with op.batch_alter_table('flag_rule_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flag_rule_setting_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('national_figure',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('academic_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_national_figure_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_national_figure')),
    sa.UniqueConstraint('partnership_id', 'measure', 'academic_year', 'source', name=op.f('uq_national_figure_partnership_id_measure_academic_year_source'))
    )
    with op.batch_alter_table('national_figure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_national_figure_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('clinic_action',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('closed_at_clinic_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_clinic_action_clinic_id_clinic'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['closed_at_clinic_id'], ['clinic.id'], name=op.f('fk_clinic_action_closed_at_clinic_id_clinic'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_clinic_action_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_clinic_action_school_id_school'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_action'))
    )
    with op.batch_alter_table('clinic_action', schema=None) as batch_op:
        batch_op.create_index('ix_clinic_action_clinic', ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clinic_action_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_clinic_action_status', ['partnership_id', 'status', 'due_on'], unique=False)

    op.create_table('clinic_agenda_item',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('explanation', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('minutes', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_clinic_agenda_item_clinic_id_clinic'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_clinic_agenda_item_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_clinic_agenda_item_school_id_school'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_agenda_item'))
    )
    with op.batch_alter_table('clinic_agenda_item', schema=None) as batch_op:
        batch_op.create_index('ix_clinic_agenda_item_clinic', ['clinic_id', 'position'], unique=False)
        batch_op.create_index('ix_clinic_agenda_item_severity', ['clinic_id', 'severity', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_clinic_agenda_item_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('clinic_target',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('reviewed_at_clinic_id', sa.Integer(), nullable=True),
    sa.Column('review', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('met', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_clinic_target_clinic_id_clinic'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_clinic_target_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_at_clinic_id'], ['clinic.id'], name=op.f('fk_clinic_target_reviewed_at_clinic_id_clinic'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_clinic_target_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_target'))
    )
    with op.batch_alter_table('clinic_target', schema=None) as batch_op:
        batch_op.create_index('ix_clinic_target_clinic', ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clinic_target_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_clinic_target_school', ['partnership_id', 'school_id'], unique=False)

    op.create_table('manual_flag',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('withdrawn_at', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_manual_flag_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_manual_flag_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_flag'))
    )
    with op.batch_alter_table('manual_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_flag_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_manual_flag_school', ['partnership_id', 'school_id', 'withdrawn_at'], unique=False)

    op.create_table('review_judgement',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('academic_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('strand', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('self_grade', sa.Integer(), nullable=True),
    sa.Column('partner_grade', sa.Integer(), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_review_judgement_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_review_judgement_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_judgement')),
    sa.UniqueConstraint('school_id', 'academic_year', 'strand', name=op.f('uq_review_judgement_school_id_academic_year_strand'))
    )
    with op.batch_alter_table('review_judgement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_judgement_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_review_judgement_year', ['partnership_id', 'academic_year', 'school_id'], unique=False)

    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_cadence', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('judgement_strands', sa.JSON(), nullable=True))
    partnership = sa.table('partnership', sa.column('meeting_cadence', sa.JSON()),
                           sa.column('judgement_strands', sa.JSON()))
    op.execute(partnership.update().values(meeting_cadence=TERMLY_CLINICS, judgement_strands=DEFAULT_JUDGEMENT_STRANDS))
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.alter_column('meeting_cadence', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('judgement_strands', existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('judgement_strands')
        batch_op.drop_column('meeting_cadence')

    with op.batch_alter_table('review_judgement', schema=None) as batch_op:
        batch_op.drop_index('ix_review_judgement_year')
        batch_op.drop_index(batch_op.f('ix_review_judgement_partnership_id'))

    op.drop_table('review_judgement')
    with op.batch_alter_table('manual_flag', schema=None) as batch_op:
        batch_op.drop_index('ix_manual_flag_school')
        batch_op.drop_index(batch_op.f('ix_manual_flag_partnership_id'))

    op.drop_table('manual_flag')
    with op.batch_alter_table('clinic_target', schema=None) as batch_op:
        batch_op.drop_index('ix_clinic_target_school')
        batch_op.drop_index(batch_op.f('ix_clinic_target_partnership_id'))
        batch_op.drop_index('ix_clinic_target_clinic')

    op.drop_table('clinic_target')
    with op.batch_alter_table('clinic_agenda_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinic_agenda_item_partnership_id'))
        batch_op.drop_index('ix_clinic_agenda_item_severity')
        batch_op.drop_index('ix_clinic_agenda_item_clinic')

    op.drop_table('clinic_agenda_item')
    with op.batch_alter_table('clinic_action', schema=None) as batch_op:
        batch_op.drop_index('ix_clinic_action_status')
        batch_op.drop_index(batch_op.f('ix_clinic_action_partnership_id'))
        batch_op.drop_index('ix_clinic_action_clinic')

    op.drop_table('clinic_action')
    with op.batch_alter_table('national_figure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_national_figure_partnership_id'))

    op.drop_table('national_figure')
    with op.batch_alter_table('flag_rule_setting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flag_rule_setting_partnership_id'))

    op.drop_table('flag_rule_setting')
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinic_partnership_id'))
        batch_op.drop_index('ix_clinic_partnership_date')

    op.drop_table('clinic')
