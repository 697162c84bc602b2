"""The visit record's workflow, the same for every kind of visit:

    draft --submit--> submitted --sign off--> signed_off --reopen (reason)--> submitted

Submitting is for whoever may edit the record, and needs it complete enough to sign off: who
visited, what they looked at, and a visit that has happened. Signing off needs a grade; it and
reopening are for the collaborative's lead headteacher (a triad's review) or an officer (any
kind). Any other change of status is 409. A signed-off record is read-only until reopened."""

from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Session

from app.errors import Conflict, FieldError, Forbidden, ValidationFailed
from app.models.base import utcnow
from app.models.visit import VisitKind, VisitStatus
from app.services import concurrency, permissions
from app.services.principal import Principal

if TYPE_CHECKING:
    from app.services.visits import VisitView

SUBMIT, SIGN_OFF, REOPEN = "submit", "sign off", "reopen"
TRANSITIONS = {
    (VisitStatus.draft, VisitStatus.submitted): SUBMIT,
    (VisitStatus.submitted, VisitStatus.signed_off): SIGN_OFF,
    (VisitStatus.signed_off, VisitStatus.submitted): REOPEN,
}


def next_statuses(status: VisitStatus) -> list[VisitStatus]:
    return [to for (start, to) in TRANSITIONS if start == status]


def _incomplete(view: "VisitView", today: date) -> list[FieldError]:
    visit = view.visit
    errors = []
    if not visit.visiting_heads:
        errors.append(FieldError("visiting_heads", "name who visited before submitting the record"))
    if not visit.focus_areas:
        errors.append(FieldError("focus_areas", "choose at least one focus area before submitting the record"))
    if visit.visit_date > today:
        errors.append(FieldError("visit_date", "a record can be submitted once the visit has happened"))
    return errors


def transition(session: Session, view: "VisitView", to: VisitStatus, *, reason: str | None,
               by: Principal) -> None:
    """Move the record to status `to`: 409 if the workflow has no such step, 403 if the caller may
    not take it, 422 if the record is not ready for it. The caller has checked the record's If-Match
    and that the caller may edit it."""
    visit = view.visit
    current = VisitStatus(visit.status)
    step = TRANSITIONS.get((current, to))
    if step is None:
        allowed = " or ".join(s.value for s in next_statuses(current))
        raise Conflict(f"a {current.value} record cannot become {to.value}",
                       errors=[FieldError("status", f"a {current.value} record can only become {allowed}")])
    if step != SUBMIT and not permissions.can_sign_off(by, visit, view.collaborative_id):
        who = ("the collaborative's lead headteacher or an officer" if visit.kind == VisitKind.triad_review.value
               else "an officer")
        raise Forbidden(f"only {who} can {step} this visit record")
    if step != REOPEN and reason is not None:
        raise ValidationFailed([FieldError("reason", "a reason is given only to reopen a signed-off record")])

    now = utcnow()
    if step == SUBMIT:
        errors = _incomplete(view, date.today())  # the server's date, as the date rules use
        if errors:
            raise ValidationFailed(errors)
        visit.submitted_at = now
    elif step == SIGN_OFF:
        if visit.grade is None:
            raise ValidationFailed([FieldError("grade", "grade the visit before signing it off")])
        visit.signed_off_at, visit.signed_off_by = now, by.label
    else:
        if not (reason or "").strip():
            raise ValidationFailed([FieldError("reason", "say why the signed-off record is reopened")])
        visit.reopen_reason = reason
        visit.signed_off_at = visit.signed_off_by = None
    visit.status = to.value
    visit.touch(by.label)
    concurrency.flush(session, what="visit record")
