"""Red flags: worked out from current data on read (never stored), with the flags officers add by
hand and their overrides of computed ones applied; a page of flagged schools, worst first.

A whole partnership's flags take a fixed number of statements whatever its size: the rules'
settings, then app.services.flag_data's reads, then the rules in Python. Who sees whose flags is
app.services.permissions.flag_scope's to say: a school outside the caller's scope is 404.
"""

import bisect
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from app.models.flag import FlagCategory, ManualFlag, ManualKind, Severity
from app.models.flag_api import ManualFlagCreate
from app.models.partnership import Partnership
from app.models.school import School
from app.services import collector, concurrency, flag_cache, flag_settings, permissions, schools
from app.services.concurrency import require_match
from app.services.flag_cache import Summary
from app.services.flag_data import load, load_schools, since_months
from app.services.flag_facts import Context, Needs, SchoolFacts
from app.services.flag_rules import MANUAL_RULE, RULES
from app.services.flag_settings import RuleSetting
from app.services.flag_types import Flag, ordered, worst
from app.services.paging import clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind

DEFAULT_LIMIT = 50
SEVERITIES = [s.value for s in Severity]
CATEGORIES = [c.value for c in FlagCategory]
CURSOR_SORT = "worst"
# Past this many schools, the garbage collector waits while their flags are worked out (app.services.collector).
PAUSE_COLLECTOR_FROM = 2_000


# --- computing ------------------------------------------------------------------------------------

def needs_of(settings: dict[str, RuleSetting], today: date) -> Needs:
    """What the enabled rules read (app.services.flag_data reads no more)."""
    enabled = [s for s in settings.values() if s.enabled]
    reads = {r for s in enabled for r in s.rule.reads}
    depth = max((s.thresholds.get("inspections", 1) for s in enabled if "inspections" in s.rule.reads), default=0)
    years = max([6, *(s.thresholds["years"] + 1 for s in enabled if s.name == "falling_roll")])
    months = max((s.thresholds["within_months"] for s in enabled if "visits" in s.rule.reads), default=None)
    return Needs(inspections=depth, measures=frozenset(m for s in enabled for m in s.rule.measures), years=years,
                 history=frozenset(m for s in enabled for m in s.rule.history),
                 nationals="nationals" in reads, visits_since=since_months(today, months) if months else None,
                 actions="actions" in reads, judgements="judgements" in reads, plans="plans" in reads)


def _manual_evidence(row: ManualFlag, **more: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "reason": row.reason, "set_by": row.updated_by,
            "set_on": row.created_at.date().isoformat() if row.created_at else None, **more}


def apply_manual(computed: Iterable[Flag], manual: Iterable[ManualFlag]) -> list[Flag]:
    """The computed flags with the officers' overrides applied (the latest per rule wins) and their
    own flags added, worst first. Each one an officer touched carries its `manual_id` and, in its
    evidence, `manual`: who set it, when and why."""
    if not manual:
        return ordered(computed)
    rows = list(manual)
    overrides = {row.rule: row for row in rows if row.kind == ManualKind.override.value}
    flags = []
    for flag in computed:
        row = overrides.get(flag.rule)
        if row is None:
            flags.append(flag)
        elif row.severity is not None:
            evidence = {**flag.evidence, "manual": _manual_evidence(row, severity_was=flag.severity)}
            flags.append(flag.replace(severity=row.severity, manual_id=row.id, evidence=evidence,
                                      reason=f"{flag.reason} (set to {row.severity} by hand: {row.reason})"))
    for row in rows:
        if row.kind == ManualKind.add.value and row.severity is not None:
            flags.append(Flag(MANUAL_RULE, row.severity, row.category, row.reason, {"manual": _manual_evidence(row)},
                              row.id))
    return ordered(flags)


@dataclass(slots=True)
class FlaggedSchool:
    """A school with its flags (worst first)."""

    id: int
    urn: str
    name: str
    phase: str
    la_category: str | None
    flags: list[Flag] = field(default_factory=list)
    manual: list[ManualFlag] = field(default_factory=list)  # its manual flags and overrides in force

    @property
    def severity(self) -> str | None:
        return worst(self.flags)


def _context(session: Session, by: Principal, today: date) -> Context:
    partnership = session.get(Partnership, by.partnership_id)
    return Context(today, tuple(partnership.category_scheme or ()), tuple(partnership.grade_labels or ()))


def flag_schools(facts: Iterable[SchoolFacts], settings: dict[str, RuleSetting], ctx: Context, *,
                 manual: bool = True) -> list[FlaggedSchool]:
    """Each school with its flags: the enabled rules run over its facts, then (`manual`) the officers'
    manual flags and overrides applied. Plain work over the facts, reading nothing."""
    checks = [(s.rule.check, s.thresholds) for s in settings.values() if s.enabled]
    result = []
    for school in facts:
        flags = []  # written out rather than a helper's call: this loop runs once per school and rule
        for check, thresholds in checks:
            flag = check(school, thresholds, ctx)
            if flag is not None:
                flags.append(flag)
        result.append(FlaggedSchool(school.id, school.urn, school.name, school.phase, school.la_category,
                                    apply_manual(flags, school.manual) if manual else ordered(flags),
                                    school.manual))
    return result


def _evaluate(session: Session, *, by: Principal, school_ids: Collection[int] | None = None,
              urns: Collection[str] | None = None, today: date | None = None,
              manual: bool = True) -> list[FlaggedSchool]:
    """Every school the caller may see (of those asked for), each with its flags: the data of all of
    them read together, then the rules run over each."""
    bind(session, by)
    by.require_read()
    today = today or date.today()
    scope = permissions.flag_scope(session, by)
    ids = school_ids
    if not scope.everything:
        ids = scope.school_ids if ids is None else frozenset(ids) & scope.school_ids
        if not ids:
            return []
    settings = flag_settings.all_in_force(session)
    ctx = _context(session, by, today)
    with collector.paused(ids is None or len(ids) >= PAUSE_COLLECTOR_FROM):
        facts = load_schools(session, partnership_id=by.partnership_id, school_ids=ids, urns=urns)
        nationals = load(session, facts, partnership_id=by.partnership_id, needs=needs_of(settings, today),
                         today=today, whole_partnership=ids is None and urns is None)
        return flag_schools(facts.values(), settings, replace(ctx, nationals=nationals), manual=manual)


def current(session: Session, *, by: Principal, school_ids: Collection[int] | None = None,
            today: date | None = None) -> dict[int, list[Flag]]:
    """The flags of each school the caller may see that has any (all of them, or of `school_ids`),
    by school id, worst first, manual flags and overrides applied. A fixed number of statements."""
    return {s.id: s.flags for s in _evaluate(session, by=by, school_ids=school_ids, today=today) if s.flags}


# --- one school -----------------------------------------------------------------------------------

def school_for_flags(session: Session, urn: str, *, by: Principal) -> School:
    """The school by URN if the caller may see its flags; 404 otherwise (as for another partnership's)."""
    school = schools.get(session, urn, by=by)
    scope = permissions.flag_scope(session, by)
    if not scope.everything and school.id not in scope.school_ids:
        raise NotFound(f"no school with URN {urn} in this partnership")
    return school


def for_school(session: Session, school: School, *, by: Principal, today: date | None = None) -> list[Flag]:
    """One school's current flags, worst first (none for a closed school)."""
    found = _evaluate(session, by=by, school_ids=[school.id], today=today)
    return found[0].flags if found else []


def manual_flags(session: Session, school: School, *, by: Principal) -> list[ManualFlag]:
    """A school's manual flags and overrides, newest first, withdrawn ones included."""
    bind(session, by)
    return list(session.scalars(select(ManualFlag).where(ManualFlag.school_id == school.id)
                                .order_by(ManualFlag.id.desc())))


# --- the list -------------------------------------------------------------------------------------

@dataclass
class FlagFilters:
    severity: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    urn: list[str] = field(default_factory=list)


@dataclass
class FlagPage:
    items: list[FlaggedSchool]
    total: int
    limit: int
    next_cursor: str | None


def check_filters(filters: FlagFilters) -> None:
    """400 naming the filter for a severity or category that does not exist."""
    for name, allowed in (("severity", SEVERITIES), ("category", CATEGORIES)):
        bad = [v for v in getattr(filters, name) if v not in allowed]
        if bad:
            message = f"unknown {name} {bad[0]!r}; use one of: {', '.join(allowed)}"
            raise BadRequest(message, errors=[FieldError(name, message, "query")])


def _wanted(filters: FlagFilters, severity: str, category: str) -> bool:
    """Whether a flag of this severity and category is one the filters choose."""
    return (not filters.severity or severity in filters.severity) and (
        not filters.category or category in filters.category)


def _matching(school: FlaggedSchool, filters: FlagFilters) -> FlaggedSchool | None:
    if not school.flags:
        return None
    if not filters.severity and not filters.category:
        return school
    flags = [f for f in school.flags if _wanted(filters, f.severity, f.category)]
    return replace(school, flags=flags) if flags else None


RED = Severity.red.value  # a plain string: an enum member's .value is a descriptor call, asked per school


def _rank(severities: list[str], name: str, school_id: int) -> tuple:
    """Worst first: the worst severity, then more red flags, then more amber, then by name."""
    reds = severities.count(RED)
    return (0 if reds else 1, -reds, reds - len(severities), name, school_id)


def _kept_key(school: Summary, filters: FlagFilters) -> tuple | None:
    """A school's place in the list (_rank of the flags that match, its name casefolded, its id), or
    None when no flag of it matches."""
    if not filters.severity and not filters.category:
        return _rank([severity for severity, _ in school.flags], school.name, school.school_id)
    matching = [severity for severity, category in school.flags if _wanted(filters, severity, category)]
    return _rank(matching, school.name, school.school_id) if matching else None


def sort_keys(schools: Iterable[Summary], filters: FlagFilters) -> list[tuple]:
    """The sort keys of the schools that have a flag the filters choose, worst first, each counting
    only those flags (`schools`: as flag_cache keeps them)."""
    return sorted(k for school in schools if (k := _kept_key(school, filters)) is not None)


def summaries(schools: Iterable[FlaggedSchool]) -> list[Summary]:
    """What the order is worked out from (and kept): each flagged school's name and flags' kinds."""
    return [flag_cache.summary_of(s.id, s.name, s.flags) for s in schools if s.flags]


def _ordered(session: Session, filters: FlagFilters, *, by: Principal, today: date,
             keep: bool) -> tuple[list[tuple], dict[int, FlaggedSchool] | None]:
    """The sort keys of every flagged school the caller may see that matches, worst first, and the
    flagged schools by id (their flags not yet filtered); None for the schools when the order was
    kept (app.services.flag_cache), for the page to work out in full only those it shows. `keep`: use
    and fill the cache where it may be."""
    check_filters(filters)
    kept = keep and not filters.urn and flag_cache.usable(session) and permissions.sees_every_flag(by)
    wanted = (tuple(sorted(filters.severity)), tuple(sorted(filters.category)))
    if kept:
        bind(session, by)
        by.require_read()
        cache_key = (flag_cache.stamp(session, by.partnership_id), today)  # read before the data
        found = flag_cache.get(by.partnership_id, cache_key)
        if found is not None:
            return found.order(wanted, lambda schools: sort_keys(schools, filters)), None
    evaluated = _evaluate(session, by=by, urns=filters.urn or None, today=today)
    listed = summaries(evaluated)
    stored = flag_cache.put(by.partnership_id, cache_key, listed) if kept else None
    keys = stored.order(wanted, lambda schools: sort_keys(schools, filters)) if stored is not None \
        else sort_keys(listed, filters)
    return keys, {s.id: s for s in evaluated if s.flags}


def shown(keys: list[tuple], schools: dict[int, FlaggedSchool], filters: FlagFilters) -> list[FlaggedSchool]:
    """The schools of these keys, in their order, each with the flags the filters choose."""
    return [m for key in keys if (s := schools.get(key[-1])) is not None and (m := _matching(s, filters)) is not None]


def listing(session: Session, filters: FlagFilters, *, by: Principal, today: date | None = None) -> list[FlaggedSchool]:
    """Every flagged school the caller may see that matches, worst first (for exports and pages)."""
    keys, schools = _ordered(session, filters, by=by, today=today or date.today(), keep=False)
    return shown(keys, schools or {}, filters)


def _encode(key: tuple) -> str:
    rank, reds, ambers, name, school_id = key
    return encode_cursor(CURSOR_SORT, f"{rank}:{-reds}:{-ambers}:{name}", school_id)


def place_after(cursor: str) -> tuple:
    """The place in the order that a cursor this service issued carries (400 for any other)."""
    value, school_id = decode_cursor(cursor, CURSOR_SORT, str)
    parts = value.split(":", 3)
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() and len(p) < 10 for p in parts[:3]):
        message = "the cursor is not one this service issued"
        raise BadRequest(message, errors=[FieldError("cursor", message, "query")])
    return (int(parts[0]), -int(parts[1]), -int(parts[2]), parts[3], school_id)


def page_keys(keys: list[tuple], after: tuple | None, limit: int) -> tuple[list[tuple], str | None]:
    """The keys of the page after that place (the first page for None), and the next page's cursor."""
    start = bisect.bisect_right(keys, after) if after is not None else 0
    more = start + limit < len(keys)
    return keys[start:start + limit], _encode(keys[start + limit - 1]) if more else None


def page(session: Session, filters: FlagFilters, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
         by: Principal, today: date | None = None) -> FlagPage:
    """A page of flagged schools, worst first. The cursor carries the last school's place in that
    order, so a page neither repeats nor skips a school whose place did not change meanwhile."""
    limit = clamp_limit(limit)
    after = place_after(cursor) if cursor else None
    today = today or date.today()
    keys, schools = _ordered(session, filters, by=by, today=today, keep=True)
    on_page, next_cursor = page_keys(keys, after, limit)
    if schools is None:  # the order was kept: the shown schools' flags, worked out now
        ids = [key[-1] for key in on_page]
        schools = {s.id: s for s in _evaluate(session, by=by, school_ids=ids, today=today)}
    return FlagPage(shown(on_page, schools, filters), len(keys), limit, next_cursor)


# --- manual flags and overrides -------------------------------------------------------------------

def check_manual(data: ManualFlagCreate) -> None:
    """422 naming each field a manual flag or override is missing or has wrong (the rule's current flag aside)."""
    errors = []
    if data.kind == ManualKind.add:
        if data.severity is None:
            errors.append(FieldError("severity", "say red or amber"))
        if data.category is None:
            errors.append(FieldError("category", "say what the concern is about"))
        if data.rule not in (None, MANUAL_RULE):
            errors.append(FieldError("rule", "a flag added by hand has no rule; to change a rule's flag, send kind "
                                             "override"))
    else:
        if data.rule is None:
            errors.append(FieldError("rule", "say which rule's flag to override"))
        elif data.rule not in RULES:
            errors.append(FieldError("rule", f"there is no flag rule called {data.rule!r}"))
        if "severity" not in data.model_fields_set:
            errors.append(FieldError("severity", "say red or amber, or set the flag aside (severity null)"))
    if errors:
        raise ValidationFailed(errors)


def add_manual(session: Session, school: School, data: ManualFlagCreate, *, by: Principal,
               today: date | None = None) -> ManualFlag:
    """An officer's own flag for a school, or their override of a rule's flag (which replaces any
    earlier override of that rule for the school). An override needs the rule to flag the school now."""
    bind(session, by)
    permissions.require_flag_manager(by)
    check_manual(data)
    today = today or date.today()
    if data.kind == ManualKind.override:
        found = _evaluate(session, by=by, school_ids=[school.id], today=today, manual=False)
        if not any(f.rule == data.rule for s in found for f in s.flags):
            raise ValidationFailed([FieldError("rule", f"the rule {data.rule} does not flag this school now; add "
                                                       "a flag of your own instead")])
        earlier = session.scalars(select(ManualFlag).where(
            ManualFlag.school_id == school.id, ManualFlag.kind == ManualKind.override.value,
            ManualFlag.rule == data.rule, ManualFlag.withdrawn_at.is_(None)))
        for row in earlier:
            row.withdrawn_at = today
            row.touch(by.label)
        category = RULES[data.rule].category
    else:
        category = data.category.value
    row = ManualFlag(school_id=school.id, kind=data.kind.value, rule=data.rule if data.rule else MANUAL_RULE,
                     severity=data.severity.value if data.severity else None, category=category,
                     reason=data.reason, updated_by=by.label)
    session.add(row)
    concurrency.flush(session, what="flag")
    return row


def get_manual(session: Session, school: School, flag_id: int, *, by: Principal) -> ManualFlag:
    """One of a school's manual flags, or 404."""
    bind(session, by)
    row = session.scalars(select(ManualFlag).where(ManualFlag.id == flag_id,
                                                   ManualFlag.school_id == school.id)).first()
    if row is None:
        raise NotFound(f"school {school.urn} has no manual flag {flag_id}")
    return row


def withdraw(session: Session, school: School, flag_id: int, *, if_match: str | None, by: Principal,
             today: date | None = None) -> ManualFlag:
    """Withdraw a manual flag or override (kept, marked withdrawn, so what a clinic saw stays explained)."""
    bind(session, by)
    permissions.require_flag_manager(by)
    row = get_manual(session, school, flag_id, by=by)
    require_match(if_match, row.version, what="flag")
    if row.withdrawn_at is not None:
        raise Conflict(f"this flag was withdrawn on {row.withdrawn_at.isoformat()}")
    row.withdrawn_at = today or date.today()
    row.touch(by.label)
    concurrency.flush(session, what="flag")
    return row
