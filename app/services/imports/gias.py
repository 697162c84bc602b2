"""Import a GIAS establishment extract (edubasealldata*.csv) into the partnership's register.

The whole file is read and checked before anything is written: a malformed file raises
``GiasFileError`` naming every bad line, and the register is left as it was. A good file is
upserted by URN in a handful of statements (bulk inserts, one batched update), so a national
extract of about 50,000 rows imports in seconds. GIAS owns the fields it publishes (name,
phase, status, roll ...); the partnership owns the rest (engaged, LA category) and an import
never touches those. A GIAS Ofsted rating joins the school's inspection history on the
framework of its date, and is only ever graded on the graded (pre-September 2024) framework.
"""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from operator import itemgetter
from types import SimpleNamespace

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlmodel import Session

from app.errors import FieldError, ValidationFailed
from app.models.inspection import (
    REPORT_CARDS_FROM,
    UNGRADED_FROM,
    Framework,
    Inspection,
    InspectionWrite,
)
from app.models.school import LACode, Postcode, School, SchoolStatus
from app.models.types import CLOSING_DATE, INSPECTION_DATE, OPENING_DATE
from app.services import partnerships, schools
from app.services.imports import gias_format
from app.services.imports.gias_write import write_plan as _write
from app.services.principal import Principal, bind

SOURCE = "GIAS"
PROGRESS_EVERY = 500
MAX_PUPILS = 10000

_POSTCODE = TypeAdapter(Postcode)
_LA_CODE = TypeAdapter(LACode)

Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    inspections_added: int = 0
    skipped_reasons: list[tuple[int, str]] = field(default_factory=list)
    # (column, value as written, what was done) -> the lines it was met on. A value GIAS has added
    # to a vocabulary since this was written is not a broken row: the row is imported without it.
    warnings: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)

    def warn(self, column: str, value: str, outcome: str, line: int) -> None:
        self.warnings.setdefault((column, value, outcome), []).append(line)

    def warning_lines(self, shown: int = 5) -> list[str]:
        """One line per column and value, most frequent first: "OfstedRating (name) 'Not judged':
        12 rows (lines 88, 412, ...); no inspection recorded"."""
        lines = []
        for (column, value, outcome), at in sorted(self.warnings.items(), key=lambda item: (-len(item[1]), item[0])):
            listed = ", ".join(str(n) for n in at[:shown]) + (", ..." if len(at) > shown else "")
            noun = "row" if len(at) == 1 else "rows"
            lines.append(f"{column} '{value}': {len(at)} {noun} (line{'s' if len(at) > 1 else ''} {listed}); {outcome}")
        return lines


class GiasFileError(ValidationFailed):
    """The file is not a usable GIAS extract; ``problems`` lists every bad line (header = line 1)."""

    MAX_IN_DETAIL = 100

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = sorted(problems, key=itemgetter(0))
        shown = [f"line {n}: {message}" for n, message in self.problems[: self.MAX_IN_DETAIL]]
        more = len(self.problems) - len(shown)
        detail = (f"the GIAS file has {len(self.problems)} problem(s) and nothing was imported: "
                  + "; ".join(shown) + (f"; and {more} more" if more else ""))
        super().__init__([FieldError(f"line {n}", message, "file") for n, message in self.problems], detail)


@dataclass
class _Plan:
    summary: ImportSummary
    creates: list[dict] = field(default_factory=list)
    updates: list[tuple[dict, dict]] = field(default_factory=list)
    # (URN, date inspected, the inspection on its framework's scale, checked once per outcome)
    inspections: list[tuple[str, date, InspectionWrite]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    # Schools in the file, unchanged, that GIAS did not own before: it does from now on.
    claimed: list[int] = field(default_factory=list)


def import_file(session: Session, path: str | os.PathLike, *, by: Principal, la_code: str | None = None,
                progress: Progress | None = None, dry_run: bool = False) -> ImportSummary:
    """Upsert the schools of a GIAS extract into the caller's partnership (nothing if the file is bad).

    With ``dry_run`` the file is read, checked and planned exactly as for a real import, and the
    summary says what the import would do, but nothing is written (the browser's check step)."""
    bind(session, by)
    by.require_write()
    if la_code is not None and not re.fullmatch(r"\d{3}", la_code):
        raise ValidationFailed([FieldError("la_code", "an LA code is three digits, e.g. 874")])

    rows, problems = gias_format.read(path)
    if rows is None:
        raise GiasFileError(problems)
    scheme = partnerships.current(session, by=by).category_scheme
    existing = _existing(session)
    inspected: dict[int, set[date]] = {}
    for school_id, day in session.execute(select(Inspection.school_id, Inspection.inspected_on)):
        inspected.setdefault(school_id, set()).add(day)

    plan = _Plan(ImportSummary(), problems=problems)
    seen: dict[str, int] = {}
    total = len(rows)
    for done, (line, raw) in enumerate(rows, start=1):
        _plan_row(plan, line, raw, seen, la_code, existing, inspected, scheme)
        if progress is not None and done % PROGRESS_EVERY == 0 and done < total:
            progress(done, total)
    if plan.problems:
        raise GiasFileError(plan.problems)

    if dry_run:
        plan.summary.inspections_added = len(plan.inspections)  # what the write would add
    else:
        _write(session, plan, existing, by)
    if progress is not None:
        progress(total, total)
    return plan.summary


# What the import reads of a school already in the register: GIAS's fields, the version it
# checks on write, and the partnership's own fields (only to apply the register's rules).
_EXISTING_COLUMNS = ("id", "urn", "version", *gias_format.GIAS_FIELDS, "engaged", "not_engaged_reason", "la_category",
                     "latest_inspected_on", "from_gias")


def _existing(session: Session) -> dict[str, dict]:
    """The partnership's schools by URN, as plain values (one query, no ORM objects to build)."""
    stmt = select(*(getattr(School, name) for name in _EXISTING_COLUMNS))
    return {row["urn"]: dict(row) for row in session.execute(stmt).mappings()}


def _plan_row(plan: _Plan, line: int, raw: gias_format.RawRow, seen: dict[str, int], la_filter: str | None,
              existing: dict[str, dict], inspected: dict[int, set[date]], scheme: list[str]) -> None:
    bad: list[str] = []

    # Format: checked on every row, so a damaged file is refused whatever the filter.
    urn = raw.urn.strip()
    if not gias_format.URN_RE.fullmatch(urn):
        bad.append(f"URN '{urn}' is not 6 digits")
    elif urn in seen:
        bad.append(f"URN {urn} appears twice (also on line {seen[urn]})")
    else:
        seen[urn] = line
    opened = gias_format.parse_date(raw.opened, "OpenDate", bad)
    closed = gias_format.parse_date(raw.closed, "CloseDate", bad)
    inspected_on = gias_format.parse_date(raw.inspected, "OfstedLastInsp", bad)
    pupils = gias_format.parse_whole(raw.pupils, "NumberOfPupils", bad)
    low_age = gias_format.parse_whole(raw.low_age, "StatutoryLowAge", bad)
    high_age = gias_format.parse_whole(raw.high_age, "StatutoryHighAge", bad)
    fsm = gias_format.parse_number(raw.fsm, "PercentageFSM", bad)
    status_name = gias_format.clean(raw.status)
    status = gias_format.STATUSES.get((status_name or "").lower())
    if status_name is None:
        bad.append("EstablishmentStatus has no value")
    phase_name = gias_format.clean(raw.phase)
    rating_name = gias_format.clean(raw.rating)
    if bad:
        plan.problems.extend((line, message) for message in bad)
        return

    summary = plan.summary
    if la_filter is not None and raw.la_code.strip() != la_filter:
        summary.skipped += 1
        return
    # Vocabulary GIAS may grow: an unknown value is warned about and left out, never a broken row.
    if phase_name is not None and phase_name.lower() not in gias_format.PHASES:
        summary.warn("PhaseOfEducation (name)", phase_name, "phase taken from the establishment type", line)
        phase_name = None
    if rating_name is not None and rating_name.lower() not in gias_format.RATINGS:
        known = rating_name.lower() in gias_format.RATINGS_WITHOUT_JUDGEMENT
        summary.warn("OfstedRating (name)", rating_name,
                     "not a judgement, so no grade recorded" if known else "not a rating this service knows, so no "
                     "grade recorded", line)
        rating_name = None  # a graded-era inspection without a grade says nothing: it is not recorded
    school = existing.get(urn)
    if status is None:
        if school is None:
            summary.warn("EstablishmentStatus (name)", status_name, "new school not added (its status is unknown)",
                         line)
            summary.skipped += 1
            return
        summary.warn("EstablishmentStatus (name)", status_name, "school kept with its current status", line)
        status = SchoolStatus(school["status"])
    establishment_type = gias_format.clean(raw.type)
    phase = gias_format.map_phase(phase_name, establishment_type, low_age, high_age)
    if phase is None:
        summary.skipped += 1
        summary.skipped_reasons.append(
            (line, f"URN {urn}: phase 'Not applicable' for establishment type "
                   f"'{establishment_type or 'none'}' has no place in the register"))
        return

    head = [gias_format.clean(raw.head_title), gias_format.clean(raw.head_first), gias_format.clean(raw.head_last)]
    values = {
        "name": gias_format.clean(raw.name), "phase": phase.value, "establishment_type": establishment_type,
        "trust_name": gias_format.clean(raw.trust), "la_code": gias_format.clean(raw.la_code),
        "la_name": gias_format.clean(raw.la_name),
        "status": status.value, "pupils": pupils, "fsm_percent": fsm,
        "headteacher_name": " ".join(p for p in head if p) if head[1] or head[2] else None,
        "postcode": gias_format.clean(raw.postcode), "opened_on": opened, "closed_on": closed,
    }
    bad = _register_problems(values, school, scheme) + _implausible_dates(opened, closed, inspected_on)
    if bad:
        plan.problems.extend((line, message) for message in bad)
        return

    if school is None:
        summary.created += 1
        plan.creates.append({"urn": urn, **values})
    else:
        changes = {k: v for k, v in values.items() if school[k] != v}
        if changes:
            summary.updated += 1
            plan.updates.append((school, changes))
        else:
            summary.unchanged += 1
            if not school["from_gias"]:
                plan.claimed.append(school["id"])
    if inspected_on is not None and (school is None or inspected_on not in inspected.get(school["id"], ())):
        data = _inspection(inspected_on, rating_name)
        if data is not None:
            plan.inspections.append((urn, inspected_on, data))


@lru_cache(maxsize=2)
def _date_spans(today: date) -> tuple[tuple[date, date, str], ...]:
    """(earliest, latest, the rule in words) for OpenDate, CloseDate and OfstedLastInsp, worked out
    once a day rather than three times a row (a national file has 50,000 rows)."""
    return tuple((rule.earliest, rule.latest(today), rule.rule) for rule in (OPENING_DATE, CLOSING_DATE,
                                                                             INSPECTION_DATE))


def _implausible_dates(opened: date | None, closed: date | None, inspected_on: date | None) -> list[str]:
    """Dates that are dates but cannot be right (0201 for 2016, an inspection next year), by the
    rules the API and the forms apply to the same fields (app.models.types)."""
    bad = []
    spans = _date_spans(date.today())
    for column, day, (earliest, latest, rule) in zip(("OpenDate", "CloseDate", "OfstedLastInsp"),
                                                     (opened, closed, inspected_on), spans, strict=True):
        if day is not None and not earliest <= day <= latest:
            bad.append(f"{column} {day.day:02d}-{day.month:02d}-{day.year:04d}: {rule}")
    return bad


def _register_problems(values: dict, school: dict | None, scheme: list[str]) -> list[str]:
    """The register's own rules, applied to the fields GIAS owns (never blamed for ours)."""
    bad = []
    if not values["name"]:
        bad.append("EstablishmentName is empty")
    for key, limit in gias_format.MAX_LENGTHS.items():
        if values[key] is not None and len(values[key]) > limit:
            bad.append(f"{gias_format.GIAS_FIELDS[key]} is longer than {limit} characters")
    if values["la_code"] is not None:
        try:
            _LA_CODE.validate_python(values["la_code"])
        except ValidationError:
            bad.append(f"LA (code) '{values['la_code']}' is not 3 digits")
    if values["postcode"] is not None:
        try:
            values["postcode"] = _POSTCODE.validate_python(" ".join(values["postcode"].split()))
        except ValidationError:
            bad.append(f"Postcode '{values['postcode']}' is not a UK postcode")
    if values["pupils"] is not None and not 0 <= values["pupils"] <= MAX_PUPILS:
        bad.append(f"NumberOfPupils {values['pupils']} is outside 0-{MAX_PUPILS}")
    if values["fsm_percent"] is not None and not 0 <= values["fsm_percent"] <= 100:
        bad.append(f"PercentageFSM {values['fsm_percent']} is not a percentage (0-100)")
    owned = {"engaged": True, "not_engaged_reason": None, "la_category": None}
    if school is not None:
        owned = {k: school[k] for k in owned}
    try:
        schools.validate(SimpleNamespace(**values, **owned), scheme)
    except ValidationFailed as exc:
        columns = gias_format.GIAS_FIELDS
        bad.extend(f"{columns[e.field]}: {e.message}" for e in exc.errors if e.field in columns)
    return bad


def _inspection(inspected_on: date, rating_name: str | None) -> InspectionWrite | None:
    """The outcome GIAS reports, on the framework of its date; a grade only where that framework has one.

    One InspectionWrite per (framework, rating) is built and checked; a national file has about
    40,000 inspections but only a dozen distinct outcomes, and building each costs ~50 µs. Its
    inspected_on is a representative day of the framework: the caller keeps the real date.
    """
    framework = Framework.for_date(inspected_on)
    if framework == Framework.graded and rating_name is None:
        return None
    return _template(framework, rating_name.lower() if framework == Framework.graded else None)


_FRAMEWORK_DAYS = {Framework.graded: date(2020, 1, 1), Framework.ungraded_2024: UNGRADED_FROM,
                   Framework.report_card: REPORT_CARDS_FROM}


@lru_cache(maxsize=32)
def _template(framework: Framework, rating: str | None) -> InspectionWrite:
    if framework != Framework.graded:
        # The rating GIAS shows beside a newer date is an older graded judgement, or none: it
        # cannot be put on this framework's scale, so the inspection is kept without a grade.
        return InspectionWrite(inspected_on=_FRAMEWORK_DAYS[framework], framework=framework, source=SOURCE)
    overall, category = gias_format.RATINGS[rating]
    return InspectionWrite(inspected_on=_FRAMEWORK_DAYS[framework], framework=framework,
                           overall_effectiveness=overall, category_of_concern=category, source=SOURCE)
