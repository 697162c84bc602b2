"""The threads that run import jobs (app.services.import_jobs), outside any request.

A request only records what is to be done and hands the job over here, after its own commit. One
job runs at a time per worker process; the others wait their turn in the queue.

Progress and the heartbeat:

- The running job keeps its progress in memory (``live``), and the page of a job this process
  runs shows that.
- On PostgreSQL a heartbeat thread writes the progress and the heartbeat of this process's jobs
  to their rows every second, each in a short transaction on a connection of its own, even while
  the apply's long transaction is open; so a poll answered by another worker sees it too.
- On SQLite there is one writer at a time, and the apply's transaction holds that turn from start
  to end: a progress write during it would wait for the apply, which would never let it in. So
  the row is written only between transactions (the check starts, the check ends, the apply
  ends) and the page shows this process's in-memory progress. SQLite serves from one process, so
  every poll is answered by the process that runs the job.

A job still marked running that no thread of this process runs, and whose heartbeat is older than
``stale_after`` seconds, was cut off (a restart): it is shown and marked failed. Had the apply
been running, its transaction died with the process: nothing was half-applied. And the apply
marks its job applied in its own transaction, version-checked: if the job was marked failed
meanwhile, the whole import rolls back.
"""

import contextlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session

from app.db import build_engine, new_session
from app.errors import AppError, NotFound
from app.models.base import utcnow
from app.models.import_job import ImportJob, ImportStatus, ImportUpload
from app.services import import_jobs
from app.services.import_jobs import RUNNING, Live
from app.services.imports import gias
from app.services.principal import Principal, bind
from app.write_gate import Turn, WriteGate

log = logging.getLogger(__name__)

Opener = Callable[..., Session]  # (write: bool, turn: Turn | None = None) -> Session
_RUNNING_VALUES = [status.value for status in RUNNING]


class JobRunner:
    """Runs import jobs in a thread of its own (or, `inline`, at once in the caller's thread: for
    tests, whose database is one connection that two threads must not use at the same time)."""

    def __init__(self, open_session: Opener, *, stale_after: float, gate: WriteGate | None = None,
                 inline: bool = False, persist_progress: bool = False, write_wait: float = 300.0,
                 beat_every: float = 1.0, engine: Engine | None = None) -> None:
        self._open = open_session
        self.stale_after = stale_after
        self._gate = gate
        self._write_wait = write_wait  # a job may wait this long for its write turn (SQLite)
        self._persist_progress = persist_progress
        self._beat_every = beat_every
        self._engine = engine  # the jobs' own engine, disposed of at close
        self._live: dict[int, Live] = {}
        self._lock = threading.Lock()
        self._executor = None if inline else ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-job")
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    @classmethod
    def serving(cls, engine: Engine, *, gate: WriteGate | None, stale_after: float) -> "JobRunner":
        """The runner of a served app. Jobs never take a connection a request was promised
        (app.deps.Slots). On SQLite they write through the app's engine, as the holder of the write
        turn (whose connection is kept for it), and read through a one-connection engine of their
        own (a check reads for seconds). On PostgreSQL they get a small engine of their own (two
        connections: the job's and the heartbeat's)."""
        if engine.dialect.name == "sqlite":
            reads = build_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
            return cls(lambda write, turn=None: new_session(write=write, engine=engine if write else reads, turn=turn),
                       gate=gate, stale_after=stale_after, engine=reads)
        own = build_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
        return cls(lambda write, turn=None: new_session(write=write, engine=own, turn=turn),
                   stale_after=stale_after, persist_progress=True, engine=own)

    # --- life -----------------------------------------------------------------------------------

    def start(self) -> None:
        if self._executor is not None and self._persist_progress and self._ticker is None:
            self._ticker = threading.Thread(target=self._keep_beating, name="import-heartbeat", daemon=True)
            self._ticker.start()

    def close(self) -> None:
        """Let the running job finish (its transaction commits or rolls back); drop the queued ones,
        which a later poll finds cut off."""
        self._stop.set()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        if self._engine is not None:
            self._engine.dispose()

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every job handed over so far has run (the queue is first in, first out)."""
        if self._executor is not None:
            self._executor.submit(lambda: None).result(timeout)

    # --- what requests hand over ----------------------------------------------------------------

    def check(self, job_id: int, by: Principal) -> None:
        self._submit(job_id, self._check, job_id, by)

    def apply(self, job_id: int, by: Principal) -> None:
        self._submit(job_id, self._apply, job_id, by)

    def mark_cut_off(self, job_ids: Iterable[int], by: Principal) -> None:
        self._submit(None, self._mark_cut_off, list(job_ids), by)

    def live(self, job_id: int) -> Live | None:
        with self._lock:
            return self._live.get(job_id)

    def _set_live(self, job_id: int, live: Live) -> None:
        with self._lock:
            self._live[job_id] = live

    def _submit(self, job_id: int | None, work: Callable[..., None], *args: Any) -> None:
        if job_id is not None:
            self._set_live(job_id, Live("queued"))  # queued is alive: never taken for cut off
        if self._executor is None:
            self._guarded(job_id, work, *args)
            return
        try:
            self._executor.submit(self._guarded, job_id, work, *args)
        except RuntimeError:  # shutting down: a later poll finds the job cut off
            self._forget(job_id)

    def _guarded(self, job_id: int | None, work: Callable[..., None], *args: Any) -> None:
        try:
            work(*args)
        except Exception:
            log.exception("import job %s: unexpected error", job_id)
        finally:
            self._forget(job_id)

    def _forget(self, job_id: int | None) -> None:
        if job_id is not None:
            with self._lock:
                self._live.pop(job_id, None)

    # --- sessions ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        """One transaction, committed at the end of the block. A writer waits in this thread for its
        turn among the process's writers (SQLite), longer than a request would."""
        turn: Turn | None = self._gate.acquire(timeout=self._write_wait) if write and self._gate else None
        session = self._open(write, turn) if turn is not None else self._open(write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if turn is not None:
                turn.release()  # if no transaction took it over

    @contextlib.contextmanager
    def _spilled(self, session: Session, job_id: int) -> Iterator[str]:
        """The uploaded file, written to a temporary file for the import to read (and removed)."""
        content = session.scalar(select(ImportUpload.content).where(ImportUpload.job_id == job_id))
        if content is None:
            raise NotFound("the uploaded file is no longer kept")
        handle, path = tempfile.mkstemp(prefix="gias-", suffix=".csv")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            del content
            yield path
        finally:
            os.unlink(path)

    def _progress(self, job_id: int, phase: str) -> gias.Progress:
        return lambda done, total: self._set_live(job_id, Live(phase, done, total))

    # --- the jobs ---------------------------------------------------------------------------------

    def _check(self, job_id: int, by: Principal) -> None:
        """The import with dry_run: the counts and warnings it would give, or every bad line."""
        with self._session(write=True) as session:
            job = import_jobs.load(session, job_id, by=by)
            if job.status != ImportStatus.uploaded:
                return  # discarded or found cut off meanwhile
            job.status = ImportStatus.checking.value
            job.started_at = job.heartbeat_at = utcnow()
            la_code = (job.summary or {}).get("la_code")
        self._set_live(job_id, Live("checking"))
        try:
            with self._session(write=False) as session:
                bind(session, by)
                with self._spilled(session, job_id) as path:
                    summary = gias.import_file(session, path, by=by, la_code=la_code, dry_run=True,
                                               progress=self._progress(job_id, "checking"))
        except gias.GiasFileError as exc:
            self._end(job_id, by, ImportStatus.refused, problems=exc.problems,
                      message=f"{len(exc.problems)} problem(s) in the file; nothing was written")
            return
        except Exception as exc:  # noqa: BLE001 (whatever it was, the job must say it failed)
            self._fail(job_id, by, exc, "the check")
            return
        self._settle(job_id, by, ImportStatus.checking, ImportStatus.checked, summary)

    def _apply(self, job_id: int, by: Principal) -> None:
        """The import in one transaction, which also marks the job applied and drops the upload."""
        try:
            with contextlib.ExitStack() as files:  # the file is kept until the apply is done
                with self._session(write=False) as session:
                    job = import_jobs.load(session, job_id, by=by)
                    if job.status != ImportStatus.applying:
                        return
                    la_code = (job.summary or {}).get("la_code")
                    path = files.enter_context(self._spilled(session, job_id))
                self._set_live(job_id, Live("applying"))
                with self._session(write=True) as writing:
                    job = import_jobs.load(writing, job_id, by=by)
                    if job.status != ImportStatus.applying:
                        return  # found cut off meanwhile
                    summary = gias.import_file(writing, path, by=by, la_code=la_code,
                                               progress=self._progress(job_id, "applying"))
                    self._record(job, "apply", summary, job_id)
                    import_jobs.finish(writing, job, ImportStatus.applied)
        except gias.GiasFileError as exc:
            self._end(job_id, by, ImportStatus.failed, problems=exc.problems,
                      message=f"the register changed since the check, and {len(exc.problems)} line(s) of the file "
                              "no longer fit it; nothing was written")
        except import_jobs.JobMovedOn:
            log.warning("import job %s was marked failed while it was applied; the import was rolled back", job_id)
        except Exception as exc:  # noqa: BLE001
            self._fail(job_id, by, exc, "the import")

    def _record(self, job: ImportJob, step: str, summary: gias.ImportSummary, job_id: int) -> None:
        live = self.live(job_id)
        job.summary = {**(job.summary or {}), step: import_jobs.summary_json(summary)}
        job.progress_done = live.done if live else 0
        job.progress_total = live.total if live else None
        job.heartbeat_at = utcnow()

    def _settle(self, job_id: int, by: Principal, was: ImportStatus, now: ImportStatus,
                summary: gias.ImportSummary) -> None:
        try:
            with self._session(write=True) as session:
                job = import_jobs.load(session, job_id, by=by)
                if job.status != was:
                    return
                job.status = now.value
                self._record(job, "check", summary, job_id)
        except Exception:
            log.exception("import job %s: could not record the check", job_id)

    def _fail(self, job_id: int, by: Principal, exc: Exception, what: str) -> None:
        if isinstance(exc, AppError):
            message = f"{what} stopped: {exc.detail}; nothing was written"
        else:
            log.error("import job %s: %s failed", job_id, what, exc_info=exc)
            message = f"{what} failed unexpectedly ({type(exc).__name__}); nothing was written. Upload the file again"
        self._end(job_id, by, ImportStatus.failed, message=message)

    def _end(self, job_id: int, by: Principal, status: ImportStatus, *, message: str,
             problems: list[tuple[int, str]] | None = None) -> None:
        try:
            with self._session(write=True) as session:
                job = import_jobs.load(session, job_id, by=by)
                if job.status in RUNNING:
                    import_jobs.finish(session, job, status, message=message, problems=problems)
        except Exception:
            log.exception("import job %s: could not record that it ended (%s)", job_id, status)

    def _mark_cut_off(self, job_ids: list[int], by: Principal) -> None:
        with self._session(write=True) as session:
            for job_id in job_ids:
                try:
                    job = import_jobs.load(session, job_id, by=by)
                except NotFound:
                    continue
                if import_jobs.is_cut_off(job, self.live(job_id), now=utcnow(), stale_after=self.stale_after):
                    import_jobs.finish(session, job, ImportStatus.failed, message=import_jobs.CUT_OFF)

    # --- the heartbeat (PostgreSQL) -----------------------------------------------------------------

    def beat(self) -> None:
        """Write the heartbeat and progress of this process's jobs to their rows (one short
        transaction; no version change, which is for decisions, not for progress)."""
        with self._lock:
            snapshot = dict(self._live)
        if not snapshot:
            return
        table, now = ImportJob.__table__, utcnow()
        with self._session(write=True) as session:
            for job_id, live in snapshot.items():
                values: dict[str, Any] = {"heartbeat_at": now}
                if live.phase != "queued":
                    values |= {"progress_done": live.done, "progress_total": live.total}
                session.connection().execute(update(table).where(table.c.id == job_id,
                                                                 table.c.status.in_(_RUNNING_VALUES)).values(**values))

    def _keep_beating(self) -> None:
        while not self._stop.wait(self._beat_every):
            try:
                self.beat()
            except Exception:  # the database may be away a moment; the next beat tries again
                log.warning("could not write the import jobs' heartbeat", exc_info=True)
