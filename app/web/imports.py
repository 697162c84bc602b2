"""GIAS upload in the browser: upload a file, watch its check, confirm it, watch it applied.

The check and the apply run as background jobs (app.services.import_runner), handed over after
the request's commit (a background task of the response), so a large file never holds a request
open. The job page polls itself with htmx while the job runs, and refreshes itself without
JavaScript.
"""

from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.deps import SessionDep
from app.routing import Router
from app.services import accounts, import_jobs, partnerships
from app.services.import_runner import JobRunner
from app.services.principal import Principal
from app.web.forms import Form, FormData, attempt
from app.web.htmx import is_fragment, redirect, render
from app.web.security import WebPrincipal

router = Router(tags=["web: imports"])

FIELDS = ("file", "la_code")
PAGE = "/imports/gias"


def _runner(request: Request) -> JobRunner:
    return request.app.state.import_jobs


Runner = Annotated[JobRunner, Depends(_runner)]


async def _uploaded(request: Request) -> UploadFile | None:
    """The file sent as `file` (the CSRF check has parsed the form already; Starlette keeps it)."""
    value = (await request.form()).get("file")
    return value if isinstance(value, UploadFile) else None


Uploaded = Annotated[UploadFile | None, Depends(_uploaded)]


def _chrome(session: Session, by: Principal) -> dict:
    return {"partnerships": accounts.partnerships_of(session, by.user_id) if by.user_id else [],
            "active_nav": "imports"}


def _upload_page(request: Request, session: Session, by: Principal, runner: JobRunner, form: Form) -> Response:
    context = {"form": form, "jobs": import_jobs.recent(session, by=by, runner=runner), **_chrome(session, by)}
    return render(request, "imports/gias.html", context, status_code=form.status_code)


@router.get(PAGE, summary="Upload a GIAS extract; recent imports")
def show_gias_upload(request: Request, session: SessionDep, by: WebPrincipal, runner: Runner) -> Response:
    """The upload form (officers only), with the partnership's recent imports."""
    jobs = import_jobs.recent(session, by=by, runner=runner)  # refuses a viewer before anything is shown
    form = Form({"file": "", "la_code": partnerships.current(session, by=by).la_code or ""})
    context = {"form": form, "jobs": jobs, **_chrome(session, by)}
    return render(request, "imports/gias.html", context)


@router.post(PAGE, summary="Upload a GIAS extract to check")
def upload_gias(request: Request, session: SessionDep, by: WebPrincipal, runner: Runner, data: FormData,
                upload: Uploaded, background: BackgroundTasks) -> Response:
    """Keep the file as a job and have it checked in the background; nothing is imported yet."""
    form = Form.typed(data, FIELDS)
    content = upload.file.read() if upload is not None else b""
    job = None
    with attempt(session, form):
        job = import_jobs.upload_gias(session, file_name=upload.filename if upload else None, content=content,
                                      la_code=str(form.values["la_code"]), by=by)
    if form.refused or job is None:
        return _upload_page(request, session, by, runner, form)
    background.add_task(runner.check, job.id, by)  # after the commit: the job's row is there to read
    return redirect(request, f"{PAGE}/{job.id}", banner=f"{job.file_name} was uploaded: it is being checked")


def _job_page(request: Request, session: Session, by: Principal, view: import_jobs.JobView,
              form: Form | None = None, background: BackgroundTasks | None = None,
              runner: JobRunner | None = None) -> Response:
    if view.cut_off and background is not None and runner is not None:
        background.add_task(runner.mark_cut_off, [view.job.id], by)
    # The fragment polled every second needs no header: its statements stay few.
    chrome = {} if is_fragment(request) else _chrome(session, by)
    form = form or Form({})
    context = {"view": view, "job": view.job, "form": form, **chrome}
    return render(request, "imports/job.html", context, block="job", status_code=form.status_code)


@router.get(PAGE + "/{job_id}", summary="An import's progress and outcome")
def show_gias_job(job_id: str, request: Request, session: SessionDep, by: WebPrincipal, runner: Runner,
                  background: BackgroundTasks) -> Response:
    """The job's page; while it runs, htmx asks for its `job` block every second."""
    view = import_jobs.get(session, job_id, by=by, runner=runner)
    return _job_page(request, session, by, view, background=background, runner=runner)


@router.post(PAGE + "/{job_id}/apply", summary="Apply a checked GIAS file")
def apply_gias(job_id: str, request: Request, session: SessionDep, by: WebPrincipal, runner: Runner,
               background: BackgroundTasks) -> Response:
    """Confirm the check: the file is applied in the background, all or nothing."""
    form = Form({})
    job = None
    with attempt(session, form):
        job = import_jobs.confirm(session, job_id, by=by, runner=runner)
    if form.refused or job is None:
        return _job_page(request, session, by, import_jobs.get(session, job_id, by=by, runner=runner), form)
    background.add_task(runner.apply, job.id, by)
    return redirect(request, f"{PAGE}/{job.id}", banner=f"{job.file_name} is being applied")


@router.post(PAGE + "/{job_id}/discard", summary="Discard a checked GIAS file")
def discard_gias(job_id: str, request: Request, session: SessionDep, by: WebPrincipal, runner: Runner) -> Response:
    """Drop the checked file; the register is left as it was."""
    form = Form({})
    job = None
    with attempt(session, form):
        job = import_jobs.discard(session, job_id, by=by, runner=runner)
    if form.refused or job is None:
        return _job_page(request, session, by, import_jobs.get(session, job_id, by=by, runner=runner), form)
    return redirect(request, PAGE, banner=f"{job.file_name} was discarded; nothing was written to the register")
