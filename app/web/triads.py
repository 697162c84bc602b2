"""A triad in the browser: its schools, its visit records, and recording a new visit (a draft,
which opens as its own page for the findings)."""

from typing import Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.types import MAX_ID
from app.models.visit import TriadVisitCreate
from app.routing import Router
from app.services import accounts, collaborative_board, visits
from app.services.principal import Principal
from app.services.visits import VisitFilters
from app.web.forms import Form, FormData, attempt, parse
from app.web.htmx import redirect, render
from app.web.security import WebPrincipal
from app.web.visits import KIND_WORDS, STATUS_WORDS

router = Router(tags=["web: triads"])

TriadId = Path(ge=1, le=MAX_ID)
NEW_FIELDS = ("urn", "visit_date")


def _page(request: Request, session: Session, by: Principal, triad_id: int, *, form: Form | None = None,
          status_code: int = 200) -> Response:
    found = collaborative_board.triad_page(session, triad_id, by=by)
    listed = visits.page(session, VisitFilters(triad_id=[triad_id]), limit=visits.DEFAULT_LIMIT, by=by)
    context: dict[str, Any] = {
        "active_nav": "collaboratives", "page": found, "triad": found.triad, "visits": listed,
        "scheme": found.category_scheme, "status_words": STATUS_WORDS, "kind_words": KIND_WORDS,
        "form": form or Form({"urn": found.hosts[0].urn if len(found.hosts) == 1 else "", "visit_date": ""}),
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
    }
    return render(request, "triads/show.html", context, status_code=status_code)


@router.get("/triads/{triad_id}", summary="A triad, its schools and its visit records")
def show_triad(request: Request, session: SessionDep, by: WebPrincipal, triad_id: int = TriadId) -> Response:
    return _page(request, session, by, triad_id)


@router.post("/triads/{triad_id}/visits", summary="Record a triad's visit (a draft)")
def create_visit(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                 triad_id: int = TriadId) -> Response:
    """Made: to the new record, to write its findings. Refused (a date outside the triad's year, a
    school the caller may not record for): the triad's page again, 422, with what was typed."""
    form = Form.typed(data, NEW_FIELDS)
    made = None
    with attempt(session, form):
        made = visits.create_for_triad(session, triad_id, parse(TriadVisitCreate, form, NEW_FIELDS), by=by)
    if form.refused or made is None:
        return _page(request, session, by, triad_id, form=form, status_code=form.status_code)
    return redirect(request, f"/visits/{made.visit.id}",
                    banner=f"A draft record of the visit to {made.school_name} was made: write its findings below")
