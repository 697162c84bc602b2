"""Inspections and indicators of one school: /api/v1/schools/{urn}/inspections|indicators."""

from typing import Annotated

from fastapi import Path, Query, Response, status

from app.api.deps import CurrentPrincipal, IfMatch, SchoolFromPath, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.indicator import AcademicYear, IndicatorCreate, IndicatorPublic, IndicatorUpdate, Measure
from app.models.inspection import InspectionPublic, InspectionWrite
from app.models.types import MAX_ID
from app.routing import Router
from app.services import indicators, inspections
from app.services.concurrency import etag

InspectionId = Annotated[int, Path(ge=1, le=MAX_ID)]
IndicatorId = Annotated[int, Path(ge=1, le=MAX_ID)]

router = Router(prefix="/schools/{urn}", tags=["inspections and indicators"],
                   responses=problem_responses(404))


@router.get("/inspections", response_model=list[InspectionPublic])
def list_inspections(school: SchoolFromPath, session: SessionDep, by: CurrentPrincipal) -> list[InspectionPublic]:
    """The school's Ofsted history, newest first, each on its own framework's scale."""
    return [InspectionPublic.model_validate(i.model_dump()) for i in
            inspections.list_for_school(session, school, by=by)]


@router.post("/inspections", status_code=status.HTTP_201_CREATED, response_model=InspectionPublic,
             responses=problem_responses(400, 403, 409))
def create_inspection(school: SchoolFromPath, data: InspectionWrite, session: SessionDep,
                      by: CurrentPrincipal, response: Response) -> InspectionPublic:
    """Record an inspection. The framework defaults to the one in force on `inspected_on`."""
    inspection = inspections.record(session, school, data, by=by)
    response.headers["ETag"] = etag(inspection.version)
    return InspectionPublic.model_validate(inspection.model_dump())


@router.get("/inspections/{inspection_id}", response_model=InspectionPublic)
def get_inspection(school: SchoolFromPath, inspection_id: InspectionId, session: SessionDep, by: CurrentPrincipal,
                   response: Response) -> InspectionPublic:
    inspection = inspections.get(session, school, inspection_id, by=by)
    response.headers["ETag"] = etag(inspection.version)
    return InspectionPublic.model_validate(inspection.model_dump())


@router.put("/inspections/{inspection_id}", response_model=InspectionPublic,
            responses=problem_responses(400, 403, 409, 412, 428))
def replace_inspection(school: SchoolFromPath, inspection_id: InspectionId, data: InspectionWrite, session: SessionDep,
                       by: CurrentPrincipal, if_match: IfMatch, response: Response) -> InspectionPublic:
    """Correct an inspection record. Send `If-Match`."""
    inspection = inspections.get(session, school, inspection_id, by=by)
    inspection = inspections.replace(session, inspection, data, if_match=if_match, by=by)
    response.headers["ETag"] = etag(inspection.version)
    return InspectionPublic.model_validate(inspection.model_dump())


@router.delete("/inspections/{inspection_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 412, 428))
def delete_inspection(school: SchoolFromPath, inspection_id: InspectionId, session: SessionDep, by: CurrentPrincipal,
                      if_match: IfMatch) -> None:
    inspection = inspections.get(session, school, inspection_id, by=by)
    inspections.delete(session, inspection, if_match=if_match, by=by)


@router.get("/indicators", response_model=list[IndicatorPublic])
def list_indicators(
    school: SchoolFromPath, session: SessionDep, by: CurrentPrincipal,
    measure: Annotated[Measure | None, Query(json_schema_extra=no_null)] = None,
    academic_year: Annotated[AcademicYear | None, Query(json_schema_extra=no_null)] = None,
) -> list[IndicatorPublic]:
    """The school's figures, newest academic year first; filter by measure and year."""
    rows = indicators.list_for_school(session, school, measure=measure, academic_year=academic_year, by=by)
    return [IndicatorPublic.model_validate(i.model_dump()) for i in rows]


@router.post("/indicators", status_code=status.HTTP_201_CREATED, response_model=IndicatorPublic,
             responses=problem_responses(400, 403, 409))
def create_indicator(school: SchoolFromPath, data: IndicatorCreate, session: SessionDep, by: CurrentPrincipal,
                     response: Response) -> IndicatorPublic:
    """Record a figure (one per measure, academic year and source)."""
    indicator = indicators.record(session, school, data, by=by)
    response.headers["ETag"] = etag(indicator.version)
    return IndicatorPublic.model_validate(indicator.model_dump())


@router.get("/indicators/{indicator_id}", response_model=IndicatorPublic)
def get_indicator(school: SchoolFromPath, indicator_id: IndicatorId, session: SessionDep, by: CurrentPrincipal,
                  response: Response) -> IndicatorPublic:
    indicator = indicators.get(session, school, indicator_id, by=by)
    response.headers["ETag"] = etag(indicator.version)
    return IndicatorPublic.model_validate(indicator.model_dump())


@router.patch("/indicators/{indicator_id}", response_model=IndicatorPublic,
              responses=problem_responses(400, 403, 412, 428))
def update_indicator(school: SchoolFromPath, indicator_id: IndicatorId, data: IndicatorUpdate, session: SessionDep,
                     by: CurrentPrincipal, if_match: IfMatch, response: Response) -> IndicatorPublic:
    """Correct a figure. Send `If-Match`."""
    indicator = indicators.get(session, school, indicator_id, by=by)
    indicator = indicators.update(session, indicator, data, if_match=if_match, by=by)
    response.headers["ETag"] = etag(indicator.version)
    return IndicatorPublic.model_validate(indicator.model_dump())


@router.delete("/indicators/{indicator_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 412, 428))
def delete_indicator(school: SchoolFromPath, indicator_id: IndicatorId, session: SessionDep, by: CurrentPrincipal,
                     if_match: IfMatch) -> None:
    indicator = indicators.get(session, school, indicator_id, by=by)
    indicators.delete(session, indicator, if_match=if_match, by=by)
