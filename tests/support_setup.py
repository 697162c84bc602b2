"""What the support-deployment tests share: deployments written straight to their table (the
service's rules are tested on their own), as a given partnership's."""

from datetime import date

from sqlmodel import Session

from app.db import all_tenants
from app.models.school import School
from app.models.support import SupportDeployment


def make_deployment(session: Session, school: School, **overrides) -> SupportDeployment:
    """An SLE's support for `school` in 2025/26, not yet reviewed, unless told otherwise."""
    values = {"academic_year": "2025/26", "provider_kind": "sle", "provider_name": "Sam Leader",
              "objective": "Improve phonics in KS1", "days_planned": 6.0, "start_on": date(2025, 10, 1),
              "outcome": "not_yet_completed"} | overrides
    with all_tenants(session):
        deployment = SupportDeployment(partnership_id=school.partnership_id, school_id=school.id, **values)
        session.add(deployment)
        session.flush()
    return deployment
