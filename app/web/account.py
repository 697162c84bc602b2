"""Your own account: changing your password; and the public page where a one-time link sets one.

Both hash the new password with the request's transaction ended first (argon2 is slow on purpose,
and no other writer should wait for it), so the services are called directly here rather than under
`forms.attempt`'s savepoint: they refuse before they write anything."""

from fastapi import Request
from fastapi.responses import Response

from app.config import get_settings
from app.deps import PasswordCheck, SessionDep
from app.errors import AppError, NotFound, ValidationFailed
from app.routing import Router
from app.services import accounts, people
from app.web.auth import _client_ip
from app.web.forms import Form, FormData
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: account"])

CHANGE_FIELDS = ("current_password", "new_password", "again")
SET_FIELDS = ("password", "again")


def _blank(form: Form) -> Form:
    """A password is never sent back to the browser, not even the one it sent."""
    form.values = {name: "" for name in form.values}
    return form


@router.get("/account/password", summary="The form to change your own password")
def password_form(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """Any signed-in person."""
    context = {"form": Form({name: "" for name in CHANGE_FIELDS}), "active_nav": "account",
               "min_length": accounts.MIN_PASSWORD_LENGTH,
               "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}
    return render(request, "account/password.html", context)


@router.post("/account/password", summary="Change your own password; your other sessions end",
             dependencies=[PasswordCheck])
def change_password(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """303 back with a banner; this browser stays signed in. 422 with the messages when refused."""
    form = Form.typed(data, CHANGE_FIELDS)
    text = {name: value if isinstance(value, str) else "" for name, value in form.values.items()}
    this_session = request.cookies.get(get_settings().session_cookie_name)
    try:
        people.change_password(session, current_password=text["current_password"], new_password=text["new_password"],
                               again=text["again"], keep_session=this_session, by=by, client=_client_ip(request))
    except ValidationFailed as exc:
        form.refuse(exc)
        context = {"form": _blank(form), "active_nav": "account", "min_length": accounts.MIN_PASSWORD_LENGTH,
                   "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}
        return render(request, "account/password.html", context, status_code=form.status_code)
    return redirect(request, "/account/password",
                    banner="Your password has been changed; any other browsers you used are signed out")


def _gone(request: Request, exc: AppError) -> Response:
    return render(request, "account/link_gone.html", {"error": exc}, status_code=exc.status_code)


@router.get("/password/{key}", summary="Public: set your password with a one-time link")
def set_password_form(key: str, request: Request, session: SessionDep) -> Response:
    """PUBLIC: the link is the credential. A used, expired or unknown link is a page that says so."""
    try:
        user = people.link_holder(session, key=key)
    except (NotFound, people.LinkGone) as exc:
        return _gone(request, exc)
    context = {"form": Form({name: "" for name in SET_FIELDS}), "user": user, "key": key,
               "min_length": accounts.MIN_PASSWORD_LENGTH}
    return render(request, "account/set_password.html", context)


@router.post("/password/{key}", summary="Public: set your password with a one-time link",
             dependencies=[PasswordCheck])
def set_password(key: str, request: Request, session: SessionDep, data: FormData) -> Response:
    """PUBLIC (CSRF-checked): 303 to sign in with a banner; the link then no longer works."""
    form = Form.typed(data, SET_FIELDS)
    text = {name: value if isinstance(value, str) else "" for name, value in form.values.items()}
    try:
        user = people.set_password(session, key=key, password=text["password"], again=text["again"],
                                   client=_client_ip(request))
    except (NotFound, people.LinkGone) as exc:
        return _gone(request, exc)
    except ValidationFailed as exc:
        form.refuse(exc)
        context = {"form": _blank(form), "user": people.link_holder(session, key=key), "key": key,
                   "min_length": accounts.MIN_PASSWORD_LENGTH}
        return render(request, "account/set_password.html", context, status_code=form.status_code)
    return redirect(request, "/sign-in", banner=f"Your password is set, {user.name}: sign in with it now")
