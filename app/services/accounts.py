"""People: users, their roles in partnerships, signing in and out."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlmodel import Session

from app.config import get_settings
from app.db import all_tenants, outside_transaction
from app.errors import Conflict, FieldError, NotFound, TooManyRequests, ValidationFailed
from app.models.account import (
    SCOPED_ROLES,
    Membership,
    Role,
    ScopeKind,
    SecurityEvent,
    SecurityEventKind,
    SignInAttempt,
    User,
    WebSession,
)
from app.models.base import utcnow
from app.models.partnership import Partnership
from app.models.types import MAX_ID, plain_text_problem
from app.security import hash_password, new_session_key, password_needs_rehash, sha256_hex, verify_password
from app.services.principal import Principal

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 12


def normalise_email(email: str) -> str:
    return email.strip().lower()


def operator(partnership: Partnership) -> Principal:
    """The command line acting as an officer of one partnership."""
    return Principal(partnership_id=partnership.id, partnership_slug=partnership.slug,
                     partnership_name=partnership.name, roles=frozenset({Role.officer.value}),
                     user_name="command line")


def identity_errors(email: str, name: str) -> list[FieldError]:
    """What is wrong with a new account's (normalised) email address and name."""
    errors = []
    if not EMAIL_RE.match(email) or plain_text_problem(email):
        errors.append(FieldError("email", "enter a work email address, like name@school.org.uk"))
    if not name.strip():
        errors.append(FieldError("name", "enter the person's name"))
    elif plain_text_problem(name):
        errors.append(FieldError("name", plain_text_problem(name)))
    return errors


def password_errors(password: str, *, field: str = "password") -> list[FieldError]:
    """The one rule for a new password, wherever it is chosen (command line, link, own account)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [FieldError(field, f"use at least {MIN_PASSWORD_LENGTH} characters")]
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        return [FieldError(field, f"use at least {MIN_PASSWORD_LENGTH} characters that are not spaces")]
    return []


def create_user(session: Session, *, email: str, name: str, password: str) -> User:
    """Create an account; the password is stored only as an argon2 hash."""
    email = normalise_email(email)
    errors = identity_errors(email, name) + password_errors(password)
    if errors:
        raise ValidationFailed(errors)
    password_hash = hash_password(password)  # before the first query: a writer's turn is not spent hashing
    if session.scalars(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict(f"an account for {email} already exists", errors=[FieldError("email", "already registered")])
    user = User(email=email, name=name.strip(), password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalise_email(email))).first()


def grant(session: Session, user: User, partnership: Partnership, role: str, *,
          scope_kind: str = ScopeKind.partnership.value, scope_id: int | None = None) -> Membership:
    """Give a user a role (idempotent): partnership-wide, or a scoped role over its collaborative
    (lead headteacher) or school (headteacher)."""
    if role not in {r.value for r in Role}:
        raise ValidationFailed([FieldError("role", f"use one of: {', '.join(r.value for r in Role)}")])
    needed = SCOPED_ROLES.get(role, ScopeKind.partnership.value)
    if scope_kind != needed or (scope_id is None) != (needed == ScopeKind.partnership.value):
        message = (f"a {role.replace('_', ' ')} is granted over a {needed}" if needed != ScopeKind.partnership.value
                   else f"a {role} is partnership-wide, with no collaborative or school")
        raise ValidationFailed([FieldError("scope", message)])
    with all_tenants(session):
        existing = session.scalars(select(Membership).where(
            Membership.user_id == user.id, Membership.partnership_id == partnership.id,
            Membership.role == role, Membership.scope_kind == scope_kind,
            Membership.scope_id.is_(None) if scope_id is None else Membership.scope_id == scope_id,
        )).first()
        if existing:
            return existing
        membership = Membership(user_id=user.id, partnership_id=partnership.id, role=role, scope_kind=scope_kind,
                                scope_id=scope_id)
        session.add(membership)
        session.flush()
    return membership


def partnerships_of(session: Session, user_id: int) -> list[Partnership]:
    """The partnerships a user belongs to, by name."""
    with all_tenants(session):
        # A subquery rather than DISTINCT: PostgreSQL cannot compare the JSON category scheme.
        member_of = select(Membership.partnership_id).where(Membership.user_id == user_id)
        return list(session.scalars(select(Partnership).where(Partnership.id.in_(member_of))
                                    .order_by(Partnership.name, Partnership.id)))


def principal_for(session: Session, user: User, partnership_id: int) -> Principal | None:
    """The user acting in one partnership, or None if they have no role there."""
    with all_tenants(session):
        rows = session.execute(
            select(Membership.role, Membership.scope_kind, Membership.scope_id, Partnership.slug, Partnership.name)
            .join(Partnership, Partnership.id == Membership.partnership_id)
            .where(Membership.user_id == user.id, Membership.partnership_id == partnership_id)
        ).all()
    if not rows:
        return None
    grants = frozenset((r.role, r.scope_kind, r.scope_id) for r in rows if r.scope_id is not None)
    return Principal(partnership_id=partnership_id, partnership_slug=rows[0].slug,
                     partnership_name=rows[0].name, roles=frozenset(r.role for r in rows),
                     user_id=user.id, user_name=user.name, grants=grants)


@dataclass
class SignInResult:
    user: User | None
    error: str | None = None
    session_key: str | None = None  # the browser session's cookie value, when one was started
    partnership_id: int | None = None  # the partnership the person lands in


def _check_rate(session: Session, email: str, client_ip: str, now: datetime) -> None:
    settings = get_settings()
    since = now - timedelta(seconds=settings.sign_in_window_seconds)
    by_email, by_ip = session.execute(
        select(
            func.count().filter(SignInAttempt.email == email),
            func.count().filter(SignInAttempt.client_ip == client_ip),
        ).where(SignInAttempt.attempted_at >= since,
                or_(SignInAttempt.email == email, SignInAttempt.client_ip == client_ip))
    ).one()
    if by_email >= settings.sign_in_max_failures or by_ip >= settings.sign_in_max_failures * 4:
        minutes = settings.sign_in_window_seconds // 60
        raise TooManyRequests(
            f"too many failed sign-ins; wait {minutes} minutes and try again",
            headers={"Retry-After": str(settings.sign_in_window_seconds)},
        )


def sign_in(session: Session, *, email: str, password: str, client_ip: str) -> SignInResult:
    """Check a password, counting failures, and start a session in the person's first partnership
    (by name); raises TooManyRequests when the limit is reached. An account with no membership is
    refused. A failure is recorded and returned (not raised) so that the caller's transaction keeps it.
    """
    email = normalise_email(email)
    now = utcnow()
    _check_rate(session, email, client_ip, now)
    user = find_user(session, email)
    stored = user.password_hash if user else None
    with outside_transaction(session):  # argon2 is slow on purpose: no writer waits for it
        ok = verify_password(stored, password)
        rehashed = hash_password(password) if ok and password_needs_rehash(stored) else None
    if not ok or user is None or not user.is_active:
        window = timedelta(seconds=get_settings().sign_in_window_seconds)
        session.execute(delete(SignInAttempt).where(SignInAttempt.attempted_at < now - window))
        session.add(SignInAttempt(email=email, client_ip=client_ip, attempted_at=now))
        record_event(session, SecurityEventKind.sign_in_failed, client=client_ip, email=email,
                     user_id=user.id if user else None)
        session.flush()
        return SignInResult(None, "the email address or password is not right")
    if rehashed is not None:
        user.password_hash = rehashed
    user.last_signed_in_at = now
    session.execute(delete(SignInAttempt).where(SignInAttempt.email == email))
    session.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now))
    member_of = partnerships_of(session, user.id)
    if not member_of:
        return SignInResult(user, "your account is not a member of any partnership yet")
    landing = member_of[0].id
    record_event(session, SecurityEventKind.signed_in, client=client_ip, email=email, user_id=user.id,
                 partnership_id=landing)
    return SignInResult(user, session_key=start_session(session, user, landing), partnership_id=landing)


def record_event(session: Session, kind: SecurityEventKind, *, client: str, email: str | None = None,
                 user_id: int | None = None, partnership_id: int | None = None,
                 token_prefix: str | None = None) -> None:
    """Note a security event (sign-in, token created or revoked) with who, when and from where."""
    session.add(SecurityEvent(kind=kind.value, client=client[:64], email=email, user_id=user_id,
                              partnership_id=partnership_id, token_prefix=token_prefix))


def start_session(session: Session, user: User, partnership_id: int) -> str:
    """Open a browser session; returns the cookie value (only its hash is stored)."""
    key = new_session_key()
    expires = utcnow() + timedelta(seconds=get_settings().session_max_age_seconds)
    session.add(WebSession(key_hash=sha256_hex(key), user_id=user.id, partnership_id=partnership_id,
                           expires_at=expires))
    session.flush()
    return key


def resolve_session(session: Session, key: str | None) -> tuple[WebSession, User] | None:
    """The live session and its user for a cookie value, or None."""
    if not key:
        return None
    row = session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id)
        .where(WebSession.key_hash == sha256_hex(key))
    ).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.expires_at <= utcnow() or not user.is_active:
        return None
    return web_session, user


def switch_partnership(session: Session, web_session: WebSession, user: User, partnership_id: int) -> None:
    """Make another of the user's partnerships the active one."""
    if not 0 < partnership_id <= MAX_ID or principal_for(session, user, partnership_id) is None:
        raise NotFound("no such partnership")
    web_session.partnership_id = partnership_id
    session.flush()


def end_session(session: Session, key: str | None) -> None:
    """Sign out: the session row is deleted, so the cookie is worthless even if kept."""
    if key:
        session.execute(delete(WebSession).where(WebSession.key_hash == sha256_hex(key)))
