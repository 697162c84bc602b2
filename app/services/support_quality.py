"""The data quality of support deployments, so that the year-end review is not built on gaps: every
deployment that breaks a rule or lacks a step's date it should have by now, each with its problems
in words (app.services.support_rules says them); and the conflict of interest suggested when the
provider school shares the supported school's trust or sits in its triad that academic year.

The list is chosen in SQL (CONDITIONS, one per kind of finding of support_rules, held to agreement
with it by tests/services/test_support_rules.py) and paged like the deployments' list, newest year
first; a page costs a constant number of queries."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.errors import FieldError, ValidationFailed
from app.models.collaborative import Triad, TriadSchool
from app.models.school import School
from app.models.support import SchoolResponse, SupportDeployment, SupportOutcome
from app.models.types import academic_year_problem
from app.services import support_rules
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind

SD = SupportDeployment
DEFAULT_LIMIT = 50
# Both lists (the deployments and this report) run newest year first, then the latest recorded
# first: the order of the index on (partnership_id, academic_year, id). The cursor carries the year.
SORT = "-academic_year"


def check_years(years: list[str]) -> None:
    """422 on `year` (a query parameter) unless each is an academic year like 2026/27."""
    for value in years:
        message = academic_year_problem(value)
        if message is not None:
            raise ValidationFailed([FieldError("year", message, "query")])


def decode_after(cursor: str) -> tuple[str, int]:
    return decode_cursor(cursor, SORT, str)


def sort_key() -> SortKey:
    return SortKey(SORT, SD.academic_year, True, str)


# --- the conflict of interest suggested -------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """What a suggestion is worked out from: the two schools of a deployment, and its year."""

    school_id: int
    provider_school_id: int | None
    academic_year: str
    school_trust: str | None


@dataclass(frozen=True)
class Provider:
    urn: str
    name: str
    trust_name: str | None


def providers(session: Session, pairs: list[Pair]) -> tuple[dict[int, Provider], list[str | None]]:
    """The provider schools of `pairs` by id, and the conflict of interest suggested for each pair
    in words (None: none suggested). Two queries whatever the number of pairs (the provider
    schools, and the triads of both schools in the pairs' years); none when no pair names a
    provider school. (Each is its own query, not a join of the school or triad_school table to
    itself: the tenant guard's criteria would name the unaliased table in such a join.)"""
    wanted = [p for p in pairs if p.provider_school_id is not None]
    if not wanted:
        return {}, [None] * len(pairs)
    found = {row.id: Provider(row.urn, row.name, row.trust_name) for row in session.execute(
        select(School.id, School.urn, School.name, School.trust_name)
        .where(School.id.in_({p.provider_school_id for p in wanted})))}
    schools = {p.school_id for p in wanted} | {p.provider_school_id for p in wanted}
    triad_of = {(school, year): (triad, name) for school, year, triad, name in session.execute(
        select(TriadSchool.school_id, TriadSchool.academic_year, TriadSchool.triad_id, Triad.name)
        .join(Triad, Triad.id == TriadSchool.triad_id)
        .where(TriadSchool.school_id.in_(schools), TriadSchool.academic_year.in_({p.academic_year for p in wanted})))}
    said: list[str | None] = []
    for p in pairs:
        provider = found.get(p.provider_school_id) if p.provider_school_id is not None else None
        reasons = []
        if provider is not None and p.provider_school_id != p.school_id:
            if provider.trust_name and provider.trust_name == p.school_trust:
                reasons.append(f"the provider school, {provider.name}, is in the same trust ({p.school_trust})")
            theirs = triad_of.get((p.provider_school_id, p.academic_year))
            if theirs is not None and triad_of.get((p.school_id, p.academic_year)) == theirs:
                reasons.append(f"the provider school, {provider.name}, is in the same triad ({theirs[1]}) "
                               f"in {p.academic_year}")
        said.append("; ".join(reasons) if reasons else None)
    return found, said


def conflict_suggested() -> ColumnElement[bool]:
    """SQL: a conflict of interest is suggested for the deployment (as `suggestions` words it)."""
    supported, provider = aliased(School), aliased(School)
    mine, theirs = aliased(TriadSchool), aliased(TriadSchool)
    same_trust = exists().where(supported.id == SD.school_id, provider.id == SD.provider_school_id,
                                provider.trust_name.is_not(None), provider.trust_name == supported.trust_name)
    same_triad = exists().where(mine.school_id == SD.school_id, mine.academic_year == SD.academic_year,
                                theirs.triad_id == mine.triad_id, theirs.school_id == SD.provider_school_id)
    return and_(SD.provider_school_id.is_not(None), SD.provider_school_id != SD.school_id,
                or_(same_trust, same_triad))


# --- what the report lists ----------------------------------------------------------------------------


def _pairs_out_of_order() -> ColumnElement[bool]:
    steps = [getattr(SD, name) for name in support_rules.STEP_FIELDS]
    return or_(*(and_(earlier.is_not(None), later.is_not(None), later < earlier)
                 for j, later in enumerate(steps) for earlier in steps[:j]))


def _earlier_step_missing() -> ColumnElement[bool]:
    chain = support_rules.BROKERING_CHAIN
    gap = or_(*(and_(getattr(SD, later).is_not(None), getattr(SD, earlier).is_(None))
                for j, later in enumerate(chain) if later in support_rules.CHAIN_TRIGGERS for earlier in chain[:j]))
    return and_(gap, or_(SD.school_response.is_(None), SD.school_response != SchoolResponse.declined.value))


def _origin() -> ColumnElement[bool]:
    ids = [getattr(SD, field) for field in support_rules.ORIGIN_FIELDS.values()]
    many = or_(*(and_(a.is_not(None), b.is_not(None)) for i, a in enumerate(ids) for b in ids[i + 1:]))
    mismatched = or_(*(and_(getattr(SD, field).is_not(None), or_(SD.origin_kind.is_(None), SD.origin_kind != kind))
                       for kind, field in support_rules.ORIGIN_FIELDS.items()))
    return or_(many, mismatched)


def conditions(today: date) -> dict[str, ColumnElement[bool]]:
    """Each kind of finding of support_rules (problems and gaps) as SQL over the deployment."""
    not_yet = SupportOutcome.not_yet_completed.value
    declined = SD.school_response == SchoolResponse.declined.value
    return {
        "days_negative": or_(SD.days_planned < 0, SD.days_delivered < 0),
        "end_before_start": and_(SD.start_on.is_not(None), SD.end_on.is_not(None), SD.end_on < SD.start_on),
        "order": _pairs_out_of_order(),
        "response_pair": or_(and_(SD.school_response.is_not(None), SD.responded_on.is_(None)),
                             and_(SD.school_response.is_(None), SD.responded_on.is_not(None))),
        "declined_then_steps": and_(SD.school_response.is_not(None), declined,
                                    or_(*(getattr(SD, name).is_not(None) for name in support_rules.AFTER_RESPONSE))),
        "matched_no_organisation": and_(SD.matched_on.is_not(None),
                                        or_(SD.supporting_organisation.is_(None), SD.supporting_organisation == "")),
        "origin": _origin(),
        "provider_self": SD.provider_school_id == SD.school_id,
        "delivered_no_start": and_(SD.days_delivered.is_not(None), SD.days_delivered != 0,
                                   SD.delivery_started_on.is_(None)),
        "outcome_no_review": and_(SD.outcome != not_yet, SD.reviewed_on.is_(None)),
        "reviewed_not_completed": and_(SD.reviewed_on.is_not(None), SD.outcome == not_yet),
        "reviewed_no_days": and_(SD.reviewed_on.is_not(None), SD.days_delivered.is_(None)),
        "conflict_unchecked": and_(SD.conflicts_checked_on.is_(None), conflict_suggested()),
        "step_missing": _earlier_step_missing(),
        "ended_not_reviewed": and_(SD.end_on.is_not(None), SD.end_on < today, SD.reviewed_on.is_(None)),
    }


def needs_attention(today: date) -> ColumnElement[bool]:
    return or_(false(), *conditions(today).values())


@dataclass
class QualityRow:
    deployment: SupportDeployment
    urn: str
    school_name: str
    problems: list[str]


@dataclass
class QualityPage:
    rows: list[QualityRow]
    total: int
    limit: int
    next_cursor: str | None


def page(session: Session, *, year: list[str] | None = None, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
         by: Principal, today: date | None = None) -> QualityPage:
    """The deployments that break a rule or lack a step's date, newest year first (all years, or
    those in `year`), each with its problems in words: four queries whatever the page's size."""
    bind(session, by)
    by.require_read()
    check_years(year or [])
    limit = clamp_limit(limit)
    today = today or date.today()
    after = decode_after(cursor) if cursor else None
    where: list[Any] = [needs_attention(today)]
    if year:
        where.append(SD.academic_year.in_(year))
    total = session.scalar(select(func.count(SD.id)).where(*where)) or 0
    stmt = select(SD, School.urn, School.name, School.trust_name).join(School, School.id == SD.school_id).where(*where)
    rows = session.execute(apply_keyset(stmt, sort_key(), SD.id, after).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(SORT, last.academic_year, last.id)
    rows = rows[:limit]
    _, said = providers(session, [Pair(d.school_id, d.provider_school_id, d.academic_year, trust)
                                  for d, _, _, trust in rows])
    found = [QualityRow(d, urn, name, [words for _, words in support_rules.findings(d, conflict=conflict, today=today)])
             for (d, urn, name, _), conflict in zip(rows, said, strict=True)]
    return QualityPage(found, total, limit, next_cursor)
