"""API tokens in the browser: issue one (its secret shown once), list them, revoke one.

The secret is shown on the answer to the POST itself, never carried to another page: a redirect
would have to put it in a cookie (the banner's is signed, not encrypted), where it would sit in the
browser's cookie store and travel back to the server on the next request."""

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.account import ApiToken
from app.routing import Router
from app.services import accounts, tokens
from app.services.principal import Principal
from app.web import forms
from app.web.forms import Form, FormData
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: settings"])

FIELDS = ("name", "scopes")
LIST_URL = "/settings/tokens"


def _client(request: Request) -> str:
    """The browser's address, for the security event (as app.web.auth records sign-ins)."""
    return request.client.host if request.client else "unknown"


def _page(request: Request, session: Session, by: Principal, form: Form, *, created: ApiToken | None = None,
          secret: str | None = None, status_code: int = 200) -> Response:
    context = {
        "active_nav": "settings",
        "active_settings": "tokens",
        "form": form,
        "scope_choices": tokens.SCOPE_CHOICES,
        "tokens": tokens.list_all(session, by=by),
        "created": created,
        "secret": secret,
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
    }
    return render(request, "settings/tokens.html", context, status_code=status_code)


@router.get("/settings/tokens", summary="The partnership's API tokens, and a form to issue one")
def list_tokens(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """Officers only: a viewer gets the 403 page."""
    return _page(request, session, by, Form({"name": "", "scopes": []}))


@router.post("/settings/tokens", summary="Issue an API token; its secret is shown on this answer only")
def create_token(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """201 with the page showing the new token's secret once; 422 with the form again when refused."""
    form = Form.typed(data, FIELDS)
    scopes = form.values["scopes"]
    form.values["scopes"] = [scopes] if isinstance(scopes, str) and scopes else scopes or []
    name = form.values["name"] if isinstance(form.values["name"], str) else ""
    created, secret = None, None
    with forms.attempt(session, form):
        created, secret = tokens.create(session, name=name, scopes=form.values["scopes"], by=by,
                                        client=_client(request))
    if created is None:
        return _page(request, session, by, form, status_code=form.status_code)
    return _page(request, session, by, Form({"name": "", "scopes": []}), created=created, secret=secret,
                 status_code=201)


@router.get("/settings/tokens/{prefix}/revoke", summary="Confirm revoking an API token")
def confirm_revoke(prefix: str, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """What revoking means, and the button that does it."""
    context = {
        "active_nav": "settings",
        "active_settings": "tokens",
        "token": tokens.get(session, prefix, by=by),
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
    }
    return render(request, "settings/tokens_revoke.html", context)


@router.post("/settings/tokens/{prefix}/revoke", summary="Revoke an API token: it stops working at once")
def revoke_token(prefix: str, request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """Back to the list (303) with a banner."""
    token = tokens.revoke(session, prefix, by=by, client=_client(request))
    return redirect(request, LIST_URL, banner=f"Token ‘{token.name}’ ({token.prefix}) revoked: it no longer works")
