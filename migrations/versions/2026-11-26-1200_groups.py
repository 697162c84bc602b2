"""Groups of schools (alliances, trusts, collaboratives, named sets) and their members; an
alliance's improvement targets and the stages it reached on the route map; the partnership's
route map (a row of its own: without one, the default stages apply).

Revision ID: a7c3e5f91b20
Revises: 9f1c2d3e4a55
Created: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'a7c3e5f91b20'
down_revision: str | None = '9f1c2d3e4a55'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('route_map',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stages', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_route_map_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_map')),
    sa.UniqueConstraint('partnership_id', name=op.f('uq_route_map_partnership_id'))
    )
    with op.batch_alter_table('route_map', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_map_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('school_group',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('trust_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('collaborative_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['collaborative_id'], ['collaborative.id'], name=op.f('fk_school_group_collaborative_id_collaborative'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_school_group_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_group')),
    sa.UniqueConstraint('partnership_id', 'name', name=op.f('uq_school_group_partnership_id_name'))
    )
    with op.batch_alter_table('school_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_group_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_school_group_partnership_name', ['partnership_id', 'name', 'id'], unique=False)

    op.create_table('group_stage',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('reached_on', sa.Date(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['school_group.id'], name=op.f('fk_group_stage_group_id_school_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_group_stage_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_stage'))
    )
    with op.batch_alter_table('group_stage', schema=None) as batch_op:
        batch_op.create_index('ix_group_stage_group', ['partnership_id', 'group_id', 'reached_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_stage_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('group_target',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('measure', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('target_on', sa.Date(), nullable=False),
    sa.Column('latest_value', sa.Float(), nullable=True),
    sa.Column('latest_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['school_group.id'], name=op.f('fk_group_target_group_id_school_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_group_target_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_target'))
    )
    with op.batch_alter_table('group_target', schema=None) as batch_op:
        batch_op.create_index('ix_group_target_group', ['partnership_id', 'group_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_target_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('school_group_member',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['school_group.id'], name=op.f('fk_school_group_member_group_id_school_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_school_group_member_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_school_group_member_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_group_member')),
    sa.UniqueConstraint('group_id', 'school_id', name=op.f('uq_school_group_member_group_id_school_id'))
    )
    with op.batch_alter_table('school_group_member', schema=None) as batch_op:
        batch_op.create_index('ix_school_group_member_group', ['partnership_id', 'group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_group_member_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_school_group_member_school', ['partnership_id', 'school_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('school_group_member', schema=None) as batch_op:
        batch_op.drop_index('ix_school_group_member_school')
        batch_op.drop_index(batch_op.f('ix_school_group_member_partnership_id'))
        batch_op.drop_index('ix_school_group_member_group')

    op.drop_table('school_group_member')
    with op.batch_alter_table('group_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_target_partnership_id'))
        batch_op.drop_index('ix_group_target_group')

    op.drop_table('group_target')
    with op.batch_alter_table('group_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_stage_partnership_id'))
        batch_op.drop_index('ix_group_stage_group')

    op.drop_table('group_stage')
    with op.batch_alter_table('school_group', schema=None) as batch_op:
        batch_op.drop_index('ix_school_group_partnership_name')
        batch_op.drop_index(batch_op.f('ix_school_group_partnership_id'))

    op.drop_table('school_group')
    with op.batch_alter_table('route_map', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_map_partnership_id'))

    op.drop_table('route_map')
