"""Whether a school is "good or better" at its latest inspection, read on that inspection's own
framework (never converted from one scale to another). The lead check and the triad composer ask
this; docs/triads.md says it in words.

- graded: outstanding or good is good or better; requires improvement, inadequate or a category
  of concern is below good.
- report card: every area at expected standard or above, with safeguarding met (the headline is
  the weakest area, or safeguarding_not_met) is good or better; anything lower is below good.
- no overall grade (ungraded inspections from September 2024, or a graded one without an overall
  grade): the key judgements of that same inspection, on their own 1-4 scale, decide: any graded
  3 or 4 is below good; all graded 1 or 2 is good or better; none recorded is not judged.
- never inspected: not judged.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import and_, select
from sqlmodel import Session

from app.models.inspection import Headline, Inspection
from app.models.school import School


class Standing(StrEnum):
    good_or_better = "good_or_better"
    below_good = "below_good"
    not_judged = "not_judged"


GOOD_OR_BETTER = frozenset({Headline.outstanding, Headline.good, Headline.exceptional, Headline.strong_standard,
                            Headline.expected_standard})
BELOW_GOOD = frozenset({Headline.requires_improvement, Headline.inadequate, Headline.special_measures,
                        Headline.serious_weaknesses, Headline.needs_attention, Headline.urgent_improvement,
                        Headline.safeguarding_not_met})


class Inspected(Protocol):
    id: int
    latest_headline: str | None


def standing_of(headline: str | None, grades: dict[str, Any] | None = None) -> Standing:
    """One school's standing from its latest headline (and, with no overall grade, its key judgements)."""
    if headline is None:
        return Standing.not_judged
    if headline in GOOD_OR_BETTER:
        return Standing.good_or_better
    if headline in BELOW_GOOD:
        return Standing.below_good
    judgements = [g for g in (grades or {}).values() if isinstance(g, int) and not isinstance(g, bool)]
    if not judgements:
        return Standing.not_judged
    return Standing.below_good if max(judgements) >= 3 else Standing.good_or_better


def standings(session: Session, schools: Iterable[Inspected]) -> dict[int, Standing]:
    """Each school's standing by id; one query reads the key judgements of those without an overall
    grade (none when no school needs it)."""
    schools = list(schools)
    ungraded = [s.id for s in schools if s.latest_headline == Headline.no_overall_grade]
    grades: dict[int, dict] = {}
    if ungraded:
        rows = session.execute(
            select(Inspection.school_id, Inspection.grades)
            .join(School, and_(School.id == Inspection.school_id,
                               School.latest_inspected_on == Inspection.inspected_on))
            .where(Inspection.school_id.in_(ungraded))
        ).all()
        grades = {r.school_id: r.grades for r in rows}
    return {s.id: standing_of(s.latest_headline, grades.get(s.id)) for s in schools}
