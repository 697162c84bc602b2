"""The calendar feed: a public address with a secret in it (calendar apps cannot sign in), and
the account page where a person makes that address, shown to them once."""

from fastapi import Request
from fastapi.responses import Response

from app.deps import SessionDep
from app.errors import Forbidden
from app.routing import Router
from app.services import accounts, calendar
from app.web.htmx import render
from app.web.security import WebPrincipal

router = Router(tags=["web: calendar"])


@router.get("/calendar/{key}.ics", summary="Public: a person's visits as an iCalendar feed")
def calendar_feed(key: str, session: SessionDep) -> Response:
    """PUBLIC: the secret in the address is the credential. An unknown or replaced one is 404."""
    return Response(calendar.feed(session, key), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="visits.ics"'})


def _page(request: Request, session: SessionDep, by: WebPrincipal, *, address: str | None,
          status_code: int = 200) -> Response:
    context = {"active_nav": "account", "address": address,
               "has_address": address is not None or calendar.has_address(session, user_id=by.user_id),
               "partnerships": accounts.partnerships_of(session, by.user_id)}
    return render(request, "account/calendar.html", context, status_code=status_code)


@router.get("/account/calendar", summary="Your calendar feed")
def calendar_page(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """Whether you have a feed, and the button that makes a new address."""
    if by.user_id is None:
        raise Forbidden("only a signed-in person has a calendar")
    return _page(request, session, by, address=None)


@router.post("/account/calendar", summary="Make a new address for your calendar feed")
def new_calendar_address(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """The new address is shown on this answer only (its secret is stored hashed); the old one stops."""
    if by.user_id is None:
        raise Forbidden("only a signed-in person has a calendar")
    key = calendar.new_address(session, user_id=by.user_id)
    address = str(request.url_for("calendar_feed", key=key))
    return _page(request, session, by, address=address, status_code=201)
