"""Assembles the HTML face. Every state-changing request is CSRF-checked here, once."""

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.errors import AppError
from app.routing import Router
from app.web import (
    account,
    audit,
    auth,
    board,
    calendar,
    clinic_exports,
    clinic_items,
    clinics,
    collaboratives,
    flags,
    groups,
    imports,
    indicators_import,
    milestones,
    plan_files,
    plan_items,
    plans,
    school_edit,
    school_records,
    schools,
    settings_partnership,
    settings_people,
    settings_tokens,
    support,
    triads,
    visit_actions,
    visits,
)
from app.web.htmx import is_fragment, render
from app.web.reports import router as reports_router
from app.web.security import SignInRequired, sign_in_url, verify_csrf

web_router = Router(dependencies=[Depends(verify_csrf)], include_in_schema=False)
web_router.include_router(auth.router)
web_router.include_router(imports.router)
web_router.include_router(indicators_import.router)
web_router.include_router(plan_files.router)  # before /action-plans/{plan_id}: its import page
web_router.include_router(account.router)
web_router.include_router(calendar.router)
web_router.include_router(settings_people.router)
web_router.include_router(board.router)
web_router.include_router(schools.router)
web_router.include_router(flags.router)
web_router.include_router(settings_tokens.router)
web_router.include_router(settings_partnership.router)
web_router.include_router(school_edit.router)
web_router.include_router(school_records.router)
web_router.include_router(audit.router)
web_router.include_router(collaboratives.router)
web_router.include_router(triads.router)
web_router.include_router(visits.router)
web_router.include_router(visit_actions.router)
web_router.include_router(clinics.router)
web_router.include_router(clinic_items.router)
web_router.include_router(clinic_exports.router)
web_router.include_router(plans.router)
web_router.include_router(plan_items.router)
web_router.include_router(milestones.router)
web_router.include_router(reports_router)
web_router.include_router(support.router)
web_router.include_router(groups.router)


@web_router.get("/", include_in_schema=False)
def home() -> Response:
    return RedirectResponse("/board", status_code=303)


def render_error_page(request: Request, exc: AppError) -> Response:
    """The HTML face of an error: sign-in redirect, or a page that says what went wrong."""
    if isinstance(exc, SignInRequired):
        target = sign_in_url(request)
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    template = "errors/error.html"
    response = render(request, template, {"error": exc}, block="content" if is_fragment(request) else None,
                      status_code=exc.status_code, headers=exc.headers)
    return response
