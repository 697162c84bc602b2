"""What is written at a clinic, in the browser: an agenda item's explanation and minutes (edited in
place), the agenda's order and extra schools (officers), actions agreed and closed, targets set and
reviewed. With htmx the part changed is redrawn in place; without, the page reloads."""

from typing import Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.clinic import ClinicAgendaItem
from app.models.clinic_api import (
    AgendaAdd,
    AgendaItemUpdate,
    ClinicActionCreate,
    ClinicActionUpdate,
    TargetCreate,
    TargetUpdate,
)
from app.models.types import MAX_ID
from app.routing import Router
from app.services import clinic_actions, clinic_agenda, clinics, permissions
from app.services.principal import Principal
from app.web.clinics import clinic_context, show
from app.web.forms import Form, FormData, attempt, parse
from app.web.htmx import is_htmx, redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: clinics"])

ClinicId = Path(ge=1, le=MAX_ID)
RowId = Path(ge=1, le=MAX_ID)
# One Path() per parameter name: FastAPI names a shared one after the first parameter that used it,
# so the actions' and targets' ids had been read as a missing `item_id` (422 on every update).
ActionId = Path(ge=1, le=MAX_ID)
TargetId = Path(ge=1, le=MAX_ID)
ITEM_FIELDS = ("explanation", "minutes")
ITEM_LABELS = {"explanation": "The officer's explanation", "minutes": "Minutes"}
ACTION_FIELDS = ("text", "urn", "owner", "due_on")
TARGET_FIELDS = ("urn", "outcome", "target_date")


def _item_answer(request: Request, session: Session, by: Principal, clinic_id: int, item_id: int, *,
                 form: Form | None = None, banner: str | None = None, status_code: int = 200) -> Response:
    """One agenda item: alone for htmx (in place), else the clinic's page with the item open."""
    clinic = clinics.get(session, clinic_id, by=by)
    editing = {"item": item_id, "form": form}
    if is_htmx(request):
        context = clinic_context(session, by, clinic, editing=editing)
        item = clinic_agenda.item_of(session, clinic, item_id)
        return render(request, "clinics/item.html", context | {"item": item}, status_code=status_code,
                      banner=banner, block="item")
    if banner and form is None:
        return redirect(request, f"/clinics/{clinic_id}#item-{item_id}", banner=banner)
    return show(request, session, by, clinic, editing=editing, status_code=status_code)


def _find_item(session: Session, by: Principal, clinic_id: int, item_id: int) -> ClinicAgendaItem:
    return clinic_agenda.item_of(session, clinics.get(session, clinic_id, by=by), item_id)


@router.get("/clinics/{clinic_id}/items/{item_id}/edit", summary="Write an agenda item's explanation and minutes")
def edit_item(request: Request, session: SessionDep, by: WebPrincipal, clinic_id: int = ClinicId,
              item_id: int = RowId) -> Response:
    item = _find_item(session, by, clinic_id, item_id)
    permissions.require_minute_taker(by)
    clinics.refuse_locked(clinics.get(session, clinic_id, by=by), "its minutes")
    return _item_answer(request, session, by, clinic_id, item_id, form=Form.of(item, ITEM_FIELDS))


@router.post("/clinics/{clinic_id}/items/{item_id}", summary="Save an agenda item's explanation and minutes")
def save_item(request: Request, session: SessionDep, by: WebPrincipal, data: FormData, clinic_id: int = ClinicId,
              item_id: int = RowId) -> Response:
    form = Form.typed(data, ITEM_FIELDS)
    with attempt(session, form):
        clinic_agenda.update(session, clinic_id, item_id, parse(AgendaItemUpdate, form, ITEM_FIELDS),
                             if_match=form.if_match, by=by)
    if form.stale:
        item = _find_item(session, by, clinic_id, item_id)
        session.refresh(item)
        form.conflict_with(item, ITEM_LABELS)
    if form.refused:
        return _item_answer(request, session, by, clinic_id, item_id, form=form, status_code=form.status_code)
    return _item_answer(request, session, by, clinic_id, item_id, banner="The minutes were saved")


@router.post("/clinics/{clinic_id}/items/{item_id}/move", summary="Move an agenda item up or down")
def move_item(request: Request, session: SessionDep, by: WebPrincipal, data: FormData, clinic_id: int = ClinicId,
              item_id: int = RowId) -> Response:
    form = Form.typed(data, ("position",))
    with attempt(session, form):
        clinic_agenda.update(session, clinic_id, item_id, parse(AgendaItemUpdate, form, ("position",)),
                             if_match=form.if_match, by=by)
    return _back(request, session, by, clinic_id, form, done="The agenda was reordered", block="agenda")


@router.post("/clinics/{clinic_id}/agenda", summary="Add a school to a clinic's agenda")
def add_item(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
             clinic_id: int = ClinicId) -> Response:
    form = Form.typed(data, ("urn", "explanation"))
    with attempt(session, form):
        clinic_agenda.add(session, clinic_id, parse(AgendaAdd, form, ("urn", "explanation")), by=by)
    return _back(request, session, by, clinic_id, form, done="The school was added to the agenda", block="agenda",
                 part="add_item")


def _back(request: Request, session: Session, by: Principal, clinic_id: int, form: Form, *, done: str,
          block: str, part: str | None = None) -> Response:
    """After a change to a part of the page: refused or stale, that part again with the message
    (422/409); done, that part in place (htmx) or the page (303)."""
    clinic = clinics.get(session, clinic_id, by=by)
    if form.stale:
        form.problem = ("Someone changed this after you opened the page, so nothing was changed: it is shown "
                        "as it now is")
    if form.refused:
        forms: dict[str, Any] = {part or block: form}
        return show(request, session, by, clinic, block=block, status_code=form.status_code,
                    editing={"forms": forms})
    if is_htmx(request):
        return show(request, session, by, clinic, block=block, banner=done)
    return redirect(request, f"/clinics/{clinic_id}#{block}", banner=done)


@router.post("/clinics/{clinic_id}/actions", summary="Agree an action at a clinic")
def add_action(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
               clinic_id: int = ClinicId) -> Response:
    form = Form.typed(data, ACTION_FIELDS)
    with attempt(session, form):
        clinic_actions.add_action(session, clinic_id, parse(ClinicActionCreate, form, ACTION_FIELDS), by=by)
    return _back(request, session, by, clinic_id, form, done="The action was added", block="actions",
                 part="add_action")


@router.post("/clinics/{clinic_id}/actions/{action_id}", summary="Close, drop or reopen an action")
def update_action(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  clinic_id: int = ClinicId, action_id: int = ActionId) -> Response:
    form = Form.typed(data, ("status", "note"))
    clinics.get(session, clinic_id, by=by)
    with attempt(session, form):
        change = parse(ClinicActionUpdate, form, ("status", "note"), extra={"clinic_id": clinic_id})
        clinic_actions.update_action(session, action_id, change, if_match=form.if_match, by=by)
    return _back(request, session, by, clinic_id, form, done="The action was updated", block="actions",
                 part=f"action_{action_id}")


@router.post("/clinics/{clinic_id}/targets", summary="Set a target for a school")
def add_target(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
               clinic_id: int = ClinicId) -> Response:
    form = Form.typed(data, TARGET_FIELDS)
    with attempt(session, form):
        clinic_actions.add_target(session, clinic_id, parse(TargetCreate, form, TARGET_FIELDS), by=by)
    return _back(request, session, by, clinic_id, form, done="The target was set", block="targets",
                 part="add_target")


@router.post("/clinics/{clinic_id}/targets/{target_id}", summary="Review a target at this clinic")
def review_target(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                  clinic_id: int = ClinicId, target_id: int = TargetId) -> Response:
    form = Form.typed(data, ("review", "met"))
    clinics.get(session, clinic_id, by=by)
    with attempt(session, form):
        change = parse(TargetUpdate, form, ("review", "met"), extra={"reviewed_at_clinic_id": clinic_id})
        clinic_actions.update_target(session, target_id, change, if_match=form.if_match, by=by)
    return _back(request, session, by, clinic_id, form, done="The target was reviewed", block="targets",
                 part=f"target_{target_id}")
