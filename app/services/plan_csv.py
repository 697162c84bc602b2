"""An action plan as a CSV file, in and out: `python -m app import-plan` / `export-plan`, and the upload
and download in the browser (app.web.plan_files). The format, column by column, is in
docs/action-plans.md; how each cell is written is in app.services.plan_csv_cells.

One row per milestone. A row's priority and action columns say which action the milestone is of;
an action with no milestones is a row with the milestone left empty, a priority with no actions a
row with the action left empty, a success measure a row with `measure` filled and no action. The
plan's own columns (title, period, status, school) are written once, on the first row. Columns
that describe a priority, an action or the plan may be repeated on every row of it or given once:
where given more than once they must agree. Export then import gives back the same plan.

The whole file is read and checked before anything is written, by the API's own rules (the models
of app.models.action_plan_api, cell by cell): a bad file raises ``PlanFileError`` naming every bad
line and column (the header is line 1), and nothing is written. A good file becomes a new plan, in
one transaction; the audit trail records it like any other change (app.services.audit).
"""

import io
import os
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Annotated, Any, BinaryIO

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlmodel import Session

from app.errors import FieldError, ValidationFailed
from app.handlers import field_errors
from app.models.action_plan import (
    ActionPlan,
    MilestoneStatus,
    PlanAction,
    PlanActionLead,
    PlanMilestone,
    PlanPriority,
    PlanStatus,
    SuccessMeasure,
)
from app.models.action_plan_api import (
    ActionCreate,
    MeasureCreate,
    MilestoneCreate,
    PlanCreate,
    PriorityCreate,
    Title,
)
from app.models.school import School
from app.services import partnerships, permissions, plan_csv_export
from app.services import plan_csv_cells as cells
from app.services.plan_csv_cells import (
    ACTION_COLUMNS,
    COLUMNS,
    MEASURE_COLUMNS,
    MILESTONE_COLUMNS,
    PLAN_COLUMNS,
    PRIORITY_COLUMNS,
    CellError,
)
from app.services.principal import Principal, bind

MAX_ROWS = 5_000
check_upload = cells.check_upload


def _adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    info = model.model_fields[name]
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation)


# Each column: how its text is read, and the API model's field that checks the value.
_READ = {"priority": lambda t: cells.read_whole(t, "priority"), "success_criteria": cells.read_list,
         "areas": cells.read_list, "lead": cells.read_leads,
         "action_start": lambda t: cells.read_day(t, "action_start"),
         "action_end": lambda t: cells.read_day(t, "action_end"), "due_date": cells.read_due,
         "status": cells.read_status, "evidence_links": cells.read_list,
         "target_date": lambda t: cells.read_day(t, "target_date"),
         "latest_date": lambda t: cells.read_day(t, "latest_date"),
         "plan_start": lambda t: cells.read_month(t, "plan_start"),
         "plan_end": lambda t: cells.read_month(t, "plan_end"),
         "plan_status": cells.read_plan_status}
_FIELDS = {
    "priority": (PriorityCreate, "number"), "priority_title": (PriorityCreate, "title"),
    "success_criteria": (PriorityCreate, "success_criteria"), "areas": (PriorityCreate, "areas"),
    "action_description": (ActionCreate, "description"), "lead": (ActionCreate, "leads"),
    "time_frame": (ActionCreate, "time_frame"), "action_start": (ActionCreate, "start_on"),
    "action_end": (ActionCreate, "end_on"), "milestone": (MilestoneCreate, "description"),
    "due_date": (MilestoneCreate, "due_on"), "status": (MilestoneCreate, "status"),
    "evidence": (MilestoneCreate, "evidence"), "evidence_links": (MilestoneCreate, "evidence_links"),
    "measure": (MeasureCreate, "measure"), "baseline": (MeasureCreate, "baseline"),
    "target": (MeasureCreate, "target"), "target_date": (MeasureCreate, "target_on"),
    "latest_value": (MeasureCreate, "latest_value"), "latest_date": (MeasureCreate, "latest_on"),
    "plan_title": (PlanCreate, "title"), "plan_start": (PlanCreate, "period_start"),
    "plan_end": (PlanCreate, "period_end"), "plan_status": (PlanCreate, "status"),
    "school_urn": (PlanCreate, "owner_urn"),
}
_CHECKS = {column: _adapter(model, name) for column, (model, name) in _FIELDS.items()}
_TITLE = TypeAdapter(Title)


class PlanFileError(ValidationFailed):
    """The file cannot be imported; ``problems`` lists every bad line as (line, message)."""

    MAX_IN_DETAIL = 100

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems, key=itemgetter(0))
        shown = [f"line {n}: {message}" for n, message in self.problems[: self.MAX_IN_DETAIL]]
        more = len(self.problems) - len(shown)
        detail = (f"the plan's file has {len(self.problems)} problem(s) and nothing was imported: "
                  + "; ".join(shown) + (f"; and {more} more" if more else ""))
        super().__init__([FieldError(f"line {n}", message, "file") for n, message in self.problems], detail)

    @property
    def lines(self) -> int:
        return len({line for line, _ in self.problems})


@dataclass
class ImportResult:
    plan_id: int
    title: str
    priorities: int
    actions: int
    milestones: int
    measures: int


@dataclass
class _Action:
    line: int
    fields: dict[str, tuple[Any, int]] = field(default_factory=dict)
    milestones: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Priority:
    line: int
    fields: dict[str, tuple[Any, int]] = field(default_factory=dict)
    actions: dict[int, _Action] = field(default_factory=dict)


@dataclass
class _File:
    """What the rows say, gathered: the plan's columns, its priorities and their actions, measures."""

    roles: frozenset[str]
    areas: frozenset[str]
    plan: dict[str, tuple[Any, int]] = field(default_factory=dict)
    priorities: dict[int, _Priority] = field(default_factory=dict)
    measures: list[tuple[int | None, dict[str, Any]]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    titled: bool = False  # a row fills plan_title (even one refused for another reason)


# --- in -------------------------------------------------------------------------------------------


def import_file(session: Session, path: str | os.PathLike, *, by: Principal, title: str | None = None) -> ImportResult:
    with open(path, "rb") as raw:
        return import_stream(session, raw, by=by, title=title)


def import_bytes(session: Session, content: bytes, *, by: Principal, title: str | None = None) -> ImportResult:
    return import_stream(session, io.BytesIO(content), by=by, title=title)


def import_stream(session: Session, raw: BinaryIO, *, by: Principal, title: str | None = None) -> ImportResult:
    """Read and check every line, then write the plan, or raise PlanFileError (nothing written).
    `title`, if given, is the plan's title whatever its plan_title column says."""
    bind(session, by)
    permissions.require_plan_editor(by)
    if title is not None and title.strip():
        try:
            title = _TITLE.validate_python(title)
        except ValidationError as exc:
            raise ValidationFailed([FieldError("title", field_errors(exc.errors())[0].message)]) from None
    else:
        title = None
    partnership = partnerships.current(session, by=by, lock="share")
    found = _File(roles=frozenset(r["code"] for r in partnership.plan_roles),
                  areas=frozenset(partnership.improvement_areas))
    rows = cells.read_rows(raw, found.problems, MAX_ROWS)
    for line, row in rows:
        _gather(found, line, row)
    plan = _plan_fields(session, found, title, partnership.current_academic_year, any_rows=bool(rows))
    _complete(found)
    if found.problems:
        raise PlanFileError(found.problems)
    return _write(session, found, plan, by)


def _value(column: str, text: str) -> Any:
    """A cell's value, read and checked by the API's rule for its field; CellError if it breaks one."""
    reader = _READ.get(column)
    value = reader(text) if reader is not None else text
    try:
        value = _CHECKS[column].validate_python(value)
    except ValidationError as exc:
        shown = text.strip() if len(text.strip()) <= 60 else text.strip()[:57] + "..."
        said = []
        for error in field_errors([{**e, "loc": ("cell", *e["loc"])} for e in exc.errors()]):
            item = error.field.removeprefix("cell").lstrip(".")
            said.append(f"item {int(item) + 1}: {error.message}" if item.isdigit() else error.message)
        raise CellError(f"{column} '{shown}': " + "; ".join(dict.fromkeys(said))) from None
    return value.value if isinstance(value, MilestoneStatus | PlanStatus) else value


def _gather(found: _File, line: int, row: dict[str, str]) -> None:
    """One row: each filled cell read and checked, the row's kind found, and what it says added to
    its priority, action or measure (or a problem when it contradicts an earlier row)."""
    given = [c for c in COLUMNS if row[c].strip()]
    found.titled = found.titled or "plan_title" in given
    values: dict[str, Any] = {}
    bad: list[str] = []
    for column in given:
        if column == "action":
            continue
        try:
            values[column] = _value(column, row[column])
        except CellError as exc:
            bad.append(str(exc))
    if "action" in given:
        try:
            values["action"] = cells.read_action(row["action"], values.get("priority"))
        except CellError as exc:
            bad.append(str(exc))
    unknown = [code for code in values.get("lead", []) if code not in found.roles]
    if unknown:
        bad.append(f"lead '{row['lead'].strip()}': {', '.join(repr(c) for c in unknown)} "
                   f"{'is not a lead role' if len(unknown) == 1 else 'are not lead roles'} of this partnership; "
                   f"use {' / '.join(sorted(found.roles)) or 'the codes of its glossary (none yet)'}")
    strange = [area for area in values.get("areas", []) if area not in found.areas]
    if strange:
        bad.append(f"areas: {', '.join(repr(a) for a in strange)} not among this partnership's areas for improvement")
    bad.extend(_shape(set(given)))
    if bad:
        found.problems.extend((line, message) for message in dict.fromkeys(bad))
        return

    for column in PLAN_COLUMNS:
        if column in values:
            _agree(found, found.plan, column, values[column], line, "the plan")
    if "priority" not in values:
        if "measure" in values:
            found.measures.append((None, {c: values.get(c) for c in MEASURE_COLUMNS} | {"line": line}))
        return
    number = values["priority"]
    priority = found.priorities.setdefault(number, _Priority(line))
    for column in PRIORITY_COLUMNS[1:]:
        if column in values:
            _agree(found, priority.fields, column, values[column], line, f"priority {number}")
    if "measure" in values:
        found.measures.append((number, {c: values.get(c) for c in MEASURE_COLUMNS} | {"line": line}))
    if "action" not in values:
        return
    action_number = values["action"]
    action = priority.actions.setdefault(action_number, _Action(line))
    for column in ACTION_COLUMNS[1:]:
        if column in values:
            _agree(found, action.fields, column, values[column], line,
                   f"action {cells.action_cell(number, action_number)}")
    if "milestone" in values:
        action.milestones.append({"description": values["milestone"], "due_on": values.get("due_date"),
                                  "status": values.get("status", MilestoneStatus.not_started.value),
                                  "evidence": values.get("evidence"),
                                  "evidence_links": values.get("evidence_links", [])})


def _shape(given: set[str]) -> list[str]:
    """What a row of its kind may not have: a milestone's columns without a milestone, and so on."""
    def named(columns: set[str]) -> str:
        return ", ".join(c for c in COLUMNS if c in columns)

    bad = []
    if "action" in given:
        if "priority" not in given:
            bad.append("action is given but priority is empty: an action's row names its priority")
        if stray := given & set(MEASURE_COLUMNS):
            bad.append(f"{named(stray)} given on an action's row: a success measure has a row of its own, with "
                       "the action left empty")
        if "milestone" not in given and (stray := given & set(MILESTONE_COLUMNS[1:])):
            bad.append(f"{named(stray)} given but milestone is empty")
        return bad
    if stray := given & set(ACTION_COLUMNS[1:] + MILESTONE_COLUMNS):
        bad.append(f"{named(stray)} given but action is empty: write the action's number (like 2.3)")
    if "measure" not in given and (stray := given & set(MEASURE_COLUMNS[1:])):
        bad.append(f"{named(stray)} given but measure is empty")
    if "priority" not in given and (stray := given & set(PRIORITY_COLUMNS[1:])):
        bad.append(f"{named(stray)} given but priority is empty: write the priority's number")
    return bad


def _agree(found: _File, known: dict[str, tuple[Any, int]], column: str, value: Any, line: int, what: str) -> None:
    if column not in known:
        known[column] = (value, line)
    elif known[column][0] != value:
        found.problems.append((line, f"{column} differs from line {known[column][1]}'s for {what}: a column of "
                                     f"{what} must say the same on each row that fills it (or be left empty)"))


def _plan_fields(session: Session, found: _File, title: str | None, academic_year: str, *,
                 any_rows: bool) -> dict[str, Any]:
    given = {column: value for column, (value, _) in found.plan.items()}
    title = title or given.get("plan_title")
    if not any_rows and not found.problems:
        found.problems.append((2, "the file has a header row but no rows: one row per milestone"))
    if title is None and any_rows and not found.titled:
        found.problems.append((1, "the plan has no title: fill plan_title on its first row, or give a title "
                                  "when importing"))
    start, end = given.get("plan_start"), given.get("plan_end")
    if (start is None) != (end is None):
        present, absent = ("plan_start", "plan_end") if end is None else ("plan_end", "plan_start")
        found.problems.append((found.plan[present][1], f"{present} is given but {absent} is not: give both, or "
                                                       "neither for the partnership's academic year"))
    elif start is not None and end < start:
        found.problems.append((found.plan["plan_end"][1], "plan_end is before plan_start"))
    if start is None or end is None:
        first = int(academic_year[:4])
        start, end = date(first, 9, 1), date(first + 1, 8, 1)
    school_id = None
    if (urn := given.get("school_urn")) is not None:
        school_id = session.scalar(select(School.id).where(School.urn == urn))
        if school_id is None:
            found.problems.append((found.plan["school_urn"][1], f"school_urn '{urn}': no school with that URN in "
                                                                "this partnership"))
    return {"title": title, "period_start": start, "period_end": end, "school_id": school_id,
            "status": given.get("plan_status", PlanStatus.draft.value)}


def _complete(found: _File) -> None:
    """What only the whole file can say: each priority titled, each action described and led, its
    dates in order, and each measure's priority in the plan."""
    for number, priority in found.priorities.items():
        if "priority_title" not in priority.fields:
            found.problems.append((priority.line, f"priority {number} has no priority_title on any of its rows"))
        for action_number, action in priority.actions.items():
            label = cells.action_cell(number, action_number)
            for column in ("action_description", "lead"):
                if column not in action.fields:
                    found.problems.append((action.line, f"action {label} has no {column} on any of its rows"))
            start, end = action.fields.get("action_start"), action.fields.get("action_end")
            if start is not None and end is not None and end[0] < start[0]:
                found.problems.append((end[1], f"action_end is before action_start for action {label}"))


def _write(session: Session, found: _File, fields: dict[str, Any], by: Principal) -> ImportResult:
    """The plan and all under it, in the transaction of the caller; flushed a table at a time."""
    owner = by.user_id if by.token_id is None else None
    plan = ActionPlan(**fields, owner_user_id=owner, updated_by=by.label)
    session.add(plan)
    session.flush()
    rows: dict[int, PlanPriority] = {}
    for number in sorted(found.priorities):
        value = found.priorities[number].fields
        rows[number] = PlanPriority(plan_id=plan.id, number=number, title=value["priority_title"][0],
                                    success_criteria=_got(value, "success_criteria", []),
                                    areas=_got(value, "areas", []), updated_by=by.label)
    session.add_all(rows.values())
    session.flush()
    actions: list[tuple[PlanAction, _Action]] = []
    for number in sorted(found.priorities):
        for action_number in sorted(found.priorities[number].actions):
            gathered = found.priorities[number].actions[action_number]
            value = gathered.fields
            actions.append((PlanAction(plan_id=plan.id, priority_id=rows[number].id, number=action_number,
                                       description=value["action_description"][0],
                                       time_frame=_got(value, "time_frame", None),
                                       start_on=_got(value, "action_start", None),
                                       end_on=_got(value, "action_end", None),
                                       updated_by=by.label), gathered))
    session.add_all(action for action, _ in actions)
    session.flush()
    milestones = 0
    for action, gathered in actions:
        for position, code in enumerate(dict.fromkeys(gathered.fields["lead"][0])):
            session.add(PlanActionLead(plan_id=plan.id, action_id=action.id, code=code, position=position))
        for milestone in gathered.milestones:
            session.add(PlanMilestone(plan_id=plan.id, action_id=action.id, updated_by=by.label, **milestone))
            milestones += 1
    for number, measure in found.measures:
        values = {k: v for k, v in measure.items() if k != "line"}
        session.add(SuccessMeasure(plan_id=plan.id, priority_id=rows[number].id if number is not None else None,
                                   measure=values["measure"], baseline=values["baseline"], target=values["target"],
                                   target_on=values["target_date"], latest_value=values["latest_value"],
                                   latest_on=values["latest_date"], updated_by=by.label))
    session.flush()
    return ImportResult(plan_id=plan.id, title=plan.title, priorities=len(rows), actions=len(actions),
                        milestones=milestones, measures=len(found.measures))


def _got(known: dict[str, tuple[Any, int]], column: str, default: Any) -> Any:
    return known[column][0] if column in known else default


# The way out, beside the way in (app.services.plan_csv_export).
export = plan_csv_export.export
file_name = plan_csv_export.file_name
