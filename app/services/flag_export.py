"""The red-flag list as a spreadsheet (CSV and XLSX) for the clinic's papers: one row per flag, the
schools worst first, with the reason in words and the evidence spelt out."""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from app.services.flags import FlaggedSchool

HEADER = ("URN", "School", "Phase", "LA category", "School's severity", "Severity", "Category", "Rule", "Reason",
          "Evidence", "Manual flag")
WIDTHS = (9, 34, 12, 12, 10, 10, 12, 26, 70, 70, 8)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FILLS = {"red": "F4A6A6", "amber": "FFD699"}


def _words(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_words(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return ", ".join(_words(v) if not isinstance(v, dict) else f"({_words(v)})" for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def evidence_text(evidence: dict[str, Any]) -> str:
    """The evidence in one line of words: 'measure: attainment; value: 41; academic year: 2025/26; ...'."""
    return _words({k: v for k, v in evidence.items() if v not in (None, [], {})})


def rows(schools: Iterable[FlaggedSchool]) -> Iterator[tuple]:
    for school in schools:
        for flag in school.flags:
            yield (school.urn, school.name, school.phase.replace("_", " "), school.la_category or "",
                   school.severity, flag.severity, flag.category, flag.rule.replace("_", " "), flag.reason,
                   evidence_text(flag.evidence), flag.manual_id or "")


def _cell(value: Any) -> Any:
    """Text a spreadsheet would take for a formula gets a leading quote; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(schools: Iterable[FlaggedSchool]) -> bytes:
    """UTF-8 with a byte order mark, so that Excel reads the accents (and the £) right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in rows(schools):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def to_xlsx(schools: Iterable[FlaggedSchool], *, title: str, as_of: date) -> bytes:
    """One sheet of flags (header frozen, severities shaded), and a second saying what it is."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Red flags"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(schools):
        sheet.append([_cell(v) for v in row])
        for column in (5, 6):
            cell = sheet.cell(row=sheet.max_row, column=column)
            if cell.value in _FILLS:
                cell.fill = PatternFill("solid", fgColor=_FILLS[cell.value])
        for column in (9, 10):
            sheet.cell(row=sheet.max_row, column=column).alignment = Alignment(wrap_text=True, vertical="top")
    for n, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + n)].width = width
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions
    about = book.create_sheet("About")
    about.append(["Red flags", title])
    about.append(["As of", as_of])
    about.append(["Flags", sheet.max_row - 1])
    about.append(["Worked out from", "The partnership's current figures, inspections, visits, clinic actions and "
                                     "the officers' own flags and overrides"])
    about["B2"].number_format = "d mmmm yyyy"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
