"""The red-flag rules now read action plans (a school judged 3 or 4 at its review with no active
plan of its own is flagged), so a change to action_plan moves the partnership's flag stamp, as a
change to any other table the rules read does (5b1e0f3c9d27, 8e4b6c0d2f53).

Revision ID: 9f1c2d3e4a55
Revises: 16e94d9361eb
Created: 2026-11-26 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '9f1c2d3e4a55'
down_revision: str | None = '16e94d9361eb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "action_plan"
EVENTS = {"insert": "NEW", "update": "NEW", "delete": "OLD"}


def upgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for event, row in EVENTS.items():
        if postgresql:  # flag_stamp_by_partnership_id() notes the partnership; the stamp moves at commit
            op.execute(f"""
                CREATE TRIGGER flag_stamp_{TABLE}_{event} AFTER {event.upper()} ON {TABLE}
                REFERENCING {row} TABLE AS changed_rows
                FOR EACH STATEMENT EXECUTE FUNCTION flag_stamp_by_partnership_id()""")
        else:
            op.execute(f"""
                CREATE TRIGGER flag_stamp_{TABLE}_{event} AFTER {event.upper()} ON {TABLE}
                BEGIN
                    INSERT INTO flag_stamp (partnership_id, changed) VALUES ({row}.partnership_id, 1)
                    ON CONFLICT (partnership_id) DO UPDATE SET changed = changed + 1;
                END""")


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for event in EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS flag_stamp_{TABLE}_{event}" + (f" ON {TABLE}" if postgresql else ""))
