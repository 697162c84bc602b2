"""GET /healthz: public, for load balancers and uptime checks."""

from typing import Literal

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.deps import open_session
from app.routing import Router
from app.services import health

router = Router(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: str  # "ok", or the kind of error met


@router.get("/healthz", summary="Public: is the service up and its database reachable?", response_model=Health,
            responses={503: {"model": Health, "description": "The database cannot be reached"}})
def healthz(request: Request) -> JSONResponse:
    """PUBLIC: no authentication. Runs one query against the database."""
    with open_session(request, write=False) as session:
        problem = health.database_problem(session)
    if problem is None:
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": problem}, status_code=503)
