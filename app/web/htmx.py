"""Page-or-fragment rendering for htmx, from one template."""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.templating import templates
from app.web.security import csrf_token


def is_fragment(request: Request) -> bool:
    """True for an htmx request that wants a fragment: not boosted, not a history restore."""
    headers = request.headers
    return (headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true"
            and headers.get("hx-history-restore-request") != "true")


def render(request: Request, template: str, context: dict[str, Any], *, block: str | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """The whole page, or only `block` when htmx asked for a fragment. Varies on HX-Request."""
    context = {"request": request, "csrf_token": csrf_token(request),
               "principal": getattr(request.state, "principal", None), **context}
    kwargs: dict[str, Any] = {"status_code": status_code, "headers": {"Vary": "HX-Request", **(headers or {})}}
    if block and is_fragment(request):
        return templates.TemplateResponse(request, template, context, block_name=block, **kwargs)
    return templates.TemplateResponse(request, template, context, **kwargs)
