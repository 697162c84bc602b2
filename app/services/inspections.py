"""Ofsted inspection history: each inspection on its own framework's scale."""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from app.errors import Conflict, FieldError
from app.models.base import utcnow
from app.models.inspection import (
    OVERALL_GRADE_NAMES,
    REPORT_CARD_SCALE,
    Framework,
    Headline,
    Inspection,
    InspectionWrite,
    ReportCardGrade,
)
from app.models.school import School
from app.services import concurrency, school_records
from app.services.concurrency import require_match
from app.services.principal import Principal, bind


def headline(data: InspectionWrite) -> Headline:
    """One word for an inspection's outcome, never translated between frameworks."""
    if data.category_of_concern is not None:
        return Headline(data.category_of_concern.value)
    if data.framework == Framework.graded:
        if data.overall_effectiveness is None:
            return Headline.no_overall_grade
        return Headline(OVERALL_GRADE_NAMES[data.overall_effectiveness])
    if data.framework == Framework.ungraded_2024:
        return Headline.no_overall_grade
    if data.safeguarding is not None and data.safeguarding.value == "not_met":
        return Headline.safeguarding_not_met
    grades = [ReportCardGrade(g) for g in data.grades.values()]
    if not grades:
        return Headline.no_overall_grade
    worst = max(grades, key=REPORT_CARD_SCALE.index)
    return Headline(worst.value)


def list_for_school(session: Session, school: School, *, by: Principal) -> list[Inspection]:
    """A school's inspections, newest first."""
    bind(session, by)
    by.require_read()
    stmt = (select(Inspection).where(Inspection.school_id == school.id)
            .order_by(Inspection.inspected_on.desc(), Inspection.id.desc()))
    return list(session.scalars(stmt))


def get(session: Session, school: School, inspection_id: int, *, by: Principal) -> Inspection:
    """One inspection of a school, or 404."""
    return school_records.one(session, Inspection, school, inspection_id, noun="inspection", by=by)


def _apply(inspection: Inspection, data: InspectionWrite) -> None:
    inspection.inspected_on = data.inspected_on
    inspection.framework = data.framework.value
    inspection.overall_effectiveness = data.overall_effectiveness
    inspection.category_of_concern = data.category_of_concern.value if data.category_of_concern else None
    inspection.safeguarding = data.safeguarding.value if data.safeguarding else None
    inspection.grades = {k: (v.value if isinstance(v, ReportCardGrade) else v) for k, v in data.grades.items()}
    inspection.headline = headline(data).value
    inspection.report_url = data.report_url
    inspection.source = data.source


LATEST_FIELDS = ("latest_inspected_on", "latest_framework", "latest_headline")


def _hold_history(session: Session, school: School) -> None:
    """Take the school's row lock before its history changes, so that two writers of one history
    (on PostgreSQL) take turns and each sees the other's inspection when it works out the latest.
    SQLite writers already take turns, and FOR UPDATE is not rendered there."""
    session.execute(select(School.id).where(School.id == school.id).with_for_update())


def _refuse_same_day(session: Session, school: School, data: InspectionWrite, own_id: int | None) -> None:
    stmt = select(Inspection.id).where(Inspection.school_id == school.id, Inspection.inspected_on == data.inspected_on)
    if own_id is not None:
        stmt = stmt.where(Inspection.id != own_id)
    if session.scalars(stmt).first() is not None:
        raise _same_day(school, data)


def _same_day(school: School, data: InspectionWrite) -> Conflict:
    day = data.inspected_on.isoformat()
    return Conflict(f"school {school.urn} already has an inspection on {day}; correct that one instead",
                    errors=[FieldError("inspected_on", f"this school already has an inspection on {day}")])


def refresh_latest(session: Session, school: School) -> None:
    """Copy the school's latest inspection onto its row.

    A Core UPDATE that leaves the version alone: the latest inspection is derived from the
    history, not an edit of the school, so a caller's ETag for the school stays good. The
    change time moves, so that `updated_since` still finds the school."""
    latest = session.execute(
        select(Inspection.inspected_on, Inspection.framework, Inspection.headline)
        .where(Inspection.school_id == school.id)
        .order_by(Inspection.inspected_on.desc()).limit(1)  # one a day: the date alone decides
    ).first()
    values = dict(zip(LATEST_FIELDS, latest or (None, None, None), strict=True))
    now = utcnow()
    table = School.__table__
    session.connection().execute(
        update(table).where(table.c.id == school.id, table.c.partnership_id == school.partnership_id)
        .values(**values, updated_at=now)
    )
    for key, value in (values | {"updated_at": now}).items():
        set_committed_value(school, key, value)


def record(session: Session, school: School, data: InspectionWrite, *, by: Principal) -> Inspection:
    """Add an inspection to a school's history (one a day: another on the same day is 409)."""
    bind(session, by)
    by.require_write()
    _hold_history(session, school)
    _refuse_same_day(session, school, data, None)
    inspection = Inspection(school_id=school.id, updated_by=by.label)
    _apply(inspection, data)
    session.add(inspection)
    try:
        session.flush()
    except IntegrityError:
        raise _same_day(school, data) from None
    refresh_latest(session, school)
    return inspection


def replace(session: Session, inspection: Inspection, data: InspectionWrite, *,
            if_match: str | None, by: Principal) -> Inspection:
    """Correct an inspection (the whole record is replaced)."""
    bind(session, by)
    by.require_write()
    require_match(if_match, inspection.version, what="inspection")
    school = session.get(School, inspection.school_id)
    _hold_history(session, school)
    _refuse_same_day(session, school, data, inspection.id)
    _apply(inspection, data)
    inspection.touch(by.label)
    try:
        concurrency.flush(session, what="inspection")
    except IntegrityError:
        raise _same_day(school, data) from None
    refresh_latest(session, school)
    return inspection


def delete(session: Session, inspection: Inspection, *, if_match: str | None, by: Principal) -> None:
    """Remove an inspection recorded in error."""
    bind(session, by)
    by.require_write()
    require_match(if_match, inspection.version, what="inspection")
    school = session.get(School, inspection.school_id)
    _hold_history(session, school)
    session.delete(inspection)
    concurrency.flush(session, what="inspection")
    refresh_latest(session, school)
