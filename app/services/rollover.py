"""Roll forward: a collaborative, its open schools and its triads copied into the next academic
year, with its lead (checked again) and budget; once."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from app.errors import Conflict, FieldError, ValidationFailed
from app.models.collaborative import Collaborative, CollaborativeSchool, Triad
from app.models.school import School, SchoolStatus
from app.models.types import academic_year_problem
from app.services import collaboratives, permissions, triads
from app.services.principal import Principal


def next_year(year: str) -> str:
    start = int(year[:4]) + 1
    return f"{start}/{(start + 1) % 100:02d}"


@dataclass
class RolledForward:
    collaborative: Collaborative
    triads: list[Triad]
    warnings: list[str]


def roll_forward(session: Session, collaborative_id: int, *, lead_override_reason: str | None = None,
                 by: Principal) -> RolledForward:
    """Copy a collaborative, its open schools and its triads into the next academic year (officers)."""
    source = collaboratives.get(session, collaborative_id, by=by)
    permissions.require_manage(by, "collaboratives")
    year = next_year(source.academic_year)
    if academic_year_problem(year):
        raise ValidationFailed([FieldError("academic_year", f"{source.academic_year} is the last year there is")])
    existing = session.scalar(select(Collaborative.id).where(Collaborative.name == source.name,
                                                             Collaborative.academic_year == year))
    if existing is not None:
        raise Conflict(f"{source.name!r} is already in {year} (collaborative {existing}); it was rolled forward "
                       "before", errors=[FieldError("academic_year", f"already rolled forward to {year}")])
    errors: list[FieldError] = []
    lead = collaboratives.lead_user(session, source.lead_user_id, []) if source.lead_user_id else None
    warnings: list[str] = []
    if source.lead_user_id is not None and lead is None:
        warnings.append("its lead is no longer a member of the partnership: the new year's has no lead")
    reason = lead_override_reason or source.lead_override_reason
    collaboratives.check_lead(session, lead, reason, errors)
    if errors:
        raise ValidationFailed(errors)

    schools = session.execute(
        select(School.id, School.urn, School.name, School.status)
        .join(CollaborativeSchool, CollaborativeSchool.school_id == School.id)
        .where(CollaborativeSchool.collaborative_id == source.id)).all()
    taken = collaboratives.elsewhere(session, [s.id for s in schools], year, None)
    kept = []
    for school in sorted(schools, key=lambda s: s.urn):
        if school.status == SchoolStatus.closed.value:
            warnings.append(f"{school.name} ({school.urn}) is closed and was left out")
        elif school.id in taken:
            warnings.append(f"{school.name} ({school.urn}) is already in {taken[school.id]!r} in {year} and was "
                            "left out")
        else:
            kept.append(school)
    copy = Collaborative(name=source.name, phase=source.phase, academic_year=year, budget_pounds=source.budget_pounds,
                         lead_user_id=lead.id if lead else None, lead_override_reason=reason, updated_by=by.label)
    session.add(copy)
    collaboratives.flush_or_conflict(session, what="collaborative")
    collaboratives.add_members(session, copy, (s.id for s in kept))
    collaboratives.flush_or_conflict(session, what="collaborative")
    collaboratives.set_lead(session, copy, None, lead, by=by)
    made = triads.copy_into(session, source, copy, {s.id for s in kept}, warnings=warnings, by=by)
    return RolledForward(copy, made, warnings)
