"""How API errors look in OpenAPI and on the wire (RFC 9457 problem details)."""

from pydantic import BaseModel

from app.errors import PROBLEM_JSON


class ProblemFieldError(BaseModel):
    field: str
    location: str
    message: str


class ProblemDetails(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemFieldError] = []


def problem_responses(*codes: int) -> dict[int, dict]:
    descriptions = {
        400: "Malformed request (bad JSON, cursor or query value)",
        401: "Missing, unknown or revoked bearer token",
        403: "The token lacks the scope this needs",
        404: "No such record in your partnership",
        409: "Conflicts with an existing record",
        412: "If-Match does not match the current ETag",
        422: "The body or parameters failed validation",
        428: "If-Match is required for this change",
    }
    return {
        code: {"model": ProblemDetails, "description": descriptions[code],
               "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}}
        for code in codes
    }
