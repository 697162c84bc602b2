"""Figures from a CSV file, in the browser: /indicators/import (officers).

The same import as `python -m app import-indicators` (app.services.imports.indicators_csv), run
within the request: a file of up to 5,000 rows is checked and written in well under a second, so it
needs no background job (unlike the GIAS upload, app/web/imports.py). "Check" reads the file and says
what importing it would do, writing nothing; "Import" checks it again and writes it, all or nothing.
A refused file is the form again (422) with every bad line listed by number.
"""

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.indicator import KNOWN_MEASURES
from app.models.indicator_bulk import MAX_ITEMS
from app.routing import Router
from app.services import accounts
from app.services.imports import indicators_csv
from app.services.imports.indicators_csv import ImportResult, IndicatorFileError
from app.services.principal import Principal
from app.web.forms import Form, FormData, attempt
from app.web.htmx import redirect, render
from app.web.imports import Uploaded
from app.web.security import WebPrincipal

router = Router(tags=["web: imports"])

PAGE = "/indicators/import"
SHOWN_PROBLEMS = 200


def _page(request: Request, session: Session, by: Principal, form: Form, *, refused: IndicatorFileError | None = None,
          checked: tuple[str, ImportResult] | None = None) -> Response:
    context = {
        "form": form, "columns": indicators_csv.COLUMNS, "max_rows": MAX_ITEMS, "checked": checked,
        "known_measures": KNOWN_MEASURES,
        "problems": refused.problems[:SHOWN_PROBLEMS] if refused else [],
        "more_problems": max(0, len(refused.problems) - SHOWN_PROBLEMS) if refused else 0,
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
        "active_nav": "imports",
    }
    return render(request, "indicators/import.html", context, status_code=form.status_code)


@router.get(PAGE, summary="Upload a CSV of figures")
def show_indicators_import(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """The upload form (officers only)."""
    indicators_csv.require_importer(session, by=by)
    return _page(request, session, by, Form({"file": "", "action": "check"}))


@router.post(PAGE, summary="Check or import a CSV of figures")
def import_indicators(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                      upload: Uploaded) -> Response:
    """Check the file (nothing written), or import it; a refused file lists its bad lines."""
    indicators_csv.require_importer(session, by=by)
    form = Form.typed(data, ("action",))
    form.values["file"] = ""
    dry_run = form.values["action"] != "apply"
    content = upload.file.read() if upload is not None else b""
    name, result, refused = "", None, None
    with attempt(session, form):
        name = indicators_csv.check_upload(upload.filename if upload is not None else None, content)
        try:
            result = indicators_csv.import_bytes(session, content, by=by, dry_run=dry_run, max_rows=MAX_ITEMS)
        except IndicatorFileError as exc:
            refused = exc
            raise
    if refused is not None:
        form.problem = None
        form.errors["file"] = (f"{name} has {len(refused.problems):,} problem(s) on {refused.lines:,} line(s), "
                               "listed below. Nothing was imported: fix them and upload the file again")
    if form.refused or result is None:
        return _page(request, session, by, form, refused=refused)
    if dry_run:
        return _page(request, session, by, form, checked=(name, result))
    counts = result.counts.as_dict()
    return redirect(request, PAGE, banner=f"{name} imported: {counts['created']:,} figure(s) added, "
                                          f"{counts['updated']:,} changed, {counts['unchanged']:,} already as in "
                                          "the file")
