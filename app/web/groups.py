"""Groups of schools in the browser: the list with the officers' "new group" form (schools listed,
or a trust's, or a collaborative's), a group's dashboard "as if one school" with the officers'
forms for its details and members, targets and stage, and the partnership's route map. Every rule
is the services'; every change goes through the group's own version (If-Match), as the API's do."""

import re
from collections.abc import Callable
from typing import Any

from fastapi import Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import BadRequest, NotFound, ValidationFailed
from app.handlers import field_errors
from app.models.group import GROUP_KIND_WORDS, GroupKind
from app.models.group_api import GroupCreate, GroupUpdate, RouteMapUpdate, StageIn, TargetIn
from app.models.indicator import Figure
from app.models.types import MAX_ID, RecordedDate, academic_year_problem
from app.routing import Router
from app.services import accounts, group_dashboard, group_route_map, groups, permissions
from app.services.groups import GroupView
from app.services.principal import Principal
from app.web.forms import Form, FormData, as_text, attempt, parse
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: groups"])

GroupId = Path(ge=1, le=MAX_ID)
TargetId = Path(ge=1, le=MAX_ID)
NEW_FIELDS = ("name", "kind", "description", "trust_name", "collaborative_id", "schools")
DETAIL_FIELDS = ("name", "kind", "description", "schools")
TARGET_FIELDS = ("measure", "baseline", "target", "target_on", "latest_value", "latest_on")
LATEST_FIELDS = ("latest_value", "latest_on")
STAGE_FIELDS = ("stage", "reached_on", "note")
MEASURE_WORDS = {"attainment": "Attainment", "progress": "Progress", "absence": "Absence (%)",
                 "persistent_absence": "Persistent absence (%)", "exclusions": "Exclusions",
                 "exclusions_per_100": "Exclusions per 100 pupils"}
STATUS_WORDS = {"met": "Met", "in_progress": "In progress", "moved_away": "Moved away from the target",
                "no_latest_value": "No latest value yet"}
_SEPARATORS = re.compile(r"[\s,;]+")
# What the service says of one target or the stage (`targets.3.target`, `stage.stage`), said beside
# the form's own field.
_NESTED = re.compile(r"^(?:targets\.[0-9]+\.|stage\.)")


class LatestValue(BaseModel):
    """A target's latest value, as its row's form sends it."""

    model_config = ConfigDict(extra="forbid")

    latest_value: Figure | None = None
    latest_on: RecordedDate | None = None


def _chrome(session: Session, by: Principal) -> dict[str, Any]:
    return {"active_nav": "groups", "kind_words": GROUP_KIND_WORDS, "kinds": [k.value for k in GroupKind],
            "measure_words": MEASURE_WORDS, "status_words": STATUS_WORDS, "can_write": permissions.manages(by),
            "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


def _urns(raw: Any) -> list[str]:
    return [u for u in _SEPARATORS.split(str(raw or "")) if u]


def _stale_words(view: GroupView) -> str:
    g = view.group
    who = g.updated_by or "Someone"
    return (f"{who} changed this group while you were editing it, so nothing was saved. The page below shows the "
            "group as it is now, and the form still holds what you typed: send it again to make your change")


# --- the list ---------------------------------------------------------------------------------------


def _list(request: Request, session: Session, by: Principal, *, cursor: str | None, form: Form | None = None,
          status_code: int = 200) -> Response:
    problem = None
    try:
        result = groups.page(session, cursor=cursor, by=by)
    except BadRequest:
        result, problem, status_code = groups.page(session, by=by), "That page link is out of date; this is the " \
            "first page", 400
    context = _chrome(session, by) | {
        "result": result, "problem": problem, "form": form or Form({name: "" for name in NEW_FIELDS}),
        "trusts": groups.trust_names(session, by=by) if permissions.manages(by) else [],
        "collaboratives": groups.collaboratives(session, by=by) if permissions.manages(by) else [],
        "next_url": f"/groups?cursor={result.next_cursor}" if result.next_cursor else None,
    }
    return render(request, "groups/list.html", context, block="results", status_code=status_code)


@router.get("/groups", summary="The partnership's groups of schools")
def list_groups(request: Request, session: SessionDep, by: WebPrincipal, cursor: str = "") -> Response:
    return _list(request, session, by, cursor=cursor or None)


@router.post("/groups", summary="Define a group of schools")
def create_group(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    """Made: to its dashboard. Refused: the list again (422), each message beside its field, what was
    typed kept."""
    permissions.require_manage(by, "groups")
    form = Form.typed(data, NEW_FIELDS)
    made = None
    with attempt(session, form):
        urns = _urns(form.values["schools"])
        made = groups.create(session, parse(GroupCreate, form, NEW_FIELDS[:-1], extra={"schools": urns or None}),
                             by=by)
    if form.refused or made is None:
        return _list(request, session, by, cursor=None, form=form, status_code=form.status_code)
    return redirect(request, f"/groups/{made.group.id}",
                    banner=f"The group {made.group.name} was made with {len(made.schools)} school(s)")


# --- the route map ----------------------------------------------------------------------------------


def _route_map_page(request: Request, session: Session, by: Principal, form: Form | None = None,
                    status_code: int = 200) -> Response:
    record = group_route_map.route_map_record(session, by=by)
    if form is None:
        form = Form({"stages": "\n".join(group_route_map.route_map(session)),
                     "version": as_text(record.version) if record else ""})
    context = _chrome(session, by) | {"form": form, "in_use": group_route_map.current_stages(session)}
    return render(request, "groups/route_map.html", context, status_code=status_code)


@router.get("/groups/route-map", summary="The partnership's route map for alliances")
def show_route_map(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    return _route_map_page(request, session, by)


@router.post("/groups/route-map", summary="Change the partnership's route map")
def save_route_map(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    permissions.require_manage(by, "the route map")
    form = Form.typed(data, ("stages",))
    with attempt(session, form):
        stages = [line.strip() for line in str(form.values["stages"]).splitlines() if line.strip()]
        group_route_map.set_route_map(session, _validated(RouteMapUpdate, {"stages": stages}), if_match=form.if_match,
                                      by=by)
    if form.stale:
        form.stale, form.problem = False, ("Someone else changed the route map while you were editing it, so nothing "
                                           "was saved; your stages are kept below: send them again to save them")
        record = group_route_map.route_map_record(session, by=by)
        form.values["version"] = as_text(record.version if record else None)
        return _route_map_page(request, session, by, form, status_code=409)
    if form.refused:
        return _route_map_page(request, session, by, form, status_code=form.status_code)
    return redirect(request, "/groups/route-map", banner="The route map was saved")


def _validated(model: type, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors([{**e, "loc": ("form", *e["loc"])} for e in exc.errors()])) from None


# --- one group --------------------------------------------------------------------------------------


def _details(view: GroupView) -> Form:
    g = view.group
    return Form({"name": g.name, "kind": g.kind, "description": g.description or "",
                 "schools": "\n".join(s.urn for s in view.schools), "version": as_text(g.version)})


def _show(request: Request, session: Session, by: Principal, group_id: int, *, year: str | None = None,
          forms: dict[str, Form] | None = None, status_code: int = 200) -> Response:
    year_problem = None
    year = (year or "").strip() or None
    problem = academic_year_problem(year) if year is not None else None
    if problem is not None:
        year_problem, year, status_code = f"Enter a year like 2024/25 ({problem})", None, 400
    board = group_dashboard.dashboard(session, group_id, year=year, by=by)
    view = board.view
    version = as_text(view.group.version)
    forms = forms or {}
    for name, fields in (("target", TARGET_FIELDS), ("stage", STAGE_FIELDS)):
        forms.setdefault(name, Form({f: "" for f in fields} | {"version": version}))
    forms.setdefault("details", _details(view))
    context = _chrome(session, by) | {
        "board": board, "view": view, "group": view.group, "forms": forms, "year_problem": year_problem,
        "progress": {t.id: groups.progress(t) for t in view.targets},
    }
    return render(request, "groups/show.html", context, status_code=status_code)


@router.get("/groups/{group_id}", summary="A group's dashboard, as if one school")
def show_group(request: Request, session: SessionDep, by: WebPrincipal, group_id: int = GroupId,
               year: str | None = None) -> Response:
    """A bad year in the link is a 400 page, the current year's figures shown, the message beside the year."""
    return _show(request, session, by, group_id, year=year)


def _change(request: Request, session: Session, by: Principal, group_id: int, form_name: str, form: Form,
            build: Callable[[GroupView], GroupUpdate], banner: str) -> Response:
    """Apply `build`'s change to the group at the version the form was read at."""
    view = groups.view(session, group_id, by=by)
    permissions.require_manage(by, "groups")
    with attempt(session, form):
        try:
            groups.update(session, group_id, build(view), if_match=form.if_match, by=by)
        except ValidationFailed as exc:
            for error in exc.errors:
                error.field = _NESTED.sub("", error.field)
            raise
    if form.stale:
        session.refresh(view.group)
        form.stale, form.problem = False, _stale_words(view)
        form.values["version"] = as_text(view.group.version)
        return _show(request, session, by, group_id, forms={form_name: form}, status_code=409)
    if form.refused:
        return _show(request, session, by, group_id, forms={form_name: form}, status_code=form.status_code)
    return redirect(request, f"/groups/{group_id}", banner=banner)


def _targets_in(view: GroupView) -> list[dict[str, Any]]:
    return [{"id": t.id, "measure": t.measure, "baseline": t.baseline, "target": t.target,
             "target_on": t.target_on, "latest_value": t.latest_value, "latest_on": t.latest_on}
            for t in view.targets]


@router.post("/groups/{group_id}", summary="Change a group's details and schools")
def save_details(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                 group_id: int = GroupId) -> Response:
    form = Form.typed(data, DETAIL_FIELDS)
    return _change(request, session, by, group_id, "details", form,
                   lambda view: parse(GroupUpdate, form, DETAIL_FIELDS[:-1],
                                      extra={"schools": _urns(form.values["schools"])}),
                   "The group's details and schools were saved")


@router.post("/groups/{group_id}/targets", summary="Add an improvement target")
def add_target(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
               group_id: int = GroupId) -> Response:
    form = Form.typed(data, TARGET_FIELDS)

    def build(view: GroupView) -> GroupUpdate:
        new = parse(TargetIn, form, TARGET_FIELDS).model_dump(exclude={"id"})
        return _validated(GroupUpdate, {"targets": [*_targets_in(view), new]})

    return _change(request, session, by, group_id, "target", form, build, "The target was added")


@router.post("/groups/{group_id}/targets/{target_id}", summary="Record a target's latest value, or remove it")
def change_target(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  group_id: int = GroupId, target_id: int = TargetId) -> Response:
    form = Form.typed(data, LATEST_FIELDS)
    removing = data.get("action") == "remove"

    def build(view: GroupView) -> GroupUpdate:
        targets = _targets_in(view)
        if not any(t["id"] == target_id for t in targets):
            raise NotFound(f"the group has no target {target_id}")
        if removing:
            return GroupUpdate(targets=[t for t in targets if t["id"] != target_id])
        latest = parse(LatestValue, form, LATEST_FIELDS).model_dump()
        return _validated(GroupUpdate, {"targets": [t | latest if t["id"] == target_id else t for t in targets]})

    return _change(request, session, by, group_id, f"target-{target_id}", form, build,
                   "The target was removed" if removing else "The target's latest value was saved")


@router.post("/groups/{group_id}/stage", summary="Record a stage the alliance reached")
def add_stage(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
              group_id: int = GroupId) -> Response:
    form = Form.typed(data, STAGE_FIELDS)

    def build(_view: GroupView) -> GroupUpdate:
        stage = parse(StageIn, form, STAGE_FIELDS).model_dump()
        return _validated(GroupUpdate, {"stage": stage})

    return _change(request, session, by, group_id, "stage", form, build, "The stage reached was recorded")


@router.post("/groups/{group_id}/delete", summary="Remove a group")
def delete_group(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                 group_id: int = GroupId) -> Response:
    view = groups.view(session, group_id, by=by)
    permissions.require_manage(by, "groups")
    form = Form.typed(data, ())
    with attempt(session, form):
        groups.delete(session, group_id, if_match=form.if_match, by=by)
    if form.refused:
        session.refresh(view.group)
        form.stale, form.problem = False, _stale_words(view)
        form.values["version"] = as_text(view.group.version)
        return _show(request, session, by, group_id, forms={"delete": form}, status_code=409)
    return redirect(request, "/groups", banner=f"The group {view.group.name} was removed")
