"""The GIAS establishment extract's format: its columns, vocabularies and values.

Everything here knows the DfE file and nothing of the register: which columns are read, what
"Not applicable" means, how dates are written (dd-mm-yyyy), and how GIAS names phases,
statuses and Ofsted ratings.
"""

import codecs
import csv
import io
import math
import re
from collections import namedtuple
from datetime import date
from operator import itemgetter
from typing import BinaryIO

from app.models.inspection import CategoryOfConcern
from app.models.school import Phase, SchoolStatus

# Our name for each column we read -> its exact name in the extract. Other columns are ignored.
COLUMNS = {
    "urn": "URN",
    "name": "EstablishmentName",
    "type": "TypeOfEstablishment (name)",
    "phase": "PhaseOfEducation (name)",
    "status": "EstablishmentStatus (name)",
    "la_code": "LA (code)",
    "la_name": "LA (name)",
    "trust": "Trusts (name)",
    "pupils": "NumberOfPupils",
    "fsm": "PercentageFSM",
    "head_first": "HeadFirstName",
    "head_last": "HeadLastName",
    "head_title": "HeadTitle (name)",
    "postcode": "Postcode",
    "opened": "OpenDate",
    "closed": "CloseDate",
    "low_age": "StatutoryLowAge",
    "high_age": "StatutoryHighAge",
    "rating": "OfstedRating (name)",
    "inspected": "OfstedLastInsp",
}
RawRow = namedtuple("RawRow", COLUMNS)

# The fields GIAS owns, and their column names for messages.
GIAS_FIELDS = {
    "name": "EstablishmentName", "phase": "PhaseOfEducation (name)",
    "establishment_type": "TypeOfEstablishment (name)", "trust_name": "Trusts (name)",
    "la_code": "LA (code)", "la_name": "LA (name)", "status": "EstablishmentStatus (name)",
    "pupils": "NumberOfPupils", "fsm_percent": "PercentageFSM", "headteacher_name": "HeadFirstName/HeadLastName",
    "postcode": "Postcode", "opened_on": "OpenDate", "closed_on": "CloseDate",
}
MAX_LENGTHS = {"name": 200, "establishment_type": 120, "trust_name": 200, "la_name": 120, "headteacher_name": 200}

NO_VALUE = {"not applicable", "not recorded", "does not apply"}

PHASES = {
    "nursery": Phase.nursery,
    "primary": Phase.primary,
    "middle deemed primary": Phase.middle,
    "middle deemed secondary": Phase.middle,
    "secondary": Phase.secondary,
    "16 plus": Phase.post_16,
    "all-through": Phase.all_through,
    "all through": Phase.all_through,
}
STATUSES = {
    "open": SchoolStatus.open,
    "closed": SchoolStatus.closed,
    "open, but proposed to close": SchoolStatus.proposed_to_close,
    "proposed to open": SchoolStatus.proposed_to_open,
}
# Rating name -> (overall effectiveness, category of concern), on the graded framework only.
RATINGS: dict[str, tuple[int, CategoryOfConcern | None]] = {
    "outstanding": (1, None),
    "good": (2, None),
    "requires improvement": (3, None),
    "satisfactory": (3, None),  # the pre-2012 name of grade 3
    "inadequate": (4, None),
    "serious weaknesses": (4, CategoryOfConcern.serious_weaknesses),
    "special measures": (4, CategoryOfConcern.special_measures),
}

# Ratings GIAS publishes that are not a judgement on any scale: the inspection is not recorded.
RATINGS_WITHOUT_JUDGEMENT = {"insufficient evidence"}

URN_RE = re.compile(r"\d{6}")
DATE_RE = re.compile(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})|(\d{4})-(\d{2})-(\d{2})")

# What a message calls each encoding the file may be read in.
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16",
                  "utf-16-be": "UTF-16", "cp1252": "cp1252"}
_SNIFF_BYTES = 4096
_CHUNK_BYTES = 1 << 20


def sniff_encoding(raw: BinaryIO) -> str:
    """The codec to read the file with, found from its bytes (the stream is left at its start).

    DfE publishes cp1252, but the file often comes back re-saved by a spreadsheet or an editor:
    a byte-order mark says UTF-8 or UTF-16 outright; UTF-16 without one shows as a NUL in every
    other byte (the header is ASCII, and no CSV text has NULs); otherwise a file that decodes as
    UTF-8 without a single error is UTF-8 (cp1252 text with accents or curly quotes almost never
    does), and anything else is cp1252.
    """
    head = raw.read(_SNIFF_BYTES)
    raw.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the mark, takes its byte order and drops it
    pairs = len(head) // 2
    if pairs and head[1::2].count(0) > pairs // 2 and head[0::2].count(0) < pairs // 8:
        return "utf-16-le"
    if pairs and head[0::2].count(0) > pairs // 2 and head[1::2].count(0) < pairs // 8:
        return "utf-16-be"
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        while chunk := raw.read(_CHUNK_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        raw.seek(0)
    return "utf-8"


def read(path) -> tuple[list[tuple[int, RawRow]] | None, list[tuple[int, str]]]:
    """The rows (line number, the columns we use), or None when the header is unusable."""
    problems: list[tuple[int, str]] = []
    rows: list[tuple[int, RawRow]] = []
    with open(path, "rb") as raw:
        encoding = sniff_encoding(raw)
        name = ENCODING_NAMES[encoding]
        # Streamed: the file is decoded as it is read. A byte the encoding cannot decode becomes
        # U+FFFD, and its line is refused (cp1252 has five such bytes: 81, 8D, 8F, 90 and 9D).
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            return None, [(1, f"cannot read the header row as CSV ({name}): {exc}")]
        if not header or not any(h.strip() for h in header):
            return None, [(1, "the file is empty; expected a GIAS extract with a header row")]
        header = [h.strip().lstrip("\ufeff") for h in header]
        if "\ufffd" in "".join(header):
            problems.append((1, f"the header row has bytes that are not {name} text"))
        if "\x00" in "".join(header):
            problems.append((1, "the header row has a NUL character"))
        missing = [column for column in COLUMNS.values() if column not in header]
        if missing:
            if len(missing) == len(COLUMNS):  # not one found: another kind of file, or misread
                problems.append((1, f"the header, read as {name} text, has none of the GIAS columns; "
                                    "expected a GIAS extract saved as CSV"))
            return None, problems + [(1, f"missing column '{column}'") for column in missing]
        pick = itemgetter(*(header.index(column) for column in COLUMNS.values()))
        width = len(header)
        last_line = reader.line_num
        try:
            for record in reader:
                line, last_line = last_line + 1, reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                if len(record) != width:
                    problems.append((line, f"has {len(record)} fields; the header has {width}"))
                    continue
                joined = "".join(record)
                if "\ufffd" in joined:
                    problems.append((line, f"has bytes that are not {name} text"))
                    continue
                if "\x00" in joined:  # no GIAS text has one, and PostgreSQL text cannot hold it
                    problems.append((line, "has a NUL character"))
                    continue
                rows.append((line, RawRow._make(pick(record))))
        except csv.Error as exc:
            problems.append((last_line + 1, f"cannot be read as CSV ({exc}); the rest of the file was not read"))
    return rows, problems


def clean(value: str) -> str | None:
    value = value.strip()
    if not value or (value[0] in "NnDd" and value.lower() in NO_VALUE):  # (called ~1M times a national file)
        return None
    return value


def parse_date(value: str, column: str, bad: list[str]) -> date | None:
    text = clean(value)
    if text is None:
        return None
    match = DATE_RE.fullmatch(text)
    if match:
        day, month, year, iso_year, iso_month, iso_day = match.groups()
        try:
            if year:
                return date(int(year), int(month), int(day))
            return date(int(iso_year), int(iso_month), int(iso_day))
        except ValueError:
            pass
    bad.append(f"{column} '{text}' is not a date (dd-mm-yyyy)")
    return None


def parse_whole(value: str, column: str, bad: list[str]) -> int | None:
    text = clean(value)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
        if number.is_integer():
            return int(number)
    except (ValueError, OverflowError):
        pass
    bad.append(f"{column} '{text}' is not a whole number")
    return None


def parse_number(value: str, column: str, bad: list[str]) -> float | None:
    text = clean(value)
    if text is None:
        return None
    try:
        number = float(text)
        if math.isfinite(number):
            return number
    except ValueError:
        pass
    bad.append(f"{column} '{text}' is not a number")
    return None


def map_phase(name: str | None, establishment_type: str | None, low_age: int | None,
           high_age: int | None) -> Phase | None:
    if name is not None:
        phase = PHASES[name.lower()]
        if phase == Phase.primary:
            if high_age is not None and high_age <= 7:
                return Phase.infant
            if low_age is not None and low_age >= 7:
                return Phase.junior
        return phase
    kind = (establishment_type or "").lower()
    if "special" in kind:
        return Phase.special
    if "pupil referral" in kind or "alternative provision" in kind:
        return Phase.alternative_provision
    if any(word in kind for word in ("further education", "sixth form", "16-19", "16 to 19")):
        return Phase.post_16
    return None
