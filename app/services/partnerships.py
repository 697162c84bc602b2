"""Partnerships: the tenants."""

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache

from sqlalchemy import func, update
from sqlmodel import Session, select

from app.db import all_tenants
from app.errors import Conflict, FieldError, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
from app.models.base import utcnow
from app.models.partnership import CADENCES, DEFAULT_CATEGORY_SCHEME, Partnership, cadence_name
from app.models.school import School
from app.models.types import plain_text_problem
from app.services import audit, concurrency
from app.services.principal import Principal, bind

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
MAX_NAME = 200
MIN_CATEGORIES, MAX_CATEGORIES, MAX_CATEGORY_LENGTH = 2, 10, 40


def academic_year_for(day: date) -> str:
    """The English academic year (September to August) a day falls in, e.g. '2026/27'."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


@lru_cache(maxsize=512)
def previous_year(academic_year: str) -> str:
    """'2024/25' -> '2023/24' (kept: the red-flag rules ask it for every school)."""
    start = int(academic_year[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def current(session: Session, *, by: Principal, lock: str | None = None) -> Partnership:
    """The caller's partnership. `lock="share"` holds its settings still until the transaction ends
    (a school is checked against the category scheme while no one may change the scheme);
    `lock="update"` is for changing them. SQLite needs neither: its writers go one at a time."""
    if lock is not None:
        return session.scalars(select(Partnership).where(Partnership.id == by.partnership_id)
                               .with_for_update(read=lock == "share")
                               .execution_options(populate_existing=True)).one()
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
    errors.extend(scheme_errors(scheme))
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


def _schools(count: int) -> str:
    return "1 school" if count == 1 else f"{count} schools"


def scheme_errors(scheme: list[str]) -> list[FieldError]:
    """What is wrong with a category scheme (names stripped, in order): one message for the field."""
    problems = []
    blank = [str(n) for n, category in enumerate(scheme, 1) if not category]
    if blank:
        which = f"category {blank[0]} is" if len(blank) == 1 else f"categories {', '.join(blank)} are"
        problems.append(f"{which} blank: name every category, or remove the empty line")
    odd = [c for c in scheme if plain_text_problem(c)]
    if odd:
        problems.append(f"category {scheme.index(odd[0]) + 1} {plain_text_problem(odd[0])}")
    long = [c for c in scheme if len(c) > MAX_CATEGORY_LENGTH]
    if long:
        problems.append(f"'{long[0][:20]}…' is longer than {MAX_CATEGORY_LENGTH} characters")
    seen: dict[str, str] = {}
    repeated = []
    for category in (c for c in scheme if c):
        key = category.casefold()
        if key in seen and seen[key] not in repeated:
            repeated.append(seen[key])
        seen.setdefault(key, category)
    if repeated:
        names = " and ".join(f"'{c}'" for c in repeated)
        problems.append(f"list each category once ({names} {'is' if len(repeated) == 1 else 'are'} "
                        "there more than once; capitals do not make a category different)")
    if not MIN_CATEGORIES <= len(scheme) <= MAX_CATEGORIES:
        problems.append(f"give between {MIN_CATEGORIES} and {MAX_CATEGORIES} categories, one a line "
                        f"(there {'is' if len(scheme) == 1 else 'are'} {len(scheme)})")
    return [FieldError("category_scheme", "; ".join(problems))] if problems else []


def mapping_field(category: str) -> str:
    """The field that says where the schools of a category that goes should move (both faces name
    it alike; a dot would read as a nested field, so it is escaped)."""
    return "map:" + category.replace("%", "%25").replace(".", "%2E")


def for_editing(session: Session, *, by: Principal, lock: str | None = None) -> Partnership:
    """The caller's partnership, for an officer to change its settings."""
    bind(session, by)
    by.require_write()
    return current(session, by=by, lock=lock)


def category_usage(session: Session, *, by: Principal) -> dict[str, int]:
    """How many of the partnership's schools are in each category in use, in the scheme's order
    (then any value the scheme does not list, by name)."""
    bind(session, by)
    by.require_read()
    counts = dict(session.execute(
        select(School.la_category, func.count())
        .where(School.partnership_id == by.partnership_id, School.la_category.is_not(None))
        .group_by(School.la_category)
    ).all())
    order = {category: n for n, category in enumerate(current(session, by=by).category_scheme)}
    return {c: counts[c] for c in sorted(counts, key=lambda c: (order.get(c, len(order)), c))}


def _leaving(session: Session, partnership: Partnership, scheme: list[str]) -> dict[str, int]:
    """The categories of the stored scheme that `scheme` drops and that schools still use, with how
    many schools use each, in the stored scheme's order."""
    gone = [c for c in partnership.category_scheme if c not in scheme]
    if not gone:
        return {}
    counts = dict(session.execute(
        select(School.la_category, func.count())
        .where(School.partnership_id == partnership.id, School.la_category.in_(gone))
        .group_by(School.la_category)
    ).all())
    return {c: counts[c] for c in gone if counts.get(c)}


def categories_leaving(session: Session, *, category_scheme: list[str], by: Principal) -> dict[str, int]:
    """Which categories in use a new scheme would drop, and how many schools use each."""
    partnership = for_editing(session, by=by)
    return _leaving(session, partnership, [c.strip() for c in category_scheme])


def in_use_message(category: str, count: int) -> str:
    return f"'{category}' is used by {_schools(count)}"


def update_settings(session: Session, *, name: str, category_scheme: list[str],
                    mapping: Mapping[str, str] | None = None, if_version: int | None,
                    by: Principal, cadence: str | None = None) -> Partnership:
    """Rename the partnership and change its category scheme, moving schools off dropped categories;
    `cadence` ("termly" or "review_group", CADENCES) sets when its clinics meet (None: unchanged)."""
    partnership = for_editing(session, by=by, lock="update")
    if if_version is None:
        raise PreconditionRequired("send the version of the settings you read, so that no one's change "
                                   "is overwritten unseen")
    if if_version != partnership.version:
        raise PreconditionFailed(f"the partnership's settings have changed since you read them (they are now "
                                 f"at version {partnership.version}); read them again and reapply your change")
    name = name.strip()
    scheme = [c.strip() for c in category_scheme]
    errors = []
    if not name or len(name) > MAX_NAME:
        errors.append(FieldError("name", f"give the partnership a name of 1-{MAX_NAME} characters"))
    elif plain_text_problem(name):
        errors.append(FieldError("name", plain_text_problem(name)))
    wrong_scheme = scheme_errors(scheme)
    errors.extend(wrong_scheme)
    if cadence is not None and cadence not in CADENCES:
        errors.append(FieldError("cadence", f"choose one of: {', '.join(CADENCES)}"))
    moves: dict[str, str] = {}
    if not wrong_scheme:
        for category, count in _leaving(session, partnership, scheme).items():
            target = ((mapping or {}).get(category) or "").strip()
            if target in scheme:
                moves[category] = target
            elif not target:
                errors.append(FieldError(mapping_field(category), f"{in_use_message(category, count)}: choose "
                                         f"the category they move to, or keep '{category}' in the list"))
            else:
                errors.append(FieldError(mapping_field(category), f"{in_use_message(category, count)}: move "
                                         "them to one of the new categories"))
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    for old, new in moves.items():
        # One UPDATE per category; each school's version moves on, so an edit of it opened before
        # now is refused as stale rather than putting the old category back.
        moved = session.scalars(
            update(School)
            .where(School.partnership_id == partnership.id, School.la_category == old)
            .values(la_category=new, version=School.version + 1, updated_at=now, updated_by=by.label)
            .returning(School.id)
            .execution_options(synchronize_session="fetch")
        ).all()
        # No flush sees a bulk UPDATE: each school's move is recorded here.
        audit.record_bulk(session, {"school": [(school_id, "update", {"la_category": [old, new]})
                                               for school_id in moved]}, by=by)
    partnership.name = name
    partnership.category_scheme = scheme
    if cadence is not None and cadence_name(partnership.meeting_cadence) != cadence:
        partnership.meeting_cadence = [dict(m) for m in CADENCES[cadence]]
    partnership.touch(by.label)
    concurrency.flush(session, what="partnership's settings")
    return partnership
