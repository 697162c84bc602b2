"""A plan's CSV file, as a file (app.services.plan_csv; the format is in docs/action-plans.md): its
columns, how its rows are read (the encoding found as for GIAS files; every row numbered as the
file's line), and how one cell is written and read:

- Text that a spreadsheet would take for a formula (starting =, +, -, @, a tab or a carriage return)
  is written with a leading quote, as every export of the service does; so is text that itself starts
  with a quote followed by one of those or by another quote, so that reading takes exactly one quote
  off and the round trip gives back what was written.
- A list (success criteria, areas, evidence links) is one item a line within its cell. A line break
  inside an item is written as a line break followed by two spaces: a line of the cell that starts
  with a space or a tab carries on the item above it.
- Lead codes are separated by " / " (a comma is read as a separator too).
- A date is 2017-03-31; 31/03/2017, as a UK spreadsheet rewrites it, is read too. A plan's month is
  2016-09 (a date is taken as its month). An empty due date, or "ongoing", is a milestone with none.
- A status is one of the five stored words, in any case, with spaces or hyphens for underscores;
  green, amber and red are read as on_track, at_risk and off_track ("completed" as complete).
"""

import csv
import io
import re
from collections.abc import Sequence
from datetime import date
from typing import BinaryIO

from app.models.action_plan import MilestoneStatus, PlanStatus
from app.services.imports.gias_format import ENCODING_NAMES, sniff_encoding
from app.services.imports.uploads import check_csv_upload
from app.services.spreadsheets import FORMULA_START

PLAN_COLUMNS = ("plan_title", "plan_start", "plan_end", "plan_status", "school_urn")
PRIORITY_COLUMNS = ("priority", "priority_title", "success_criteria", "areas")
ACTION_COLUMNS = ("action", "action_description", "lead", "time_frame", "action_start", "action_end")
MILESTONE_COLUMNS = ("milestone", "due_date", "status", "evidence", "evidence_links")
MEASURE_COLUMNS = ("measure", "baseline", "target", "target_date", "latest_value", "latest_date")
# In the order an export writes them: the nine a reader looks at first, then the rest.
COLUMNS = ("priority", "priority_title", "action", "action_description", "lead", "time_frame", "milestone",
           "due_date", "status", "evidence", "evidence_links", "action_start", "action_end", "success_criteria",
           "areas", *MEASURE_COLUMNS, *PLAN_COLUMNS)
REQUIRED = ("priority", "priority_title", "action", "action_description", "lead", "milestone")

LEAD_SEPARATOR = " / "
_QUOTE = "'"
_ESCAPED = (*FORMULA_START, _QUOTE)
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_UK_DAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_ACTION = re.compile(r"([0-9]{1,3})(?:\.([0-9]{1,3}))?")
_WHOLE = re.compile(r"[0-9]{1,3}")
STATUS_WORDS = {"green": MilestoneStatus.on_track.value, "amber": MilestoneStatus.at_risk.value,
                "red": MilestoneStatus.off_track.value, "completed": MilestoneStatus.complete.value}
ONGOING = "ongoing"


class CellError(ValueError):
    """A cell that cannot be read; the message says what to write instead."""


# --- writing --------------------------------------------------------------------------------------


def quoted(text: str) -> str:
    """Text as written into a cell: a leading quote where a spreadsheet would see a formula."""
    if text.startswith(FORMULA_START) or (text.startswith(_QUOTE) and text[1:2] and text[1] in _ESCAPED):
        return _QUOTE + text
    return text


def list_cell(items: Sequence[str]) -> str:
    return "\n".join(item.replace("\n", "\n  ") for item in items)


def leads_cell(codes: Sequence[str]) -> str:
    return LEAD_SEPARATOR.join(codes)


def month_cell(day: date) -> str:
    return f"{day:%Y-%m}"


def day_cell(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


def action_cell(priority: int, action: int) -> str:
    return f"{priority}.{action}"


# --- reading --------------------------------------------------------------------------------------


def unquoted(cell: str) -> str:
    """A cell as typed, less the one leading quote an export put before a formula-like value."""
    return cell[1:] if cell.startswith(_QUOTE) and cell[1:2] and cell[1] in _ESCAPED else cell


def read_list(cell: str) -> list[str]:
    """One item a line; a line starting with a space or a tab carries on the item above."""
    items: list[str] = []
    for line in cell.split("\n"):
        if line[:1] in (" ", "\t") and items:
            items[-1] += "\n" + (line[2:] if line.startswith("  ") else line[1:])
        elif line.strip():
            items.append(line)
    return items


def read_leads(cell: str) -> list[str]:
    return [code.strip() for code in re.split(r"[/,]", cell) if code.strip()]


def read_whole(cell: str, what: str) -> int:
    text = cell.strip()
    if not _WHOLE.fullmatch(text) or int(text) < 1:
        raise CellError(f"{what} '{text}' is not a number from 1 to 999")
    return int(text)


def read_action(cell: str, priority: int | None) -> int:
    """`2.3` (action 3 of priority 2) or `3`: the action's number within its priority."""
    text = cell.strip()
    found = _ACTION.fullmatch(text)
    if found is None:
        raise CellError(f"action '{text}' is not an action number: write it like 2.3 (priority 2, action 3) or 3")
    if found[2] is None:
        number = int(found[1])
    else:
        if priority is not None and int(found[1]) != priority:
            raise CellError(f"action '{text}' is not in priority {priority}: its number starts with {priority}.")
        number = int(found[2])
    if not 1 <= number <= 999:
        raise CellError(f"action '{text}': an action's number is from 1 to 999")
    return number


def read_day(cell: str, what: str) -> date:
    text = cell.strip()
    found = _ISO_DAY.fullmatch(text)
    parts = (found[1], found[2], found[3]) if found else None
    if parts is None and (uk := _UK_DAY.fullmatch(text)):
        parts = (uk[3], uk[2], uk[1])
    try:
        if parts is None:
            raise ValueError
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise CellError(f"{what} '{text}' is not a date: write it like 2017-03-31 (or 31/03/2017)") from None


def read_due(cell: str) -> date | None:
    return None if cell.strip().lower() == ONGOING else read_day(cell, "due_date")


def read_month(cell: str, what: str) -> date:
    text = cell.strip()
    found = _MONTH.fullmatch(text)
    if found is not None and 1 <= int(found[2]) <= 12:
        return date(int(found[1]), int(found[2]), 1)
    try:
        return read_day(text, what).replace(day=1)
    except CellError:
        raise CellError(f"{what} '{text}' is not a month: write it like 2016-09") from None


def _word(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def read_status(cell: str) -> str:
    word = _word(cell)
    word = STATUS_WORDS.get(word, word)
    if word not in {s.value for s in MilestoneStatus}:
        known = ", ".join(s.value for s in MilestoneStatus)
        raise CellError(f"status '{cell.strip()}' is not a milestone status: write one of {known} "
                        "(or green, amber, red)")
    return word


def read_plan_status(cell: str) -> str:
    word = _word(cell)
    if word not in {s.value for s in PlanStatus}:
        raise CellError(f"plan_status '{cell.strip()}' is not a plan status: write draft, active or closed")
    return word


# --- the file -------------------------------------------------------------------------------------


def check_upload(file_name: str | None, content: bytes) -> str:
    """The uploaded plan's own name, or 422 naming the `file` field."""
    return check_csv_upload(file_name, content, nothing_chosen="select the plan's CSV file to upload")


def read_rows(raw: BinaryIO, problems: list[tuple[int, str]], max_rows: int) -> list[tuple[int, dict[str, str]]]:
    """The data rows (line number, cells by column, each less an export's leading quote)."""
    encoding = sniff_encoding(raw)
    name = ENCODING_NAMES[encoding]
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.append((1, f"cannot read the header row as CSV: {exc}"))
        return []
    if not header or not any(cell.strip() for cell in header):
        problems.append((1, "the file is empty; expected a header row naming the columns: " + ", ".join(REQUIRED)))
        return []
    names = [re.sub(r"[\s\-]+", "_", cell.strip().lstrip("\ufeff").strip().lower()) for cell in header]
    unknown = [n for n in names if n and n not in COLUMNS]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    missing = [c for c in REQUIRED if c not in names]
    if "\ufffd" in "".join(names):
        problems.append((1, f"the header row has bytes that are not {name} text"))
    if unknown:
        problems.append((1, f"unknown column(s) {', '.join(repr(n) for n in unknown)}; the columns are "
                            + ", ".join(COLUMNS)))
    if twice:
        problems.append((1, f"column(s) {', '.join(repr(n) for n in twice)} appear more than once"))
    if missing:
        problems.append((1, f"missing column(s) {', '.join(repr(n) for n in missing)}"))
    if problems:
        return []
    rows: list[tuple[int, dict[str, str]]] = []
    last_line = reader.line_num
    try:
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            joined = "".join(record)
            if "\ufffd" in joined:
                problems.append((line, f"has bytes that are not {name} text; save the file as CSV UTF-8"))
                continue
            if "\x00" in joined:
                problems.append((line, "has a NUL character"))
                continue
            row = dict.fromkeys(COLUMNS, "")
            for position, cell in enumerate(record):
                column = names[position] if position < len(names) else ""
                if column:
                    row[column] = unquoted(cell)
                elif cell.strip():
                    problems.append((line, f"has a value in column {position + 1}, which has no heading"))
                    break
            else:
                rows.append((line, row))
            if len(rows) > max_rows:
                problems.append((line, f"the file has more than {max_rows:,} rows; a plan is smaller than that"))
                return []
    except csv.Error as exc:
        problems.append((last_line + 1, f"cannot be read as CSV ({exc}); the rest of the file was not read"))
    return rows
