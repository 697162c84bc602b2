"""An index of (partnership_id, establishment_type), for the schools list's type filter and the
list of types in use (a covering index scan instead of reading every school of a partnership:
20 ms on 42,000 schools before, measured on SQLite).

Revision ID: 7c0d2a91b3e4
Revises: e5dfa3631fa3
Created: 2026-11-25 18:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '7c0d2a91b3e4'
down_revision: str | None = 'e5dfa3631fa3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_school_partnership_establishment_type', 'school', ['partnership_id', 'establishment_type'])


def downgrade() -> None:
    op.drop_index('ix_school_partnership_establishment_type', table_name='school')
