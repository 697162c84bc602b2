"""Support deployments for the report's tests, written straight to the table."""

from sqlmodel import Session

from app.db import all_tenants
from app.models.school import School
from app.models.support import SupportDeployment
from app.services.principal import Principal


def deploy(session: Session, school: School, **overrides) -> SupportDeployment:
    values = {"academic_year": "2025/26", "provider_kind": "sle", "objective": "Coach the maths lead",
              "days_planned": 3.0, "days_delivered": 3.0, "outcome": "green"} | overrides
    with all_tenants(session):
        row = SupportDeployment(partnership_id=school.partnership_id, school_id=school.id, **values)
        session.add(row)
        session.flush()
    return row


def reader(partnership) -> Principal:  # noqa: ANN001
    """A viewer of `partnership` (every member reads the report)."""
    return Principal(partnership_id=partnership.id, partnership_slug=partnership.slug,
                     partnership_name=partnership.name, roles=frozenset({"viewer"}), user_id=None)
