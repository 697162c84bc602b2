"""/api/v1/groups: groups of schools (alliances, trusts, collaboratives, named sets), and each
group's dashboard "as if one school"."""

from datetime import date
from typing import Annotated

from fastapi import Path, Query, Response, status

from app.api.deps import CurrentPrincipal, IfMatch, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.group_api import GroupCreate, GroupDashboard, GroupPage, GroupPublic, GroupUpdate
from app.models.indicator import AcademicYear
from app.models.types import MAX_ID
from app.routing import Router
from app.services import group_dashboard, groups
from app.services.concurrency import etag
from app.services.group_dashboard import Dashboard
from app.services.groups import DEFAULT_LIMIT, GroupView
from app.services.paging import MAX_LIMIT

router = Router(prefix="/groups", tags=["groups"])

GroupId = Annotated[int, Path(ge=1, le=MAX_ID, description="The group's id")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500, json_schema_extra=no_null,
                                     description="`next_cursor` from the page before")]
Year = Annotated[AcademicYear | None, Query(json_schema_extra=no_null, description=(
    "Like 2024/25; if left out, the latest year (up to the partnership's current one) in which the group's "
    "schools have figures"))]


def targets_public(view: GroupView, today: date | None = None) -> list[dict]:
    found = []
    for t in view.targets:
        progress = groups.progress(t, today)
        found.append({"id": t.id, "measure": t.measure, "baseline": t.baseline, "target": t.target,
                      "target_on": t.target_on, "latest_value": t.latest_value, "latest_on": t.latest_on,
                      "progress_percent": progress.percent, "status": progress.status, "overdue": progress.overdue,
                      "version": t.version})
    return found


def stage_fields(view: GroupView) -> dict:
    current = view.current_stage
    return {"stage": current.stage if current else None, "stage_reached_on": current.reached_on if current else None,
            "stage_history": [{"id": s.id, "stage": s.stage, "reached_on": s.reached_on, "note": s.note,
                               "updated_by": s.updated_by} for s in view.stages]}


def group_public(view: GroupView) -> dict:
    """The fields of GroupPublic as plain values (FastAPI checks them against the model)."""
    g = view.group
    return {"id": g.id, "name": g.name, "kind": g.kind, "description": g.description, "trust_name": g.trust_name,
            "collaborative_id": g.collaborative_id, "schools": [{"urn": s.urn, "name": s.name} for s in view.schools],
            "targets": targets_public(view), **stage_fields(view), "version": g.version, "created_at": g.created_at,
            "updated_at": g.updated_at, "updated_by": g.updated_by}


def dashboard_public(board: Dashboard) -> dict:
    view = board.view
    return {
        "group_id": view.group.id, "name": view.group.name, "kind": view.group.kind,
        "academic_year": board.academic_year,
        "schools": [{"urn": m.urn, "name": m.name, "pupils": m.pupils, "added_on": m.added_on} for m in board.members],
        "pupils": board.pupils,
        "figures": [{"measure": r.measure, "group": r.group, "schools_counted": r.schools_counted,
                     "pupils_counted": r.pupils_counted,
                     "left_out": [vars(x) for x in r.left_out], "partnership": r.partnership,
                     "partnership_schools_counted": r.partnership_schools_counted,
                     "partnership_schools_left_out": r.partnership_schools_left_out,
                     "national": r.national, "national_source": r.national_source} for r in board.figures],
        "flags": [{"urn": f.member.urn, "name": f.member.name, "rule": f.flag.rule, "severity": f.flag.severity,
                   "category": f.flag.category, "reason": f.flag.reason} for f in board.flags],
        "flags_of_every_school": board.flags_of_every_school,
        "red_flags": board.flag_count("red"), "amber_flags": board.flag_count("amber"),
        "support": [{"id": s.id, "urn": s.urn, "name": s.name, "provider_kind": s.provider_kind,
                     "provider_name": s.provider_name, "objective": s.objective, "days_planned": s.days_planned,
                     "days_delivered": s.days_delivered, "outcome": s.outcome} for s in board.support],
        "targets": targets_public(view), **stage_fields(view), "route_map": board.route_map,
    }


def _answer(view: GroupView, response: Response) -> dict:
    response.headers["ETag"] = etag(view.group.version)
    return group_public(view)


@router.get("", response_model=GroupPage, responses=problem_responses(400))
def list_groups(session: SessionDep, by: CurrentPrincipal, limit: Limit = DEFAULT_LIMIT,
                cursor: Cursor = None) -> dict:
    """Page through the partnership's groups by name. Follow `next_cursor` until it is null."""
    result = groups.page(session, limit=limit, cursor=cursor, by=by)
    return {"items": [group_public(v) for v in result.items], "total": result.total, "limit": result.limit,
            "next_cursor": result.next_cursor}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=GroupPublic,
             responses=problem_responses(400, 403, 409))
def create_group(data: GroupCreate, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """Define a group: `schools` by URN; or, left out, a trust's open schools (`kind` trust with
    `trust_name`) or a collaborative's schools (`kind` collaborative with `collaborative_id`).
    An alliance may have `targets` and a `stage` on the partnership's route map."""
    view = groups.create(session, data, by=by)
    response.headers["Location"] = f"/api/v1/groups/{view.group.id}"
    return _answer(view, response)


@router.get("/{group_id}", response_model=GroupPublic, responses=problem_responses(404))
def get_group(group_id: GroupId, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """One group with its schools, targets and stages, and its ETag for later changes."""
    return _answer(groups.view(session, group_id, by=by), response)


@router.patch("/{group_id}", response_model=GroupPublic, responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_group(group_id: GroupId, data: GroupUpdate, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch,
                 response: Response) -> dict:
    """Change some fields; `schools` and `targets` replace the lists, `stage` adds a stage reached.
    Send `If-Match`."""
    return _answer(groups.update(session, group_id, data, if_match=if_match, by=by), response)


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 412, 428))
def delete_group(group_id: GroupId, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch) -> None:
    """Remove a group with its targets and stage history (its schools stay). Send `If-Match`."""
    groups.delete(session, group_id, if_match=if_match, by=by)


@router.get("/{group_id}/dashboard", response_model=GroupDashboard, responses=problem_responses(400, 404))
def get_dashboard(group_id: GroupId, session: SessionDep, by: CurrentPrincipal, year: Year = None) -> dict:
    """The group as if one school for an academic year: each figure weighted by the schools' pupils,
    beside the partnership's and the national figure, with every school left out of a figure named;
    its current flags, its support that year, its targets and its stage. An empty group has nulls."""
    return dashboard_public(group_dashboard.dashboard(session, group_id, year=year, by=by))
