"""The partnership's settings for action plans, edited by officers: the glossary of lead role codes
(Partnership.plan_roles: a code and its full title each) and the areas for improvement a priority
may answer (Partnership.improvement_areas).

A code still leading an action, or an area still named by a priority, cannot be taken out of the
list (422 naming the field, with how many use it): the plans would otherwise name a role or an area
the partnership no longer has, and their exports would not import back. A code taken out that only
members hold is taken from them too."""

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from app.errors import FieldError, PreconditionFailed, PreconditionRequired, ValidationFailed
from app.models.action_plan import PlanActionLead, PlanPriority, PlanRoleHolder
from app.models.partnership import Partnership
from app.models.types import plain_text_problem
from app.services import concurrency, partnerships, permissions
from app.services.principal import Principal

CODE = re.compile(r"[A-Z0-9]{1,20}")
MAX_TITLE = 200
MAX_AREA = 200
MAX_ROLES = 40
MAX_AREAS = 40


@dataclass(frozen=True)
class Role:
    code: str
    title: str


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def role_errors(roles: list[Role]) -> list[str]:
    """What is wrong with a glossary, in words (each line's own problem, then the list's)."""
    problems = []
    seen: set[str] = set()
    for role in roles:
        if not CODE.fullmatch(role.code):
            problems.append(f"'{role.code}' is not a code: use 1 to 20 capital letters or digits, like HSI")
        elif role.code in seen:
            problems.append(f"{role.code} is listed twice")
        seen.add(role.code)
        if not role.title.strip():
            problems.append(f"give {role.code or 'each code'} its full title, like “HSI: Head of School Improvement”")
        elif len(role.title) > MAX_TITLE:
            problems.append(f"{role.code}'s title is longer than {MAX_TITLE} characters")
        elif problem := plain_text_problem(role.title):
            problems.append(f"{role.code}'s title {problem}")
    if len(roles) > MAX_ROLES:
        problems.append(f"at most {MAX_ROLES} lead roles")
    return problems


def area_errors(areas: list[str]) -> list[str]:
    problems = []
    for area in areas:
        if not area:
            problems.append("an area for improvement cannot be empty")
        elif len(area) > MAX_AREA:
            problems.append(f"'{area[:40]}…' is longer than {MAX_AREA} characters")
        elif problem := plain_text_problem(area):
            problems.append(f"'{area}' {problem}")
        elif areas.count(area) > 1:
            problems.append(f"'{area}' is listed twice")
    if len(areas) > MAX_AREAS:
        problems.append(f"at most {MAX_AREAS} areas for improvement")
    return list(dict.fromkeys(problems))


def codes_in_use(session: Session) -> dict[str, int]:
    """How many actions each code leads (the caller's partnership; one query)."""
    return dict(session.execute(select(PlanActionLead.code, func.count()).group_by(PlanActionLead.code)).all())


def areas_in_use(session: Session) -> dict[str, int]:
    """How many priorities name each area (read in one query; a priority's areas are a short list)."""
    counts: dict[str, int] = {}
    for areas in session.scalars(select(PlanPriority.areas)):
        for area in set(areas or []):
            counts[area] = counts.get(area, 0) + 1
    return counts


def update(session: Session, *, roles: list[Role], areas: list[str], if_version: int | None,
           by: Principal) -> Partnership:
    """Replace the glossary and the areas for improvement (officers and write tokens)."""
    partnership = partnerships.for_editing(session, by=by, lock="update")
    permissions.require_plan_editor(by)
    if if_version is None:
        raise PreconditionRequired("send the version of the settings you read, so that no one's change is "
                                   "overwritten unseen")
    if if_version != partnership.version:
        raise PreconditionFailed(f"the partnership's settings have changed since you read them (they are now at "
                                 f"version {partnership.version}); read them again and reapply your change")
    roles = [Role(r.code.strip(), r.title.strip()) for r in roles]
    areas = [a.strip() for a in areas]
    errors = [FieldError("plan_roles", message) for message in role_errors(roles)]
    errors += [FieldError("improvement_areas", message) for message in area_errors(areas)]
    kept_codes = {r.code for r in roles}
    for code, count in codes_in_use(session).items():
        if code not in kept_codes:
            errors.append(FieldError("plan_roles", f"{code} leads {_plural(count, 'action', 'actions')} in the "
                                                   "partnership's plans: keep it, or give those actions another "
                                                   "lead first"))
    for area, count in areas_in_use(session).items():
        if area not in areas:
            errors.append(FieldError("improvement_areas", f"'{area}' is named by "
                                     f"{_plural(count, 'priority', 'priorities')} in the partnership's plans: keep "
                                     "it, or take it off those priorities first"))
    if errors:  # one message a field, saying every problem (a form shows one beside each field)
        said: dict[str, list[str]] = {}
        for error in errors:
            said.setdefault(error.field, []).append(error.message)
        raise ValidationFailed([FieldError(name, "; ".join(messages)) for name, messages in said.items()])
    gone = {r["code"] for r in partnership.plan_roles} - kept_codes
    if gone:  # one by one, for the audit trail to record each
        for holder in session.scalars(select(PlanRoleHolder).where(PlanRoleHolder.code.in_(gone))):
            session.delete(holder)
    partnership.plan_roles = [{"code": r.code, "title": r.title} for r in roles]
    partnership.improvement_areas = areas
    partnership.touch(by.label)
    concurrency.flush(session, what="partnership's settings")
    return partnership
