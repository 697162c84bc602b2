"""/api/v1/support-deployments: school-to-school support, with its brokering steps; and
/api/v1/reports/support-data-quality, the deployments that break a rule or lack a step's date."""

from typing import Annotated, Any

from fastapi import Path, Query, Response, status

from app.api.deps import CurrentPrincipal, IfMatch, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.indicator import AcademicYear
from app.models.school import URN
from app.models.support import ProviderKind, SupportOutcome
from app.models.support_api import (
    FIELDS,
    SupportDeploymentCreate,
    SupportDeploymentPage,
    SupportDeploymentPublic,
    SupportDeploymentUpdate,
    SupportQualityPage,
)
from app.models.types import MAX_ID
from app.routing import Router
from app.services import support, support_quality
from app.services.concurrency import etag
from app.services.paging import MAX_LIMIT
from app.services.support import DeploymentView, SupportFilters

router = Router(tags=["support"])

DeploymentId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500, json_schema_extra=no_null,
                                     description="`next_cursor` from the page before")]
Years = Annotated[list[AcademicYear] | None, Query(json_schema_extra=no_null, description="e.g. 2017/18")]
_STORED = tuple(name for name in FIELDS if name not in ("urn", "provider_urn", "cost"))


def to_public(view: DeploymentView) -> dict[str, Any]:
    """The fields of SupportDeploymentPublic as plain values (FastAPI checks them once)."""
    d = view.deployment
    public = {name: getattr(d, name) for name in _STORED}
    return public | {
        "id": d.id, "urn": view.urn, "school_name": view.school_name, "provider_kind_words": view.provider_kind_words,
        "provider_urn": view.provider_urn, "provider_school_name": view.provider_school_name, "cost": view.cost,
        "warnings": view.warnings, "conflict_of_interest": view.conflict, "version": d.version,
        "created_at": d.created_at, "updated_at": d.updated_at, "updated_by": d.updated_by,
    }


def _tagged(view: DeploymentView, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = etag(view.deployment.version)
    return to_public(view)


@router.get("/support-deployments", response_model=SupportDeploymentPage, responses=problem_responses(400))
def list_deployments(
    session: SessionDep,
    by: CurrentPrincipal,
    year: Years = None,
    urn: Annotated[list[URN] | None, Query(json_schema_extra=no_null, description="The school supported")] = None,
    kind: Annotated[list[ProviderKind] | None, Query(json_schema_extra=no_null)] = None,
    outcome: Annotated[list[SupportOutcome] | None, Query(json_schema_extra=no_null)] = None,
    limit: Limit = support.DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    """The partnership's support deployments, newest year first; repeat a filter to OR its values.
    Follow `next_cursor` until it is null."""
    filters = SupportFilters(year=year or [], urn=urn or [], kind=[k.value for k in kind or []],
                             outcome=[o.value for o in outcome or []])
    result = support.page(session, filters, limit=limit, cursor=cursor, by=by)
    return {"items": [to_public(v) for v in result.views], "total": result.total, "limit": result.limit,
            "next_cursor": result.next_cursor}


@router.post("/support-deployments", status_code=status.HTTP_201_CREATED, response_model=SupportDeploymentPublic,
             responses=problem_responses(400, 403))
def create_deployment(data: SupportDeploymentCreate, session: SessionDep, by: CurrentPrincipal,
                      response: Response) -> dict:
    """Record a support deployment (officers and write tokens). The academic year defaults to that
    of `start_on`, else the partnership's current year."""
    view = support.create(session, data, by=by)
    response.headers["Location"] = f"/api/v1/support-deployments/{view.deployment.id}"
    return _tagged(view, response)


@router.get("/support-deployments/{deployment_id}", response_model=SupportDeploymentPublic,
            responses=problem_responses(404))
def get_deployment(deployment_id: DeploymentId, session: SessionDep, by: CurrentPrincipal,
                   response: Response) -> dict:
    """One deployment, with its warnings, the conflict of interest suggested, and its ETag."""
    return _tagged(support.get(session, deployment_id, by=by), response)


@router.patch("/support-deployments/{deployment_id}", response_model=SupportDeploymentPublic,
              responses=problem_responses(400, 403, 404, 412, 428))
def update_deployment(deployment_id: DeploymentId, data: SupportDeploymentUpdate, session: SessionDep,
                      by: CurrentPrincipal, if_match: IfMatch, response: Response) -> dict:
    """Change the fields sent; null empties an optional one. Send `If-Match`."""
    return _tagged(support.update(session, deployment_id, data, if_match=if_match, by=by), response)


@router.delete("/support-deployments/{deployment_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 412, 428))
def delete_deployment(deployment_id: DeploymentId, session: SessionDep, by: CurrentPrincipal,
                      if_match: IfMatch) -> None:
    """Remove a deployment recorded in error. Send `If-Match`."""
    support.delete(session, deployment_id, if_match=if_match, by=by)


@router.get("/reports/support-data-quality", response_model=SupportQualityPage, responses=problem_responses(400))
def support_data_quality(session: SessionDep, by: CurrentPrincipal, year: Years = None, limit: Limit = 50,
                         cursor: Cursor = None) -> dict:
    """Every deployment that breaks a rule or lacks a step's date it should have by now, each with
    its problems in words, newest year first: so that the year-end review is not built on gaps."""
    result = support_quality.page(session, year=year or [], limit=limit, cursor=cursor, by=by)
    items = [{"id": row.deployment.id, "urn": row.urn, "school_name": row.school_name,
              "academic_year": row.deployment.academic_year, "provider_kind": row.deployment.provider_kind,
              "provider_kind_words": support.PROVIDER_KIND_WORDS.get(row.deployment.provider_kind, ""),
              "outcome": row.deployment.outcome, "problems": row.problems} for row in result.rows]
    return {"items": items, "total": result.total, "limit": result.limit, "next_cursor": result.next_cursor}
