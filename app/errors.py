"""One error base for the whole app. The JSON face renders RFC 9457 problem details; the
HTML face renders an error page (forms catch ValidationFailed themselves and re-render)."""

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://schools-partnership.example/problems/"


@dataclass
class FieldError:
    field: str
    message: str
    location: str = "body"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "location": self.location, "message": self.message}


class AppError(Exception):
    status_code: int = 400
    slug: str = "bad-request"

    def __init__(self, detail: str | None = None, *, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.detail = detail or HTTPStatus(self.status_code).phrase
        self.errors = errors or []
        self.headers = headers or {}
        super().__init__(self.detail)

    @property
    def title(self) -> str:
        return HTTPStatus(self.status_code).phrase

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status_code,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body


class BadRequest(AppError):
    status_code, slug = 400, "bad-request"


class Unauthorized(AppError):
    status_code, slug = 401, "unauthorized"


class Forbidden(AppError):
    status_code, slug = 403, "forbidden"


class NotFound(AppError):
    status_code, slug = 404, "not-found"


class Conflict(AppError):
    status_code, slug = 409, "conflict"


class PreconditionFailed(AppError):
    status_code, slug = 412, "stale-version"


class ValidationFailed(AppError):
    status_code, slug = 422, "validation"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        summary = detail or "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(summary, errors=errors)


class PreconditionRequired(AppError):
    status_code, slug = 428, "if-match-required"


class TooManyRequests(AppError):
    status_code, slug = 429, "too-many-requests"


@dataclass
class Problem:
    """The OpenAPI shape of a problem-details body (for documentation)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)


class ServiceUnavailable(AppError):
    """The database could not be had in time (busy or down): try again shortly."""

    status_code, slug = 503, "unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class InternalError(AppError):
    """Something failed that no rule foresaw; the request id ties the answer to the log."""

    status_code, slug = 500, "internal-error"

    def __init__(self, request_id: str) -> None:
        super().__init__(f"something went wrong on our side; quote request {request_id} if you report it")
        self.request_id = request_id

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        return super().problem(instance) | {"request_id": self.request_id}
