"""The red-flag list in the browser (worst first, filters, evidence to expand), an officer's own
flags and overrides, withdrawing one, and the list as CSV and XLSX. The rules' settings pages are
in app.web.flag_rules, included here."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import BadRequest, Conflict, FieldError, NotFound, PreconditionFailed, ValidationFailed
from app.models.flag import ManualKind
from app.models.flag_api import ManualFlagCreate
from app.routing import Router
from app.services import accounts, flag_export, flags, permissions
from app.services.flag_rules import RULES
from app.services.flags import CATEGORIES, SEVERITIES, FlagFilters, FlagPage
from app.services.principal import Principal
from app.web import flag_rules
from app.web.forms import Form, FormData, attempt, parse
from app.web.htmx import is_fragment, redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: red flags"])
router.include_router(flag_rules.router)

URL = "/red-flags"
PAGE_SIZE = 50
_MESSAGES = {
    "severity": "Choose red or amber",
    "category": "Choose categories from the list",
    "cursor": "That page link is out of date; go back to the first page",
    "limit": "Choose between 1 and 200 schools a page",
}
_ANCHORS = {"severity": "severity", "category": "category", "cursor": "results", "limit": "results",
            "withdraw": "results"}
CATEGORY_WORDS = {"ofsted": "Ofsted", "standards": "Standards", "attendance": "Attendance and exclusions",
                  "finance": "Finance", "governance": "Governance", "leadership": "Leadership and context",
                  "network": "The network and the LA", "manual": "Raised by hand"}


def _chrome(session: Session, by: Principal) -> dict[str, Any]:
    return {"active_nav": "red-flags",
            "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


def _query(filters: FlagFilters, **more: str) -> str:
    pairs = [("severity", s) for s in filters.severity] + [("category", c) for c in filters.category]
    pairs += [(k, v) for k, v in more.items() if v]
    return f"?{urlencode(pairs)}" if pairs else ""


@dataclass
class Listed:
    page: FlagPage | None
    first: int
    errors: dict[str, str]


def _list(session: Session, by: Principal, filters: FlagFilters, cursor: str, number: int | None) -> Listed:
    if number is None:
        return Listed(None, 1, {"cursor": _MESSAGES["cursor"]})
    errors: dict[str, str] = {}
    result = None
    try:
        result = flags.page(session, filters, limit=PAGE_SIZE, cursor=cursor or None, by=by)
    except BadRequest as exc:
        for error in exc.errors or [FieldError("cursor", exc.detail)]:
            errors[error.field] = _MESSAGES.get(error.field, error.message)
    return Listed(result, (number - 1) * PAGE_SIZE + 1, errors)


def _page(request: Request, session: Session, by: Principal, filters: FlagFilters, *, cursor: str = "",
          number: int | None = 1, problem: str | None = None, status_code: int | None = None) -> Response:
    listed = _list(session, by, filters, cursor, number)
    number = number or 1
    errors = dict(listed.errors)
    if problem:
        errors["withdraw"] = problem
    result = listed.page
    shown = len(result.items) if result else 0
    context = {
        "filters": filters,
        "severities": SEVERITIES,
        "categories": [(c, CATEGORY_WORDS.get(c, c)) for c in CATEGORIES],
        "category_words": CATEGORY_WORDS,
        "result": result,
        "errors": errors,
        "error_anchors": _ANCHORS,
        "first": listed.first,
        "last": listed.first + shown - 1,
        "on_first_page": not cursor and number == 1,
        "first_url": URL + _query(filters),
        "next_url": (URL + _query(filters, cursor=result.next_cursor, page=str(number + 1))
                     if result and result.next_cursor else None),
        "csv_url": f"{URL}/export.csv" + _query(filters),
        "xlsx_url": f"{URL}/export.xlsx" + _query(filters),
        "can_manage": permissions.manages(by),
        "fragment": is_fragment(request),
        **_chrome(session, by),
    }
    code = status_code or (400 if listed.errors else 200)
    return render(request, "flags/list.html", context, block="results", status_code=code)


def _number(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 10 and int(raw) > 0 else None


@router.get(URL, summary="The red-flag list, worst first")
def list_red_flags(request: Request, session: SessionDep, by: WebPrincipal,
                   severity: Annotated[list[str] | None, Query()] = None,
                   category: Annotated[list[str] | None, Query()] = None,
                   cursor: str = "", page: str = "1") -> Response:
    """The whole page, or the results block for htmx (filters, paging)."""
    filters = FlagFilters(severity=severity or [], category=category or [])
    return _page(request, session, by, filters, cursor=cursor, number=_number(page))


def _export_filters(severity: list[str] | None, category: list[str] | None) -> FlagFilters:
    filters = FlagFilters(severity=severity or [], category=category or [])
    flags.check_filters(filters)
    return filters


def _filename(by: Principal, extension: str) -> str:
    return f"red-flags-{by.partnership_slug}-{date.today().isoformat()}.{extension}"


@router.get(f"{URL}/export.csv", summary="The red-flag list as CSV")
def export_csv(session: SessionDep, by: WebPrincipal, severity: Annotated[list[str] | None, Query()] = None,
               category: Annotated[list[str] | None, Query()] = None) -> Response:
    """Every flag the list shows (with its filters), one a line, worst schools first."""
    listed = flags.listing(session, _export_filters(severity, category), by=by)
    return Response(flag_export.to_csv(listed), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(by, "csv")}"'})


@router.get(f"{URL}/export.xlsx", summary="The red-flag list as an Excel workbook")
def export_xlsx(session: SessionDep, by: WebPrincipal, severity: Annotated[list[str] | None, Query()] = None,
                category: Annotated[list[str] | None, Query()] = None) -> Response:
    listed = flags.listing(session, _export_filters(severity, category), by=by)
    body = flag_export.to_xlsx(listed, title=by.partnership_name, as_of=date.today())
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(by, "xlsx")}"'})


# --- an officer's own flags and overrides ---------------------------------------------------------

MANUAL_FIELDS = ("urn", "kind", "rule", "severity", "category", "reason")
MANUAL_LABELS = {"urn": "School's URN", "kind": "What to do", "rule": "The rule's flag", "severity": "Severity",
                 "category": "What it is about", "reason": "Why"}
SET_ASIDE = "aside"


def _manual_page(request: Request, session: Session, by: Principal, form: Form) -> Response:
    context = {"form": form, "labels": MANUAL_LABELS, "rules": list(RULES.values()), "set_aside": SET_ASIDE,
               "categories": [(c, CATEGORY_WORDS[c]) for c in CATEGORIES if c != "manual"], **_chrome(session, by)}
    return render(request, "flags/manual_form.html", context, status_code=form.status_code)


@router.get(f"{URL}/new", summary="The form to add a flag by hand or override a rule's flag")
def new_manual_flag(request: Request, session: SessionDep, by: WebPrincipal, urn: str = "", rule: str = "") -> Response:
    """Officers only; `urn` and `rule` fill the form in (from a school's row on the list)."""
    permissions.require_flag_manager(by)
    kind = ManualKind.override.value if rule in RULES else ManualKind.add.value
    form = Form({"urn": urn[:6], "kind": kind, "rule": rule if rule in RULES else "", "severity": "", "category": "",
                 "reason": ""})
    return _manual_page(request, session, by, form)


def _manual_data(form: Form) -> ManualFlagCreate:
    """The form as the API's body; every missing answer refused at once, each beside its field."""
    raw = str(form.values.get("severity") or "")
    reason = str(form.values.get("reason") or "").strip()
    extra: dict[str, Any] = {"reason": reason or "(none)"}
    if raw == SET_ASIDE:
        extra["severity"] = None
    elif raw:
        extra["severity"] = raw
    kind = form.values.get("kind")
    names = ("kind", "rule") if kind == ManualKind.override.value else ("kind", "category")
    data = parse(ManualFlagCreate, form, names, extra=extra)
    errors = [] if reason else [FieldError("reason", "say why: the clinic reads your reason beside the flag")]
    try:
        flags.check_manual(data)
    except ValidationFailed as exc:
        # The API's words name its null; the form's third choice says it in words already.
        errors = [FieldError(e.field, e.message.removesuffix(" (severity null)")) for e in exc.errors] + errors
    if errors:
        raise ValidationFailed(errors)
    return data


@router.post(f"{URL}/new", summary="Add a flag by hand or override a rule's flag")
def create_manual_flag(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """303 to the list with a banner; 422 with the messages and everything typed kept."""
    permissions.require_flag_manager(by)
    form = Form.typed(data, MANUAL_FIELDS)
    urn = str(form.values.get("urn") or "").strip()
    with attempt(session, form):
        errors: list[FieldError] = []
        try:
            school = flags.school_for_flags(session, urn, by=by)
        except NotFound:
            errors.append(FieldError("urn", "enter the URN of one of the partnership's schools"))
        try:
            data = _manual_data(form)
        except ValidationFailed as exc:
            errors += exc.errors
        if errors:
            raise ValidationFailed(errors)
        flags.add_manual(session, school, data, by=by)
    if form.refused:
        return _manual_page(request, session, by, form)
    words = "override" if form.values.get("kind") == ManualKind.override.value else "flag"
    return redirect(request, URL, banner=f"Your {words} for {school.name} was saved")


@router.post(f"{URL}/withdraw", summary="Withdraw a flag added by hand, or an override")
def withdraw_manual_flag(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """303 to the list with a banner; if someone changed or withdrew it meanwhile, the list again
    (409) saying so."""
    permissions.require_flag_manager(by)
    form = Form.typed(data, ("urn", "flag_id"))
    flag_id = _number(str(form.values.get("flag_id") or ""))
    if flag_id is None:
        raise NotFound("there is no such flag")
    school = flags.school_for_flags(session, str(form.values.get("urn") or ""), by=by)
    try:
        with session.begin_nested():
            flags.withdraw(session, school, flag_id, if_match=form.if_match, by=by)
    except (PreconditionFailed, Conflict) as exc:
        message = ("Someone changed or withdrew that flag while you were looking at the list; here it is as it is now"
                   if isinstance(exc, PreconditionFailed) else exc.detail[:1].upper() + exc.detail[1:])
        return _page(request, session, by, FlagFilters(), problem=message, status_code=409)
    return redirect(request, URL, banner=f"The flag for {school.name} was withdrawn")
