"""/api/v1/triads: the groups of (usually) three schools whose heads review each other."""

from typing import Annotated

from fastapi import Query, Response, status
from pydantic import Field

from app.api.deps import CurrentPrincipal, IfMatch, TriadFromPath, TriadId, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.collaborative import TriadCreate, TriadPage, TriadPublic, TriadUpdate
from app.models.school import URN
from app.models.types import MAX_ID, AcademicYear
from app.routing import Router
from app.services import triads
from app.services.collaboratives import DEFAULT_LIMIT, Listed, ListFilters
from app.services.concurrency import etag
from app.services.paging import MAX_LIMIT

router = Router(prefix="/triads", tags=["collaboratives and triads"])

_FIELDS = tuple(name for name in TriadPublic.model_fields if name not in ("schools", "warnings"))

# The list filters, shared with /collaboratives. Repeat one to OR its values.
YearFilter = Annotated[list[AcademicYear] | None, Query(json_schema_extra=no_null)]
IdFilter = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None,
                     Query(json_schema_extra=no_null, description="A collaborative's id")]
URNFilter = Annotated[list[URN] | None, Query(json_schema_extra=no_null, description="A member school's URN")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500, json_schema_extra=no_null,
                                     description="`next_cursor` from the page before")]


def list_filters(academic_year: list[str] | None, collaborative_id: list[int] | None,
                 urn: list[str] | None) -> ListFilters:
    return ListFilters(academic_year=academic_year or [], collaborative_id=collaborative_id or [], urn=urn or [])


def triad_public(item: Listed) -> dict:
    """The fields of TriadPublic as plain values, with a warning when it is not three schools."""
    public = {name: getattr(item.record, name) for name in _FIELDS}
    public["schools"] = [{"urn": s.urn, "name": s.name} for s in item.schools]
    public["warnings"] = triads.warnings_for(len(item.schools))
    return public


@router.get("", response_model=TriadPage, responses=problem_responses(400))
def list_triads(session: SessionDep, by: CurrentPrincipal, academic_year: YearFilter = None,
                collaborative_id: IdFilter = None, urn: URNFilter = None, limit: Limit = DEFAULT_LIMIT,
                cursor: Cursor = None) -> dict:
    """Page through the partnership's triads, by academic year. Follow `next_cursor` until null."""
    result = triads.page(session, list_filters(academic_year, collaborative_id, urn), limit=limit, cursor=cursor,
                         by=by)
    return {"items": [triad_public(i) for i in result.items], "total": result.total, "limit": result.limit,
            "next_cursor": result.next_cursor}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TriadPublic,
             responses=problem_responses(400, 403, 409))
def create_triad(data: TriadCreate, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """Form a triad of 2-4 schools (by URN) of one collaborative: an officer, or its lead."""
    triad = triads.create(session, data, by=by)
    response.headers["ETag"] = etag(triad.version)
    response.headers["Location"] = f"/api/v1/triads/{triad.id}"
    return triad_public(triads.view(session, triad))


@router.get("/{triad_id}", response_model=TriadPublic, responses=problem_responses(404))
def get_triad(triad: TriadFromPath, session: SessionDep, response: Response) -> dict:
    """One triad, with its ETag for later changes."""
    response.headers["ETag"] = etag(triad.version)
    return triad_public(triads.view(session, triad))


@router.patch("/{triad_id}", response_model=TriadPublic,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_triad(triad_id: TriadId, data: TriadUpdate, session: SessionDep, by: CurrentPrincipal,
                 if_match: IfMatch, response: Response) -> dict:
    """Rename a triad or replace its schools. Send `If-Match`."""
    triad = triads.update(session, triad_id, data, if_match=if_match, by=by)
    response.headers["ETag"] = etag(triad.version)
    return triad_public(triads.view(session, triad))


@router.delete("/{triad_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 409, 412, 428))
def delete_triad(triad_id: TriadId, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch) -> None:
    """Dissolve a triad (409 once it has visit records). Send `If-Match`."""
    triads.delete(session, triad_id, if_match=if_match, by=by)
