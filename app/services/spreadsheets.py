"""Tables as files that open in a spreadsheet: CSV (UTF-8 with a byte order mark, so that Excel
reads accents right) and XLSX (openpyxl). A cell that a spreadsheet would read as a formula gets a
leading quote, in both: clinic papers are opened by people who did not write them."""

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60


def cell(value: Any) -> Any:
    """A value as a cell shows it: text that would start a formula gets a leading quote; numbers
    and dates stay what they are; lists and objects are JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | date | datetime):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([v.isoformat() if isinstance(v, date | datetime) else v for v in map(cell, row)])
    return out.getvalue().encode("utf-8")


def to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet: a bold header row kept in view, dates as dates, columns wide enough to read."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for c in sheet[1]:
        c.font = Font(bold=True)
    widths = [len(h) for h in header]
    for row in rows:
        values = [cell(v) for v in row]
        sheet.append(values)
        for n, v in enumerate(values):
            widths[n] = max(widths[n], min(MAX_WIDTH, len(str(v))))
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width + 2
    for row in sheet.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, date | datetime):
                c.number_format = "yyyy-mm-dd"
            elif isinstance(c.value, str) and len(c.value) > MAX_WIDTH:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
