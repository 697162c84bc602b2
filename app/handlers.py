"""Error handlers: problem details for the API, an error page for the browser."""

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db import TenantViolation
from app.errors import (
    PROBLEM_JSON,
    AppError,
    BadRequest,
    FieldError,
    NotFound,
    PreconditionFailed,
    ServiceUnavailable,
    ValidationFailed,
)
from app.models.types import PATTERN_MESSAGES

_FIELD_IN_MESSAGE = re.compile(r"^(?:Value error, )?([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)

# What FastAPI says when reading a body fails other than by a JSON syntax error.
FASTAPI_UNPARSABLE_BODY = "There was an error parsing the body"

_FRIENDLY = {
    "extra_forbidden": "unknown field; this API does not accept it",
    "missing": "required",
    # Said the same way to an API caller and beside a form's field.
    "int_type": "enter a whole number",
    "int_parsing": "enter a whole number",
    "int_from_float": "enter a whole number",
    "float_type": "enter a number",
    "float_parsing": "enter a number",
    "finite_number": "enter a number, not infinity",
}


def field_errors(errors: Sequence[Mapping]) -> list[FieldError]:
    """Pydantic's errors (each `loc` starting with where the value came from: body, query, path,
    form) as FieldErrors in the service's own words. Both faces use this: a value the API refuses
    is refused in a form with the same message."""
    found = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        location = loc[0] if loc else "body"
        parts = loc[1:] if location != "query" else [p for p in loc[1:] if not p.isdigit()]
        field = ".".join(parts) or location
        message = _FRIENDLY.get(err.get("type", ""), err.get("msg", "invalid"))
        if err.get("type") == "string_pattern_mismatch":
            message = PATTERN_MESSAGES.get((err.get("ctx") or {}).get("pattern", ""), message)
        named = _FIELD_IN_MESSAGE.match(err.get("msg", ""))
        if named and err.get("type") == "value_error":
            field, message = named.group(1), named.group(2)
        found.append(FieldError(field=field, message=message, location=location))
    return found


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@lru_cache(maxsize=256)
def _path_pattern(template: str) -> re.Pattern:
    return re.compile(re.sub(r"\\{[^/{}]+\\}", "[^/]+", re.escape(template)))


def allowed_methods(request: Request, allow: str) -> str:
    """Every method the resource at this path supports (RFC 9110 `Allow`). Starlette's 405 names
    only the methods of the first route whose path matched, but FastAPI adds one route per method,
    so the rest are read from the OpenAPI document."""
    methods = {m.strip().upper() for m in allow.split(",") if m.strip()}
    for template, item in (request.app.openapi().get("paths") or {}).items():
        if _path_pattern(template).fullmatch(request.url.path):
            methods |= {m.upper() for m in item if m in _HTTP_METHODS}
    return ", ".join(sorted(methods))


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def wants_json(request: Request) -> bool:
    """Outside /api/, a page unless the client asks for JSON and not for HTML."""
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def problem_response(request: Request, exc: AppError) -> Response:
    return JSONResponse(exc.problem(instance=request.url.path), status_code=exc.status_code,
                        media_type=PROBLEM_JSON, headers=exc.headers)


def install(app: FastAPI, render_error_page) -> Callable[[Request, AppError], Response]:  # noqa: ANN001
    """Register the handlers. `render_error_page(request, exc)` draws the HTML face. Returns the
    function that answers an error in the caller's face, for the middleware to use too."""

    def respond(request: Request, exc: AppError) -> Response:
        if is_api(request) or wants_json(request):
            return problem_response(request, exc)
        return render_error_page(request, exc)

    @app.exception_handler(AppError)
    async def on_app_error(request: Request, exc: AppError) -> Response:
        return respond(request, exc)

    @app.exception_handler(TenantViolation)
    async def on_tenant_violation(request: Request, exc: TenantViolation) -> Response:
        return respond(request, NotFound())

    @app.exception_handler(StaleDataError)
    async def on_stale(request: Request, exc: StaleDataError) -> Response:
        # A write raced another and lost; whichever flush noticed it, the caller is told.
        return respond(request, PreconditionFailed("the record was changed by someone else at the same moment; "
                                                   "read it again"))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return respond(request, BadRequest("the body is not valid JSON", errors=[
                FieldError("body", "not valid JSON")]))
        return respond(request, ValidationFailed(field_errors(exc.errors())))

    @app.exception_handler(OperationalError)
    async def on_database_unavailable(request: Request, exc: OperationalError) -> Response:
        # Locked past its timeout by another process, restarting, or unreachable: all pass.
        logging.getLogger("app.errors").warning("database unavailable: %s", exc.orig)
        return respond(request, ServiceUnavailable("the database is busy or unavailable; try again in a moment",
                                                   retry_after=2))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and exc.detail == FASTAPI_UNPARSABLE_BODY:
            # Bytes that are not text, or JSON nested past the parser's depth: not valid JSON either.
            return respond(request, BadRequest("the body is not valid JSON", errors=[
                FieldError("body", "not valid JSON")]))
        error = AppError(str(exc.detail) if exc.detail else None, headers=dict(exc.headers or {}))
        error.status_code = exc.status_code
        error.slug = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}.get(
            exc.status_code, "http-error")
        if exc.status_code == 405:
            error.headers["Allow"] = allowed_methods(request, error.headers.get("Allow", ""))
        return respond(request, error)

    return respond
