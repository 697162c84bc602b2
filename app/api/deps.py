"""API dependencies: the bearer-token principal and object loaders."""

from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.deps import SAFE_METHODS, SessionDep
from app.errors import Unauthorized
from app.models.collaborative import Collaborative, Triad
from app.models.school import School
from app.models.types import MAX_ID
from app.services import collaboratives, schools, tokens, triads
from app.services.principal import Principal, bind

# Declares the scheme in OpenAPI, so that clients (and schemathesis) know every /api/v1 operation
# needs a bearer token. api_principal reads the header itself, to answer with a problem document.
bearer_token = HTTPBearer(auto_error=False, scheme_name="apiToken",
                          description="An API token of a partnership: `python -m app create-token`.")



def api_principal(
    request: Request, session: SessionDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_token)] = None,
) -> Principal:
    """The integration calling: only `Authorization: Bearer <token>` is accepted, never a cookie.

    The token is checked in the request's own transaction; its last use is only noted, and
    written later outside any request (tokens.UsageRecorder), so a read never becomes a write."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("send an API token as `Authorization: Bearer <token>`",
                           headers={"WWW-Authenticate": 'Bearer realm="api"'})
    try:
        principal, stale = tokens.authenticate(session, credentials.strip())
    except Unauthorized as exc:
        exc.headers.setdefault("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"')
        raise
    principal.require_read()
    if request.method not in SAFE_METHODS:
        # A read-only token is refused a change before its body is validated: 403, not a 422
        # about a body it could never have sent.
        principal.require_write()
    if stale:
        request.app.state.token_usage.note(principal.token_id)
    bind(session, principal)
    request.state.principal = principal  # for the request log (app.request_log)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(api_principal)]


def no_null(schema: dict[str, Any]) -> None:
    """For an optional query or header parameter: it is absent or has a value, never null (a query
    string cannot say null). Drops the `null` branch pydantic gives `X | None` from the schema."""
    branches = [branch for branch in schema.pop("anyOf", []) if branch.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches


def if_match_header(
    if_match: Annotated[str | None, Header(alias="If-Match", json_schema_extra=no_null,
                                           description="The ETag you read; required to change "
                                           "a record (428 without it, 412 if stale).")] = None,
) -> str | None:
    return if_match


IfMatch = Annotated[str | None, Depends(if_match_header)]
URNPath = Annotated[str, Path(pattern=r"^[0-9]{6}$", description="The school's 6-digit URN")]


def school_from_path(urn: URNPath, session: SessionDep, by: CurrentPrincipal) -> School:
    return schools.get(session, urn, by=by)


SchoolFromPath = Annotated[School, Depends(school_from_path)]


CollaborativeId = Annotated[int, Path(ge=1, le=MAX_ID, description="The collaborative's id")]
TriadId = Annotated[int, Path(ge=1, le=MAX_ID, description="The triad's id")]


def collaborative_from_path(collaborative_id: CollaborativeId, session: SessionDep,
                            by: CurrentPrincipal) -> Collaborative:
    return collaboratives.get(session, collaborative_id, by=by)


def triad_from_path(triad_id: TriadId, session: SessionDep, by: CurrentPrincipal) -> Triad:
    return triads.get(session, triad_id, by=by)


CollaborativeFromPath = Annotated[Collaborative, Depends(collaborative_from_path)]
TriadFromPath = Annotated[Triad, Depends(triad_from_path)]
