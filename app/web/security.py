"""The browser's security: the session principal and CSRF protection.

CSRF uses a signed double submit: a random value lives in an HttpOnly cookie, and every
state-changing form (or htmx request, via the X-CSRF-Token header) must carry the HMAC of that
value under the app's secret key. Another site can neither read the cookie nor forge the HMAC.
"""

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.deps import SAFE_METHODS, SessionDep
from app.errors import AppError, Forbidden
from app.security import same, sign
from app.services import accounts
from app.services.principal import Principal, bind

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(AppError):
    status_code, slug = 401, "sign-in-required"


def csrf_cookie_value(request: Request) -> str:
    """This browser's CSRF secret, made on first sight (the middleware sets the cookie)."""
    value = getattr(request.state, "csrf_cookie", None)
    if value is None:
        value = request.cookies.get(get_settings().csrf_cookie_name) or secrets.token_urlsafe(32)
        request.state.csrf_cookie = value
    return value


def csrf_token(request: Request) -> str:
    """The value forms must send back."""
    return sign(get_settings().secret_key, "csrf:" + csrf_cookie_value(request))


def rotate_csrf(request: Request) -> None:
    """A new CSRF secret (on sign-in and sign-out), so a token seen before is worthless."""
    request.state.csrf_cookie = secrets.token_urlsafe(32)


async def verify_csrf(request: Request) -> None:
    """Refuse a state-changing browser request that does not carry this browser's token."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(get_settings().csrf_cookie_name)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    expected = sign(get_settings().secret_key, "csrf:" + cookie) if cookie else None
    if not expected or not sent or not same(expected, sent):
        raise Forbidden("this form has expired or did not come from this site; go back, reload the page "
                        "and try again")


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    settings = get_settings()
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path="/")


class CsrfCookie:
    """Pure ASGI middleware: give every browser a CSRF cookie, and replace it when rotated. API
    requests (bearer tokens, no cookies) and static files pass straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = scope.get("state", {}).get("csrf_cookie")
                name = get_settings().csrf_cookie_name
                if value is not None and value != Request(scope).cookies.get(name):
                    cookie = Response()
                    set_cookie(cookie, name, value)
                    MutableHeaders(scope=message).append("set-cookie", cookie.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, sending)


def web_principal(request: Request, session: SessionDep) -> Principal:
    """The signed-in person acting in their current partnership; otherwise off to sign in."""
    found = accounts.resolve_session(session, request.cookies.get(get_settings().session_cookie_name))
    principal = None
    if found is not None:
        web_session, user = found
        principal = accounts.principal_for(session, user, web_session.partnership_id)
    if principal is None:
        raise SignInRequired("sign in to continue")
    bind(session, principal)
    request.state.principal = principal
    return principal


WebPrincipal = Annotated[Principal, Depends(web_principal)]


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/sign-in?next={quote(target, safe='')}"


def safe_next(target: str | None) -> str:
    """Only follow a local path after sign-in, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/board"
    return target
