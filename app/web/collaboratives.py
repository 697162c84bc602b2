"""Collaboratives in the browser: the list by year, a collaborative's board (its triads as cards,
this term's visits), rolling it forward a year, and the triad composer's proposals."""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from app.deps import SessionDep
from app.errors import BadRequest, Conflict, FieldError, ValidationFailed
from app.handlers import field_errors
from app.models.collaborative import ProposalAccept
from app.models.types import MAX_ID, academic_year_problem
from app.routing import Router
from app.services import accounts, collaborative_board, collaboratives, partnerships, rollover, triad_composer, triads
from app.services.collaboratives import ListFilters
from app.services.principal import Principal
from app.web.forms import Form, FormData, attempt
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: collaboratives"])

PHASES = {"primary": "Primary", "secondary": "Secondary", "special": "Special", "mixed": "Mixed"}
CollaborativeId = Path(ge=1, le=MAX_ID)


def _chrome(session: Session, by: Principal) -> dict[str, Any]:
    return {"active_nav": "collaboratives", "phases": PHASES,
            "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else []}


@router.get("/collaboratives", summary="The partnership's collaboratives, by academic year")
def list_collaboratives(request: Request, session: SessionDep, by: WebPrincipal, academic_year: str | None = None,
                        cursor: str | None = None) -> Response:
    """A bad year in the link is a 400 page with the year chooser and the message beside it."""
    years = collaborative_board.years_held(session, by=by)
    year = (academic_year or "").strip() or partnerships.academic_year_for(date.today())
    problem = academic_year_problem(year)
    result, status = None, 200
    if problem is None:
        try:
            result = collaboratives.page(session, ListFilters(academic_year=[year]), cursor=cursor or None, by=by)
        except BadRequest:
            problem, status = "That page link is out of date; go back to the first page", 400
    else:
        problem, status = f"Choose a year from the list ({problem})", 400
    next_url = (f"/collaboratives?{urlencode({'academic_year': year, 'cursor': result.next_cursor})}"
                if result and result.next_cursor else None)
    context = _chrome(session, by) | {"years": years, "year": year, "result": result, "problem": problem,
                                      "next_url": next_url}
    return render(request, "collaboratives/list.html", context, block="results", status_code=status)


def _board(request: Request, session: Session, by: Principal, collaborative_id: int, *,
           roll: Form | None = None, status_code: int = 200) -> Response:
    board = collaborative_board.board(session, collaborative_id, by=by)
    context = _chrome(session, by) | {"board": board, "collaborative": board.collaborative,
                                      "roll": roll or Form({}), "scheme": board.category_scheme}
    return render(request, "collaboratives/board.html", context, status_code=status_code)


@router.get("/collaboratives/{collaborative_id}", summary="A collaborative's board")
def show_collaborative(request: Request, session: SessionDep, by: WebPrincipal,
                       collaborative_id: int = CollaborativeId) -> Response:
    return _board(request, session, by, collaborative_id)


@router.post("/collaboratives/{collaborative_id}/roll-forward", summary="Copy a collaborative into the next year")
def roll_forward(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                 collaborative_id: int = CollaborativeId) -> Response:
    """Done: to the new year's board, saying what was copied and what was left out. Refused (the lead
    check wants a reason) or already done (409): the board again with the message."""
    form = Form.typed(data, ("lead_override_reason",))
    result, status = None, 422
    with attempt(session, form):
        reason = form.values["lead_override_reason"]
        try:
            result = rollover.roll_forward(session, collaborative_id, by=by,
                                           lead_override_reason=reason.strip() if isinstance(reason, str)
                                           and reason.strip() else None)
        except Conflict:
            status = 409  # rolled forward before
            raise
    if form.refused or result is None:
        if "academic_year" in form.errors:
            form.problem = form.errors.pop("academic_year")
        return _board(request, session, by, collaborative_id, roll=form, status_code=status)
    new = result.collaborative
    words = f"{new.name} was rolled forward into {new.academic_year} with {len(result.triads)} triad(s)"
    if result.warnings:
        words += "; " + "; ".join(result.warnings)
    return redirect(request, f"/collaboratives/{new.id}", banner=words)


def _proposals(request: Request, session: Session, by: Principal, collaborative_id: int, *,
               problem: str | None = None, status_code: int = 200) -> Response:
    proposal = triad_composer.propose(session, collaborative_id, by=by)
    context = _chrome(session, by) | {"proposal": proposal, "collaborative": proposal.collaborative,
                                      "problem": problem}
    return render(request, "collaboratives/proposals.html", context, status_code=status_code)


@router.get("/collaboratives/{collaborative_id}/triad-proposals",
            summary="Proposed triads for a collaborative's schools not yet in one")
def show_proposals(request: Request, session: SessionDep, by: WebPrincipal,
                   collaborative_id: int = CollaborativeId) -> Response:
    """Writes nothing: the composer's proposal, each triad explained, with a button to form them."""
    return _proposals(request, session, by, collaborative_id)


@router.post("/collaboratives/{collaborative_id}/triad-proposals",
             summary="Form the proposed triads")
def accept_proposals(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                     collaborative_id: int = CollaborativeId) -> Response:
    """The triads as proposed on the page (names as typed), all or none. Refused (a school was placed
    elsewhere meanwhile, a name is taken): the proposal made again, with what went wrong."""
    count = 0
    while f"triad.{count}.schools" in data and count < 100:
        count += 1
    names = [f"triad.{i}.{part}" for i in range(count) for part in ("name", "schools")]
    form = Form.typed(data, names)
    made: list = []
    with attempt(session, form):
        collaborative = collaboratives.get(session, collaborative_id, by=by)
        wanted = [{"name": form.values[f"triad.{i}.name"],
                   "schools": [u.strip() for u in str(form.values[f"triad.{i}.schools"]).split(",") if u.strip()]}
                  for i in range(count)]
        if not wanted:
            raise BadRequest("there were no triads to form", errors=[FieldError("triads", "no triads to form")])
        try:
            accept = ProposalAccept.model_validate({"triads": wanted})
        except ValidationError as exc:
            raise ValidationFailed(field_errors([{**e, "loc": ("form", *e["loc"])} for e in exc.errors()])) from None
        made = triads.create_many(session, collaborative, accept, by=by)
    if form.refused:
        problem = form.problem or "; ".join(form.errors.values()) or "The triads could not be formed"
        return _proposals(request, session, by, collaborative_id,
                          problem=f"Nothing was saved. {problem}", status_code=form.status_code)
    return redirect(request, f"/collaboratives/{collaborative_id}", banner=f"{len(made)} triad(s) were formed")
