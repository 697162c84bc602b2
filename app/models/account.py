"""People, their memberships of partnerships, web sessions and API tokens."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import TenantScoped, UTCDateTime, utcnow
from app.models.types import text


class Role(StrEnum):
    """A member's role. Officer: full control of the partnership. Viewer: read only.

    Lead headteacher and headteacher are scoped to a collaborative or a school through
    Membership.scope_kind / scope_id (SCOPED_ROLES says which); app.services.permissions says
    what each may do.
    """

    officer = "officer"
    viewer = "viewer"
    lead_headteacher = "lead_headteacher"  # scoped to a collaborative
    headteacher = "headteacher"  # scoped to a school
    clinic_chair = "clinic_chair"  # chairs the School Performance Clinic: approves its minutes
    clinic_member = "clinic_member"  # a councillor or director on the clinic: reads flags, records minutes


class ScopeKind(StrEnum):
    partnership = "partnership"
    collaborative = "collaborative"
    school = "school"


# The scope each scoped role is granted over; the others are partnership-wide.
SCOPED_ROLES = {"lead_headteacher": "collaborative", "headteacher": "school"}


class TokenScope(StrEnum):
    read = "read"
    write = "write"


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_signed_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The secret in the address of the person's calendar feed (/calendar/<secret>.ics), hashed.
    calendar_key_hash: str | None = Field(default=None, max_length=64, unique=True)


class Membership(TenantScoped, table=True):
    __table_args__ = (
        UniqueConstraint("user_id", "partnership_id", "role", "scope_kind", "scope_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=40)
    scope_kind: str = Field(default=ScopeKind.partnership.value, max_length=20)
    scope_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random key; only its hash is stored."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ApiToken(TenantScoped, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split() if s)


class SignInAttempt(SQLModel, table=True):
    """Failed sign-ins, counted per email and per address for rate limiting."""

    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    client_ip: str = Field(max_length=64, index=True)
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)


class SecurityEventKind(StrEnum):
    signed_in = "signed_in"
    sign_in_failed = "sign_in_failed"
    token_created = "token_created"
    token_revoked = "token_revoked"
    password_changed = "password_changed"
    password_set = "password_set"
    password_link_created = "password_link_created"
    sessions_ended = "sessions_ended"


class SecurityEvent(SQLModel, table=True):
    """Who did what to an account or a token, when and from where (kept until the audit trail
    takes these over). Not tenant-scoped: a failed sign-in belongs to no partnership yet."""

    __tablename__ = "security_event"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    kind: str = Field(max_length=40)
    partnership_id: int | None = Field(default=None, foreign_key="partnership.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True, ondelete="SET NULL")
    email: str | None = Field(default=None, max_length=254)
    token_prefix: str | None = Field(default=None, max_length=16)
    client: str = Field(max_length=64)  # the address, or "command line"


class PasswordLink(TenantScoped, table=True):
    """A one-time link with which a person sets their password: made by an officer for someone
    they added (no mail server is assumed; the officer passes the link on). Only the key's hash is
    stored; the link works once, and not after `expires_at`."""

    __tablename__ = "password_link"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    key_hash: str = Field(max_length=64, unique=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MemberCreate(SQLModel):
    """A person to add to a partnership, as the people page's form sends it. Lengths are checked
    here; what is missing or malformed is said by the service (app.services.people), as for the
    command line."""

    name: text(200) | None = None
    email: text(254) | None = None
    role: Role | None = None


class RoleChange(SQLModel):
    """A member's new role in the partnership."""

    role: Role | None = None
