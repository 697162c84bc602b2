"""An action plan out, as the CSV file app.services.plan_csv reads back (docs/action-plans.md):
one row per milestone, in plan order; an action without milestones, or a priority without actions,
has a row of its own with the milestone (or the action) left empty; success measures follow their
priority's rows, the plan's own after all; the plan's columns are on the first row."""

import csv
import io
import re

from sqlalchemy import select
from sqlmodel import Session

from app.errors import NotFound
from app.models.action_plan import ActionPlan, PlanAction, PlanActionLead, PlanMilestone, PlanPriority, SuccessMeasure
from app.models.school import School
from app.services import plan_csv_cells as cells
from app.services.plan_csv_cells import COLUMNS
from app.services.principal import Principal, bind


def export(session: Session, plan_id: int, *, by: Principal) -> tuple[ActionPlan, bytes]:
    """The plan as a CSV file (UTF-8 with a byte order mark, so that Excel reads accents right).
    Every member and read token; another partnership's plan, like a missing one, is 404."""
    bind(session, by)
    by.require_read()
    plan = session.scalar(select(ActionPlan).where(ActionPlan.id == plan_id))
    if plan is None:
        raise NotFound(f"no action plan {plan_id}")
    urn = session.scalar(select(School.urn).where(School.id == plan.school_id)) if plan.school_id else None
    priorities = session.scalars(select(PlanPriority).where(PlanPriority.plan_id == plan_id)
                                 .order_by(PlanPriority.number)).all()
    actions: dict[int, list[PlanAction]] = {}
    for action in session.scalars(select(PlanAction).where(PlanAction.plan_id == plan_id).order_by(PlanAction.number)):
        actions.setdefault(action.priority_id, []).append(action)
    leads: dict[int, list[str]] = {}
    for action_id, code in session.execute(select(PlanActionLead.action_id, PlanActionLead.code)
                                           .where(PlanActionLead.plan_id == plan_id)
                                           .order_by(PlanActionLead.action_id, PlanActionLead.position,
                                                     PlanActionLead.id)):
        leads.setdefault(action_id, []).append(code)
    milestones: dict[int, list[PlanMilestone]] = {}
    for milestone in session.scalars(select(PlanMilestone).where(PlanMilestone.plan_id == plan_id)
                                     .order_by(PlanMilestone.action_id, PlanMilestone.id)):
        milestones.setdefault(milestone.action_id, []).append(milestone)
    measures: dict[int | None, list[SuccessMeasure]] = {}
    for measure in session.scalars(select(SuccessMeasure).where(SuccessMeasure.plan_id == plan_id)
                                   .order_by(SuccessMeasure.id)):
        measures.setdefault(measure.priority_id, []).append(measure)

    rows: list[dict[str, str]] = []
    for priority in priorities:
        head = {"priority": str(priority.number), "priority_title": priority.title,
                "success_criteria": cells.list_cell(priority.success_criteria),
                "areas": cells.list_cell(priority.areas)}
        for action in actions.get(priority.id, []):
            doing = head | {"action": cells.action_cell(priority.number, action.number),
                            "action_description": action.description,
                            "lead": cells.leads_cell(leads.get(action.id, [])),
                            "time_frame": action.time_frame or "", "action_start": cells.day_cell(action.start_on),
                            "action_end": cells.day_cell(action.end_on)}
            if action.id in milestones:
                rows.extend(doing | _milestone(m) for m in milestones[action.id])
            else:
                rows.append(doing)  # an action without milestones: its milestone left empty
        if priority.id not in actions:
            rows.append(head)
        rows.extend(head | _measure(m) for m in measures.get(priority.id, []))
    rows.extend(_measure(m) for m in measures.get(None, []))
    plan_cells = {"plan_title": plan.title, "plan_start": cells.month_cell(plan.period_start),
                  "plan_end": cells.month_cell(plan.period_end), "plan_status": plan.status, "school_urn": urn or ""}
    if rows:
        rows[0] |= plan_cells
    else:
        rows.append(plan_cells)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([cells.quoted(row.get(column) or "") for column in COLUMNS])
    return plan, out.getvalue().encode("utf-8")


def _milestone(m: PlanMilestone) -> dict[str, str]:
    return {"milestone": m.description, "due_date": cells.day_cell(m.due_on), "status": m.status,
            "evidence": m.evidence or "", "evidence_links": cells.list_cell(m.evidence_links)}


def _measure(m: SuccessMeasure) -> dict[str, str]:
    return {"measure": m.measure, "baseline": m.baseline or "", "target": m.target or "",
            "target_date": cells.day_cell(m.target_on), "latest_value": m.latest_value or "",
            "latest_date": cells.day_cell(m.latest_on)}


def file_name(plan: ActionPlan) -> str:
    """plan-12-school-improvement-2016-18.csv"""
    words = re.sub(r"[^a-z0-9]+", "-", plan.title.lower()).strip("-")[:60].rstrip("-")
    return f"plan-{plan.id}{'-' + words if words else ''}.csv"
