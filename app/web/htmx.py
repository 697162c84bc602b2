"""Page-or-fragment rendering for htmx, from one template; redirects after a POST; banners.

A banner ("School details saved") rides from the POST to the next page in a signed cookie, and is
shown once: the first whole page drawn takes it. An htmx request that stays on its page gets its
banner swapped in out of band instead (`render(..., banner=...)`).
"""

import base64
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2_fragments import render_blocks

from app.config import get_settings
from app.security import same, sign
from app.templating import templates
from app.web.security import csrf_token, set_cookie

BANNER_COOKIE = "sp_banner"


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def is_fragment(request: Request) -> bool:
    """True for an htmx request that wants a fragment: not boosted, not a history restore."""
    headers = request.headers
    return (is_htmx(request) and headers.get("hx-boosted") != "true"
            and headers.get("hx-history-restore-request") != "true")


def _seal(text: str) -> str:
    encoded = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return f"{encoded}.{sign(get_settings().secret_key, 'banner:' + encoded)}"


def _unseal(value: str | None) -> str | None:
    if not value or "." not in value:
        return None
    encoded, signature = value.rsplit(".", 1)
    if not same(sign(get_settings().secret_key, "banner:" + encoded), signature):
        return None
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return None


def redirect(request: Request, url: str, *, banner: str | None = None) -> Response:
    """Where a successful POST goes: 303 to `url`, or for htmx an HX-Redirect (htmx would otherwise
    follow the 303 itself and swap the next page into the form's place). `banner` is shown once on
    the page arrived at."""
    response: Response
    if is_htmx(request):
        response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if banner:
        set_cookie(response, BANNER_COOKIE, _seal(banner), max_age=300)
    return response


def render(request: Request, template: str, context: dict[str, Any], *, block: str | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None,
           banner: str | None = None, also: tuple[str, ...] = ()) -> HTMLResponse:
    """The whole page, or only `block` when htmx asked for a fragment. Varies on HX-Request.

    A whole page shows (and uses up) the banner a redirect left; a fragment given `banner` carries
    it out of band, into the page's banner slot. `also` names further blocks sent with a fragment
    out of band (their templates mark their root `hx-swap-oob` when the block is in `oob`): parts
    of the page that a change elsewhere made stale, such as a record's history."""
    context = {"request": request, "csrf_token": csrf_token(request),
               "principal": getattr(request.state, "principal", None), "oob": frozenset(also), **context}
    kwargs: dict[str, Any] = {"status_code": status_code, "headers": {"Vary": "HX-Request", **(headers or {})}}
    if block and is_fragment(request):
        names = [block, *also]
        if banner:
            html = render_blocks(templates.env, template, names, **context)
            slot = templates.env.get_template("components/banner.html").module.banner(banner, oob=True)
            return HTMLResponse(html + str(slot), **kwargs)
        if len(names) > 1:
            return templates.TemplateResponse(request, template, context, block_names=names, **kwargs)
        return templates.TemplateResponse(request, template, context, block_name=block, **kwargs)
    context["oob"] = frozenset()
    carried = request.cookies.get(BANNER_COOKIE)
    context["banner"] = banner or _unseal(carried)
    response = templates.TemplateResponse(request, template, context, **kwargs)
    if carried is not None:
        response.delete_cookie(BANNER_COOKIE, path="/")
    return response
