"""The officers' forms for what a plan is made of (the plan's own fields, priorities, actions,
milestones, success measures), drawn by one template (plans/item_form.html) from a list of fields.

Each form is a page of its own, so every one works without JavaScript: GET shows it filled from the
record, POST reads what was typed into the API's own model (app.web.forms.parse) and calls the
service. Refused: the page again, 422, each message beside its field, everything typed kept (a
number taken is the service's 409, shown beside the number). Stale: 409, the stored values beside
the typed ones. Done: back to the plan (303) with a banner."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from app.errors import Conflict
from app.services import accounts
from app.services.principal import Principal
from app.web.forms import Form, attempt, parse
from app.web.htmx import redirect, render

LIST_KINDS = frozenset({"lines", "checkboxes"})


@dataclass(frozen=True)
class Field:
    """One field of a form. kind: text, textarea, lines (a textarea read as one item a line),
    date, number, select, checkboxes."""

    name: str
    label: str
    kind: str = "text"
    hint: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    width: str = ""


@dataclass
class ItemPage:
    """What the form's page says around its fields."""

    title: str  # the page's <title> and heading
    caption: str  # the plan's title, above the heading
    action: str  # where the form is POSTed
    fields: list[Field]
    submit: str
    back_url: str
    delete_url: str | None = None
    delete_words: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def scalars(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.kind not in LIST_KINDS)


def typed(data: Mapping[str, Any], fields: Iterable[Field]) -> Form:
    """The form as sent, a checkbox group always a list (one box ticked comes as a string)."""
    fields = list(fields)
    form = Form.typed(data, [f.name for f in fields])
    for f in fields:
        if f.kind == "checkboxes":
            value = form.values.get(f.name)
            form.values[f.name] = value if isinstance(value, list) else ([value] if value else [])
    return form


def of(record: Any, fields: Iterable[Field], **values: Any) -> Form:
    """The form filled from a stored record; `values` gives fields the record does not hold as such
    (an action's leads), lists as a list for checkboxes or as lines for a textarea."""
    fields = list(fields)
    plain = [f.name for f in fields if f.name not in values and f.kind not in LIST_KINDS]
    form = Form.of(record, plain)
    for f in fields:
        value = values.get(f.name, getattr(record, f.name, None))
        if f.kind == "lines":
            form.values[f.name] = "\n".join(value or [])
        elif f.kind == "checkboxes":
            form.values[f.name] = list(value or [])
        elif f.name in values:
            form.values[f.name] = "" if value is None else str(value)
    return form


def blank(fields: Iterable[Field], **values: Any) -> Form:
    form = Form({f.name: [] if f.kind == "checkboxes" else "" for f in fields})
    form.values.update(values)
    return form


def model(kind: type[BaseModel], form: Form, fields: Iterable[Field], *, only: Iterable[str] | None = None,
          **extra: Any) -> BaseModel:
    """What was typed as the API's model: blank fields None, lines and checkboxes as lists."""
    names = set(only) if only is not None else None
    chosen = [f for f in fields if names is None or f.name in names]
    lists: dict[str, Any] = {}
    for f in chosen:
        if f.kind == "lines":
            raw = form.values.get(f.name) or ""
            lists[f.name] = [line.strip() for line in str(raw).splitlines() if line.strip()]
        elif f.kind == "checkboxes":
            lists[f.name] = list(form.values.get(f.name) or [])
    scalars = [f.name for f in chosen if f.kind not in LIST_KINDS]
    return parse(kind, form, scalars, extra={**lists, **extra})


def show(request: Request, session: Session, by: Principal, page: ItemPage, form: Form, *,
         status_code: int | None = None) -> Response:
    context = {"active_nav": "plans", "page": page, "form": form,
               "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}
    return render(request, "plans/item_form.html", context,
                  status_code=form.status_code if status_code is None else status_code)


def submit(request: Request, session: Session, by: Principal, page: ItemPage, form: Form,
           run: Callable[[], Any], *, done: Callable[[Any], str] | str, banner: str,
           stored: Callable[[], Any] | None = None, labels: Mapping[str, str] | None = None) -> Response:
    """Run the service call `run` for `form`. Refused: the form again (422, or 409 for a number
    taken); stale: the stored record (`stored()`, read again) beside what was typed, 409; done: 303
    to `done` (a URL, or made from what `run` returned)."""
    result: list[Any] = []
    taken = False
    with attempt(session, form):
        try:
            result.append(run())
        except Conflict:
            taken = True
            raise
    if form.stale and stored is not None:
        record = stored()
        session.refresh(record)
        form.conflict_with(record, labels or {f.name: f.label for f in page.fields if f.kind not in LIST_KINDS})
    if form.refused:
        return show(request, session, by, page, form, status_code=409 if taken else form.status_code)
    url = done if isinstance(done, str) else done(result[0])
    return redirect(request, url, banner=banner)


def delete(request: Request, session: Session, by: Principal, page: ItemPage, data: Mapping[str, Any],
           run: Callable[[], Any], *, filled: Callable[[], Form], done: str, banner: str) -> Response:
    """A delete button (with the version it was read at). Stale: the form again filled from the
    record as it is now, 409, saying so; nothing is deleted until the person looks and asks again."""
    form = Form.typed(data, ())
    with attempt(session, form):
        run()
    if form.refused:
        again = filled()
        again.problem = form.problem or ("Someone changed this after you opened it, so nothing was deleted. "
                                         "It is shown below as it is now: delete it again if you still mean to")
        again.stale = form.stale
        return show(request, session, by, page, again, status_code=409 if form.stale else 422)
    return redirect(request, done, banner=banner)
