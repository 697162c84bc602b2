"""Partnerships: the tenants."""

import re
from datetime import date

from sqlmodel import Session, select

from app.db import all_tenants
from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models.partnership import DEFAULT_CATEGORY_SCHEME, Partnership
from app.services.principal import Principal

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")


def academic_year_for(day: date) -> str:
    """The English academic year (September to August) a day falls in, e.g. '2026/27'."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def current(session: Session, *, by: Principal) -> Partnership:
    """The caller's partnership."""
    partnership = session.get(Partnership, by.partnership_id)
    if partnership is None:
        raise NotFound("partnership not found")
    return partnership


def by_slug(session: Session, slug: str) -> Partnership:
    """Find a partnership by its slug (operator commands only)."""
    partnership = session.exec(select(Partnership).where(Partnership.slug == slug)).first()
    if partnership is None:
        raise NotFound(f"no partnership with slug {slug!r}")
    return partnership


def create(session: Session, *, name: str, slug: str, la_code: str | None = None,
           category_scheme: list[str] | None = None, today: date | None = None) -> Partnership:
    """Create a partnership (an operator action, not scoped to any tenant)."""
    errors = []
    if not name.strip():
        errors.append(FieldError("name", "give the partnership a name"))
    if not SLUG_RE.match(slug):
        errors.append(FieldError("slug", "use 3-60 lower-case letters, digits and hyphens"))
    if la_code is not None and not re.fullmatch(r"\d{3}", la_code):
        errors.append(FieldError("la_code", "an LA code is three digits, e.g. 874"))
    scheme = [c.strip() for c in (category_scheme or DEFAULT_CATEGORY_SCHEME) if c.strip()]
    if len(set(scheme)) != len(scheme) or not scheme:
        errors.append(FieldError("category_scheme", "list distinct category names"))
    if errors:
        raise ValidationFailed(errors)
    with all_tenants(session):
        if session.exec(select(Partnership.id).where(Partnership.slug == slug)).first():
            raise Conflict(f"a partnership with slug {slug!r} already exists",
                           errors=[FieldError("slug", "already in use")])
    partnership = Partnership(
        name=name.strip(), slug=slug, la_code=la_code, category_scheme=scheme,
        current_academic_year=academic_year_for(today or date.today()),
    )
    session.add(partnership)
    session.flush()
    return partnership
