"""Action plans (priorities, actions and their lead role codes, milestones, success measures,
role holders) and school-to-school support deployments; the partnership's glossary of lead roles
and its areas for improvement.

Revision ID: 16e94d9361eb
Revises: 8e4b6c0d2f53
Created: 2026-11-26 08:05:20.309937
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '16e94d9361eb'
down_revision: str | None = '8e4b6c0d2f53'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The defaults as they stood when this migration was written (app.models.action_plan has today's).
PLAN_ROLES = [
    {'code': 'DCS', 'title': "Director of Children's Services"},
    {'code': 'DDCS', 'title': "Deputy Director of Children's Services - Education"},
    {'code': 'HSI', 'title': 'Head of School Improvement'},
    {'code': 'HI', 'title': 'Head of Inclusion'},
    {'code': 'SIO', 'title': 'School Improvement Officers'},
    {'code': 'SIM', 'title': 'Strategic Information Manager'},
    {'code': 'CM', 'title': 'Cabinet Member for Education'},
]
IMPROVEMENT_AREAS = [
    'Outcomes for disadvantaged pupils',
    'Progress at key stage 2',
    'Progress at key stage 4',
    'Leadership and governance',
    'Attendance and exclusions',
    'Use of data to target support',
]


def upgrade() -> None:
    op.create_table('plan_role_holder',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_plan_role_holder_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_plan_role_holder_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_role_holder')),
    sa.UniqueConstraint('partnership_id', 'user_id', 'code', name=op.f('uq_plan_role_holder_partnership_id_user_id_code'))
    )
    with op.batch_alter_table('plan_role_holder', schema=None) as batch_op:
        batch_op.create_index('ix_plan_role_holder_code', ['partnership_id', 'code'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_role_holder_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('action_plan',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_action_plan_period_in_order')),
    sa.ForeignKeyConstraint(['owner_user_id'], ['app_user.id'], name=op.f('fk_action_plan_owner_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_action_plan_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_action_plan_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_plan'))
    )
    with op.batch_alter_table('action_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_plan_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_action_plan_partnership_status', ['partnership_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_action_plan_school', ['partnership_id', 'school_id'], unique=False)

    op.create_table('plan_priority',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('success_criteria', sa.JSON(), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_plan_priority_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_plan_priority_plan_id_action_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_priority')),
    sa.UniqueConstraint('plan_id', 'number', name=op.f('uq_plan_priority_plan_id_number'))
    )
    with op.batch_alter_table('plan_priority', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_priority_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_plan_priority_partnership_plan', ['partnership_id', 'plan_id', 'number'], unique=False)

    op.create_table('plan_action',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('priority_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('time_frame', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_plan_action_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_plan_action_plan_id_action_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['priority_id'], ['plan_priority.id'], name=op.f('fk_plan_action_priority_id_plan_priority'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_action')),
    sa.UniqueConstraint('priority_id', 'number', name=op.f('uq_plan_action_priority_id_number'))
    )
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_action_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_plan_action_partnership_plan', ['partnership_id', 'plan_id', 'priority_id'], unique=False)
        batch_op.create_index('ix_plan_action_priority', ['priority_id'], unique=False)

    op.create_table('plan_success_measure',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('priority_id', sa.Integer(), nullable=True),
    sa.Column('measure', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('baseline', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('target_on', sa.Date(), nullable=True),
    sa.Column('latest_value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('latest_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_plan_success_measure_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_plan_success_measure_plan_id_action_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['priority_id'], ['plan_priority.id'], name=op.f('fk_plan_success_measure_priority_id_plan_priority'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_success_measure'))
    )
    with op.batch_alter_table('plan_success_measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_success_measure_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_plan_success_measure_partnership_plan', ['partnership_id', 'plan_id', 'id'], unique=False)

    op.create_table('plan_action_lead',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['plan_action.id'], name=op.f('fk_plan_action_lead_action_id_plan_action'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_plan_action_lead_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_plan_action_lead_plan_id_action_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_action_lead')),
    sa.UniqueConstraint('action_id', 'code', name=op.f('uq_plan_action_lead_action_id_code'))
    )
    with op.batch_alter_table('plan_action_lead', schema=None) as batch_op:
        batch_op.create_index('ix_plan_action_lead_code', ['partnership_id', 'code', 'action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_action_lead_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_plan_action_lead_plan', ['partnership_id', 'plan_id'], unique=False)

    op.create_table('plan_milestone',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('evidence_links', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['plan_action.id'], name=op.f('fk_plan_milestone_action_id_plan_action'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_plan_milestone_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_plan_milestone_plan_id_action_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_milestone'))
    )
    with op.batch_alter_table('plan_milestone', schema=None) as batch_op:
        batch_op.create_index('ix_plan_milestone_action', ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_milestone_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_plan_milestone_partnership_plan', ['partnership_id', 'plan_id', 'id'], unique=False)
        batch_op.create_index('ix_plan_milestone_plan_due', ['partnership_id', 'plan_id', 'due_on', 'id'], unique=False)

    op.create_table('support_deployment',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('academic_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('provider_kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('provider_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('provider_school_id', sa.Integer(), nullable=True),
    sa.Column('objective', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('days_planned', sa.Float(), nullable=True),
    sa.Column('days_delivered', sa.Float(), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('funding_source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('cost_pence', sa.Integer(), nullable=True),
    sa.Column('origin_kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('origin_visit_id', sa.Integer(), nullable=True),
    sa.Column('origin_clinic_action_id', sa.Integer(), nullable=True),
    sa.Column('origin_plan_action_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('impact_note', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('contacted_on', sa.Date(), nullable=True),
    sa.Column('school_response', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('responded_on', sa.Date(), nullable=True),
    sa.Column('adviser_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('adviser_allocated_on', sa.Date(), nullable=True),
    sa.Column('conflicts_checked_on', sa.Date(), nullable=True),
    sa.Column('conflict_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('adviser_visit_on', sa.Date(), nullable=True),
    sa.Column('matched_on', sa.Date(), nullable=True),
    sa.Column('supporting_organisation', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('delivery_started_on', sa.Date(), nullable=True),
    sa.Column('reviewed_on', sa.Date(), nullable=True),
    sa.CheckConstraint('cost_pence >= 0', name=op.f('ck_support_deployment_cost_not_negative')),
    sa.CheckConstraint('days_delivered >= 0', name=op.f('ck_support_deployment_days_delivered_not_negative')),
    sa.CheckConstraint('days_planned >= 0', name=op.f('ck_support_deployment_days_planned_not_negative')),
    sa.ForeignKeyConstraint(['origin_clinic_action_id'], ['clinic_action.id'], name=op.f('fk_support_deployment_origin_clinic_action_id_clinic_action'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['origin_plan_action_id'], ['plan_action.id'], name=op.f('fk_support_deployment_origin_plan_action_id_plan_action'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['origin_visit_id'], ['triad_visit.id'], name=op.f('fk_support_deployment_origin_visit_id_triad_visit'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_support_deployment_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_school_id'], ['school.id'], name=op.f('fk_support_deployment_provider_school_id_school'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_support_deployment_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_deployment'))
    )
    with op.batch_alter_table('support_deployment', schema=None) as batch_op:
        batch_op.create_index('ix_support_deployment_kind', ['partnership_id', 'provider_kind', 'id'], unique=False)
        batch_op.create_index('ix_support_deployment_outcome', ['partnership_id', 'outcome', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_deployment_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_support_deployment_partnership_year', ['partnership_id', 'academic_year', 'id'], unique=False)
        batch_op.create_index('ix_support_deployment_school', ['partnership_id', 'school_id', 'id'], unique=False)

    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_roles', sa.JSON(), nullable=False,
                                      server_default=json.dumps(PLAN_ROLES)))
        batch_op.add_column(sa.Column('improvement_areas', sa.JSON(), nullable=False,
                                      server_default=json.dumps(IMPROVEMENT_AREAS)))



def downgrade() -> None:
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('improvement_areas')
        batch_op.drop_column('plan_roles')

    with op.batch_alter_table('support_deployment', schema=None) as batch_op:
        batch_op.drop_index('ix_support_deployment_school')
        batch_op.drop_index('ix_support_deployment_partnership_year')
        batch_op.drop_index(batch_op.f('ix_support_deployment_partnership_id'))
        batch_op.drop_index('ix_support_deployment_outcome')
        batch_op.drop_index('ix_support_deployment_kind')

    op.drop_table('support_deployment')
    with op.batch_alter_table('plan_milestone', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_milestone_plan_due')
        batch_op.drop_index('ix_plan_milestone_partnership_plan')
        batch_op.drop_index(batch_op.f('ix_plan_milestone_partnership_id'))
        batch_op.drop_index('ix_plan_milestone_action')

    op.drop_table('plan_milestone')
    with op.batch_alter_table('plan_action_lead', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_action_lead_plan')
        batch_op.drop_index(batch_op.f('ix_plan_action_lead_partnership_id'))
        batch_op.drop_index('ix_plan_action_lead_code')

    op.drop_table('plan_action_lead')
    with op.batch_alter_table('plan_success_measure', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_success_measure_partnership_plan')
        batch_op.drop_index(batch_op.f('ix_plan_success_measure_partnership_id'))

    op.drop_table('plan_success_measure')
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_action_priority')
        batch_op.drop_index('ix_plan_action_partnership_plan')
        batch_op.drop_index(batch_op.f('ix_plan_action_partnership_id'))

    op.drop_table('plan_action')
    with op.batch_alter_table('plan_priority', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_priority_partnership_plan')
        batch_op.drop_index(batch_op.f('ix_plan_priority_partnership_id'))

    op.drop_table('plan_priority')
    with op.batch_alter_table('action_plan', schema=None) as batch_op:
        batch_op.drop_index('ix_action_plan_school')
        batch_op.drop_index('ix_action_plan_partnership_status')
        batch_op.drop_index(batch_op.f('ix_action_plan_partnership_id'))

    op.drop_table('action_plan')
    with op.batch_alter_table('plan_role_holder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_role_holder_partnership_id'))
        batch_op.drop_index('ix_plan_role_holder_code')

    op.drop_table('plan_role_holder')
