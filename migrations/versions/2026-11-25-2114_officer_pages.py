"""Officer pages: who last changed a school, inspection or indicator; a version on the
partnership (its settings are edited in the browser); one-time password links; import jobs with
their uploaded files.

Reviewed by hand: existing partnerships start at version 1, changed when they were created.

Revision ID: 6ebea37ba8ad
Revises: 046a1a622470
Created: 2026-11-25 21:14:28.450312
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '6ebea37ba8ad'
down_revision: str | None = '046a1a622470'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('import_job',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=True),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['app_user.id'], name=op.f('fk_import_job_created_by_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_import_job_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job'))
    )
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_job_status'), ['status'], unique=False)

    op.create_table('password_link',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['app_user.id'], name=op.f('fk_password_link_created_by_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_password_link_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_password_link_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_link')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_password_link_key_hash'))
    )
    with op.batch_alter_table('password_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_link_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_link_user_id'), ['user_id'], unique=False)

    op.create_table('import_upload',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_upload_job_id_import_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_import_upload_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_upload')),
    sa.UniqueConstraint('job_id', name=op.f('uq_import_upload_job_id'))
    )
    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_upload_partnership_id'), ['partnership_id'], unique=False)

    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))

    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.execute("UPDATE partnership SET version = 1, updated_at = created_at")
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.alter_column('version', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    # Plain ALTERs, not batch mode: SQLite would rebuild the table and lose the expression
    # indexes, which it cannot reflect.
    op.add_column('school', sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column('school', sa.Column('from_gias', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Which existing schools came from GIAS is not recorded anywhere: they start as the
    # partnership's own (every field editable), and the next GIAS import claims those it lists.



def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), as in upgrade.
    op.drop_column('school', 'from_gias')
    op.drop_column('school', 'updated_by')

    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('updated_by')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('version')

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_column('updated_by')

    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_column('updated_by')

    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_upload_partnership_id'))

    op.drop_table('import_upload')
    with op.batch_alter_table('password_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_link_user_id'))
        batch_op.drop_index(batch_op.f('ix_password_link_partnership_id'))

    op.drop_table('password_link')
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_status'))
        batch_op.drop_index(batch_op.f('ix_import_job_partnership_id'))

    op.drop_table('import_job')
