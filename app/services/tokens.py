"""API tokens for integrations: shown once, stored hashed, scoped, revocable."""

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from app.errors import FieldError, NotFound, Unauthorized, ValidationFailed
from app.models.account import ApiToken, SecurityEventKind, TokenScope
from app.models.base import utcnow
from app.models.partnership import Partnership
from app.models.types import plain_text_problem
from app.security import TOKEN_PREFIX, new_api_token, sha256_hex
from app.services import accounts
from app.services.principal import Principal, bind

# last_used_at is refreshed at most this often, so reads do not each cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


SCOPE_CHOICES = [s.value for s in TokenScope]
MAX_NAME = 100


def parse_scopes(raw: str | list[str]) -> list[str]:
    """Scopes as typed ("read,write", "read write") or ticked (a list): known ones, at least one."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    bad = [s for s in items if s not in SCOPE_CHOICES]
    if bad or not items:
        raise ValidationFailed([FieldError("scopes", f"choose one or more scopes: {', '.join(sorted(SCOPE_CHOICES))}")])
    return sorted(set(items))


COMMAND_LINE = "command line"


def _note(session: Session, kind: SecurityEventKind, token: ApiToken, by: Principal, client: str) -> None:
    accounts.record_event(session, kind, client=client, user_id=by.user_id, partnership_id=by.partnership_id,
                          token_prefix=token.prefix)


def create(session: Session, *, name: str, scopes: str | list[str], by: Principal,
           client: str = COMMAND_LINE) -> tuple[ApiToken, str]:
    """Issue a token; the plain token is returned once and never stored."""
    bind(session, by)
    by.require_write()
    errors = []
    if not name.strip() or len(name.strip()) > MAX_NAME:
        errors.append(FieldError("name", f"name the integration in 1-{MAX_NAME} characters"))
    elif plain_text_problem(name):
        errors.append(FieldError("name", plain_text_problem(name)))
    try:
        chosen = parse_scopes(scopes)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    plain, prefix, digest = new_api_token()
    token = ApiToken(name=name.strip(), prefix=prefix, token_hash=digest, scopes=" ".join(chosen))
    session.add(token)
    _note(session, SecurityEventKind.token_created, token, by, client)
    session.flush()
    return token, plain


def list_all(session: Session, *, by: Principal) -> list[ApiToken]:
    """The partnership's tokens, newest first (for those who manage them: officers)."""
    bind(session, by)
    by.require_write()
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def get(session: Session, prefix: str, *, by: Principal) -> ApiToken:
    """One of the partnership's tokens by its visible prefix (for those who manage them)."""
    bind(session, by)
    by.require_write()
    token = session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).first()
    if token is None:
        raise NotFound(f"no token with prefix {prefix}")
    return token


def revoke(session: Session, prefix: str, *, by: Principal, client: str = COMMAND_LINE) -> ApiToken:
    """Revoke a token by its visible prefix; it stops working at once."""
    token = get(session, prefix, by=by)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        _note(session, SecurityEventKind.token_revoked, token, by, client)
        session.flush()
    return token


# What a bearer token's check reads, built once: a Core statement of columns (no ORM entity), so the
# check that every API request makes costs one indexed lookup and little Python. Token rows are
# found across partnerships (the token says whose it is), so the tenant filter has nothing to add.
_T, _P = ApiToken.__table__.c, Partnership.__table__.c
_BY_HASH = (select(_T.id, _T.partnership_id, _T.prefix, _T.scopes, _T.revoked_at, _T.last_used_at, _P.slug, _P.name)
            .join_from(ApiToken.__table__, Partnership.__table__, _P.id == _T.partnership_id)
            .where(_T.token_hash == bindparam("token_hash")))


def authenticate(session: Session, bearer: str) -> tuple[Principal, bool]:
    """The principal behind a bearer token, and whether its last use is due to be recorded.

    401 for unknown or revoked tokens."""
    if not bearer.startswith(TOKEN_PREFIX):
        raise Unauthorized("the bearer token is not recognised")
    row = session.connection().execute(_BY_HASH, {"token_hash": sha256_hex(bearer)}).first()
    if row is None:
        raise Unauthorized("the bearer token is not recognised")
    if row.revoked_at is not None:
        raise Unauthorized("this token has been revoked")
    principal = Principal(partnership_id=row.partnership_id, partnership_slug=row.slug, partnership_name=row.name,
                          scopes=frozenset(row.scopes.split()), token_id=row.id, token_prefix=row.prefix)
    stale = row.last_used_at is None or row.last_used_at < utcnow() - LAST_USED_RESOLUTION
    return principal, stale


class UsageRecorder:
    """Records when tokens were last used, outside the requests that used them.

    A request only notes the time in memory (at most once a minute per token); `flush` writes
    what was noted in one short transaction of its own, every few seconds and at shutdown. A
    busy or unreachable database only delays the record: it is kept for the next flush and never
    fails or slows a request. Each worker process keeps its own notes."""

    def __init__(self, open_session: Callable[[], Session]) -> None:
        self._open_session = open_session
        self._lock = threading.Lock()
        self._pending: dict[int, datetime] = {}
        self._noted: dict[int, float] = {}

    def note(self, token_id: int) -> None:
        """Remember that this token was used now (cheap; coalesced per token and minute)."""
        moment = time.monotonic()
        with self._lock:
            if moment - self._noted.get(token_id, float("-inf")) < LAST_USED_RESOLUTION.total_seconds():
                return
            self._noted[token_id] = moment
            self._pending[token_id] = utcnow()

    def flush(self) -> int:
        """Write the noted uses; returns how many tokens were recorded (0 if it must wait)."""
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return 0
        try:
            session = self._open_session()
            try:
                # Core, by token id: the tokens of every partnership are recorded in one statement.
                table = ApiToken.__table__
                session.connection().execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .where(table.c.last_used_at.is_(None) | (table.c.last_used_at < bindparam("b_at")))
                    .values(last_used_at=bindparam("b_at")),
                    [{"b_id": token_id, "b_at": at} for token_id, at in batch.items()],
                )
                session.commit()
            finally:
                session.close()
        except Exception:  # noqa: BLE001 (best effort by design: the next flush tries again)
            logging.getLogger(__name__).warning("could not record API token use; will retry", exc_info=True)
            with self._lock:
                for token_id, at in batch.items():
                    self._pending.setdefault(token_id, at)
            return 0
        return len(batch)
