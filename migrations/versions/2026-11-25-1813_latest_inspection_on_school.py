"""The latest inspection kept on the school row; sort and filter indexes led by the partnership;
one inspection of a school a day.

Revision ID: e5dfa3631fa3
Revises: dc832434a196
Created: 2026-11-25 18:13:20.102291

Reviewed by hand. Why: the schools list joined a window-function subquery over every inspection
for every school (227 s for one page of 42,000 schools). Each school now carries its latest
inspection (date, framework, headline), filled here from the history and kept by the services
that write inspections. Every offered sort is backed by an index of (partnership_id, key, id),
with the key written exactly as the list query writes it (lower(name), coalesce(pupils, -1) ...).
Single-column indexes on name, phase, status and URN served no tenant-scoped query and could
tempt the planner into scanning every partnership's rows; they go. A school had no rule against
two inspections on one day; a database that has them stops here with their URNs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'e5dfa3631fa3'
down_revision: str | None = 'dc832434a196'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _refuse_duplicate_inspections() -> None:
    rows = op.get_bind().execute(sa.text(
        "SELECT s.urn, i.inspected_on FROM inspection i JOIN school s ON s.id = i.school_id "
        "GROUP BY s.urn, i.school_id, i.inspected_on HAVING count(*) > 1 ORDER BY s.urn LIMIT 20"
    )).all()
    if rows:
        listed = ", ".join(f"URN {urn} on {day}" for urn, day in rows)
        raise RuntimeError(f"some schools have two inspections on the same day ({listed}); delete the "
                           "duplicates (DELETE /api/v1/schools/{urn}/inspections/{id}) and migrate again")


def upgrade() -> None:
    _refuse_duplicate_inspections()
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_school_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_inspection_school_id_inspected_on'), ['school_id', 'inspected_on'])

    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latest_inspected_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('latest_framework', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('latest_headline', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
        batch_op.drop_index(batch_op.f('ix_school_name'))
        batch_op.drop_index(batch_op.f('ix_school_phase'))
        batch_op.drop_index(batch_op.f('ix_school_status'))
        batch_op.drop_index(batch_op.f('ix_school_urn'))

    # Each school's latest inspection: the latest date, and of one day the later record (there is
    # at most one a day from now on).
    latest = ("(SELECT i.{column} FROM inspection i WHERE i.school_id = school.id "
              "ORDER BY i.inspected_on DESC, i.id DESC LIMIT 1)")
    op.execute(
        "UPDATE school SET "
        + ", ".join(f"latest_{column} = {latest.format(column=column)}"
                    for column in ("inspected_on", "framework", "headline"))
        + " WHERE EXISTS (SELECT 1 FROM inspection i WHERE i.school_id = school.id)"
    )

    op.create_index('ix_school_sort_name', 'school', ['partnership_id', sa.text('lower(name)'), 'id'])
    op.create_index('ix_school_sort_urn', 'school', ['partnership_id', 'urn', 'id'])
    op.create_index('ix_school_sort_pupils', 'school', ['partnership_id', sa.text('coalesce(pupils, -1)'), 'id'])
    op.create_index('ix_school_sort_fsm_percent', 'school',
                    ['partnership_id', sa.text('coalesce(fsm_percent, -1.0)'), 'id'])
    op.create_index('ix_school_partnership_phase', 'school', ['partnership_id', 'phase'])
    op.create_index('ix_school_partnership_status', 'school', ['partnership_id', 'status'])
    op.create_index('ix_school_partnership_latest_headline', 'school', ['partnership_id', 'latest_headline'])
    op.create_index('ix_school_partnership_updated_at', 'school', ['partnership_id', 'updated_at'])


def downgrade() -> None:
    for name in ('ix_school_partnership_updated_at', 'ix_school_partnership_latest_headline',
                 'ix_school_partnership_status', 'ix_school_partnership_phase', 'ix_school_sort_fsm_percent',
                 'ix_school_sort_pupils', 'ix_school_sort_urn', 'ix_school_sort_name'):
        op.drop_index(name, table_name='school')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_urn'), ['urn'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_phase'), ['phase'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_name'), ['name'], unique=False)
        batch_op.drop_column('latest_headline')
        batch_op.drop_column('latest_framework')
        batch_op.drop_column('latest_inspected_on')

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_inspection_school_id_inspected_on'), type_='unique')
        batch_op.create_index(batch_op.f('ix_inspection_school_id'), ['school_id'], unique=False)
