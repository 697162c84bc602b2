"""The schools register in the browser: a searchable, filterable list and a page per school."""

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import BadRequest
from app.models.support import PROVIDER_KIND_WORDS
from app.routing import Router
from app.services import accounts, partnerships, school_profile, schools
from app.services.principal import Principal
from app.services.schools import SORT_CHOICES, UNCATEGORISED, SchoolFilters, SchoolPageResult
from app.web import plans as plan_pages
from app.web import support as support_pages
from app.web import visits as visit_pages
from app.web.htmx import is_fragment, render
from app.web.security import WebPrincipal

router = Router(tags=["web: schools"])

PAGE_SIZE = schools.DEFAULT_LIMIT
MAX_SEARCH = schools.MAX_SEARCH

# What the browser is told when a query value is wrong; the service's own words are for API callers.
_MESSAGES = {
    "sort": "Choose a sort order from the list",
    "cursor": "That page link is out of date; go back to the first page",
    "limit": "Choose between 1 and 200 schools a page",
    "ofsted": "Choose Ofsted outcomes from the list",
    "page": "That page link is out of date; go back to the first page",
    "q": f"Search for at most {MAX_SEARCH} characters",
}
# Where the error summary's links go: the field to fix, or the results when no field can fix it.
_ANCHORS = {"cursor": "results", "page": "results", "limit": "results", "ofsted": "ofsted"}
# The words and colours the profile's sections share with the pages of their own records.
PROFILE_WORDS = {
    "visit_kind": visit_pages.KIND_WORDS, "visit_status": visit_pages.STATUS_WORDS,
    "milestone": plan_pages.STATUS_WORDS, "milestone_colours": plan_pages.STATUS_COLOURS,
    "plan": plan_pages.PLAN_STATUS_WORDS, "plan_colours": plan_pages.PLAN_STATUS_COLOURS,
    "badge_order": plan_pages.BADGE_ORDER,
    "outcome": support_pages.OUTCOME_WORDS, "outcome_colours": support_pages.OUTCOME_COLOURS,
    "provider_kind": PROVIDER_KIND_WORDS,
}


@dataclass
class Paging:
    """Where this page sits in the list. Keyset cursors only go forward, so the page number rides
    along in the links purely to say "Showing 51–100"; it never selects rows."""

    number: int
    limit: int
    first: int = 0
    last: int = 0
    next_url: str | None = None
    first_url: str = "/schools"


def _chrome(session: Session, by: Principal) -> dict:
    """What base.html needs beyond the principal: the partnerships the person may switch to."""
    return {"partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


def _positive_int(raw: str | None, default: int) -> int | None:
    """A page number or size as typed in a link: ASCII digits only (str.isdigit also takes '²' and
    '١'), and few enough of them to be a number of pages."""
    if raw is None or raw == "":
        return default
    return int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) and int(raw) > 0 else None


def _url(pairs: list[tuple[str, str]]) -> str:
    kept = [(k, v) for k, v in pairs if v != ""]
    return "/schools" + (f"?{urlencode(kept)}" if kept else "")


def _paging(request: Request, result: SchoolPageResult | None, number: int, limit: int) -> Paging:
    base = [(k, v) for k, v in request.query_params.multi_items() if k not in {"cursor", "page"}]
    paging = Paging(number=number, limit=limit, first_url=_url(base))
    if result is not None and result.rows:
        paging.first = (number - 1) * limit + 1
        paging.last = paging.first + len(result.rows) - 1
        if result.next_cursor:
            paging.next_url = _url([*base, ("cursor", result.next_cursor), ("page", str(number + 1))])
    return paging


def _summary(result: SchoolPageResult | None, paging: Paging) -> str:
    if result is None:
        return "The list could not be shown"
    if result.total == 0:
        return "No schools match"
    noun = "school" if result.total == 1 else "schools"
    return f"Showing {paging.first}–{paging.last} of {result.total} {noun}"


@router.get("/schools", summary="The schools register, searchable and filterable")
def list_schools(
    request: Request,
    session: SessionDep,
    by: WebPrincipal,
    q: str = "",
    phase: Annotated[list[str] | None, Query()] = None,
    establishment_type: Annotated[list[str] | None, Query(alias="type")] = None,
    school_status: Annotated[list[str] | None, Query(alias="status")] = None,
    la_category: Annotated[list[str] | None, Query()] = None,
    ofsted: Annotated[list[str] | None, Query()] = None,
    sort: str = "name",
    cursor: str = "",
    page: str = "1",
    limit: str = str(PAGE_SIZE),
) -> Response:
    """The whole page, or only the results block for htmx (search as you type, filters, paging)."""
    filters = SchoolFilters(q=q, phase=phase or [], establishment_type=establishment_type or [],
                            status=school_status or [], la_category=la_category or [], ofsted=ofsted or [])
    errors: dict[str, str] = {}
    number, size = _positive_int(page, 1), _positive_int(limit, PAGE_SIZE)
    if number is None:
        errors["page"] = _MESSAGES["page"]
    if size is None:
        errors["limit"] = _MESSAGES["limit"]
    result = None
    if not errors:
        try:
            result = schools.page(session, filters, sort=sort, limit=size, cursor=cursor or None, by=by)
        except BadRequest as exc:
            for error in exc.errors or []:
                errors[error.field] = _MESSAGES.get(error.field, error.message[:1].upper() + error.message[1:])
            if not errors:
                errors["q"] = exc.detail[:1].upper() + exc.detail[1:]
    paging = _paging(request, result, number or 1, size or PAGE_SIZE)
    scheme = partnerships.current(session, by=by).category_scheme
    context = {
        "active_nav": "schools",
        "filters": filters,
        "sort": sort,
        "choices": {
            "phase": schools.PHASE_CHOICES,
            "status": schools.STATUS_CHOICES,
            "la_category": [*scheme, UNCATEGORISED],
            "ofsted": schools.OFSTED_CHOICES,
            "type": schools.facets(session, by=by)["establishment_type"],
            "sort": SORT_CHOICES,
        },
        "scheme": scheme,
        "result": result,
        "paging": paging,
        "on_first_page": not cursor and (number or 1) == 1,
        "summary": _summary(result, paging),
        "errors": errors,
        "error_anchors": _ANCHORS,
        "fragment": is_fragment(request),
        **_chrome(session, by),
    }
    return render(request, "schools/list.html", context, block="results", status_code=400 if errors else 200)


@router.get("/schools/{urn}", summary="One school: its profile, from its register entry to its recent changes")
def show_school(urn: str, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """A school of the caller's partnership; any other URN is the 404 page. Each section of the
    profile is one the caller may read (app.services.school_profile)."""
    school = schools.get(session, urn, by=by)
    profile = school_profile.build(session, school, by=by)
    context = {
        "active_nav": "schools",
        "school": school,
        "history": profile.history,
        "figures": profile.figures,
        "profile": profile,
        "scheme": profile.partnership.category_scheme,
        "words": PROFILE_WORDS,
        **_chrome(session, by),
    }
    return render(request, "schools/show.html", context)
