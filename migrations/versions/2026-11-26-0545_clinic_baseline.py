"""A clinic's baseline (what the next clinic compares with) in a column of its own, out of
`changes`, so that showing a clinic need not read it (2.4 MB at national size).

Revision ID: 6c2f1a4e8b30
Revises: 5b1e0f3c9d27
Created: 2026-11-26 05:45:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '6c2f1a4e8b30'
down_revision: str | None = '5b1e0f3c9d27'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

clinic = sa.table("clinic", sa.column("id", sa.Integer), sa.column("changes", sa.JSON),
                  sa.column("baseline", sa.JSON))


def _parsed(value):  # noqa: ANN001, ANN202
    return json.loads(value) if isinstance(value, str) else (value or {})


def upgrade() -> None:
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('baseline', sa.JSON(), server_default='{}', nullable=False))
    connection = op.get_bind()
    for (row_id,) in connection.execute(sa.select(clinic.c.id)).all():  # one clinic at a time: 2.4 MB each
        changes = _parsed(connection.execute(sa.select(clinic.c.changes).where(clinic.c.id == row_id)).scalar())
        if "baseline" in changes:
            baseline = changes.pop("baseline")
            connection.execute(clinic.update().where(clinic.c.id == row_id).values(changes=changes,
                                                                                   baseline=baseline))


def downgrade() -> None:
    connection = op.get_bind()
    for (row_id,) in connection.execute(sa.select(clinic.c.id)).all():
        changes, baseline = connection.execute(
            sa.select(clinic.c.changes, clinic.c.baseline).where(clinic.c.id == row_id)).one()
        baseline = _parsed(baseline)
        if baseline:
            connection.execute(clinic.update().where(clinic.c.id == row_id).values(
                changes={**_parsed(changes), "baseline": baseline}))
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.drop_column('baseline')
