"""What a visit record's fields must satisfy, whichever face or kind wrote them: the host's triad's
year, visiting heads' schools in the partnership, focus areas from the partnership's list, a grade
on its scale."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.errors import FieldError, ValidationFailed
from app.models.school import School
from app.models.visit import GOVERNANCE_FOCUS_AREAS, FocusArea, TriadVisit, VisitingHead, VisitKind
from app.services import partnerships
from app.services.principal import Principal

# The fields people write; the kind, host and triad are fixed once the record exists.
EDITABLE = ("visit_date", "visiting_heads", "focus_areas", "strengths", "areas_for_development",
            "priorities_for_support", "grade")
NOT_NULL = ("visit_date", "visiting_heads", "focus_areas")


def default_focus_areas(kind: VisitKind) -> list[FocusArea]:
    """A governing body's review looks at governance unless told otherwise; the other kinds choose
    from the partnership's list, starting with none."""
    if kind == VisitKind.governance_review:
        return [FocusArea(area=area) for area in GOVERNANCE_FOCUS_AREAS]
    return []


def allowed_areas(focus_areas: list[str], visit: TriadVisit) -> dict[str, str]:
    """The focus areas this record may name, by their case-folded name, each as it is spelt: the
    partnership's list; governance for a governing body's review; and any area the record already
    has, so that taking an area off the list does not make its old records uneditable."""
    spellings = [*focus_areas]
    if visit.kind == VisitKind.governance_review.value:
        spellings += GOVERNANCE_FOCUS_AREAS
    spellings += [entry["area"] for entry in visit.focus_areas or []]
    allowed: dict[str, str] = {}
    for spelling in spellings:
        allowed.setdefault(spelling.casefold(), spelling)
    return allowed


def _heads(session: Session, heads: list[VisitingHead], errors: list[FieldError]) -> list[dict[str, Any]]:
    urns = {head.urn for head in heads if head.urn}
    known = set(session.scalars(select(School.urn).where(School.urn.in_(urns)))) if urns else set()
    for i, head in enumerate(heads):
        if head.urn and head.urn not in known:
            errors.append(FieldError(f"visiting_heads.{i}.urn", f"no school with URN {head.urn} in this partnership"))
    return [{"name": head.name, "urn": head.urn} for head in heads]


def _areas(areas: list[FocusArea], allowed: dict[str, str], errors: list[FieldError]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for i, entry in enumerate(areas):
        key = entry.area.casefold()
        if key not in allowed:
            errors.append(FieldError(f"focus_areas.{i}.area",
                                     f"use one of this partnership's focus areas: {', '.join(allowed.values())}"))
        elif key in seen:
            errors.append(FieldError(f"focus_areas.{i}.area", "this focus area is already listed"))
        seen.add(key)
    return [{"area": allowed.get(entry.area.casefold(), entry.area), "self_evaluation": entry.self_evaluation,
             "peer_view": entry.peer_view} for entry in areas]


def grade_problem(grade: int, labels: list[str]) -> str | None:
    if 1 <= grade <= len(labels):
        return None
    scale = ", ".join(f"{n} {label}" for n, label in enumerate(labels, start=1))
    return f"grade on this partnership's scale, 1 to {len(labels)} ({scale})"


def apply(session: Session, visit: TriadVisit, changes: dict[str, Any], *, triad_year: str | None,
          by: Principal) -> None:
    """Check `changes` (fields of VisitFields, as sent) and set them on `visit`; 422 naming every
    field at fault, and nothing set, if any is wrong. `triad_year` is the triad's academic year,
    which a triad visit's date must fall in (None: no triad, or the date is not changing)."""
    errors = [FieldError(name, "cannot be empty") for name in NOT_NULL if name in changes and changes[name] is None]
    partnership = partnerships.current(session, by=by)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if value is None and name in NOT_NULL:
            continue
        if name == "visit_date":
            year = partnerships.academic_year_for(value)
            if triad_year is not None and year != triad_year:
                errors.append(FieldError("visit_date", f"the triad is for {triad_year}, and {value.isoformat()} "
                                                       f"falls in {year}"))
            values |= {"visit_date": value, "academic_year": year}
        elif name == "visiting_heads":
            values[name] = _heads(session, value, errors)
        elif name == "focus_areas":
            values[name] = _areas(value, allowed_areas(partnership.focus_areas, visit), errors)
        elif name == "grade" and value is not None and (problem := grade_problem(value, partnership.grade_labels)):
            errors.append(FieldError("grade", problem))
        else:
            values[name] = value
    if errors:
        raise ValidationFailed(errors)
    for name, value in values.items():
        setattr(visit, name, value)
