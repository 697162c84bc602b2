"""GET /healthz: public, for load balancers and uptime checks."""

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.deps import open_session

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: str  # "ok", or the kind of error met


@router.get("/healthz", summary="Public: is the service up and its database reachable?", response_model=Health,
            responses={503: {"model": Health, "description": "The database cannot be reached"}})
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
