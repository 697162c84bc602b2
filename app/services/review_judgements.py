"""Review judgements (seed 002): at the year's first review meeting each school is graded 1-4 on
each of the partnership's judgement strands, the school's self-evaluation beside the partner's
view. A partner grade of 3 or 4 on any strand raises a flag (app.services.flag_rules)."""

from sqlalchemy import select
from sqlmodel import Session

from app.errors import FieldError, NotFound, ValidationFailed
from app.models.clinic_api import ReviewJudgementWrite
from app.models.flag import ReviewJudgement
from app.models.school import School
from app.services import concurrency, partnerships, permissions
from app.services.principal import Principal, bind


def _readable(session: Session, school: School, by: Principal) -> None:
    scope = permissions.flag_scope(session, by)
    if not scope.everything and school.id not in scope.school_ids:
        raise NotFound(f"no school with URN {school.urn} in this partnership")


def of_school(session: Session, school: School, *, academic_year: str | None = None,
              by: Principal) -> list[ReviewJudgement]:
    """A school's judgements, newest year first, strands in the partnership's order (one query)."""
    bind(session, by)
    _readable(session, school, by)
    stmt = select(ReviewJudgement).where(ReviewJudgement.school_id == school.id)
    if academic_year:
        stmt = stmt.where(ReviewJudgement.academic_year == academic_year)
    found = list(session.scalars(stmt))
    strands = partnerships.current(session, by=by).judgement_strands
    rank = {s: n for n, s in enumerate(strands)}
    return sorted(found, key=lambda j: (-int(j.academic_year[:4]), rank.get(j.strand, len(rank)), j.strand))


def record(session: Session, school: School, data: ReviewJudgementWrite, *,
           by: Principal) -> tuple[ReviewJudgement, bool]:
    """Record (or correct) a school's grade on one strand for a year; True when it is new."""
    bind(session, by)
    permissions.require_minute_taker(by)
    strands = partnerships.current(session, by=by).judgement_strands
    if data.strand not in strands:
        raise ValidationFailed([FieldError("strand", f"not one of this partnership's strands: {', '.join(strands)}")])
    found = session.scalars(select(ReviewJudgement).where(
        ReviewJudgement.school_id == school.id, ReviewJudgement.academic_year == data.academic_year,
        ReviewJudgement.strand == data.strand).with_for_update()).first()
    created = found is None
    if created:
        found = ReviewJudgement(school_id=school.id, academic_year=data.academic_year, strand=data.strand,
                                partner_grade=data.partner_grade)
        session.add(found)
    found.partner_grade, found.self_grade, found.notes = data.partner_grade, data.self_grade, data.notes
    if created or session.is_modified(found):
        found.touch(by.label)
    concurrency.flush(session, what="review judgement")
    return found, created
