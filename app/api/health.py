"""GET /healthz: public, for load balancers and uptime checks."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.deps import open_session

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Public: is the service up and its database reachable?")
def healthz(request: Request) -> JSONResponse:
    """PUBLIC: no authentication. Runs one query against the database."""
    session = open_session(request, write=False)
    try:
        session.execute(text("SELECT 1"))
        return JSONResponse({"status": "ok", "database": "ok"})
    except Exception as exc:  # noqa: BLE001  (any database failure means unhealthy)
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    finally:
        session.close()
