"""The audit trail in the browser (officers): who changed what and when, filtered, paged, and
downloaded as a CSV file that opens in a spreadsheet."""

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import BadRequest
from app.routing import Router
from app.services import accounts, audit, permissions
from app.services.audit import AuditFilters, AuditPage
from app.services.principal import Principal
from app.web.htmx import is_fragment, render
from app.web.security import WebPrincipal

router = Router(tags=["web: audit"])

PAGE_SIZE = audit.DEFAULT_LIMIT
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MESSAGES = {
    "table": "Choose a table from the list",
    "record_id": "Enter a record number, like 42",
    "actor": "Enter at most 200 characters",
    "since": "Enter a date like 2026-09-01",
    "until": "Enter a date like 2026-09-30",
    "cursor": "That page link is out of date; go back to the first page",
    "page": "That page link is out of date; go back to the first page",
}
_ANCHORS = {"cursor": "results", "page": "results"}


@dataclass
class Typed:
    """The filters as typed, for the form, and as the service takes them."""

    table: str = ""
    record_id: str = ""
    actor: str = ""
    since: str = ""
    until: str = ""


def _chrome(session: Session, by: Principal) -> dict:
    return {"partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


def _parse(typed: Typed, errors: dict[str, str]) -> AuditFilters:
    filters = AuditFilters(table=typed.table or None, actor=typed.actor.strip() or None)
    if typed.table and typed.table not in audit.audited_tables():
        errors["table"] = _MESSAGES["table"]
    if typed.record_id.strip():
        if re.fullmatch(r"[0-9]{1,9}", typed.record_id.strip()) and int(typed.record_id) > 0:
            filters.record_id = int(typed.record_id)
        else:
            errors["record_id"] = _MESSAGES["record_id"]
    if len(typed.actor) > 200:
        errors["actor"] = _MESSAGES["actor"]
    days = {}
    for name in ("since", "until"):
        raw = getattr(typed, name).strip()
        if not raw:
            continue
        try:
            days[name] = date.fromisoformat(raw) if _DATE.fullmatch(raw) else None
        except ValueError:
            days[name] = None
        if days[name] is None:
            errors[name] = _MESSAGES[name]
    filters.since, filters.until = audit.day_bounds(days.get("since"), days.get("until"))
    return filters


def _query(typed: Typed, **extra: str) -> str:
    pairs = [(k, v) for k, v in vars(typed).items() if v] + [(k, v) for k, v in extra.items() if v]
    return f"?{urlencode(pairs)}" if pairs else ""


@router.get("/audit", summary="The audit trail: who changed what, and when")
def list_events(request: Request, session: SessionDep, by: WebPrincipal, table: str = "", record_id: str = "",
                actor: str = "", since: str = "", until: str = "", cursor: str = "", page: str = "1") -> Response:
    """Officers only (a viewer gets the 403 page); the whole page, or the results block for htmx."""
    permissions.require_audit_reader(by)
    typed = Typed(table, record_id, actor, since, until)
    errors: dict[str, str] = {}
    filters = _parse(typed, errors)
    number = int(page) if re.fullmatch(r"[0-9]{1,6}", page) and int(page) > 0 else None
    if number is None:
        errors["page"] = _MESSAGES["page"]
    result: AuditPage | None = None
    if not errors:
        try:
            result = audit.page(session, filters, limit=PAGE_SIZE, cursor=cursor or None, by=by)
        except BadRequest as exc:
            for error in exc.errors or []:
                errors[error.field] = _MESSAGES.get(error.field, error.message)
    number = number or 1
    first = (number - 1) * PAGE_SIZE + 1
    shown = len(result.rows) if result else 0
    context = {
        "active_nav": "audit",
        "typed": typed,
        "tables": audit.audited_tables(),
        "result": result,
        "errors": errors,
        "error_anchors": _ANCHORS,
        "first": first,
        "last": first + shown - 1,
        "on_first_page": not cursor and number == 1,
        "first_url": "/audit" + _query(typed),
        "next_url": ("/audit" + _query(typed, cursor=result.next_cursor, page=str(number + 1))
                     if result and result.next_cursor else None),
        "csv_url": "/audit.csv" + _query(typed),
        "csv_limit": audit.CSV_MAX_ROWS,
        "fragment": is_fragment(request),
        **_chrome(session, by),
    }
    return render(request, "audit/list.html", context, block="results", status_code=400 if errors else 200)


@router.get("/audit.csv", summary="The audit trail as a CSV file, with the page's filters")
def download_events(session: SessionDep, by: WebPrincipal, table: str = "", record_id: str = "", actor: str = "",
                    since: str = "", until: str = "") -> Response:
    """The newest events that match (at most audit.CSV_MAX_ROWS), one line per field changed."""
    permissions.require_audit_reader(by)
    errors: dict[str, str] = {}
    filters = _parse(Typed(table, record_id, actor, since, until), errors)
    if errors:
        raise BadRequest("; ".join(errors.values()))
    rows = audit.newest(session, filters, by=by)
    name = f"audit-{by.partnership_slug}-{date.today().isoformat()}.csv"
    return Response(audit.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
