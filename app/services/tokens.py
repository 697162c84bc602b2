"""API tokens for integrations: shown once, stored hashed, scoped, revocable."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from app.db import all_tenants
from app.errors import FieldError, NotFound, Unauthorized, ValidationFailed
from app.models.account import ApiToken, TokenScope
from app.models.base import utcnow
from app.models.partnership import Partnership
from app.security import TOKEN_PREFIX, new_api_token, sha256_hex
from app.services.principal import Principal, bind

# last_used_at is refreshed at most this often, so reads do not each cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def parse_scopes(raw: str | list[str]) -> list[str]:
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    allowed = {s.value for s in TokenScope}
    bad = [s for s in items if s not in allowed]
    if bad or not items:
        raise ValidationFailed([FieldError("scopes", f"use one or more of: {', '.join(sorted(allowed))}")])
    return sorted(set(items))


def create(session: Session, *, name: str, scopes: str | list[str], by: Principal) -> tuple[ApiToken, str]:
    """Issue a token; the plain token is returned once and never stored."""
    bind(session, by)
    by.require_write()
    if not name.strip() or len(name) > 100:
        raise ValidationFailed([FieldError("name", "name the integration in 1-100 characters")])
    plain, prefix, digest = new_api_token()
    token = ApiToken(name=name.strip(), prefix=prefix, token_hash=digest, scopes=" ".join(parse_scopes(scopes)))
    session.add(token)
    session.flush()
    return token, plain


def list_all(session: Session, *, by: Principal) -> list[ApiToken]:
    """The partnership's tokens, newest first."""
    bind(session, by)
    by.require_read()
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(session: Session, prefix: str, *, by: Principal) -> ApiToken:
    """Revoke a token by its visible prefix; it stops working at once."""
    bind(session, by)
    by.require_write()
    token = session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).first()
    if token is None:
        raise NotFound(f"no token with prefix {prefix}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def authenticate(session: Session, bearer: str) -> tuple[Principal, bool]:
    """The principal behind a bearer token, and whether its last use is due to be recorded.

    401 for unknown or revoked tokens."""
    if not bearer.startswith(TOKEN_PREFIX):
        raise Unauthorized("the bearer token is not recognised")
    with all_tenants(session):
        row = session.execute(
            select(ApiToken, Partnership.slug, Partnership.name)
            .join(Partnership, Partnership.id == ApiToken.partnership_id)
            .where(ApiToken.token_hash == sha256_hex(bearer))
        ).first()
    if row is None:
        raise Unauthorized("the bearer token is not recognised")
    token, slug, name = row
    if token.revoked_at is not None:
        raise Unauthorized("this token has been revoked")
    principal = Principal(partnership_id=token.partnership_id, partnership_slug=slug, partnership_name=name,
                          scopes=token.scope_set, token_id=token.id)
    stale = token.last_used_at is None or token.last_used_at < utcnow() - LAST_USED_RESOLUTION
    return principal, stale


def touch(session: Session, token_id: int) -> None:
    """Record that a token was used (at most once a minute per token)."""
    now = utcnow()
    with all_tenants(session):
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .where((ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - LAST_USED_RESOLUTION))
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
