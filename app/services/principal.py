"""Who is acting: a signed-in user or an API token, always within one partnership."""

from dataclasses import dataclass

from app.errors import Forbidden
from app.models.account import Role, TokenScope


@dataclass(frozen=True)
class Principal:
    partnership_id: int
    partnership_slug: str
    partnership_name: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    user_id: int | None = None
    user_name: str | None = None
    token_id: int | None = None
    token_prefix: str | None = None
    # Scoped roles: (role, scope_kind, scope_id), e.g. ("lead_headteacher", "collaborative", 7).
    grants: frozenset[tuple[str, str, int]] = frozenset()

    def scoped(self, role: str) -> frozenset[int]:
        """The ids this principal holds `role` over (collaboratives it leads, schools it heads)."""
        return frozenset(scope_id for granted, _, scope_id in self.grants if granted == role)

    @property
    def label(self) -> str:
        """Who, in words, for "last changed by" and the audit trail."""
        if self.user_name:
            return self.user_name
        return f"token {self.token_prefix}" if self.token_prefix else f"token {self.token_id}"

    @property
    def can_write(self) -> bool:
        if self.token_id is not None:
            return TokenScope.write.value in self.scopes
        return Role.officer.value in self.roles

    @property
    def can_read(self) -> bool:
        if self.token_id is not None:
            return TokenScope.read.value in self.scopes or self.can_write
        return bool(self.roles)

    def require_write(self) -> None:
        if not self.can_write:
            raise Forbidden(
                "this token lacks the write scope" if self.token_id is not None
                else "your role in this partnership is read-only"
            )

    def require_read(self) -> None:
        if not self.can_read:
            raise Forbidden("this token lacks the read scope")


def bind(session, by: Principal) -> None:
    """Scope this session to the principal's partnership (idempotent; see app.db), and keep the
    principal as the actor of the audit trail's events (app.services.audit)."""
    from app.db import set_tenant

    set_tenant(session, by.partnership_id)
    session.info["principal"] = by
