"""GIAS imports from the browser: upload, check, confirm, apply, each step a background job.

The job's state lives in the database (``import_job``), so that whichever worker answers a poll
can say where it stands; the uploaded bytes sit in ``import_upload`` until the job ends. The
check is the import itself with ``dry_run`` (one code path: app.services.imports.gias), so it
writes nothing to the register. The apply is the import in ONE transaction, which also marks the
job applied: either both happen or neither.

The work runs in the threads of a ``JobRunner`` (app/services/import_runner.py), never inside a
request. A job that a restart cut off is shown, and marked, as failed; its transaction died with
the process, so nothing was half-applied.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import defer
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models.base import utcnow
from app.models.import_job import ImportJob, ImportKind, ImportStatus, ImportUpload
from app.services.imports.gias import ImportSummary
from app.services.imports.uploads import not_text
from app.services.principal import Principal, bind

if TYPE_CHECKING:
    from app.services.import_runner import JobRunner

RUNNING = frozenset({ImportStatus.uploaded, ImportStatus.checking, ImportStatus.applying})
RECENT = 10
SHOWN_SKIPS = 50
CUT_OFF = "the server restarted before it finished; nothing was written to the register. Upload the file again"
LA_CODE_MESSAGE = "an LA code is three digits, e.g. 874"


@dataclass(frozen=True)
class Live:
    """What this process knows of a job it is running (or has queued): fresher than the row."""

    phase: str  # queued, checking, applying
    done: int = 0
    total: int | None = None


@dataclass
class JobView:
    """A job as the pages show it: a running job cut off by a restart shows as failed."""

    job: ImportJob
    status: str
    message: str | None
    done: int
    total: int | None
    cut_off: bool = False

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def percent(self) -> int | None:
        return int(100 * self.done / self.total) if self.total else None

    @property
    def la_code(self) -> str | None:
        return (self.job.summary or {}).get("la_code")

    @property
    def check(self) -> dict[str, Any] | None:
        return (self.job.summary or {}).get("check")

    @property
    def applied(self) -> dict[str, Any] | None:
        return (self.job.summary or {}).get("apply")


def summary_json(summary: ImportSummary) -> dict[str, Any]:
    """An import's summary as stored on its job: the counts, the warnings grouped as the command
    line prints them, and the first reasons for skipping."""
    return {
        "created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged,
        "skipped": summary.skipped, "inspections_added": summary.inspections_added,
        "warnings": summary.warning_lines(),
        "skipped_reasons": [[line, reason] for line, reason in summary.skipped_reasons[:SHOWN_SKIPS]],
        "skipped_reasons_total": len(summary.skipped_reasons),
    }


def _not_csv(file_name: str, content: bytes) -> str | None:
    if (what := not_text(content)) is not None:
        return f"the selected file is {what}, not a CSV: save the GIAS extract as CSV and upload that"
    if not file_name.lower().endswith(".csv"):
        return "the selected file must be a CSV (GIAS's edubasealldata….csv)"
    return None


def upload_gias(session: Session, *, file_name: str | None, content: bytes, la_code: str | None,
                by: Principal) -> ImportJob:
    """Keep an uploaded GIAS file as a new job, waiting for its check (nothing is imported yet)."""
    by.require_write()
    bind(session, by)
    errors = []
    name = PureWindowsPath(file_name or "").name.strip()  # some browsers send C:\fakepath\...
    if not name:
        errors.append(FieldError("file", "select a GIAS file (CSV) to upload"))
    elif not content:
        errors.append(FieldError("file", "the selected file is empty"))
    elif (why := _not_csv(name, content)) is not None:
        errors.append(FieldError("file", why))
    la = (la_code or "").strip() or None
    if la is not None and not re.fullmatch(r"[0-9]{3}", la):
        errors.append(FieldError("la_code", LA_CODE_MESSAGE))
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    job = ImportJob(kind=ImportKind.gias.value, file_name=name[:255], file_size=len(content),
                    status=ImportStatus.uploaded.value, created_by_user_id=by.user_id,
                    created_by_name=by.label[:200], heartbeat_at=now, summary={"la_code": la})
    job.touch(by.label)
    session.add(job)
    session.flush()
    session.add(ImportUpload(job_id=job.id, content=content))
    session.flush()
    return job


def _job_id(raw: str | int) -> int:
    text = str(raw)
    if not re.fullmatch(r"[0-9]{1,18}", text):
        raise NotFound("no such import")
    return int(text)


def load(session: Session, job_id: str | int, *, by: Principal) -> ImportJob:
    """One of the partnership's import jobs (officers only); another partnership's is not found."""
    by.require_write()
    bind(session, by)
    job = session.scalars(select(ImportJob).where(ImportJob.id == _job_id(job_id))
                          .execution_options(populate_existing=True)).one_or_none()
    if job is None:
        raise NotFound("no such import")
    return job


def is_cut_off(job: ImportJob, live: Live | None, *, now: datetime, stale_after: float) -> bool:
    """Still marked running, run by no thread of this process, and silent for too long."""
    beat = job.heartbeat_at or job.updated_at
    return job.status in RUNNING and live is None and beat < now - timedelta(seconds=stale_after)


def view(job: ImportJob, runner: "JobRunner") -> JobView:
    """The job as it stands: this process's fresher progress if it runs it, or the stored row."""
    live = runner.live(job.id) if job.status in RUNNING else None
    if is_cut_off(job, live, now=utcnow(), stale_after=runner.stale_after):
        return JobView(job, ImportStatus.failed.value, CUT_OFF, job.progress_done, job.progress_total, cut_off=True)
    if live is not None and live.phase != "queued":
        return JobView(job, job.status, job.message, live.done, live.total)
    return JobView(job, job.status, job.message, job.progress_done, job.progress_total)


def get(session: Session, job_id: str | int, *, by: Principal, runner: "JobRunner") -> JobView:
    """One job of the caller's partnership, as the progress page shows it."""
    return view(load(session, job_id, by=by), runner)


def recent(session: Session, *, by: Principal, runner: "JobRunner", limit: int = RECENT) -> list[JobView]:
    """The partnership's latest import jobs, newest first (without their list of bad lines)."""
    by.require_write()
    bind(session, by)
    jobs = session.scalars(select(ImportJob).options(defer(ImportJob.problems))
                           .order_by(ImportJob.created_at.desc(), ImportJob.id.desc()).limit(limit))
    return [view(job, runner) for job in jobs]


_NOT_NOW = {
    ImportStatus.uploaded: "the file is still being checked; wait for the check to finish",
    ImportStatus.checking: "the file is still being checked; wait for the check to finish",
    ImportStatus.refused: "this file was refused; fix the lines listed and upload it again",
    ImportStatus.applying: "this file is already being applied",
    ImportStatus.applied: "this file has already been applied",
    ImportStatus.failed: "this import failed; upload the file again",
    ImportStatus.discarded: "this check was discarded; upload the file again",
}


def _require_checked(job: ImportJob, runner: "JobRunner") -> None:
    shown = view(job, runner)
    if shown.status != ImportStatus.checked:
        raise Conflict(_NOT_NOW[ImportStatus(shown.status)])


def confirm(session: Session, job_id: str | int, *, by: Principal, runner: "JobRunner") -> ImportJob:
    """Confirm a checked file: the job is marked applying, for the runner to apply."""
    job = load(session, job_id, by=by)
    _require_checked(job, runner)
    job.status = ImportStatus.applying.value
    job.heartbeat_at = utcnow()
    job.progress_done = 0
    job.touch(by.label)
    _flush_or_refuse(session)  # version-checked: of two confirmations at once, one is refused
    return job


def discard(session: Session, job_id: str | int, *, by: Principal, runner: "JobRunner") -> ImportJob:
    """Drop a checked file without applying it."""
    job = load(session, job_id, by=by)
    _require_checked(job, runner)
    finish(session, job, ImportStatus.discarded, by_label=by.label)
    return job


def finish(session: Session, job: ImportJob, status: ImportStatus, *, message: str | None = None,
           problems: Iterable[tuple[int, str]] | None = None, by_label: str | None = None) -> None:
    """End a job for good; its uploaded bytes are no longer needed."""
    job.status = status.value
    job.message = message[:500] if message else None
    if problems is not None:
        job.problems = [[line, text] for line, text in problems]
    job.finished_at = utcnow()
    job.touch(by_label or job.updated_by or job.created_by_name)
    session.execute(delete(ImportUpload).where(ImportUpload.job_id == job.id)
                    .execution_options(synchronize_session=False))
    _flush_or_refuse(session)


class JobMovedOn(Conflict):
    """The job was changed by someone else (another request, another worker) at the same moment."""


def _flush_or_refuse(session: Session) -> None:
    """Flush; a job someone else moved on at the same moment is refused in words, as the page says."""
    try:
        session.flush()
    except StaleDataError:
        raise JobMovedOn("someone else confirmed, discarded or ended this import at the same moment; "
                         "reload the page to see where it stands") from None
