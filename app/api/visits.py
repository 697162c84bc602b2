"""Visit records of every kind, and their agreed actions: /api/v1/visits, a triad's visits under
/api/v1/triads/{triad_id}/visits, and a school's own (not a triad's) under /api/v1/schools/{urn}/visits."""

from typing import Annotated

from fastapi import Path, Query, Response, status

from app.api.deps import CurrentPrincipal, IfMatch, SchoolFromPath, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.indicator import AcademicYear
from app.models.school import URN
from app.models.types import MAX_ID
from app.models.visit import (
    SchoolVisitCreate,
    TriadVisitCreate,
    VisitAction,
    VisitActionCreate,
    VisitActionPublic,
    VisitActionUpdate,
    VisitKind,
    VisitPage,
    VisitPublic,
    VisitStatus,
    VisitUpdate,
)
from app.routing import Router
from app.services import visit_actions, visits
from app.services.concurrency import etag
from app.services.paging import MAX_LIMIT
from app.services.visits import DEFAULT_LIMIT, VisitFilters, VisitView

router = Router(tags=["visits"])

VisitId = Annotated[int, Path(ge=1, le=MAX_ID)]
ActionId = Annotated[int, Path(ge=1, le=MAX_ID)]
TriadId = Annotated[int, Path(ge=1, le=MAX_ID)]
IdFilter = Annotated[int, Query(ge=1, le=MAX_ID)]

_ACTION_FIELDS = tuple(VisitActionPublic.model_fields)
_VISIT_FIELDS = tuple(name for name in VisitPublic.model_fields
                      if name not in {"urn", "school_name", "grade_label", "actions"})


def action_public(action: VisitAction) -> dict:
    return {name: getattr(action, name) for name in _ACTION_FIELDS}


def to_public(view: VisitView) -> dict:
    """The fields of VisitPublic as plain values; FastAPI checks them once against the response model."""
    public = {name: getattr(view.visit, name) for name in _VISIT_FIELDS}
    return public | {"urn": view.urn, "school_name": view.school_name, "grade_label": view.grade_label,
                     "actions": [action_public(a) for a in view.actions]}


def _page(result: visits.VisitPageResult) -> dict:
    return {"items": [to_public(v) for v in result.views], "total": result.total, "limit": result.limit,
            "next_cursor": result.next_cursor}


def _created(view: VisitView, response: Response) -> dict:
    response.headers["ETag"] = etag(view.visit.version)
    response.headers["Location"] = f"/api/v1/visits/{view.visit.id}"
    return to_public(view)


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500, json_schema_extra=no_null,
                                     description="`next_cursor` from the page before")]
StatusFilter = Annotated[list[VisitStatus] | None, Query(alias="status", json_schema_extra=no_null)]
YearFilter = Annotated[list[AcademicYear] | None, Query(json_schema_extra=no_null)]
URNFilter = Annotated[list[URN] | None, Query(json_schema_extra=no_null, description="The host school's URN")]


@router.get("/visits", response_model=VisitPage, responses=problem_responses(400))
def list_visits(
    session: SessionDep,
    by: CurrentPrincipal,
    kind: Annotated[list[VisitKind] | None, Query(json_schema_extra=no_null)] = None,
    urn: URNFilter = None,
    academic_year: YearFilter = None,
    visit_status: StatusFilter = None,
    triad_id: Annotated[list[IdFilter] | None, Query(json_schema_extra=no_null)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    """Page through the visit records you may read, of every kind, newest first; repeat a filter to
    OR its values. Follow `next_cursor` until it is null."""
    filters = VisitFilters(kind=[k.value for k in kind or []], urn=urn or [], academic_year=academic_year or [],
                           status=[s.value for s in visit_status or []], triad_id=triad_id or [])
    return _page(visits.page(session, filters, limit=limit, cursor=cursor, by=by))


@router.get("/triads/{triad_id}/visits", response_model=VisitPage, responses=problem_responses(400, 404))
def list_triad_visits(
    triad_id: TriadId,
    session: SessionDep,
    by: CurrentPrincipal,
    urn: URNFilter = None,
    academic_year: YearFilter = None,
    visit_status: StatusFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict:
    """A triad's peer reviews that you may read, newest first."""
    visits.get_triad(session, triad_id, by=by)
    filters = VisitFilters(urn=urn or [], academic_year=academic_year or [],
                           status=[s.value for s in visit_status or []], triad_id=[triad_id])
    return _page(visits.page(session, filters, limit=limit, cursor=cursor, by=by))


@router.post("/triads/{triad_id}/visits", status_code=status.HTTP_201_CREATED, response_model=VisitPublic,
             responses=problem_responses(400, 403, 404))
def create_triad_visit(triad_id: TriadId, data: TriadVisitCreate, session: SessionDep, by: CurrentPrincipal,
                       response: Response) -> dict:
    """Record a triad's peer review (a draft), hosted by one of the triad's schools (`urn`)."""
    return _created(visits.create_for_triad(session, triad_id, data, by=by), response)


@router.post("/schools/{urn}/visits", status_code=status.HTTP_201_CREATED, response_model=VisitPublic,
             responses=problem_responses(400, 403, 404))
def create_school_visit(school: SchoolFromPath, data: SchoolVisitCreate, session: SessionDep,
                        by: CurrentPrincipal, response: Response) -> dict:
    """Record a visit that is not a triad's (a draft): a support partner's, or a governing body's
    peer review (whose focus areas default to governance)."""
    return _created(visits.create_for_school(session, school, data, by=by), response)


@router.get("/visits/{visit_id}", response_model=VisitPublic, responses=problem_responses(404))
def get_visit(visit_id: VisitId, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """One visit record with its actions and its grade's label, and its ETag for later changes."""
    view = visits.get(session, visit_id, by=by)
    response.headers["ETag"] = etag(view.visit.version)
    return to_public(view)


@router.patch("/visits/{visit_id}", response_model=VisitPublic,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_visit(visit_id: VisitId, data: VisitUpdate, session: SessionDep, by: CurrentPrincipal,
                 if_match: IfMatch, response: Response) -> dict:
    """Change some fields, or the status on its own (`submitted`, `signed_off`; `submitted` with a
    `reason` reopens a signed-off record). Send `If-Match`."""
    view = visits.update(session, visit_id, data, if_match=if_match, by=by)
    response.headers["ETag"] = etag(view.visit.version)
    return to_public(view)


@router.delete("/visits/{visit_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 409, 412, 428))
def delete_visit(visit_id: VisitId, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch) -> None:
    """Remove a visit record and its actions: an officer, until it is signed off; whoever may edit
    it, while it is a draft. Send `If-Match`."""
    visits.delete(session, visit_id, if_match=if_match, by=by)


@router.post("/visits/{visit_id}/actions", status_code=status.HTTP_201_CREATED, response_model=VisitActionPublic,
             responses=problem_responses(400, 403, 404, 409))
def create_visit_action(visit_id: VisitId, data: VisitActionCreate, session: SessionDep, by: CurrentPrincipal,
                        response: Response) -> dict:
    """Agree an action on a visit record that is not signed off."""
    action = visit_actions.add(session, visit_id, data, by=by)
    response.headers["ETag"] = etag(action.version)
    response.headers["Location"] = f"/api/v1/visits/{visit_id}/actions/{action.id}"
    return action_public(action)


@router.get("/visits/{visit_id}/actions/{action_id}", response_model=VisitActionPublic,
            responses=problem_responses(404))
def get_visit_action(visit_id: VisitId, action_id: ActionId, session: SessionDep, by: CurrentPrincipal,
                     response: Response) -> dict:
    """One agreed action, with its own ETag."""
    action = visit_actions.get(session, visit_id, action_id, by=by)
    response.headers["ETag"] = etag(action.version)
    return action_public(action)


@router.patch("/visits/{visit_id}/actions/{action_id}", response_model=VisitActionPublic,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_visit_action(visit_id: VisitId, action_id: ActionId, data: VisitActionUpdate, session: SessionDep,
                        by: CurrentPrincipal, if_match: IfMatch, response: Response) -> dict:
    """Change an action (its status as it is done or dropped). Send the action's `If-Match`."""
    action = visit_actions.update(session, visit_id, action_id, data, if_match=if_match, by=by)
    response.headers["ETag"] = etag(action.version)
    return action_public(action)


@router.delete("/visits/{visit_id}/actions/{action_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 409, 412, 428))
def delete_visit_action(visit_id: VisitId, action_id: ActionId, session: SessionDep, by: CurrentPrincipal,
                        if_match: IfMatch) -> None:
    """Remove an action agreed in error. Send the action's `If-Match`."""
    visit_actions.delete(session, visit_id, action_id, if_match=if_match, by=by)
