"""Keyset pagination with opaque cursors.

A cursor is the sort key and the id of the last row served, so a page never skips or repeats
rows when others are inserted meanwhile, and deep pages cost the same as the first.
"""

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_

from app.errors import BadRequest, FieldError
from app.models.types import MAX_ID

MAX_LIMIT = 200


@dataclass(frozen=True)
class SortKey:
    name: str
    expression: ColumnElement
    descending: bool
    kind: type  # str, int or float: what a cursor value must be


def encode_cursor(sort: str, value: Any, row_id: int) -> str:
    raw = json.dumps([sort, value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, kind: type) -> tuple[Any, int]:
    def bad(message: str) -> BadRequest:
        return BadRequest(message, errors=[FieldError("cursor", message, "query")])

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, row_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise bad("the cursor is not one this service issued") from None
    if cursor_sort != sort:
        raise bad("the cursor belongs to a different sort order; start again without a cursor")
    if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id <= MAX_ID:
        raise bad("the cursor is not one this service issued")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) or not _bindable(value):
        raise bad("the cursor is not one this service issued")
    return value, row_id


def _bindable(value: Any) -> bool:
    """Whether a decoded value can be compared in SQL: a forged cursor must be refused, not reach
    the driver (integers beyond the 32 bits of an INTEGER column, NaN, NUL or lone surrogates in text)."""
    if isinstance(value, int):
        return -MAX_ID - 1 <= value <= MAX_ID
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    return False


def apply_keyset(stmt: Select, key: SortKey, id_column: ColumnElement, after: tuple[Any, int] | None) -> Select:
    if after is not None:
        value, row_id = after
        if key.descending:
            stmt = stmt.where(or_(key.expression < value, and_(key.expression == value, id_column < row_id)))
        else:
            stmt = stmt.where(or_(key.expression > value, and_(key.expression == value, id_column > row_id)))
    if key.descending:
        return stmt.order_by(key.expression.desc(), id_column.desc())
    return stmt.order_by(key.expression.asc(), id_column.asc())


def clamp_limit(limit: int) -> int:
    if limit < 1 or limit > MAX_LIMIT:
        message = f"limit must be between 1 and {MAX_LIMIT}"
        raise BadRequest(message, errors=[FieldError("limit", message, "query")])
    return limit
