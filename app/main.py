"""The application factory: both faces over one core."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from app import handlers, metrics, openapi
from app.api import health
from app.api.router import api_router
from app.config import get_settings
from app.db import get_engine, new_session, pool_capacity, write_gate
from app.deps import SessionFactory, Slots
from app.middleware import BodyLimit, LastResort, SecurityHeaders, content_security_policy
from app.request_log import RequestLog
from app.services.import_runner import JobRunner
from app.services.tokens import UsageRecorder
from app.web.router import render_error_page, web_router
from app.web.security import CsrfCookie

DESCRIPTION = """
The schools register of a school-improvement partnership, for integrations.

Every `/api/v1` route needs `Authorization: Bearer <token>` (see `python -m app create-token`).
Errors are RFC 9457 problem details (`application/problem+json`) naming the offending field.
Changes to an existing record need `If-Match` with the ETag you read: 428 without it, 412 when stale.
"""


# Few enough that the requests waiting for a write turn in a worker thread after checking a
# password (app.db.outside_transaction) can never fill the thread pool (40); as many as the cores.
PASSWORD_CHECKS_AT_ONCE = 4


def create_app(*, session_factory: SessionFactory | None = None, engine: Engine | None = None) -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="School partnerships", version="0.1.0", description=DESCRIPTION,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None, lifespan=_lifespan)
    # Tests lend the app their own session (one connection, no queue); a served app gets the
    # engine's write queue (SQLite) and connection slots for the engine's pool.
    app.state.write_gate = app.state.connection_slots = None
    # Checking or hashing a password (argon2: slow and memory-hungry on purpose) a few at a time.
    app.state.password_checks = Slots(PASSWORD_CHECKS_AT_ONCE, timeout=settings.sqlite_write_wait_seconds)
    stale_after = settings.import_job_stale_seconds
    if session_factory is None:
        bound = engine or get_engine()
        session_factory = lambda write, turn=None: new_session(write=write, engine=bound, turn=turn)
        app.state.write_gate = write_gate(bound)
        # With a write queue, one connection is kept for the writer whose turn it is.
        spare = 1 if app.state.write_gate is not None else 0
        app.state.connection_slots = Slots(pool_capacity(bound) - spare, timeout=settings.sqlite_write_wait_seconds)
        app.state.import_jobs = JobRunner.serving(bound, gate=app.state.write_gate, stale_after=stale_after)
    else:
        # Import jobs run at once, in the request's background task: a lent session is one
        # connection, which a thread of the runner must not use beside the next request.
        lent = session_factory
        app.state.import_jobs = JobRunner(lambda write, turn=None: lent(write), inline=True, stale_after=stale_after)
    app.state.session_factory = session_factory
    app.state.token_usage = UsageRecorder(lambda: session_factory(True))

    respond = handlers.install(app, render_error_page)
    # Added innermost first: the headers go on every answer, the last-resort 500 included.
    app.add_middleware(CsrfCookie)
    app.add_middleware(BodyLimit, default=settings.max_body_bytes, respond=respond,
                       limits={"/imports/gias": settings.gias_upload_max_bytes,
                               "/indicators/import": settings.indicators_upload_max_bytes},
                       token_limits={"/api/v1/indicators/bulk": settings.indicators_bulk_max_bytes},
                       session_cookie=settings.session_cookie_name)
    app.add_middleware(RequestLog)  # inside LastResort: it reads the request id, and logs its 500s
    app.add_middleware(LastResort, respond=respond)
    app.add_middleware(SecurityHeaders, policy=content_security_policy(settings.htmx_script_url),
                       hsts=settings.environment != "development")
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(api_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=settings.static_dir, check_dir=False), name="static")
    openapi.install(app)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Write API tokens' last use every few seconds, and once more on the way out; run import jobs
    (the running one is let finish on the way out)."""
    usage: UsageRecorder = app.state.token_usage
    jobs: JobRunner = app.state.import_jobs
    jobs.start()
    every = get_settings().token_usage_flush_seconds

    async def keep_flushing() -> None:
        while True:
            await asyncio.sleep(every)
            await run_in_threadpool(usage.flush)

    task = asyncio.create_task(keep_flushing()) if every > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await run_in_threadpool(jobs.close)
        await run_in_threadpool(usage.flush)
