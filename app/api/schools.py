"""/api/v1/schools: the schools register, with inspections and indicators under each school."""

from enum import StrEnum
from typing import Annotated

from fastapi import Query, Response, status
from pydantic import StringConstraints
from sqlalchemy import Row

from app.api.deps import CurrentPrincipal, IfMatch, SchoolFromPath, URNPath, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.school import Phase, SchoolCreate, SchoolPage, SchoolPublic, SchoolStatus, SchoolUpdate
from app.models.types import NO_NUL, DateTimeWithOffset
from app.routing import Router
from app.services import schools
from app.services.concurrency import etag
from app.services.paging import MAX_LIMIT
from app.services.schools import DEFAULT_LIMIT, MAX_SEARCH, OFSTED_CHOICES, SORT_CHOICES, SchoolFilters

router = Router(prefix="/schools", tags=["schools"])

# Closed sets, so that the schema names the values the service accepts.
OfstedFilter = StrEnum("OfstedFilter", {h: h for h in OFSTED_CHOICES})
Sort = StrEnum("Sort", {s: s for s in SORT_CHOICES})
Term = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]


_FIELDS = tuple(name for name in SchoolPublic.model_fields if name != "latest_inspection")


def to_public(school) -> dict:  # noqa: ANN001 (a School, or a row of the list with its attributes)
    """The fields of SchoolPublic as plain values; FastAPI checks them once against the response model."""
    # A row of the list already is a mapping of the columns (extra ones are ignored by the model).
    public = school._asdict() if isinstance(school, Row) else {name: getattr(school, name) for name in _FIELDS}
    public["latest_inspection"] = None if school.latest_inspected_on is None else {
        "inspected_on": school.latest_inspected_on, "framework": school.latest_framework,
        "headline": school.latest_headline}
    return public


@router.get("", response_model=SchoolPage, responses=problem_responses(400))
def list_schools(
    session: SessionDep,
    by: CurrentPrincipal,
    q: Annotated[str | None, Query(max_length=MAX_SEARCH, pattern=NO_NUL, json_schema_extra=no_null,
                                   description="Part of the name, or the start of the URN")] = None,
    phase: Annotated[list[Phase] | None, Query(json_schema_extra=no_null)] = None,
    establishment_type: Annotated[list[Term] | None, Query(alias="type", json_schema_extra=no_null)] = None,
    school_status: Annotated[list[SchoolStatus] | None, Query(alias="status", json_schema_extra=no_null)] = None,
    la_category: Annotated[list[Term] | None, Query(json_schema_extra=no_null,
                                                    description="A category of the scheme, or `none`")] = None,
    ofsted: Annotated[list[OfstedFilter] | None, Query(json_schema_extra=no_null,
                                                       description="The latest inspection's headline, "
                                                                   "or `not_inspected`")] = None,
    engaged: Annotated[bool | None, Query(json_schema_extra=no_null)] = None,
    updated_since: Annotated[DateTimeWithOffset | None, Query(json_schema_extra=no_null)] = None,
    sort: Annotated[Sort, Query(description="A field to sort by; `-` before it sorts descending")] = Sort.name,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500, json_schema_extra=no_null,
                                        description="`next_cursor` from the page before")] = None,
) -> dict:
    """Page through the partnership's schools. Follow `next_cursor` until it is null."""
    filters = SchoolFilters(
        q=q, phase=[p.value for p in phase or []], establishment_type=establishment_type or [],
        status=[s.value for s in school_status or []], la_category=la_category or [],
        ofsted=[o.value for o in ofsted or []],
        engaged=engaged, updated_since=updated_since,
    )
    result = schools.page(session, filters, sort=sort.value, limit=limit, cursor=cursor, by=by)
    return {"items": [to_public(r) for r in result.rows], "total": result.total,
            "limit": result.limit, "next_cursor": result.next_cursor}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SchoolPublic,
             responses=problem_responses(400, 403, 409))
def create_school(data: SchoolCreate, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """Add a school to the register."""
    school = schools.create(session, data, by=by)
    response.headers["ETag"] = etag(school.version)
    response.headers["Location"] = f"/api/v1/schools/{school.urn}"
    return to_public(school)


@router.get("/{urn}", response_model=SchoolPublic, responses=problem_responses(404))
def get_school(urn: URNPath, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """One school, with its ETag for later updates."""
    school = schools.get(session, urn, by=by)
    response.headers["ETag"] = etag(school.version)
    return to_public(school)


@router.patch("/{urn}", response_model=SchoolPublic, responses=problem_responses(400, 403, 404, 412, 428))
def update_school(urn: URNPath, data: SchoolUpdate, session: SessionDep, by: CurrentPrincipal,
                  if_match: IfMatch, response: Response) -> dict:
    """Change some fields of a school. Send `If-Match` with the ETag you read."""
    schools.update(session, urn, data, if_match=if_match, by=by)
    school = schools.get(session, urn, by=by)
    response.headers["ETag"] = etag(school.version)
    return to_public(school)


@router.delete("/{urn}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(403, 404, 412, 428))
def delete_school(school: SchoolFromPath, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch) -> None:
    """Remove a school and its inspections and indicators. Send `If-Match`."""
    schools.delete(session, school.urn, if_match=if_match, by=by)
