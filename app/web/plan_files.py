"""A plan's CSV file in the browser: /action-plans/import (officers upload a plan) and
/action-plans/{plan_id}/export.csv (any member downloads one).

The same import as `python -m app import-plan` (app.services.plan_csv), run within the request: a
plan is a few hundred rows at most. A refused file is the form again (422) with every bad line
listed by number, and nothing written; an accepted one is a new plan, and the browser goes to it.
"""

from fastapi import Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.deps import SessionDep
from app.models.types import MAX_ID
from app.routing import Router
from app.services import accounts, permissions, plan_csv
from app.services.plan_csv import PlanFileError
from app.services.plan_csv_cells import COLUMNS, REQUIRED
from app.services.principal import Principal, bind
from app.web.forms import Form, FormData, attempt
from app.web.htmx import redirect, render
from app.web.imports import Uploaded
from app.web.security import WebPrincipal

router = Router(tags=["web: action plans"])

PAGE = "/action-plans/import"
SHOWN_PROBLEMS = 200


def _page(request: Request, session: Session, by: Principal, form: Form, *,
          refused: PlanFileError | None = None) -> Response:
    context = {
        "form": form, "columns": COLUMNS, "required": REQUIRED,
        "problems": refused.problems[:SHOWN_PROBLEMS] if refused else [],
        "more_problems": max(0, len(refused.problems) - SHOWN_PROBLEMS) if refused else 0,
        "partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
        "active_nav": "action-plans",
    }
    return render(request, "plans/import.html", context, status_code=form.status_code)


def _require_importer(session: Session, by: Principal) -> None:
    bind(session, by)
    permissions.require_plan_editor(by)


@router.get(PAGE, summary="Upload an action plan as CSV")
def show_plan_import(request: Request, session: SessionDep, by: WebPrincipal) -> Response:
    """The upload form (officers only: a viewer gets the 403 page)."""
    _require_importer(session, by)
    return _page(request, session, by, Form({"file": "", "title": ""}))


@router.post(PAGE, summary="Import an action plan from CSV")
def import_plan(request: Request, session: SessionDep, by: WebPrincipal, data: FormData,
                upload: Uploaded) -> Response:
    """303 to the new plan; 422 with the form, and every bad line of the file, when refused."""
    _require_importer(session, by)
    form = Form.typed(data, ("title",))
    form.values["file"] = ""
    content = upload.file.read() if upload is not None else b""
    result, refused, name = None, None, ""
    with attempt(session, form):
        name = plan_csv.check_upload(upload.filename if upload is not None else None, content)
        title = form.values["title"] if isinstance(form.values["title"], str) else ""
        try:
            result = plan_csv.import_bytes(session, content, by=by, title=title or None)
        except PlanFileError as exc:
            refused = exc
            raise
    if refused is not None:
        form.problem = None
        form.errors["file"] = (f"{name} has {len(refused.problems):,} problem(s) on {refused.lines:,} line(s), "
                               "listed below. Nothing was imported: fix them and upload the file again")
    if form.refused or result is None:
        return _page(request, session, by, form, refused=refused)
    return redirect(request, f"/action-plans/{result.plan_id}",
                    banner=f"{name} imported as “{result.title}”: {result.priorities} priorities, {result.actions} "
                           f"actions, {result.milestones} milestones")


@router.get("/action-plans/{plan_id}/export.csv", summary="An action plan as CSV")
def export_plan(session: SessionDep, by: WebPrincipal, plan_id: int = Path(ge=1, le=MAX_ID)) -> Response:
    """Any member; another partnership's plan, like a missing one, is the 404 page. The file is the
    one the import reads back (UTF-8 with a byte order mark, for Excel)."""
    plan, body = plan_csv.export(session, plan_id, by=by)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{plan_csv.file_name(plan)}"'})
