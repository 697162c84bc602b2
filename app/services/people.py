"""A partnership's people: its members and their roles, one-time password links, ending someone's
sessions, and changing one's own password.

Two rules live here. A partnership always keeps an officer: neither removing nor demoting may take
away its last one. And a password link is made only for someone whose every partnership is one
the officer making it is an officer of: otherwise an officer of one partnership could set the
password of a member of another, and sign in there as them.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.config import get_settings
from app.db import all_tenants, outside_transaction, set_tenant
from app.errors import AppError, BadRequest, Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from app.models.account import Membership, PasswordLink, Role, ScopeKind, SecurityEventKind, User, WebSession
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.types import MAX_ID
from app.security import hash_password, sha256_hex, verify_password
from app.services import accounts, audit
from app.services.principal import Principal, bind

# A stored password that no password matches (argon2 hashes start with "$"): an account added by
# an officer has one until its holder sets theirs through a link.
UNUSABLE_PREFIX = "!"
LINK_GONE = "this link has been used, has expired or has been replaced by a newer one"
LAST_OFFICER = "a partnership must keep at least one officer: make someone else an officer first"


class LinkGone(AppError):
    """A password link that was used or has expired."""

    status_code, slug = 410, "link-gone"


@dataclass
class Member:
    """A person as the people page shows them (never their password hash)."""

    user_id: int
    name: str
    email: str
    role: str
    member_since: datetime
    last_signed_in_at: datetime | None
    has_password: bool
    link_expires_at: datetime | None  # of their newest link that still works

    @property
    def is_officer(self) -> bool:
        return self.role == Role.officer.value


def _unusable_password() -> str:
    return UNUSABLE_PREFIX + secrets.token_hex(16)


def has_password(user: User) -> bool:
    return not user.password_hash.startswith(UNUSABLE_PREFIX)


def _officer_only(session: Session, by: Principal) -> None:
    bind(session, by)
    by.require_write()


def _members(session: Session, user_id: int | None = None) -> list[Member]:
    """The partnership's members (or one of them), by name: two statements, however many there are."""
    rows = select(Membership.user_id, Membership.role, Membership.created_at, User.name, User.email,
                  User.last_signed_in_at, User.password_hash.startswith(UNUSABLE_PREFIX).label("unusable"))
    rows = rows.join(User, User.id == Membership.user_id).order_by(func.lower(User.name), User.id, Membership.id)
    links = (select(PasswordLink.user_id, func.max(PasswordLink.expires_at))
             .where(PasswordLink.used_at.is_(None), PasswordLink.expires_at > utcnow())
             .group_by(PasswordLink.user_id))
    if user_id is not None:
        rows, links = rows.where(Membership.user_id == user_id), links.where(PasswordLink.user_id == user_id)
    expiry = {user_id: expires for user_id, expires in session.execute(links)}
    found: dict[int, Member] = {}
    for row in session.execute(rows):
        member = found.get(row.user_id)
        if member is None:
            found[row.user_id] = Member(row.user_id, row.name, row.email, row.role, row.created_at,
                                        row.last_signed_in_at, not row.unusable, expiry.get(row.user_id))
        else:
            member.member_since = min(member.member_since, row.created_at)
            if row.role == Role.officer.value:
                member.role = Role.officer.value
    return list(found.values())


def list_members(session: Session, *, by: Principal) -> list[Member]:
    """The caller's partnership's members, by name (officers only)."""
    _officer_only(session, by)
    return _members(session)


def get_member(session: Session, *, user_id: int, by: Principal) -> Member:
    """One member of the caller's partnership; anyone else is not found."""
    _officer_only(session, by)
    members = _members(session, user_id) if 0 < user_id <= MAX_ID else []
    if not members:
        raise NotFound("no such member of this partnership")
    return members[0]


def _member_user(session: Session, user_id: int) -> tuple[User, bool]:
    """A member's account and whether they are an officer here; anyone else is not found."""
    if not 0 < user_id <= MAX_ID:
        raise NotFound("no such member of this partnership")
    rows = session.execute(select(User, Membership.role).join(Membership, Membership.user_id == User.id)
                           .where(User.id == user_id)).all()
    if not rows:
        raise NotFound("no such member of this partnership")
    return rows[0][0], any(role == Role.officer.value for _, role in rows)


def _keep_an_officer(session: Session, user_id: int, message: str, *, field: str | None = None) -> None:
    """Refuse to let `user_id` stop being an officer when they are the last. The officers' rows are
    locked (PostgreSQL), so that two officers demoting each other at once cannot both succeed."""
    officers = set(session.scalars(select(Membership.user_id).where(
        Membership.role == Role.officer.value, Membership.scope_kind == ScopeKind.partnership.value,
    ).with_for_update()))
    if not officers - {user_id}:
        raise Conflict(message, errors=[FieldError(field, message)] if field else None)


def _beyond_reach(session: Session, user_id: int, by: Principal) -> bool:
    """Whether the person belongs to a partnership the caller is not an officer of."""
    mine = aliased(Membership)
    officer_of = select(mine.partnership_id).where(mine.user_id == by.user_id, mine.role == Role.officer.value)
    with all_tenants(session):
        return session.scalars(select(Membership.id).where(
            Membership.user_id == user_id, Membership.partnership_id.not_in(officer_of)).limit(1)).first() is not None


def _drop_links(session: Session, user_id: int) -> None:
    """The person's unused links made in this partnership (another partnership's are not ours to end)."""
    session.execute(delete(PasswordLink).where(PasswordLink.user_id == user_id, PasswordLink.used_at.is_(None)))


def _new_link(session: Session, user: User, by: Principal, client: str) -> str:
    _drop_links(session, user.id)
    key = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=get_settings().password_link_hours)
    session.add(PasswordLink(user_id=user.id, key_hash=sha256_hex(key), created_by_user_id=by.user_id,
                             expires_at=expires))
    accounts.record_event(session, SecurityEventKind.password_link_created, client=client, user_id=by.user_id,
                          email=user.email, partnership_id=by.partnership_id)
    session.flush()
    return key


def add_member(session: Session, *, name: str | None, email: str | None, role: str | None, by: Principal,
               client: str) -> tuple[User, str | None]:
    """Add a person to the caller's partnership: a new account, with a one-time password link whose
    key is returned (once), or an existing account given a role here (no link: it has a password)."""
    _officer_only(session, by)
    email, name = accounts.normalise_email(email or ""), (name or "").strip()
    errors = accounts.identity_errors(email, name)
    if role not in {r.value for r in Role}:
        errors.append(FieldError("role", "choose whether they are an officer or a viewer"))
    if errors:
        raise ValidationFailed(errors)
    role = Role(role).value
    user = accounts.find_user(session, email)
    if user is not None:
        if session.scalars(select(Membership.id).where(Membership.user_id == user.id)).first() is not None:
            raise Conflict(f"{email} is already a member", errors=[
                FieldError("email", f"{email} is already a member of this partnership")])
        if has_password(user):
            _drop_links(session, user.id)  # a link made elsewhere must not open this partnership
        elif _beyond_reach(session, user.id, by):
            raise Conflict(f"{email} has not set a password yet", errors=[FieldError(
                "email", f"{email} was added by another partnership and has not set a password yet; "
                         "add them once they have")])
    try:
        if user is None:
            user = User(email=email, name=name, password_hash=_unusable_password())
            session.add(user)
            session.flush()
        session.add(Membership(user_id=user.id, role=role))
        session.flush()
    except IntegrityError:
        raise Conflict(f"{email} was added a moment ago", errors=[
            FieldError("email", f"{email} was added by someone else a moment ago")]) from None
    return user, None if has_password(user) else _new_link(session, user, by, client)


def change_role(session: Session, *, user_id: int, role: str | None, by: Principal) -> User:
    """Make a member an officer or a viewer; the last officer cannot be made a viewer."""
    _officer_only(session, by)
    if role not in {r.value for r in Role}:
        raise ValidationFailed([FieldError("role", "choose whether they are an officer or a viewer")])
    role = Role(role).value
    user, is_officer = _member_user(session, user_id)
    if is_officer and role != Role.officer.value:
        _keep_an_officer(session, user.id, LAST_OFFICER, field="role")
    rows = list(session.scalars(select(Membership).where(
        Membership.user_id == user.id, Membership.scope_kind == ScopeKind.partnership.value,
    ).order_by(Membership.created_at, Membership.id)))
    for extra in rows[1:]:  # one partnership-wide role each; the earliest row keeps "member since"
        session.delete(extra)
    session.flush()
    if rows:
        rows[0].role = role
    else:
        session.add(Membership(user_id=user.id, role=role))
    session.flush()
    return user


def remove_member(session: Session, *, user_id: int, by: Principal) -> User:
    """Take a person out of the caller's partnership (their account stays); never its last officer.
    Their unused links made here stop working."""
    _officer_only(session, by)
    user, is_officer = _member_user(session, user_id)
    if is_officer:
        _keep_an_officer(session, user.id, f"{user.name} is the partnership's only officer: make someone "
                                           "else an officer before removing them")
    removed = session.execute(
        delete(Membership).where(Membership.user_id == user.id)
        .returning(Membership.id, Membership.role, Membership.scope_kind, Membership.scope_id)).all()
    audit.record_bulk(session, {"membership": [
        (m.id, AuditAction.delete.value, {"user_id": [user.id, None], "role": [m.role, None],
                                         "scope_kind": [m.scope_kind, None], "scope_id": [m.scope_id, None]})
        for m in removed]}, by=by)
    session.execute(delete(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None)))
    return user


def make_link(session: Session, *, user_id: int, by: Principal, client: str) -> tuple[User, str]:
    """A fresh one-time password link for a member (their older unused links stop working); the key is
    returned once. Their password keeps working until the link is used."""
    _officer_only(session, by)
    user, _ = _member_user(session, user_id)
    if _beyond_reach(session, user.id, by):
        raise Conflict(f"{user.name} also belongs to a partnership you are not an officer of, so you cannot "
                       "make them a password link; they can change their password themselves")
    return user, _new_link(session, user, by, client)


def end_sessions(session: Session, *, user_id: int, by: Principal, client: str) -> int:
    """Sign a member out of every browser; returns how many sessions ended. Everywhere when every
    partnership they belong to is the caller's to run; otherwise in this partnership only."""
    _officer_only(session, by)
    user, _ = _member_user(session, user_id)
    if user.id == by.user_id:
        raise BadRequest("to end your other sessions, change your password; to end this one, sign out")
    # Someone who also belongs to a partnership the caller does not run is signed out of this one only.
    sessions = delete(WebSession).where(WebSession.user_id == user.id)
    if _beyond_reach(session, user.id, by):
        sessions = sessions.where(WebSession.partnership_id == by.partnership_id)
    ended = session.execute(sessions).rowcount
    accounts.record_event(session, SecurityEventKind.sessions_ended, client=client, user_id=by.user_id,
                          email=user.email, partnership_id=by.partnership_id)
    session.flush()
    return ended


def _choice_errors(password: str, again: str, *, field: str, again_field: str) -> list[FieldError]:
    errors = accounts.password_errors(password, field=field)
    if password != again:
        errors.append(FieldError(again_field, "the two passwords are not the same; type the new one twice"))
    return errors


def _live_link(session: Session, key: str) -> tuple[PasswordLink, User]:
    with all_tenants(session):
        row = session.execute(select(PasswordLink, User).join(User, User.id == PasswordLink.user_id)
                              .where(PasswordLink.key_hash == sha256_hex(key))).first()
    if row is None:
        raise NotFound(LINK_GONE)
    link, user = row
    if link.used_at is not None or link.expires_at <= utcnow():
        raise LinkGone(LINK_GONE)
    maker = _link_maker(session, link)
    if maker is None or _beyond_reach(session, user.id, maker):
        # Since the link was made, the person joined a partnership its maker does not run: the
        # link must not let one partnership's officer take over another's member.
        raise LinkGone(LINK_GONE)
    return link, user


def _link_maker(session: Session, link: PasswordLink) -> Principal | None:
    """The officer who made the link, acting in its partnership (None if they are gone)."""
    maker = session.get(User, link.created_by_user_id) if link.created_by_user_id is not None else None
    return accounts.principal_for(session, maker, link.partnership_id) if maker is not None else None


def link_holder(session: Session, *, key: str) -> User:
    """Whose password a link sets; NotFound for an unknown key, LinkGone for a used or expired one."""
    return _live_link(session, key)[1]


def set_password(session: Session, *, key: str, password: str, again: str, client: str) -> User:
    """Set a password through a one-time link. The link is then used up, and the person's sessions
    end (a link is also how a forgotten or stolen password is replaced)."""
    link, user = _live_link(session, key)
    errors = _choice_errors(password, again, field="password", again_field="again")
    if errors:
        raise ValidationFailed(errors)
    with outside_transaction(session):  # argon2 is slow on purpose: no writer waits for it
        new_hash = hash_password(password)
    set_tenant(session, link.partnership_id)
    now = utcnow()
    claimed = session.execute(update(PasswordLink).where(
        PasswordLink.id == link.id, PasswordLink.used_at.is_(None), PasswordLink.expires_at > now,
    ).values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:  # used by someone else while the password was hashed
        raise LinkGone(LINK_GONE)
    user.password_hash = new_hash
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    accounts.record_event(session, SecurityEventKind.password_set, client=client, user_id=user.id,
                          email=user.email, partnership_id=link.partnership_id)
    session.flush()
    return user


def change_password(session: Session, *, current_password: str, new_password: str, again: str,
                    keep_session: str | None, by: Principal, client: str) -> User:
    """Change the caller's own password. Their other sessions end; `keep_session` (this browser's
    cookie) stays signed in."""
    bind(session, by)
    user = session.get(User, by.user_id) if by.user_id is not None else None
    if user is None:
        raise Forbidden("only a signed-in person has a password to change")
    errors = _choice_errors(new_password, again, field="new_password", again_field="again")
    with outside_transaction(session):  # argon2 is slow on purpose: no writer waits for it
        right = bool(current_password) and verify_password(user.password_hash, current_password)
        new_hash = hash_password(new_password) if right and not errors else None
    if not right:
        errors.insert(0, FieldError("current_password", "your current password is not right" if current_password
                                    else "enter your current password"))
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = new_hash
    session.execute(delete(WebSession).where(WebSession.user_id == user.id,
                                             WebSession.key_hash != sha256_hex(keep_session or "")))
    accounts.record_event(session, SecurityEventKind.password_changed, client=client, user_id=user.id,
                          email=user.email, partnership_id=by.partnership_id)
    session.flush()
    return user
