"""Import schools' figures and national figures from a CSV file: `python -m app import-indicators`
and the upload form at /indicators/import.

Columns (header row, any order, any case): `urn` (blank for a national figure), `national` (yes or
no; blank means no), `measure`, `academic_year`, `value`, `source`, and optionally `recorded_on`.
The whole file is read and checked before anything is written, by the rules of the API's bulk
upload (app.models.indicator_bulk, app.services.indicators_bulk: one code path): a bad file raises
``IndicatorFileError`` naming every bad line (the header is line 1), and nothing is written.

What spreadsheets do to a CSV is taken in: a byte-order mark, Windows line ends, quoted fields with
commas or doubled quotes in them, blank rows and empty trailing columns, thousands separators in a
value (`"-12,500"`), and dates written day first (`01/10/2026`). The encoding is found as for GIAS
files (UTF-8, UTF-16 with a mark, else Windows-1252: Excel's plain "CSV"); a line with bytes that
are not text in it is refused with its number.
"""

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlmodel import Session

from app.errors import FieldError, ValidationFailed
from app.handlers import field_errors
from app.models.indicator_bulk import IndicatorItem
from app.services import indicators_bulk
from app.services.imports.gias_format import ENCODING_NAMES, sniff_encoding
from app.services.imports.uploads import check_csv_upload
from app.services.indicators_bulk import BulkResult
from app.services.principal import Principal, bind

COLUMNS = ("urn", "national", "measure", "academic_year", "value", "source", "recorded_on")
REQUIRED = ("urn", "measure", "academic_year", "value", "source")  # national and recorded_on may be left out
# The command line takes a whole region's figures; the browser's form, which applies them within
# its request, as many as the API takes at once.
MAX_ROWS = 100_000
_YES, _NO = {"yes", "y", "true"}, {"no", "n", "false", ""}
_NUMBER = re.compile(r"[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[-+]?\.[0-9]+")
_DAY_FIRST = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


class IndicatorFileError(ValidationFailed):
    """The file cannot be imported; ``problems`` lists every bad line as (line, message)."""

    MAX_IN_DETAIL = 100

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems, key=itemgetter(0))
        shown = [f"line {n}: {message}" for n, message in self.problems[: self.MAX_IN_DETAIL]]
        more = len(self.problems) - len(shown)
        detail = (f"the file has {len(self.problems)} problem(s) and nothing was imported: " + "; ".join(shown)
                  + (f"; and {more} more" if more else ""))
        super().__init__([FieldError(f"line {n}", message, "file") for n, message in self.problems], detail)

    @property
    def lines(self) -> int:
        """How many lines have a problem (a line may have several)."""
        return len({line for line, _ in self.problems})


@dataclass
class ImportResult:
    rows: int
    counts: BulkResult


def require_importer(session: Session, *, by: Principal) -> None:
    """Only those who may change the partnership's figures import them (officers; write tokens)."""
    bind(session, by)
    by.require_write()


def check_upload(file_name: str | None, content: bytes) -> str:
    """The uploaded file's own name, or 422 naming the `file` field."""
    return check_csv_upload(file_name, content, nothing_chosen="select a CSV file of figures to upload")


def import_file(session: Session, path: str | os.PathLike, *, by: Principal, dry_run: bool = False,
                max_rows: int = MAX_ROWS) -> ImportResult:
    """Import the figures of a CSV file into the caller's partnership (nothing if the file is bad)."""
    with open(path, "rb") as raw:
        return import_stream(session, raw, by=by, dry_run=dry_run, max_rows=max_rows)


def import_bytes(session: Session, content: bytes, *, by: Principal, dry_run: bool = False,
                 max_rows: int = MAX_ROWS) -> ImportResult:
    """The same for an uploaded file's bytes."""
    return import_stream(session, io.BytesIO(content), by=by, dry_run=dry_run, max_rows=max_rows)


def import_stream(session: Session, raw: BinaryIO, *, by: Principal, dry_run: bool = False,
                  max_rows: int = MAX_ROWS) -> ImportResult:
    """Read and check every line, then write them all in one go, or raise IndicatorFileError.

    With ``dry_run`` nothing is written: the counts say what the import would do."""
    require_importer(session, by=by)
    rows, problems = _read(raw, max_rows)
    items: list[IndicatorItem] = []
    lines: list[int] = []
    for line, cells in rows:
        item = _item(line, cells, problems)
        if item is not None:
            items.append(item)
            lines.append(line)
    # The partnership's rules (the school is ours; no figure twice) on every line that is well formed,
    # so that one look at the list of problems shows them all.
    plan = indicators_bulk.check(session, items, by=by, lock=not dry_run)
    for problem in plan.problems:
        other = f"line {lines[problem.same_as]}" if problem.same_as is not None else None
        problems.append((lines[problem.index], f"{problem.field}: {problem.said(other)}"))
    if problems:
        raise IndicatorFileError(problems)
    if not rows:
        raise IndicatorFileError([(2, "the file has a header but no figures")])
    counts = plan.expected() if dry_run else indicators_bulk.write(session, plan, by=by)
    return ImportResult(rows=len(rows), counts=counts)


def _read(raw: BinaryIO, max_rows: int) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, str]]]:
    """The data rows (line number, cells by column), and the problems of the file's format."""
    encoding = sniff_encoding(raw)
    name = ENCODING_NAMES[encoding]
    # A byte the encoding cannot decode becomes U+FFFD, and its line is refused.
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [(1, f"cannot read the header row as CSV: {exc}")]
    if not header or not any(cell.strip() for cell in header):
        return [], [(1, "the file is empty; expected a header row naming the columns: " + ", ".join(COLUMNS))]
    names = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    problems: list[tuple[int, str]] = []
    if "\ufffd" in "".join(names):
        problems.append((1, f"the header row has bytes that are not {name} text"))
    unknown = [n for n in names if n and n not in COLUMNS]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    missing = [c for c in REQUIRED if c not in names]
    if unknown:
        problems.append((1, f"unknown column(s) {', '.join(repr(n) for n in unknown)}; the columns are "
                            + ", ".join(COLUMNS)))
    if twice:
        problems.append((1, f"column(s) {', '.join(repr(n) for n in twice)} appear more than once"))
    if missing:
        problems.append((1, f"missing column(s) {', '.join(repr(n) for n in missing)}"))
    if problems:
        return [], problems
    rows: list[tuple[int, dict[str, str]]] = []
    last_line = reader.line_num
    try:
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # a blank line, or a spreadsheet's row of empty cells
            joined = "".join(record)
            if "\ufffd" in joined:
                problems.append((line, f"has bytes that are not {name} text; save the file as CSV UTF-8"))
                continue
            if "\x00" in joined:
                problems.append((line, "has a NUL character"))
                continue
            cells = dict.fromkeys(COLUMNS, "")
            for position, cell in enumerate(record):
                column = names[position] if position < len(names) else ""
                if column:
                    cells[column] = cell
                elif cell.strip():
                    problems.append((line, f"has a value in column {position + 1}, which has no heading"))
                    break
            else:
                rows.append((line, cells))
            if len(rows) > max_rows:
                return [], [(line, f"the file has more than {max_rows:,} figures; split it, or use the command "
                                   "line (python -m app import-indicators)")]
    except csv.Error as exc:
        problems.append((last_line + 1, f"cannot be read as CSV ({exc}); the rest of the file was not read"))
    return rows, problems


def _item(line: int, cells: dict[str, str], problems: list[tuple[int, str]]) -> IndicatorItem | None:
    """One row as the API's item, or None with its problems noted (each column's, in its words)."""
    bad: list[str] = []
    national_text = cells["national"].strip().lower()
    national = True if national_text in _YES else False if national_text in _NO else None
    if national is None:
        bad.append(f"national '{cells['national'].strip()}': write yes or no")
    # A cell left empty is left out, for the model to say "required"; an unreadable national is
    # passed as typed, so that the checks that depend on it (urn, recorded_on) stand aside.
    data: dict[str, Any] = {"national": cells["national"] if national is None else national,
                            "urn": cells["urn"].strip() or None, "recorded_on": _day(cells["recorded_on"], bad)}
    for column in ("measure", "academic_year", "value", "source"):
        if cells[column].strip():
            data[column] = _number(cells[column]) if column == "value" else cells[column].strip()
    try:
        item = IndicatorItem.model_validate(data)
    except ValidationError as exc:
        for error in field_errors(exc.errors()):
            column = error.field.split(".")[0]
            if column == "national" and national is None:
                continue  # said above, in the file's words
            typed = cells.get(column, "").strip()
            bad.append(f"{column} '{typed}': {error.message}" if typed else f"{column}: {error.message}")
        item = None
    if bad:
        problems.extend((line, message) for message in dict.fromkeys(bad))
        return None
    return item


def _number(text: str) -> Any:
    """A value as people write it (thousands separators too); anything else as typed, for the model
    to refuse in its own words."""
    text = text.strip()
    return float(text.replace(",", "")) if _NUMBER.fullmatch(text) else text


def _day(text: str, bad: list[str]) -> Any:
    """recorded_on as 2026-10-01, or as a UK spreadsheet writes it, 01/10/2026."""
    text = text.strip()
    if not text:
        return None
    found = _DAY_FIRST.fullmatch(text)
    if found is None:
        return text  # the model says what it takes
    try:
        return date(int(found[3]), int(found[2]), int(found[1]))
    except ValueError:
        bad.append(f"recorded_on '{text}' is not a date (write 2026-10-01 or 01/10/2026)")
        return None
