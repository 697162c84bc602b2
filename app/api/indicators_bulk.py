"""Figures in bulk: POST /api/v1/indicators/bulk (schools' and national figures, all or nothing) and
GET /api/v1/national-figures (what was loaded, read back)."""

from typing import Annotated

from fastapi import Query

from app.api.deps import CurrentPrincipal, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.indicator import AcademicYear, Measure
from app.models.indicator_bulk import IndicatorBulk, IndicatorBulkResult, NationalFigurePage
from app.routing import Router
from app.services import indicators_bulk, national_figures
from app.services.paging import MAX_LIMIT

router = Router(tags=["inspections and indicators"])


@router.post("/indicators/bulk", response_model=IndicatorBulkResult, responses=problem_responses(400, 403))
def upload_indicators(data: IndicatorBulk, session: SessionDep, by: CurrentPrincipal) -> dict:
    """Add or update up to 5,000 figures at once, all or nothing: each a school's (`urn`) or a
    national one (`"national": true`), upserted by its measure, academic year and source. A refused
    item is named in `errors[].field` as `items.<n>.<field>` (a URN outside your partnership:
    `items.<n>.urn`), and then nothing is written. A figure already stored with the same value is left
    as it is (`unchanged`); a changed one gets a new version."""
    return indicators_bulk.upsert(session, data.items, by=by).as_dict()


@router.get("/national-figures", response_model=NationalFigurePage, responses=problem_responses(400))
def list_national_figures(
    session: SessionDep,
    by: CurrentPrincipal,
    measure: Annotated[Measure | None, Query(json_schema_extra=no_null)] = None,
    academic_year: Annotated[AcademicYear | None, Query(json_schema_extra=no_null)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = national_figures.DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500, json_schema_extra=no_null,
                                        description="`next_cursor` from the page before")] = None,
) -> dict:
    """The partnership's national figures, by measure; filter by measure and academic year. Follow
    `next_cursor` until it is null."""
    result = national_figures.page(session, measure=measure, academic_year=academic_year, limit=limit,
                                   cursor=cursor, by=by)
    return {"items": [row._asdict() for row in result.rows], "total": result.total, "limit": result.limit,
            "next_cursor": result.next_cursor}
