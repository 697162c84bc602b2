"""The schools register: find, page, create, update and remove schools by URN."""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import Row, Select, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from app.models.inspection import Headline
from app.models.school import SORT_EXPRESSIONS, Phase, School, SchoolBase, SchoolCreate, SchoolStatus, SchoolUpdate
from app.services import concurrency, partnerships
from app.services.concurrency import require_match
from app.services.imports.gias_format import GIAS_FIELDS
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind

NOT_INSPECTED = "not_inspected"
UNCATEGORISED = "none"

# What the list accepts, defined here once; the API's parameters and the page's filters read these.
MAX_SEARCH = 100
DEFAULT_LIMIT = 50
PHASE_CHOICES = [p.value for p in Phase]
STATUS_CHOICES = [s.value for s in SchoolStatus]
OFSTED_CHOICES = [*(h.value for h in Headline), NOT_INSPECTED]

# Each sort's expression is the one its index is built on (app.models.school.SORT_EXPRESSIONS).
SORTS: dict[str, tuple] = {
    "name": (lambda: SORT_EXPRESSIONS["name"](School.name), str),
    "urn": (lambda: School.urn, str),
    "pupils": (lambda: SORT_EXPRESSIONS["pupils"](School.pupils), int),
    "fsm_percent": (lambda: SORT_EXPRESSIONS["fsm_percent"](School.fsm_percent), float),
}
# A page is read as plain columns, not ORM objects: building 50 objects costs more than the query.
LIST_COLUMNS = tuple(getattr(School, c.name) for c in School.__table__.columns if c.name != "partnership_id")
SORT_CHOICES = sorted([*SORTS, *(f"-{s}" for s in SORTS)])


@dataclass
class SchoolFilters:
    q: str | None = None
    phase: list[str] = field(default_factory=list)
    establishment_type: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    la_category: list[str] = field(default_factory=list)
    ofsted: list[str] = field(default_factory=list)
    engaged: bool | None = None
    updated_since: datetime | None = None


@dataclass
class SchoolPageResult:
    """`rows` have the attributes of a School (its latest inspection in `latest_*`)."""

    rows: list[Row]
    total: int
    limit: int
    next_cursor: str | None


def _sort_key(sort: str) -> SortKey:
    name = sort.removeprefix("-")
    if name not in SORTS:
        message = f"sort by one of: {', '.join(SORT_CHOICES)}"
        raise BadRequest(message, errors=[FieldError("sort", message, "query")])
    return _listing(sort)[0]


@cache
def _listing(sort: str) -> tuple[SortKey, Select, Select]:
    """A sort's key, and the unfiltered statements of the list sorted by it (its page, its count): built
    once per sort, as statements never change once made, and each page's filters are added to a copy."""
    expression, kind = SORTS[sort.removeprefix("-")]
    key = SortKey(sort, expression(), sort.startswith("-"), kind)
    return key, select(*LIST_COLUMNS, key.expression.label("sort_value")), select(func.count(School.id))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(stmt, filters: SchoolFilters):
    if filters.q and filters.q.strip():
        q = filters.q.strip()
        stmt = stmt.where(or_(School.name.ilike(_like(q), escape="\\"), School.urn.startswith(q, autoescape=True)))
    if filters.phase:
        stmt = stmt.where(School.phase.in_(filters.phase))
    if filters.establishment_type:
        stmt = stmt.where(School.establishment_type.in_(filters.establishment_type))
    if filters.status:
        stmt = stmt.where(School.status.in_(filters.status))
    if filters.la_category:
        named = [c for c in filters.la_category if c != UNCATEGORISED]
        conditions = [School.la_category.in_(named)] if named else []
        if UNCATEGORISED in filters.la_category:
            conditions.append(School.la_category.is_(None))
        stmt = stmt.where(or_(*conditions))
    if filters.ofsted:
        headlines = [h for h in filters.ofsted if h != NOT_INSPECTED]
        conditions = [School.latest_headline.in_(headlines)] if headlines else []
        if NOT_INSPECTED in filters.ofsted:
            conditions.append(School.latest_headline.is_(None))
        stmt = stmt.where(or_(*conditions))
    if filters.engaged is not None:
        stmt = stmt.where(School.engaged.is_(filters.engaged))
    if filters.updated_since is not None:
        stmt = stmt.where(School.updated_at >= filters.updated_since)
    return stmt


def _check_filters(filters: SchoolFilters) -> None:
    if filters.q is not None and len(filters.q) > MAX_SEARCH:
        message = f"search for at most {MAX_SEARCH} characters"
        raise BadRequest(message, errors=[FieldError("q", message, "query")])
    bad = [h for h in filters.ofsted if h not in OFSTED_CHOICES]
    if bad:
        message = f"unknown Ofsted outcome {bad[0]!r}; use one of: {', '.join(sorted(OFSTED_CHOICES))}"
        raise BadRequest(message, errors=[FieldError("ofsted", message, "query")])


def page(session: Session, filters: SchoolFilters, *, sort: str = "name", limit: int = DEFAULT_LIMIT,
         cursor: str | None = None, by: Principal) -> SchoolPageResult:
    """A page of the partnership's schools, filtered and sorted, with the total that match."""
    bind(session, by)
    by.require_read()
    _check_filters(filters)
    limit = clamp_limit(limit)
    key = _sort_key(sort)
    _, listing, counting = _listing(sort)
    after = decode_cursor(cursor, sort, key.kind) if cursor else None

    total = session.scalar(_filtered(counting, filters))
    # The cursor carries the sort key as the database computed it: lower() is not Python's
    # str.lower() (SQLite folds ASCII only), and a key recomputed here would skip or repeat rows.
    stmt = _filtered(listing, filters)
    stmt = apply_keyset(stmt, key, School.id, after).limit(limit + 1)
    rows = session.execute(stmt).all()

    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(sort, key.kind(last.sort_value), last.id)
    return SchoolPageResult(rows[:limit], total or 0, limit, next_cursor)


def get(session: Session, urn: str, *, by: Principal) -> School:
    """The school with this URN in the caller's partnership, or 404 (also for other partnerships)."""
    bind(session, by)
    by.require_read()
    school = session.scalars(select(School).where(School.urn == urn)).first()
    if school is None:
        raise NotFound(f"no school with URN {urn} in this partnership")
    return school


# The distinct types of one partnership, found by stepping through the index of (partnership_id,
# establishment_type) from one value to the next: a seek per type, where DISTINCT read every
# school's entry (7 ms at 42,000 schools, for 17 types). Written out because it is a recursive
# query; it names the partnership itself, as the ORM's tenant filter does not see into it.
_TYPES_IN_USE = text("""
WITH RECURSIVE types_in_use(value) AS (
    SELECT min(establishment_type) FROM school
     WHERE partnership_id = :partnership AND establishment_type IS NOT NULL
    UNION ALL
    SELECT (SELECT min(establishment_type) FROM school
             WHERE partnership_id = :partnership AND establishment_type > types_in_use.value)
      FROM types_in_use WHERE types_in_use.value IS NOT NULL
)
SELECT value FROM types_in_use WHERE value IS NOT NULL
""")


def facets(session: Session, *, by: Principal) -> dict[str, list[str]]:
    """The establishment types in use, for filter choices."""
    bind(session, by)
    types = session.scalars(_TYPES_IN_USE, {"partnership": by.partnership_id}).all()
    return {"establishment_type": list(types)}


# The register fields a GIAS import never writes: the partnership's own view of the school.
PARTNERSHIP_FIELDS = tuple(name for name in SchoolBase.model_fields if name not in GIAS_FIELDS)


def editable_fields(school: School) -> tuple[str, ...]:
    """What people may change by hand: every register field, but once GIAS owns the school (an
    import wrote it) only the partnership's own, or the next import would undo the edit."""
    if school.from_gias:
        return PARTNERSHIP_FIELDS
    return tuple(SchoolBase.model_fields)


def validate(school: School, scheme: list[str]) -> None:
    """The rules a school must satisfy, whichever face or import wrote it."""
    errors = []
    if not school.engaged and not (school.not_engaged_reason or "").strip():
        errors.append(FieldError("not_engaged_reason", "say why the school is not engaged in the network"))
    if school.la_category is not None and school.la_category not in scheme:
        errors.append(FieldError("la_category", f"use one of this partnership's categories: {', '.join(scheme)}"))
    if school.opened_on and school.closed_on and school.closed_on < school.opened_on:
        errors.append(FieldError("closed_on", "a school cannot close before it opened"))
    if errors:
        raise ValidationFailed(errors)


def create(session: Session, data: SchoolCreate, *, by: Principal) -> School:
    """Add a school to the register."""
    bind(session, by)
    by.require_write()
    scheme = partnerships.current(session, by=by, lock="share").category_scheme
    school = School(**data.model_dump(mode="json"))
    school.headteacher_started_on = data.headteacher_started_on
    school.opened_on, school.closed_on = data.opened_on, data.closed_on
    school.updated_by = by.label
    validate(school, scheme)
    if session.scalars(select(School.id).where(School.urn == data.urn)).first() is not None:
        raise Conflict(f"a school with URN {data.urn} is already in the register",
                       errors=[FieldError("urn", "already in the register")])
    session.add(school)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a school with URN {data.urn} is already in the register",
                       errors=[FieldError("urn", "already in the register")]) from None
    return school


def update(session: Session, urn: str, data: SchoolUpdate, *, if_match: str | None,
           by: Principal) -> School:
    """Change some of a school's details, refusing if the caller's copy is stale."""
    school = get(session, urn, by=by)
    by.require_write()
    require_match(if_match, school.version, what="school")
    scheme = partnerships.current(session, by=by, lock="share").category_scheme
    changes = data.model_dump(exclude_unset=True)
    required = {"name", "phase", "status", "engaged"}
    nulled = sorted(k for k in required if k in changes and changes[k] is None)
    if nulled:
        raise ValidationFailed([FieldError(k, "cannot be empty") for k in nulled])
    # Sending a GIAS-kept field unchanged is fine (a client echoing what it read); changing it is not.
    owned = sorted(k for k, v in changes.items() if school.from_gias and k in GIAS_FIELDS and v != getattr(school, k))
    if owned:
        raise ValidationFailed([FieldError(k, "GIAS keeps this for the school; change it in GIAS (the next import "
                                              "would undo a change made here)") for k in owned])
    for key, value in changes.items():
        setattr(school, key, value.value if hasattr(value, "value") else value)
    validate(school, scheme)
    if session.is_modified(school):
        school.touch(by.label)
        concurrency.flush(session, what="school")
    return school


def delete(session: Session, urn: str, *, if_match: str | None, by: Principal) -> None:
    """Remove a school and its history from the register."""
    school = get(session, urn, by=by)
    by.require_write()
    require_match(if_match, school.version, what="school")
    session.delete(school)
    concurrency.flush(session, what="school")
