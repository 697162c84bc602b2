"""Sign in, sign out, and switching between a person's partnerships."""

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from app.config import get_settings
from app.deps import PasswordCheck, SessionDep
from app.errors import TooManyRequests
from app.routing import Router
from app.services import accounts
from app.web.htmx import render
from app.web.security import WebPrincipal, rotate_csrf, safe_next, set_cookie

router = Router(tags=["web: sign-in"])


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/sign-in", include_in_schema=False, summary="Public: the sign-in form")
def sign_in_form(request: Request, next: str | None = None) -> Response:  # noqa: A002
    """PUBLIC."""
    return render(request, "auth/sign_in.html", {"next": safe_next(next), "email": "", "errors": {}})


@router.post("/sign-in", include_in_schema=False, summary="Public: check the password, start a session",
             dependencies=[PasswordCheck])
def sign_in(request: Request, session: SessionDep, email: Annotated[str, Form()] = "",
            password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/board") -> Response:  # noqa: A002
    """PUBLIC (CSRF-checked)."""
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    status_code, headers = 422, {}
    if not errors:
        try:
            result = accounts.sign_in(session, email=email, password=password, client_ip=_client_ip(request))
        except TooManyRequests as exc:
            errors["email"] = exc.detail[0].upper() + exc.detail[1:]
            status_code, headers = 429, exc.headers
        else:
            if result.session_key is not None:
                rotate_csrf(request)
                response = RedirectResponse(safe_next(next), status_code=303)
                set_cookie(response, get_settings().session_cookie_name, result.session_key,
                           max_age=get_settings().session_max_age_seconds)
                return response
            errors["email"] = result.error[:1].upper() + result.error[1:]
    return render(request, "auth/sign_in.html", {"next": safe_next(next), "email": email, "errors": errors},
                  status_code=status_code, headers=headers)


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, session: SessionDep) -> Response:
    """End the session (the stored session is deleted, not just the cookie)."""
    accounts.end_session(session, request.cookies.get(get_settings().session_cookie_name))
    rotate_csrf(request)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(get_settings().session_cookie_name, path="/")
    return response


@router.post("/partnership", include_in_schema=False)
def switch_partnership(request: Request, session: SessionDep, by: WebPrincipal,
                       partnership_id: Annotated[int, Form()]) -> Response:
    """Act in another of your partnerships."""
    web_session, user = accounts.resolve_session(session, request.cookies.get(get_settings().session_cookie_name))
    accounts.switch_partnership(session, web_session, user, partnership_id)
    return RedirectResponse("/schools", status_code=303)
