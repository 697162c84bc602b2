"""/api/v1/reports: the year-end review of school-to-school support (app.services.reports)."""

from dataclasses import asdict
from typing import Annotated

from fastapi import Query

from app.api.deps import CurrentPrincipal, no_null
from app.deps import SessionDep
from app.models.report_api import SupportReviewPublic
from app.models.types import AcademicYear
from app.routing import Router
from app.services import reports
from app.services.reports import Tally

router = Router(tags=["reports"])


def group_public(tally: Tally) -> dict:
    body = asdict(tally)
    body.update(body.pop("by_school_type"))
    return body


@router.get("/reports/support-review", response_model=SupportReviewPublic)
def support_review(session: SessionDep, by: CurrentPrincipal,
                   year: Annotated[AcademicYear | None, Query(json_schema_extra=no_null,
                                                              description="Default: the current academic year")]
                   = None) -> dict:
    """The year's support deployments (projects) by outcome at review (green, amber, red, not yet
    completed), by the supported school's type (LA maintained or academy, and the finer
    establishment types) and by kind of support, with days planned and delivered; and the schools
    with the most support. A year without deployments answers zeros."""
    review = reports.support_review(session, year=year, by=by)
    return {"academic_year": review.academic_year, "overall": group_public(review.overall),
            "by_school_type": [group_public(t) for t in review.by_school_type],
            "by_establishment_type": [group_public(t) for t in review.by_establishment_type],
            "by_kind": [group_public(t) for t in review.by_kind],
            "schools": [asdict(s) for s in review.schools], "years": review.years}
