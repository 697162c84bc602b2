"""One log line and one metrics observation per request (pure ASGI middleware, inside LastResort,
whose request id it reads).

The line's fields: request_id, method, path (the route's template, `/api/v1/schools/{urn}`, never
the concrete path: some paths carry a credential, and templates keep the metrics' labels few),
status, ms, partnership_id (when the request was made by someone signed in or a token: the
principal its dependency put in request.state; no query of its own). Never the query string,
headers, cookies or body."""

import logging
import time
import weakref
from collections.abc import Iterable

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics

log = logging.getLogger("app.requests")

UNMATCHED = "(unmatched)"

# The app's routes' full templates by route object: FastAPI keeps an included router's routes with
# their own paths (`/schools`), its prefix (`/api/v1`) on the inclusion. Built on first use.
_templates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _walk(routes: Iterable, prefix: str, found: dict[int, str], mounts: list[str]) -> None:
    for route in routes:
        if hasattr(route, "include_context"):  # an included router
            _walk(route.original_router.routes, prefix + route.include_context.prefix, found, mounts)
        elif isinstance(route, Mount):
            mounts.append(prefix + route.path)
        elif hasattr(route, "path"):
            found[id(route)] = prefix + route.path


def _route_map(app, *, afresh: bool = False) -> tuple[dict[int, str], list[str]]:  # noqa: ANN001
    known = _templates.get(app)
    if known is None or afresh:
        found: dict[int, str] = {}
        mounts: list[str] = []
        _walk(app.routes, "", found, mounts)
        known = _templates[app] = (found, mounts)
    return known


def path_template(scope: Scope) -> str:
    """The template of the route that answered (`/schools/{urn}`), `/static/{path}` for a mount's
    files, or "(unmatched)"."""
    app = scope.get("app")
    if app is None or not hasattr(app, "routes"):
        return UNMATCHED
    found, mounts = _route_map(app)
    route = scope.get("route")
    if route is not None:
        if id(route) not in found:  # a route added since the map was made
            found, _ = _route_map(app, afresh=True)
        return found.get(id(route)) or getattr(route, "path", UNMATCHED)
    path = scope.get("path", "")
    return next((f"{mount}/{{path}}" for mount in mounts if path.startswith(mount + "/")), UNMATCHED)


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless an answer starts

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.record(scope, status, time.perf_counter() - started)

    @staticmethod
    def record(scope: Scope, status: int, seconds: float) -> None:
        method, template = _method(scope["method"]), path_template(scope)
        state = scope.get("state") or {}
        principal = state.get("principal")
        partnership_id = getattr(principal, "partnership_id", None)
        request_id = state.get("request_id")
        ms = round(seconds * 1000, 1)
        metrics.observe(method, template, status, seconds)
        log.log(logging.WARNING if status >= 500 else logging.INFO,
                "%s %s %s %.1fms request=%s partnership=%s", method, template, status, ms, request_id,
                partnership_id if partnership_id is not None else "-",
                extra={"request_id": request_id, "method": method, "path": template, "status": status, "ms": ms,
                       "partnership_id": partnership_id})


# Methods as they are labelled: a server whose HTTP parser lets any token through as a method must
# not give a client one new metric series per invented name.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def _method(method: str) -> str:
    return method if method in KNOWN_METHODS else "OTHER"
