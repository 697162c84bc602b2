"""Input types that refuse the lax coercions JSON callers should not rely on, and that say in the
schema exactly what they accept."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AllowInfNan,
    AwareDatetime,
    BeforeValidator,
    Strict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

# true/false are not numbers, and "5" is not an integer, in this API.
Int = Annotated[int, Strict()]
Number = Annotated[float, Strict(), AllowInfNan(False)]
Bool = Annotated[bool, Strict()]

# The largest id a row can have: ids are INTEGER columns (32 bits on PostgreSQL). A larger one
# cannot name a row, and the drivers refuse to bind it (SQLite has 64 bits, PostgreSQL says
# "integer out of range").
MAX_ID = 2**31 - 1

# Patterns spell out the characters they mean. `\d` is ASCII in the JSON Schema (ECMA-262) that
# callers validate against, but Unicode in pydantic, which would take "١٢٣٤٥٦" as a URN.
# Text never holds NUL: PostgreSQL text cannot store it.
NO_NUL = r"^[^\u0000]*$"
# What people write (names, notes, findings) holds no control characters either, nor the marks
# that reverse the direction of the text after them (an email shown backwards on the people page).
# Tab and line breaks are allowed. Every range is spelled out: both regex dialects read them alike.
_CONTROL = "\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069"
PLAIN_TEXT = f"^[^{_CONTROL}]*$"
_CONTROL_CHARACTER = re.compile(f"[{_CONTROL}]")

# Plain words for a value that does not match a pattern, by pattern: both faces say these
# (app.handlers.field_errors) instead of repeating the pattern to the reader.
PATTERN_MESSAGES: dict[str, str] = {
    NO_NUL: "must not contain NUL characters",
    PLAIN_TEXT: "must not contain control characters or marks that reverse the text's direction",
}


def described(pattern: str, message: str) -> str:
    """A pattern, with the words to say when a value does not match it."""
    PATTERN_MESSAGES[pattern] = message
    return pattern


def plain_text_problem(value: str) -> str | None:
    """The rule in words when `value` holds a control character, else None (for hand-written checks)."""
    return PATTERN_MESSAGES[PLAIN_TEXT] if _CONTROL_CHARACTER.search(value) else None


def _strip(value: str) -> str:
    return value.strip()


def _strip_not_blank(value: str) -> str:
    if not value.strip():
        # What pydantic says of an empty string, so both faces word it the same way.
        raise PydanticCustomError("string_too_short", "String should have at least 1 character", {"min_length": 1})
    return value.strip()


def text(max_length: int, *, blank: bool = True) -> Any:
    """A string of at most `max_length` characters as sent (so the schema's `maxLength` holds for
    what the caller sends, and the column's length for what is stored), kept without surrounding
    whitespace. With `blank=False` it must have a character other than whitespace."""
    return Annotated[
        str,
        StringConstraints(max_length=max_length, min_length=0 if blank else 1, pattern=PLAIN_TEXT),
        AfterValidator(_strip if blank else _strip_not_blank),
    ]


# RFC 3339, as the schema's `format: date-time` says: with a time and an offset. pydantic alone
# would also take a bare number (seconds since 1970) or a naive time of no particular zone.
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                      r"([Zz]|[+-][0-9]{2}:[0-9]{2})")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, str) and not _RFC3339.fullmatch(value):
        raise PydanticCustomError("datetime_format",
                                  "use an RFC 3339 date-time with an offset, e.g. 2026-09-01T08:00:00Z")
    return value


def _in_utc_range(value: datetime) -> datetime:
    # 0001-01-01T00:00+01:00 or 9999-12-31T23:59-01:00 is a valid RFC 3339 time that has no UTC
    # equivalent in Python's calendar; it is stored in UTC, so it is refused here, not at the database.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "the time is outside the range that can be stored in UTC") from None
    return value


DateTimeWithOffset = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_utc_range)]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_format", "use a date like 2026-09-01")


# A calendar date as the schema's `format: date` says, YYYY-MM-DD. pydantic alone would also take
# a number of seconds since 1970 (0, or "86400"), or a date-time that happens to fall at midnight.
Date = Annotated[date, BeforeValidator(_iso_date)]


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year + years, day=28)


_YEARS_AHEAD = {0: "today", 1: "a year from today", 2: "two years from today", 5: "five years from today"}


@dataclass(frozen=True)
class DateRule:
    """Where one kind of date can plausibly fall: from `earliest` until `years_ahead` years after
    today. The API's bodies, the HTML forms and the GIAS import all ask the same rule, so a date
    one of them refuses the others refuse too, in the same words."""

    what: str
    earliest: date
    years_ahead: int = 0

    def latest(self, today: date | None = None) -> date:
        return _years_after(today or date.today(), self.years_ahead)

    @property
    def rule(self) -> str:
        return f"{self.what} must be between {self.earliest.isoformat()} and {_YEARS_AHEAD[self.years_ahead]}"

    def problem(self, value: date, today: date | None = None) -> str | None:
        """The rule in words when `value` breaks it, else None."""
        if self.earliest <= value <= self.latest(today):
            return None
        return self.rule

    def _check(self, value: date) -> date:
        message = self.problem(value)
        if message is not None:
            raise PydanticCustomError("date_implausible", message)
        return value

    @property
    def type(self) -> Any:
        """The pydantic type: a `Date` that also keeps this rule (stated in the schema's description)."""
        return Annotated[date, BeforeValidator(_iso_date), AfterValidator(self._check),
                         WithJsonSchema({"type": "string", "format": "date",
                                         "description": f"{self.rule[0].upper()}{self.rule[1:]}."})]


# Inspections, figures and headteachers belong to the last century and a bit. Schools can be older
# (many Victorian board and church schools are still open), and one old date in a national GIAS
# file must not stop its import, so their floor is 1800: low enough for real history, high enough
# to catch the typos (0201 for 2016). GIAS also lists schools proposed to open or to close, with
# the date ahead; a head may be appointed for next year.
INSPECTION_DATE = DateRule("an inspection date", date(1900, 1, 1))
RECORDED_DATE = DateRule("the date a figure was recorded", date(1900, 1, 1))
HEAD_START_DATE = DateRule("a headteacher's start date", date(1900, 1, 1), years_ahead=1)
OPENING_DATE = DateRule("a school's opening date", date(1800, 1, 1), years_ahead=5)
CLOSING_DATE = DateRule("a school's closing date", date(1800, 1, 1), years_ahead=5)

# Visits are planned a year ahead; peer review began in these partnerships in the 2000s.
VISIT_DATE = DateRule("a visit date", date(2000, 1, 1), years_ahead=1)
ACTION_DUE_DATE = DateRule("an action's due date", date(2000, 1, 1), years_ahead=5)
# Clinics are planned for the year ahead; targets run to a few years.
CLINIC_DATE = DateRule("a clinic date", date(2000, 1, 1), years_ahead=2)
TARGET_DATE = DateRule("a target date", date(2000, 1, 1), years_ahead=5)

InspectionDate = INSPECTION_DATE.type
RecordedDate = RECORDED_DATE.type
HeadStartDate = HEAD_START_DATE.type
OpeningDate = OPENING_DATE.type
ClosingDate = CLOSING_DATE.type
VisitDate = VISIT_DATE.type
ActionDueDate = ACTION_DUE_DATE.type
ClinicDate = CLINIC_DATE.type
TargetDate = TARGET_DATE.type


# An academic year is two consecutive years, the first from 1900 to 2099: 2024/25, 1999/00. The
# schema spells out all hundred pairs of last digits, so that what it describes is what is accepted.
FIRST_ACADEMIC_YEAR, LAST_ACADEMIC_YEAR = 1900, 2099
ACADEMIC_YEAR_PATTERN = "^(?:19|20)(?:" + "|".join(f"{n:02d}/{(n + 1) % 100:02d}" for n in range(100)) + ")$"
_ACADEMIC_YEAR = re.compile(r"([0-9]{4})/([0-9]{2})")


def academic_year_problem(value: str) -> str | None:
    """The rule in words when `value` is not an academic year, else None."""
    match = _ACADEMIC_YEAR.fullmatch(value)
    if match and FIRST_ACADEMIC_YEAR <= int(match[1]) <= LAST_ACADEMIC_YEAR \
            and int(match[2]) == (int(match[1]) + 1) % 100:
        return None
    return (f"an academic year is two consecutive years written like 2024/25, the first from "
            f"{FIRST_ACADEMIC_YEAR} to {LAST_ACADEMIC_YEAR}")


def _academic_year(value: str) -> str:
    message = academic_year_problem(value)
    if message is not None:
        raise PydanticCustomError("academic_year", message)
    return value


AcademicYear = Annotated[
    str,
    Strict(),
    AfterValidator(_academic_year),
    WithJsonSchema({"type": "string", "pattern": ACADEMIC_YEAR_PATTERN, "examples": ["2024/25"],
                    "description": "Two consecutive years, e.g. 2024/25; the first from 1900 to 2099."}),
]
