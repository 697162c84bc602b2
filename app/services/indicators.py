"""Indicators: dated figures per school that the red-flag rules will read."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.errors import Conflict, FieldError, ValidationFailed
from app.models.indicator import Indicator, IndicatorCreate, IndicatorUpdate
from app.models.school import School
from app.services import concurrency, school_records
from app.services.concurrency import require_match
from app.services.principal import Principal, bind


def list_for_school(session: Session, school: School, *, measure: str | None = None,
                    academic_year: str | None = None, by: Principal) -> list[Indicator]:
    """A school's indicators, newest academic year first."""
    bind(session, by)
    by.require_read()
    stmt = select(Indicator).where(Indicator.school_id == school.id)
    if measure:
        stmt = stmt.where(Indicator.measure == measure)
    if academic_year:
        stmt = stmt.where(Indicator.academic_year == academic_year)
    stmt = stmt.order_by(Indicator.academic_year.desc(), Indicator.measure, Indicator.source, Indicator.id)
    return list(session.scalars(stmt))


def get(session: Session, school: School, indicator_id: int, *, by: Principal) -> Indicator:
    """One indicator of a school, or 404."""
    return school_records.one(session, Indicator, school, indicator_id, noun="indicator", by=by)


def _duplicate(data: IndicatorCreate) -> Conflict:
    return Conflict(
        f"there is already a {data.measure} figure for {data.academic_year} from {data.source}; "
        "update that one instead",
        errors=[FieldError("measure", "already recorded for this academic year and source")],
    )


def record(session: Session, school: School, data: IndicatorCreate, *, by: Principal) -> Indicator:
    """Add a figure for a school."""
    bind(session, by)
    by.require_write()
    exists = session.scalars(select(Indicator.id).where(
        Indicator.school_id == school.id, Indicator.measure == data.measure,
        Indicator.academic_year == data.academic_year, Indicator.source == data.source,
    )).first()
    if exists is not None:
        raise _duplicate(data)
    indicator = Indicator(school_id=school.id, measure=data.measure, academic_year=data.academic_year,
                          value=data.value, source=data.source, recorded_on=data.recorded_on or date.today(),
                          updated_by=by.label)
    session.add(indicator)
    try:
        session.flush()
    except IntegrityError:
        raise _duplicate(data) from None
    return indicator


def update(session: Session, indicator: Indicator, data: IndicatorUpdate, *, if_match: str | None,
           by: Principal) -> Indicator:
    """Correct a figure."""
    bind(session, by)
    by.require_write()
    require_match(if_match, indicator.version, what="indicator")
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is None:
            raise ValidationFailed([FieldError(key, "cannot be empty")])
        setattr(indicator, key, value)
    if session.is_modified(indicator):
        indicator.touch(by.label)
        concurrency.flush(session, what="indicator")
    return indicator


def delete(session: Session, indicator: Indicator, *, if_match: str | None, by: Principal) -> None:
    """Remove a figure entered in error."""
    bind(session, by)
    by.require_write()
    require_match(if_match, indicator.version, what="indicator")
    session.delete(indicator)
    concurrency.flush(session, what="indicator")
