"""The actions agreed at a visit: what, who, by when, and whether it was done or dropped.

They are changed by whoever may change their visit record, and never once it is signed off
(409). Each action has its own version (ETag): editing one action does not make a colleague's
copy of the record, or of another action, stale."""

from sqlalchemy import select
from sqlmodel import Session

from app.errors import FieldError, NotFound, ValidationFailed
from app.models.visit import TriadVisit, VisitAction, VisitActionCreate, VisitActionUpdate
from app.services import concurrency, visits
from app.services.concurrency import require_match
from app.services.principal import Principal
from app.services.visits import VisitView

NOT_NULL = ("text", "status")


def _hold_open_visit(session: Session, visit_id: int) -> None:
    """Lock the visit's row and read its status afresh: on PostgreSQL an action cannot then be
    written beside a sign-off made at the same moment (the sign-off's UPDATE waits for this
    transaction, or this waits for it and sees it). SQLite writers already take turns."""
    status = session.scalar(select(TriadVisit.status).where(TriadVisit.id == visit_id).with_for_update())
    if status is None:
        raise NotFound(f"no visit record {visit_id} in this partnership")
    visits.refuse_signed_off(status)


def _editable_visit(session: Session, visit_id: int, *, by: Principal) -> VisitView:
    view = visits.get(session, visit_id, by=by)
    visits.require_edit(by, view)
    return view


def _find(view: VisitView, action_id: int) -> VisitAction:
    action = next((a for a in view.actions if a.id == action_id), None)
    if action is None:
        raise NotFound(f"no action {action_id} on visit record {view.visit.id}")
    return action


def get(session: Session, visit_id: int, action_id: int, *, by: Principal) -> VisitAction:
    """One action of a visit the caller may read, or 404."""
    return _find(visits.get(session, visit_id, by=by), action_id)


def add(session: Session, visit_id: int, data: VisitActionCreate, *, by: Principal) -> VisitAction:
    """Agree a new action on a visit record that is not signed off."""
    view = _editable_visit(session, visit_id, by=by)
    _hold_open_visit(session, visit_id)
    action = VisitAction(visit_id=view.visit.id, text=data.text, owner=data.owner, due_on=data.due_on,
                         status=data.status.value, updated_by=by.label)
    session.add(action)
    session.flush()
    view.actions.append(action)
    return action


def update(session: Session, visit_id: int, action_id: int, data: VisitActionUpdate, *,
           if_match: str | None, by: Principal) -> VisitAction:
    """Change some fields of an action (its ETag in If-Match)."""
    view = _editable_visit(session, visit_id, by=by)
    action = _find(view, action_id)
    require_match(if_match, action.version, what="action")
    _hold_open_visit(session, visit_id)
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    nulled = [name for name in NOT_NULL if name in changes and changes[name] is None]
    if nulled:
        raise ValidationFailed([FieldError(name, "cannot be empty") for name in nulled])
    for name, value in changes.items():
        setattr(action, name, value.value if hasattr(value, "value") else value)
    if session.is_modified(action):
        action.touch(by.label)
        concurrency.flush(session, what="action")
    return action


def delete(session: Session, visit_id: int, action_id: int, *, if_match: str | None, by: Principal) -> None:
    """Remove an action agreed in error (its ETag in If-Match)."""
    view = _editable_visit(session, visit_id, by=by)
    action = _find(view, action_id)
    require_match(if_match, action.version, what="action")
    _hold_open_visit(session, visit_id)
    session.delete(action)
    concurrency.flush(session, what="action")
    view.actions.remove(action)
