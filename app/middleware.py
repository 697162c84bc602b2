"""Pure ASGI middleware around both faces: security headers, request ids and a last-resort error
answer, and a cap on request bodies. Pure ASGI (not BaseHTTPMiddleware) because it costs little
per request and never stands between a route and its streamed answer."""

import logging
import re
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError, InternalError
from app.request_log import path_template

log = logging.getLogger("app.errors")

Respond = Callable[[Request, AppError], Response]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def content_security_policy(script_url: str) -> str:
    """Pages load scripts from this site and the htmx CDN only, and no inline script or style."""
    parts = urlsplit(script_url)
    script_host = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {script_host}".strip(),
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


# The interactive API reference (/docs) is FastAPI's Swagger UI: its script and styles come from
# jsDelivr and it starts with an inline script. It holds no partnership data.
DOCS_POLICY = ("default-src 'self'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
               "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """Every answer: no sniffing, no framing, same-origin referrers, a content security policy;
    nothing but static files may be cached (pages and API answers hold partnership data)."""

    def __init__(self, app: ASGIApp, *, policy: str, hsts: bool) -> None:
        self.app, self.policy, self.hsts = app, policy, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                headers["Content-Security-Policy"] = DOCS_POLICY if path == "/docs" else self.policy
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if not path.startswith("/static/") and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, sending)


class LastResort:
    """Gives each request an id (`X-Request-ID`, the caller's if sane) and answers any exception
    nothing else handled with a 500 in the face's own shape: problem details or the error page.

    The exception is logged with the id, and the answer is a complete response, so the server
    keeps the keep-alive connection open for the client's next request."""

    def __init__(self, app: ASGIApp, *, respond: Respond) -> None:
        self.app, self.respond = app, respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            # The route's template, not the concrete path: some paths carry a credential.
            log.exception("unhandled error in %s %s (request %s)", scope.get("method"), path_template(scope),
                          request_id, extra={"request_id": request_id})
            if started:
                raise  # half an answer is out; only closing the connection can say it failed
            response = self.respond(Request(scope, receive), InternalError(request_id))
            await response(scope, receive, sending)


class PayloadTooLarge(AppError):
    status_code, slug = 413, "body-too-large"


class BodyTooLarge(HTTPException):
    """Raised while the body is read: an HTTPException, so that FastAPI's body parsing passes it on
    instead of calling it a malformed body."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than this service accepts here ({limit:,} bytes)")


class BodyLimit:
    """Refuses a request body over the limit with 413, before reading it when Content-Length says
    so, and as soon as the limit is passed when it does not (chunked). An upload path may have a
    limit of its own (exactly that path), given only to a request that carries a signed-in
    browser's session cookie (`limits`) or, for the API's bulk paths, a bearer token
    (`token_limits`): nobody can make the server take in a large body before the sign-in, token
    and CSRF checks have had their say without at least appearing signed in."""

    def __init__(self, app: ASGIApp, *, default: int, respond: Respond, limits: dict[str, int] | None = None,
                 token_limits: dict[str, int] | None = None, session_cookie: str = "") -> None:
        self.app, self.default, self.respond = app, default, respond
        self.limits = dict(limits or {})
        self.token_limits = dict(token_limits or {})
        self.session_cookie = session_cookie.encode()

    def limit_for(self, scope: Scope) -> int:
        path = scope["path"]
        if path in self.token_limits:
            authorization = dict(scope["headers"]).get(b"authorization", b"")
            return self.token_limits[path] if authorization[:7].lower() == b"bearer " else self.default
        own = self.limits.get(path)
        if own is None:
            return self.default
        cookies = b";".join(value for key, value in scope["headers"] if key == b"cookie")
        return own if self.session_cookie and self.session_cookie + b"=" in cookies else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return

        received = 0
        started = False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, sending, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = self.respond(Request(scope, receive), PayloadTooLarge(BodyTooLarge(limit).detail))
        response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)

