"""The application factory: both faces over one core."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from app import handlers
from app.api import health
from app.api.router import api_router
from app.config import get_settings
from app.db import get_engine, new_session
from app.deps import SessionFactory
from app.web.router import render_error_page, web_router
from app.web.security import install_csrf_cookie

DESCRIPTION = """
The schools register of a school-improvement partnership, for integrations.

Every `/api/v1` route needs `Authorization: Bearer <token>` (see `python -m app create-token`).
Errors are RFC 9457 problem details (`application/problem+json`) naming the offending field.
Changes to an existing record need `If-Match` with the ETag you read: 428 without it, 412 when stale.
"""


def create_app(*, session_factory: SessionFactory | None = None, engine: Engine | None = None) -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="School partnerships", version="0.1.0", description=DESCRIPTION,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    if session_factory is None:
        bound = engine or get_engine()
        session_factory = lambda write: new_session(write=write, engine=bound)
    app.state.session_factory = session_factory

    handlers.install(app, render_error_page)
    install_csrf_cookie(app)
    app.include_router(health.router)
    app.include_router(api_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=settings.static_dir, check_dir=False), name="static")
    return app
