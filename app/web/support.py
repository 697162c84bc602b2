"""Support deployments in the browser: the list with its filters and pages, recording one
(officers), a deployment's page (its brokering steps as a timeline, the conflict of interest
suggested, the days warning, and the form to change or remove it), and the data-quality page.
Every rule is the services'; these routes read forms and draw pages. All of it works without
JavaScript; with htmx the list's results are swapped in place."""

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import AppError, FieldError, ValidationFailed
from app.models.support import BROKERING_STEPS, PROVIDER_KIND_WORDS, OriginKind, ProviderKind, SupportOutcome
from app.models.support_api import FIELDS, SupportDeploymentCreate, SupportDeploymentUpdate
from app.models.types import MAX_ID
from app.routing import Router
from app.services import accounts, permissions, support, support_quality, support_rules
from app.services.principal import Principal
from app.services.support import DeploymentView, SupportFilters
from app.web.forms import Form, FormData, as_text, attempt, parse
from app.web.htmx import is_fragment, redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: support"])

DeploymentId = Path(ge=1, le=MAX_ID)
PAGE_SIZE = 50
ORIGIN_IDS = tuple(support_rules.ORIGIN_FIELDS.values())
# The form names one origin record by kind and number; the API has a field for each kind.
FORM_FIELDS = tuple(name for name in FIELDS if name not in ORIGIN_IDS) + ("origin_id",)
OUTCOME_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "not_yet_completed": "Not yet completed"}
OUTCOME_COLOURS = {"green": "green", "amber": "orange", "red": "red", "not_yet_completed": "grey"}
ORIGIN_WORDS = {"triad_visit": "A triad visit's priorities (visit record number)",
                "clinic_action": "A clinic action (its number)", "plan_action": "An action plan's action (its number)"}
RESPONSE_WORDS = {"accepted": "Accepted", "declined": "Declined"}
LABELS = {
    "urn": "Supported school's URN", "academic_year": "Academic year", "provider_kind": "Kind of support",
    "provider_name": "Provider (person or organisation)", "provider_urn": "Provider school's URN",
    "objective": "Objective", "days_planned": "Days planned", "days_delivered": "Days delivered",
    "start_on": "Start", "end_on": "End", "funding_source": "Funding source", "cost": "Cost (£)",
    "origin_kind": "Where the need came from", "origin_id": "Its record number", "outcome": "Outcome at review",
    "impact_note": "Impact", "contacted_on": "Responsible body contacted", "school_response": "The school's response",
    "responded_on": "Date of the school's response", "adviser_name": "Adviser",
    "adviser_allocated_on": "Adviser allocated", "conflicts_checked_on": "Conflicts of interest checked",
    "conflict_note": "Note of the conflicts check", "adviser_visit_on": "Adviser visit",
    "matched_on": "Matched with a supporting organisation", "supporting_organisation": "Supporting organisation",
    "delivery_started_on": "Delivery started", "reviewed_on": "Reviewed",
}
# What the filters say when a value is wrong (the service's words are for API callers).
_FILTER_MESSAGES = {"cursor": "That page link is out of date; go back to the first page"}


def _chrome(session: Session, by: Principal) -> dict[str, Any]:
    return {"active_nav": "support",
            "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
            "kind_words": PROVIDER_KIND_WORDS, "outcome_words": OUTCOME_WORDS, "outcome_colours": OUTCOME_COLOURS,
            "can_write": permissions.manages(by)}


# --- the list -------------------------------------------------------------------------------------


@dataclass
class Paging:
    """Keyset pages only go forward; the page number rides along in the links to say "Showing 51-100"."""

    number: int
    first: int = 0
    last: int = 0
    next_url: str | None = None
    first_url: str = "/support"


def _paging(request: Request, base_path: str, shown: int, next_cursor: str | None) -> Paging:
    raw = request.query_params.get("page", "1")
    number = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in {"cursor", "page"} and v != ""]
    paging = Paging(number, first_url=base_path + (f"?{urlencode(kept)}" if kept else ""))
    if shown:
        paging.first = (number - 1) * PAGE_SIZE + 1
        paging.last = paging.first + shown - 1
    if next_cursor:
        paging.next_url = f"{base_path}?{urlencode([*kept, ('cursor', next_cursor), ('page', str(number + 1))])}"
    return paging


def _filter_errors(exc: AppError) -> dict[str, str]:
    errors = {e.field: _FILTER_MESSAGES.get(e.field, e.message[:1].upper() + e.message[1:]) for e in exc.errors}
    return errors or {"year": exc.detail}


@router.get("/support", summary="Support deployments, filterable")
def list_deployments(request: Request, session: SessionDep, by: WebPrincipal, year: str = "", urn: str = "",
                     kind: str = "", outcome: str = "", cursor: str = "") -> Response:
    """The whole page, or the results block alone for htmx. A wrong filter is shown beside it (422)."""
    filters = SupportFilters(year=[year.strip()] if year.strip() else [], urn=[urn.strip()] if urn.strip() else [],
                             kind=[kind] if kind else [], outcome=[outcome] if outcome else [])
    result, errors = None, {}
    try:
        result = support.page(session, filters, limit=PAGE_SIZE, cursor=cursor or None, by=by)
    except AppError as exc:
        errors = _filter_errors(exc)
    paging = _paging(request, "/support", len(result.views) if result else 0, result.next_cursor if result else None)
    context = _chrome(session, by) | {
        "result": result, "errors": errors, "paging": paging, "on_first_page": not cursor,
        "values": {"year": year, "urn": urn, "kind": kind, "outcome": outcome},
        "kinds": [k.value for k in ProviderKind], "outcomes": [o.value for o in SupportOutcome],
        "fragment": is_fragment(request),
    }
    return render(request, "support/list.html", context, block="results", status_code=422 if errors else 200)


@router.get("/support/data-quality", summary="Support deployments that break a rule or lack a step's date")
def data_quality(request: Request, session: SessionDep, by: WebPrincipal, year: str = "",
                 cursor: str = "") -> Response:
    result, errors = None, {}
    try:
        result = support_quality.page(session, year=[year.strip()] if year.strip() else [], limit=PAGE_SIZE,
                                      cursor=cursor or None, by=by)
    except AppError as exc:
        errors = _filter_errors(exc)
    paging = _paging(request, "/support/data-quality", len(result.rows) if result else 0,
                     result.next_cursor if result else None)
    context = _chrome(session, by) | {"result": result, "errors": errors, "paging": paging, "year": year,
                                      "on_first_page": not cursor, "fragment": is_fragment(request)}
    return render(request, "support/quality.html", context, block="results", status_code=422 if errors else 200)


# --- the form ---------------------------------------------------------------------------------------


def _stored(view: DeploymentView) -> dict[str, str]:
    """The deployment as the form shows it."""
    d = view.deployment
    values = {name: as_text(getattr(d, name)) for name in FORM_FIELDS if hasattr(d, name)}
    origin = next((getattr(d, name) for name in ORIGIN_IDS if getattr(d, name) is not None), None)
    values |= {"urn": view.urn, "provider_urn": view.provider_urn or "", "origin_id": as_text(origin),
               "cost": "" if view.cost is None else f"{view.cost:.2f}", "version": as_text(d.version)}
    return values


def _origin_ids(form: Form) -> dict[str, Any]:
    """The form's one origin number under its kind's field (the API has a field for each kind)."""
    kind, number = str(form.values.get("origin_kind") or ""), str(form.values.get("origin_id") or "").strip()
    extra: dict[str, Any] = {name: None for name in ORIGIN_IDS}
    if number and kind in support_rules.ORIGIN_FIELDS:
        extra[support_rules.ORIGIN_FIELDS[kind]] = int(number) if number.isascii() and number.isdigit() \
            and len(number) < 10 else number
    return extra


def _run(form: Form, model: type, call: Callable[[Any], Any]) -> Any:
    """`call` with the form as the API's model. Every refusal is said at once, those of the origin's
    fields beside the form's one number field; a number with no kind is refused as well (the
    savepoint of `attempt` undoes what `call` wrote)."""
    kindless = bool(str(form.values.get("origin_id") or "").strip()) and \
        form.values.get("origin_kind") not in support_rules.ORIGIN_FIELDS
    errors = [FieldError("origin_kind", "say where the need came from, for this record number")] if kindless else []
    try:
        result = call(parse(model, form, [n for n in FIELDS if n not in ORIGIN_IDS], extra=_origin_ids(form)))
    except ValidationFailed as exc:
        errors = [*exc.errors, *errors]
        for error in errors:
            if error.field in ORIGIN_IDS:
                error.field = "origin_id"
    if errors:
        raise ValidationFailed(errors)
    return result


def _form_context(session: Session, by: Principal, form: Form) -> dict[str, Any]:
    return _chrome(session, by) | {
        "form": form, "labels": LABELS, "kinds": [k.value for k in ProviderKind],
        "outcomes": [o.value for o in SupportOutcome], "origins": [o.value for o in OriginKind],
        "origin_words": ORIGIN_WORDS, "response_words": RESPONSE_WORDS,
    }


@router.get("/support/new", summary="Record a support deployment")
def new_form(request: Request, session: SessionDep, by: WebPrincipal, urn: str = "") -> Response:
    permissions.require_support_writer(by)
    form = Form({name: "" for name in FORM_FIELDS} | {"urn": urn, "outcome": "not_yet_completed"})
    return render(request, "support/new.html", _form_context(session, by, form))


@router.post("/support", summary="Record a support deployment")
def create(request: Request, session: SessionDep, by: WebPrincipal, data: FormData) -> Response:
    permissions.require_support_writer(by)
    form = Form.typed(data, FORM_FIELDS)
    made = None
    with attempt(session, form):
        made = _run(form, SupportDeploymentCreate, lambda data: support.create(session, data, by=by))
    if form.refused or made is None:
        return render(request, "support/new.html", _form_context(session, by, form), status_code=form.status_code)
    return redirect(request, f"/support/{made.deployment.id}",
                    banner=f"The support for {made.school_name} was recorded")


# --- one deployment ------------------------------------------------------------------------------------


def _timeline(view: DeploymentView) -> list[dict[str, Any]]:
    """The brokering steps in order, each with its date (or none yet) and what was recorded with it."""
    d = view.deployment
    detail = {
        "responded_on": RESPONSE_WORDS.get(d.school_response or "", ""),
        "adviser_allocated_on": d.adviser_name or "",
        "conflicts_checked_on": d.conflict_note or "",
        "matched_on": d.supporting_organisation or "",
        "reviewed_on": OUTCOME_WORDS.get(d.outcome, "") if d.reviewed_on else "",
    }
    return [{"name": name, "label": label, "on": getattr(d, name), "detail": detail.get(name, "")}
            for name, label in BROKERING_STEPS]


def _show(request: Request, session: Session, by: Principal, view: DeploymentView, *, form: Form | None = None,
          status_code: int = 200) -> Response:
    context = _form_context(session, by, form or Form(_stored(view))) | {
        "view": view, "deployment": view.deployment, "timeline": _timeline(view),
    }
    return render(request, "support/show.html", context, status_code=status_code)


@router.get("/support/{deployment_id}", summary="A support deployment")
def show(request: Request, session: SessionDep, by: WebPrincipal, deployment_id: int = DeploymentId) -> Response:
    return _show(request, session, by, support.get(session, deployment_id, by=by))


@router.post("/support/{deployment_id}", summary="Change a support deployment")
def save(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
         deployment_id: int = DeploymentId) -> Response:
    """Saved: back to the page. Refused: the form again, 422, each message beside its field. Stale:
    409, the stored values beside what was typed, the form carrying the stored version."""
    view = support.get(session, deployment_id, by=by)
    permissions.require_support_writer(by)
    form = Form.typed(data, FORM_FIELDS)
    with attempt(session, form):
        _run(form, SupportDeploymentUpdate,
             lambda data: support.update(session, deployment_id, data, if_match=form.if_match, by=by))
    if form.stale:
        session.refresh(view.deployment)
        view = support.get(session, deployment_id, by=by)
        stored = _stored(view)
        record = SimpleNamespace(**(stored | {"version": view.deployment.version}),
                                 updated_by=view.deployment.updated_by, updated_at=view.deployment.updated_at)
        form.conflict_with(record, {name: LABELS[name] for name in FORM_FIELDS})
    if form.refused:
        return _show(request, session, by, view, form=form, status_code=form.status_code)
    return redirect(request, f"/support/{deployment_id}", banner="Your changes were saved")


@router.post("/support/{deployment_id}/delete", summary="Remove a support deployment")
def remove(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
           deployment_id: int = DeploymentId) -> Response:
    view = support.get(session, deployment_id, by=by)
    permissions.require_support_writer(by)
    form = Form.typed(data, ())
    with attempt(session, form):
        support.delete(session, deployment_id, if_match=form.if_match, by=by)
    if form.refused:
        form.problem = ("Someone changed this record after you opened it, so it was not removed: "
                        "look at it again first") if form.stale else form.problem
        session.refresh(view.deployment)
        view = support.get(session, deployment_id, by=by)
        edit = Form(_stored(view))
        edit.problem = form.problem
        return _show(request, session, by, view, form=edit, status_code=form.status_code)
    return redirect(request, "/support", banner=f"The support for {view.school_name} was removed")
