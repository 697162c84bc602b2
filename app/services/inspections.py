"""Ofsted inspection history: each inspection on its own framework's scale."""

from sqlalchemy import Subquery, func, select
from sqlmodel import Session

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


def latest_per_school(by: Principal) -> Subquery:
    """Each school's most recent inspection (ties broken by the later record)."""
    ranked = (
        select(
            Inspection.school_id,
            Inspection.inspected_on,
            Inspection.framework,
            Inspection.headline,
            func.row_number()
            .over(partition_by=Inspection.school_id,
                  order_by=(Inspection.inspected_on.desc(), Inspection.id.desc()))
            .label("rank"),
        )
        .where(Inspection.partnership_id == by.partnership_id)
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1).subquery("latest_inspection")


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


def record(session: Session, school: School, data: InspectionWrite, *, by: Principal) -> Inspection:
    """Add an inspection to a school's history."""
    bind(session, by)
    by.require_write()
    inspection = Inspection(school_id=school.id)
    _apply(inspection, data)
    session.add(inspection)
    session.flush()
    return inspection


def replace(session: Session, inspection: Inspection, data: InspectionWrite, *,
            if_match: str | None, by: Principal) -> Inspection:
    """Correct an inspection (the whole record is replaced)."""
    bind(session, by)
    by.require_write()
    require_match(if_match, inspection.version, what="inspection")
    _apply(inspection, data)
    inspection.updated_at = utcnow()
    concurrency.flush(session, what="inspection")
    return inspection


def delete(session: Session, inspection: Inspection, *, if_match: str | None, by: Principal) -> None:
    """Remove an inspection recorded in error."""
    bind(session, by)
    by.require_write()
    require_match(if_match, inspection.version, what="inspection")
    session.delete(inspection)
    concurrency.flush(session, what="inspection")
