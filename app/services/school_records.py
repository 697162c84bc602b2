"""What every record held under a school (inspection, indicator, and later visits) shares."""

from typing import TypeVar

from sqlalchemy import select
from sqlmodel import Session

from app.errors import NotFound
from app.models.school import School
from app.services.principal import Principal, bind

Record = TypeVar("Record")


def one(session: Session, model: type[Record], school: School, record_id: int, *, noun: str,
        by: Principal) -> Record:
    """One record of this school, or 404 (also when it belongs to another school or partnership)."""
    bind(session, by)
    by.require_read()
    found = session.scalars(select(model).where(model.id == record_id, model.school_id == school.id)).first()
    if found is None:
        raise NotFound(f"school {school.urn} has no {noun} {record_id}")
    return found
