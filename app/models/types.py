"""Input types that refuse the lax coercions JSON callers should not rely on, and that say in the
schema exactly what they accept."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, AllowInfNan, AwareDatetime, BeforeValidator, Strict, StringConstraints
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
        StringConstraints(max_length=max_length, min_length=0 if blank else 1, pattern=NO_NUL),
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


DateTimeWithOffset = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_format", "use a date like 2026-09-01")


# A calendar date as the schema's `format: date` says, YYYY-MM-DD. pydantic alone would also take
# a number of seconds since 1970 (0, or "86400"), or a date-time that happens to fall at midnight.
Date = Annotated[date, BeforeValidator(_iso_date)]
