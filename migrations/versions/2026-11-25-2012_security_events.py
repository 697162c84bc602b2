"""Security events: sign-ins (and failed ones), tokens created and revoked, with who, when and
from where.

Reviewed by hand: not tenant-scoped (a failed sign-in has no partnership); a partnership's events go
with it, a deleted user's stay with the user left empty.

Revision ID: 046a1a622470
Revises: 7c0d2a91b3e4
Created: 2026-11-25 20:12:56.285994
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '046a1a622470'
down_revision: str | None = '7c0d2a91b3e4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('security_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('token_prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_security_event_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_security_event_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_event'))
    )
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_event_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_security_event_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_security_event_occurred_at'))

    op.drop_table('security_event')
