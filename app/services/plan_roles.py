"""The partnership's glossary of lead roles for action plans (seed 001: DCS, HSI, SIM ...) and who
holds them. An action is led by one or more codes; the members holding one of those codes update
the status and evidence of its milestones (app.services.permissions.can_update_milestone).

Codes are checked against Partnership.plan_roles wherever they are written (an action's leads, a
member's codes), so a code the glossary does not have is refused with the field named."""

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models.account import Membership
from app.models.action_plan import PlanRoleHolder
from app.models.partnership import Partnership
from app.services import partnerships, permissions
from app.services.principal import Principal, bind


def role_titles(partnership: Partnership) -> dict[str, str]:
    """The glossary, code -> full title, in the partnership's order."""
    return {role["code"]: role.get("title") or role["code"] for role in partnership.plan_roles}


def check_codes(partnership: Partnership, codes: Iterable[str], field: str) -> None:
    """422 naming `field` when a code is not in the partnership's glossary."""
    known = role_titles(partnership)
    unknown = [code for code in codes if code not in known]
    if unknown:
        listed = ", ".join(known) or "none yet"
        verb = "is not a lead role" if len(unknown) == 1 else "are not lead roles"
        named = ", ".join(repr(c) for c in unknown)
        raise ValidationFailed([FieldError(field, f"{named} {verb} of this partnership; use one of: {listed}")])


def ordered(partnership: Partnership, codes: Iterable[str]) -> list[str]:
    """`codes` without repeats, in the glossary's order (unknown codes last, as given)."""
    rank = {code: n for n, code in enumerate(role_titles(partnership))}
    unique = list(dict.fromkeys(codes))
    return sorted(unique, key=lambda c: (rank.get(c, len(rank)), unique.index(c)))


def held_codes(session: Session, by: Principal) -> frozenset[str]:
    """The lead role codes the signed-in person holds here (an API token holds none)."""
    bind(session, by)
    if by.user_id is None or by.token_id is not None:
        return frozenset()
    return frozenset(session.scalars(select(PlanRoleHolder.code).where(PlanRoleHolder.user_id == by.user_id)))


def holders(session: Session, by: Principal) -> dict[int, list[str]]:
    """Every member holding a code: user id -> their codes, in the glossary's order (one query)."""
    bind(session, by)
    by.require_read()
    found: dict[int, list[str]] = {}
    for user_id, code in session.execute(select(PlanRoleHolder.user_id, PlanRoleHolder.code)
                                         .order_by(PlanRoleHolder.user_id, PlanRoleHolder.id)):
        found.setdefault(user_id, []).append(code)
    partnership = partnerships.current(session, by=by)
    return {user_id: ordered(partnership, codes) for user_id, codes in found.items()}


def set_holder_codes(session: Session, user_id: int, codes: Iterable[str], *, by: Principal) -> list[str]:
    """Say which codes a member holds (all of them: the ones not named are taken away). Officers
    and write tokens only; the member must belong to the partnership (404), every code must be in
    its glossary (422 naming `codes`). Returns the codes held, in the glossary's order."""
    bind(session, by)
    permissions.require_plan_editor(by)
    codes = list(codes)
    partnership = partnerships.current(session, by=by)
    check_codes(partnership, codes, "codes")
    member = session.scalar(select(Membership.id).where(Membership.user_id == user_id).limit(1))
    if member is None:
        raise NotFound(f"no member {user_id} in this partnership")
    wanted = ordered(partnership, codes)
    held = set(session.scalars(select(PlanRoleHolder.code).where(PlanRoleHolder.user_id == user_id)))
    gone = held - set(wanted)
    if gone:
        session.execute(delete(PlanRoleHolder).where(PlanRoleHolder.partnership_id == by.partnership_id,
                                                     PlanRoleHolder.user_id == user_id,
                                                     PlanRoleHolder.code.in_(gone)))
    for code in wanted:
        if code not in held:
            session.add(PlanRoleHolder(user_id=user_id, code=code))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("someone else changed this member's lead roles at the same moment; read them again",
                       errors=[FieldError("codes", "changed by someone else at the same moment")]) from None
    return wanted
