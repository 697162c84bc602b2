"""Assembles the API: every route under /api/v1 requires a bearer token."""

from fastapi import Depends

from app.api import audit, clinics, collaboratives, flags, indicators_bulk, school_records, schools, triads, visits
from app.api.action_plans import router as action_plans_router
from app.api.deps import api_principal
from app.api.groups import router as groups_router
from app.api.problems import problem_responses
from app.api.reports import router as reports_router
from app.api.support import router as support_router
from app.routing import Router

api_router = Router(
    prefix="/api/v1",
    dependencies=[Depends(api_principal)],
    responses=problem_responses(401, 403, 422),
)
api_router.include_router(schools.router)
api_router.include_router(school_records.router)
api_router.include_router(indicators_bulk.router)
api_router.include_router(visits.router)
api_router.include_router(collaboratives.router)
api_router.include_router(triads.router)
api_router.include_router(audit.router)
api_router.include_router(flags.router)
api_router.include_router(clinics.router)
api_router.include_router(reports_router)
api_router.include_router(action_plans_router)
api_router.include_router(support_router)
api_router.include_router(groups_router)
