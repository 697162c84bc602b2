"""The partnership board in the browser: every school at a glance, filtered by a plain GET form
(htmx swaps only the tiles and pushes the address, so a filtered board can be bookmarked)."""

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from app.deps import SessionDep
from app.errors import BadRequest
from app.routing import Router
from app.services import accounts
from app.services import board as boards
from app.services.board import BoardFilters
from app.web.htmx import is_fragment, render
from app.web.security import WebPrincipal

router = Router(tags=["web: board"])

# What the browser is told when a filter's value is wrong; the service's own words are for API callers.
MESSAGES = {
    "phase": "Choose phases from the list",
    "severity": "Choose flag severities from the list",
    "collaborative": "Choose collaboratives from the list",
    "engaged": "Choose engaged, not engaged or either",
    "closed": "Tick the box to include closed schools, or leave it clear",
}


@router.get("/board", summary="The partnership board: every school at a glance")
def show_board(
    request: Request,
    session: SessionDep,
    by: WebPrincipal,
    phase: Annotated[list[str] | None, Query()] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    collaborative: Annotated[list[str] | None, Query()] = None,
    engaged: str = "",
    closed: str = "",
) -> Response:
    """The whole page, or only the tiles for htmx; a filter given a value it does not offer is a
    400 page with the message beside the filter."""
    filters = BoardFilters(phase=phase or [], severity=severity or [], collaborative=collaborative or [],
                           engaged=engaged, closed=closed)
    errors: dict[str, str] = {}
    result = None
    try:
        result = boards.board(session, filters, by=by)
    except BadRequest as exc:
        errors = {e.field: MESSAGES.get(e.field, e.message) for e in exc.errors or []}
    context = {
        "active_nav": "board",
        "filters": filters,
        "board": result,
        "choices": {
            "phase": boards.PHASE_CHOICES,
            "collaborative": result.choices if result else boards.choices(session, by=by),
        },
        "errors": errors,
        "fragment": is_fragment(request),
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
    }
    return render(request, "board/show.html", context, block="tiles", status_code=400 if errors else 200)
