"""Northfield's improvement plan, for the demo partnership (app.services.demo): docs/examples/plan.csv
(five priorities, seventeen actions, thirty-two milestones, in the spirit of seed 001), imported by
the officer through the same import as everyone else's (app.services.plan_csv), so the audit trail
shows them importing it.

The file is written as things stood on AS_OF: some milestones complete, some overdue, some due in the
next weeks. Every date in it is moved on by the days from AS_OF to today, so the demo always shows
that mix, however long after the file was written it is built. The file itself never changes.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.models.account import User
from app.models.partnership import Partnership
from app.services import accounts, plan_csv
from app.services.plan_csv_cells import month_cell, read_day, read_month

EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "plan.csv"
AS_OF = date(2026, 1, 19)  # the day the example's statuses were true
DAY_COLUMNS = ("due_date", "action_start", "action_end", "target_date", "latest_date")
MONTH_COLUMNS = ("plan_start", "plan_end")


@dataclass
class DemoPlan:
    plan_id: int
    priorities: int
    actions: int
    milestones: int


def shifted(content: str, today: date) -> bytes:
    """The example's rows with every date moved on by the days from AS_OF to `today` (a plan's
    months by the same, taken as the month the first of it falls in)."""
    delta = timedelta(days=(today - AS_OF).days)
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
    writer.writeheader()
    for row in reader:
        for column in DAY_COLUMNS:
            if row.get(column, "").strip():
                row[column] = (read_day(row[column], column) + delta).isoformat()
        for column in MONTH_COLUMNS:
            if row.get(column, "").strip():
                row[column] = month_cell(read_month(row[column], column) + delta)
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def build(session: Session, partnership: Partnership, officer: User, *, today: date | None = None) -> DemoPlan:
    """Import the example plan as the demo's officer, its dates moved on to `today`."""
    by = accounts.principal_for(session, officer, partnership.id)
    content = shifted(EXAMPLE.read_text(encoding="utf-8"), today or date.today())
    result = plan_csv.import_bytes(session, content, by=by)
    return DemoPlan(result.plan_id, result.priorities, result.actions, result.milestones)
