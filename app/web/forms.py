"""The one form pattern every page uses.

GET shows the form filled from the record (`Form.of`). POST reads what was typed
(`Form.typed`), turns it into the very model the API takes (`parse`), and calls the service
inside `attempt`. Then:

- accepted: `redirect(...)` (app.web.htmx) with a banner;
- refused: the page again, status 422, with the GOV.UK error summary, each message beside its
  field, and everything typed kept. The messages are the service's and pydantic's own words,
  mapped here once, so the API and the form refuse a value alike;
- stale (someone saved first): status 409 with a `Conflict`: who changed the record and when,
  their values beside the user's, and the user's form kept, carrying the stored version so that
  "save mine over theirs" is a deliberate second save.
"""

import re
import types
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from app.errors import AppError, BadRequest, Conflict, PreconditionFailed, PreconditionRequired, ValidationFailed
from app.handlers import field_errors

Model = TypeVar("Model", bound=BaseModel)

VERSION_FIELD = "version"
_WHOLE = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|-?\.[0-9]+")


async def read_form(request: Request) -> dict[str, str | list[str]]:
    """The submitted form: one string per field, or a list where a field was sent more than once
    (checkboxes). The CSRF check has read it already; Starlette keeps it."""
    data = await request.form()
    values: dict[str, str | list[str]] = {}
    for key in data:
        items = [v for v in data.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 else (items[0] if items else "")
    return values


FormData = Annotated[dict[str, str | list[str]], Depends(read_form)]


def sentence(text: str) -> str:
    """A service message ("say why ...") as a sentence on the page ("Say why ...")."""
    return text[:1].upper() + text[1:] if text else text


def as_text(value: Any) -> str:
    """A stored value as it appears in a form field."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass
class ConflictRow:
    name: str
    label: str
    stored: str
    yours: str

    @property
    def differs(self) -> bool:
        return self.stored.strip() != self.yours.strip()


@dataclass
class EditConflict:
    """Someone saved the record after this form was opened."""

    changed_by: str | None
    changed_at: datetime | None
    version: int
    rows: list[ConflictRow]


@dataclass
class Form:
    """What a form shows: the values (as typed, or from the record), the messages by field, a
    message that belongs to no field, and a conflict when the save was stale."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    conflict: EditConflict | None = None
    stale: bool = False

    @classmethod
    def of(cls, record: Any, fields: typing.Iterable[str]) -> "Form":
        """The form filled from a stored record, with its version."""
        values = {name: as_text(getattr(record, name)) for name in fields}
        values[VERSION_FIELD] = as_text(getattr(record, VERSION_FIELD, None))
        return cls(values)

    @classmethod
    def typed(cls, data: Mapping[str, Any], fields: typing.Iterable[str]) -> "Form":
        """The form as the person sent it (the fields named, and the version it was read at)."""
        values = {name: data.get(name, "") for name in fields}
        values[VERSION_FIELD] = data.get(VERSION_FIELD, "")
        return cls(values)

    @property
    def refused(self) -> bool:
        return bool(self.errors or self.problem or self.stale)

    @property
    def version(self) -> int | None:
        raw = self.values.get(VERSION_FIELD, "")
        return int(raw) if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 10 else None

    @property
    def if_match(self) -> str | None:
        """The version the form was read at, as the services' If-Match (None when the form lost it)."""
        return f'"{self.version}"' if self.version is not None else None

    @property
    def status_code(self) -> int:
        """409 for a stale save, 422 for a refused one, 200 otherwise."""
        return 409 if self.stale else 422 if self.refused else 200

    def refuse(self, exc: AppError) -> None:
        """Put a service's refusal beside the fields it names; the rest above the form."""
        for error in exc.errors:
            name = error.field if error.field in self.values else error.field.split(".")[0]
            if name in self.values and name not in self.errors:
                self.errors[name] = sentence(error.message)
            elif not self.problem:
                self.problem = sentence(error.message)
        if not exc.errors:
            self.problem = sentence(exc.detail)

    def conflict_with(self, record: Any, labels: Mapping[str, str]) -> None:
        """Record that `record` (read again) was changed since the form was opened. The form keeps
        what was typed, and now carries the stored version: saving it again is saving over."""
        rows = [ConflictRow(name, label, as_text(getattr(record, name)), _display(self.values.get(name)))
                for name, label in labels.items()]
        self.stale = True
        self.conflict = EditConflict(getattr(record, "updated_by", None), getattr(record, "updated_at", None),
                                 record.version, rows)
        self.values[VERSION_FIELD] = str(record.version)


def _display(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)


def _plain(annotation: Any) -> Any:
    """The Python type under Optional and Annotated: int for `Annotated[int, ...] | None`."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = options[0] if len(options) == 1 else str
        else:
            return annotation


def _coerce(kind: Any, raw: Any) -> Any:
    """A typed string as the value the model expects; anything unreadable is passed on as typed,
    for the model to refuse in its own words."""
    if isinstance(raw, list) or not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text == "":
        return None
    if kind is bool:
        return {"true": True, "yes": True, "on": True, "false": False, "no": False}.get(text.lower(), raw)
    if kind is int:
        return int(text) if _WHOLE.fullmatch(text) and len(text) < 10 else raw
    if kind is float:
        # As people write numbers: Python's float() would also take "1_000", "١٢٣" and "1e308".
        return float(text.replace(",", "")) if _DECIMAL.fullmatch(text) else raw
    return raw


def parse(model: type[Model], form: Form, names: typing.Iterable[str], *,
          extra: Mapping[str, Any] | None = None) -> Model:
    """The form's fields `names` as `model` (the API's own model): a blank field is None, a
    number or yes/no typed as text is read as one, and every rule of the model applies. `extra`
    adds values the page gathered itself (a dict from several fields, say)."""
    data: dict[str, Any] = dict(extra or {})
    for name in names:
        info = model.model_fields[name]
        data[name] = _coerce(_plain(info.annotation), form.values.get(name, ""))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = field_errors([{**err, "loc": ("form", *err["loc"])} for err in exc.errors()])
        raise ValidationFailed(errors) from None


@contextmanager
def attempt(session: Session, form: Form) -> Iterator[None]:
    """Run a service call for `form`. A refusal undoes whatever the call began (to a savepoint,
    so the request keeps its transaction and its write turn) and lands in the form: messages by
    field, or `form.conflict` left for the caller to fill when the record was stale. Anything
    else (403, 404) goes on to the error page."""
    try:
        with session.begin_nested():
            yield
    except PreconditionFailed:
        form.stale = True  # the caller reads the record again and calls form.conflict_with
    except PreconditionRequired:
        form.problem = ("This form no longer says which version of the record it was opened at; open the record "
                        "again and make your change there")
    except (ValidationFailed, BadRequest, Conflict) as exc:
        form.refuse(exc)


