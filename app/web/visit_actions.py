"""The actions agreed at a visit, in the browser: add one, mark it done or dropped, remove it. With
htmx the list is redrawn in place (and the record's history with it); without, the page reloads."""

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.types import MAX_ID
from app.models.visit import VisitActionCreate, VisitActionUpdate
from app.routing import Router
from app.services import visit_actions, visits
from app.services.principal import Principal
from app.web.forms import Form, FormData, attempt, parse
from app.web.htmx import is_htmx, redirect
from app.web.security import WebPrincipal
from app.web.visits import page

router = Router(tags=["web: visits"])

ADD_FIELDS = ("text", "owner", "due_on")
VisitId = Path(ge=1, le=MAX_ID)
ActionId = Path(ge=1, le=MAX_ID)


def _answer(request: Request, session: Session, by: Principal, visit_id: int, form: Form, *, done: str,
            problem: str | None = None, adding: bool = False) -> Response:
    """The actions again: refused (422, the messages beside the fields), stale (409, with the
    action as it is now), or done (htmx: in place with the history; otherwise back to the record)."""
    view = visits.get(session, visit_id, by=by)
    if form.refused or problem:
        status = 409 if form.stale else 422
        return page(request, session, by, view, block="actions", status_code=status,
                    actions={"form": form if adding else Form({}), "problem": problem or form.problem})
    if is_htmx(request):
        return page(request, session, by, view, block="actions", banner=done, also=("history",))
    return redirect(request, f"/visits/{visit_id}#visit-actions", banner=done)


def _stale(session: Session, by: Principal, visit_id: int, action_id: int) -> str:
    action = visit_actions.get(session, visit_id, action_id, by=by)
    session.refresh(action)
    return (f"{action.updated_by or 'Someone'} changed this action after you opened the page, so nothing was "
            "changed. It is shown below as it is now: choose again")


@router.post("/visits/{visit_id}/actions", summary="Agree an action at a visit")
def add_action(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
               visit_id: int = VisitId) -> Response:
    form = Form.typed(data, ADD_FIELDS)
    with attempt(session, form):
        visit_actions.add(session, visit_id, parse(VisitActionCreate, form, ADD_FIELDS), by=by)
    return _answer(request, session, by, visit_id, form, done="The action was added", adding=True)


@router.post("/visits/{visit_id}/actions/{action_id}", summary="Mark an agreed action open, done or dropped")
def update_action(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  visit_id: int = VisitId, action_id: int = ActionId) -> Response:
    form = Form.typed(data, ("status",))
    with attempt(session, form):
        visit_actions.update(session, visit_id, action_id, parse(VisitActionUpdate, form, ("status",)),
                             if_match=form.if_match, by=by)
    problem = _stale(session, by, visit_id, action_id) if form.stale else None
    if form.errors.get("status"):
        problem = f"The action's status: {form.errors['status'].lower()}"
    return _answer(request, session, by, visit_id, form, done="The action was updated", problem=problem)


@router.post("/visits/{visit_id}/actions/{action_id}/delete", summary="Remove an action agreed in error")
def delete_action(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  visit_id: int = VisitId, action_id: int = ActionId) -> Response:
    form = Form.typed(data, ())
    with attempt(session, form):
        visit_actions.delete(session, visit_id, action_id, if_match=form.if_match, by=by)
    problem = _stale(session, by, visit_id, action_id) if form.stale else None
    return _answer(request, session, by, visit_id, form, done="The action was removed", problem=problem)
