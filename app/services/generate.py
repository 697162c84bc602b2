"""A register of real size, generated, for the benchmarks and load tests (`python -m app generate`).

Everything is fictional and comes from one GIAS-format extract (tests/gias_csv.py writes it, the
same file the GIAS benchmark imports), so every benchmark measures the same data:

- ``national``: the whole national extract imported into one partnership (about 42,000 schools
  with the closed ones, 38,000 inspections), plus about 150 LA-sized partnerships holding about
  25,000 open schools between them, one of which is a region of 2,500 schools;
- ``partnership``: the same 2,500-school region and three small partnerships;
- ``small``: two partnerships of about 100 and 60 schools (for the test suite).

The national partnership is filled by the GIAS import itself. The others are copies of its open
schools (with their inspections), written with bulk Core statements that each name the row's
partnership, plus the partnership's own fields (engagement, LA category, head's start date) and
a few indicators per school. Every partnership then gets its peer-review network: collaboratives,
triads and visit records with their actions, over two academic years (app/services/generate_triads.py), then
its action plans and support deployments (app/services/generate_plans.py).
Each partnership gets an API token with read and write scopes and no officer; the plain tokens are
returned once, for the caller to keep.

Every partnership this module makes has a slug starting with ``bench-``, so that ``force`` can
replace an earlier generation without touching anything else.
"""

import csv
import random
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection, func, select
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table, for removing a partnership's rows)
from app.config import PROJECT_ROOT
from app.db import all_tenants
from app.models.account import ApiToken
from app.models.base import utcnow
from app.models.indicator import Indicator
from app.models.inspection import Inspection
from app.models.partnership import Partnership
from app.models.school import School
from app.security import new_api_token
from app.services import accounts, demo, partnerships
from app.services.generate_plans import write_plans
from app.services.generate_triads import Progress, chunks, delete_generated_people, insert, write_networks
from app.services.imports import gias

SCALES = ("national", "partnership", "small")
SLUG_PREFIX = "bench-"
DEFAULT_SEED = 20261124
NATIONAL_ROWS = 50_000
SMALL_ROWS = 800
REGION_SCHOOLS = 2_500
REGION_LAS = 14  # LAs (in code order) the region's schools are drawn from
LA_PARTNERSHIPS = 149  # beside the region: about 150 partnerships in all
# Open schools across the LA partnerships (some LAs have fewer than their share: about 22,500 in the
# end, and with the region about 25,000).
LA_SCHOOLS_TARGET = 23_500
SMALL_SIZES = {"partnership": (150, 100, 50), "small": (100, 60)}
INDICATOR_SOURCE = "Generated"

# The latest inspection kept on the school row (written when the database has the columns).
LATEST_COLUMNS = {"latest_inspected_on": sa.Date(), "latest_framework": sa.String(20),
                  "latest_headline": sa.String(30)}
NOT_ENGAGED_REASONS = ["Trust runs its own peer review", "Headteacher on long-term leave",
                       "Joining in spring term", "New headteacher settling in"]


class DatabaseNotEmpty(Exception):
    """The database already holds data and the caller did not say to go ahead."""


class ExtractUnavailable(Exception):
    """The extract writer (tests/gias_csv.py) is not here: the generator needs a source checkout."""


@dataclass
class GeneratedPartnership:
    slug: str
    name: str
    kind: str  # national, region, la or small
    token: str
    schools: int = 0
    inspections: int = 0
    indicators: int = 0
    collaboratives: int = 0
    triads: int = 0
    visits: int = 0
    visit_actions: int = 0
    plans: int = 0
    milestones: int = 0
    deployments: int = 0


@dataclass
class GenerateResult:
    scale: str
    seed: int
    database: str
    partnerships: list[GeneratedPartnership] = field(default_factory=list)

    def slug_of(self, kind: str) -> str | None:
        return next((p.slug for p in self.partnerships if p.kind == kind), None)

    def as_json(self) -> dict:
        """What the benchmarks read: every partnership's slug, size and plain token."""
        return {
            "scale": self.scale, "seed": self.seed, "database": self.database,
            "generated_at": utcnow().isoformat(timespec="seconds"),
            "national": self.slug_of("national"), "region": self.slug_of("region"),
            "small": [p.slug for p in self.partnerships if p.kind == "small"],
            "partnerships": [vars(p) for p in self.partnerships],
        }


def default_tokens_file(database_url: str) -> Path:
    """Where the command line writes the slugs and tokens: beside a SQLite database, or in the
    project's data directory named after the server's database."""
    if database_url.startswith("sqlite:///"):
        return Path(database_url.removeprefix("sqlite:///")).parent / "bench-tokens.json"
    name = sa.make_url(database_url).database or "database"
    return PROJECT_ROOT / "data" / f"bench-tokens-{name}.json"


def _extract_writer():  # noqa: ANN202
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    try:
        from tests.gias_csv import national_extract, write_gias_csv
    except ImportError:
        raise ExtractUnavailable("the generator writes its GIAS extract with tests/gias_csv.py, which is not "
                                 "here; run it from a checkout of the project") from None
    return national_extract, write_gias_csv


def has_data(session: Session) -> bool:
    connection = session.connection()
    return any(connection.scalar(select(func.count()).select_from(t)) for t in (Partnership, sa.table("app_user")))


def generate(session: Session, scale: str, *, seed: int = DEFAULT_SEED, force: bool = False,
             progress: Progress | None = None) -> GenerateResult:
    """Fill the database with a generated register at this scale, in the session's transaction."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    report = progress or (lambda label, done, total: None)
    national_extract, write_gias_csv = _extract_writer()
    connection = session.connection()
    if has_data(session):
        if not force:
            raise DatabaseNotEmpty("the database already has data; generate fills an empty one (give --force to "
                                   "add to it, replacing what an earlier generate made)")
        report("removing the earlier generated data", 0, None)
        _delete_partnerships(connection, connection.scalars(
            select(Partnership.id).where(Partnership.slug.startswith(SLUG_PREFIX))).all())

    rng = random.Random(seed)
    result = GenerateResult(scale, seed, connection.dialect.name)
    with tempfile.TemporaryDirectory(prefix="generate-") as tmp:
        report("writing the GIAS extract", 0, None)
        extract = national_extract(Path(tmp) / "edubasealldata.csv", SMALL_ROWS if scale == "small" else NATIONAL_ROWS,
                                   seed=seed)
        la_codes = _la_codes(extract)
        region_las = set(la_codes[:REGION_LAS])
        if scale == "partnership":
            # Only the region's LAs are needed; importing those alone gives the same schools.
            extract = _filter_extract(extract, region_las, Path(tmp) / "region.csv", write_gias_csv)
        source = _create(session, "national" if scale == "national" else "staging",
                         "National register (generated)" if scale == "national" else "Staging (generated)")
        report("importing the GIAS extract", 0, None)
        summary = gias.import_file(session, extract, by=accounts.operator(source),
                                   progress=lambda done, total: report("importing the GIAS extract", done, total))

    report("reading the imported register", 0, None)
    tables = _Tables(connection)
    schools = _read_schools(connection, tables, source.id)
    history = _read_inspections(connection, source.id)
    latest = {school_id: rows[0] for school_id, rows in history.items()}
    if scale == "national":
        _keep_latest_on_rows(connection, tables, schools, latest)
        result.partnerships.append(GeneratedPartnership(
            source.slug, source.name, "national", "", summary.created, summary.inspections_added))

    plans = _plan_partnerships(scale, rng, schools, la_codes, region_las)
    targets = []
    for kind, slug, name, la_code, picked in plans:
        p = _create(session, slug, name, la_code=la_code)
        targets.append((p, kind, picked))
        result.partnerships.append(GeneratedPartnership(p.slug, p.name, kind, "", len(picked)))

    _copy(connection, tables, rng, targets, history, latest, result, report)
    ids = {p.slug: p.id for p, _, _ in targets}
    if scale == "national":
        ids[source.slug] = source.id
        open_schools = [(s["id"], s["phase"]) for s in schools if s["status"] == "open"]
        result.partnerships[0].indicators = _write_indicators(connection, rng, source.id, open_schools,
                                                              years=("2025/26",), measures_by_phase=False,
                                                              report=report)
    else:
        report("removing the staging partnership", 0, None)
        _delete_partnerships(connection, [source.id])
    networked = [source] if scale == "national" else []
    networked += [p for p, _, _ in targets]
    counts = write_networks(session, connection, tables.school, random.Random(seed * 31 + 7), networked, report)
    for p, generated in zip(networked, result.partnerships, strict=True):
        found = counts[p.id]
        generated.collaboratives, generated.triads = found.collaboratives, found.triads
        generated.visits, generated.visit_actions = found.visits, found.visit_actions
    planned = write_plans(connection, random.Random(seed * 37 + 11), networked, report)
    for p, generated in zip(networked, result.partnerships, strict=True):
        generated.plans, generated.milestones = planned[p.id].plans, planned[p.id].milestones
        generated.deployments = planned[p.id].deployments
    _issue_tokens(connection, result, ids)
    return result


def _create(session: Session, slug: str, name: str, la_code: str | None = None) -> Partnership:
    with all_tenants(session):
        return partnerships.create(session, name=name, slug=SLUG_PREFIX + slug, la_code=la_code)


def _la_codes(extract: Path) -> list[str]:
    with extract.open(encoding="cp1252", newline="") as f:
        return sorted({row["LA (code)"] for row in csv.DictReader(f)})


def _filter_extract(extract: Path, la_codes: set[str], path: Path, write_gias_csv) -> Path:  # noqa: ANN001
    with extract.open(encoding="cp1252", newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["LA (code)"] in la_codes]
    return write_gias_csv(path, rows)


class _Tables:
    """The school table as the database has it now: with the latest-inspection columns once the
    migration that adds them has run (they are written only then)."""

    def __init__(self, connection: Connection) -> None:
        present = {c["name"] for c in sa.inspect(connection).get_columns("school")}
        model = {c.name: c.type for c in School.__table__.c}
        types = {**LATEST_COLUMNS, **model}
        self.latest = all(name in present for name in LATEST_COLUMNS)
        self.school = sa.table("school", *(sa.column(name, types[name]) for name in types if name in present))


def _read_schools(connection: Connection, tables: _Tables, partnership_id: int) -> list[dict]:
    t = tables.school
    rows = connection.execute(select(t).where(t.c.partnership_id == partnership_id).order_by(t.c.urn))
    return [dict(r) for r in rows.mappings()]


def _read_inspections(connection: Connection, partnership_id: int) -> dict[int, list[dict]]:
    """Each school's inspections, newest first (by date, then the later record)."""
    t = Inspection.__table__
    stmt = (select(t).where(t.c.partnership_id == partnership_id)
            .order_by(t.c.school_id, t.c.inspected_on.desc(), t.c.id.desc()))
    history: dict[int, list[dict]] = {}
    for row in connection.execute(stmt).mappings():
        history.setdefault(row["school_id"], []).append(dict(row))
    return history


def _latest_values(inspection: dict | None) -> dict:
    if inspection is None:
        return dict.fromkeys(LATEST_COLUMNS)
    return {"latest_inspected_on": inspection["inspected_on"], "latest_framework": inspection["framework"],
            "latest_headline": inspection["headline"]}


def _keep_latest_on_rows(connection: Connection, tables: _Tables, schools: list[dict],
                         latest: dict[int, dict]) -> None:
    """The import keeps each school's latest inspection on its row; where it has not (an older
    import), set it here, so that the list reads the same data whichever code filled it."""
    if not tables.latest:
        return
    t = tables.school
    stale = []
    for school in schools:
        wanted = _latest_values(latest.get(school["id"]))
        if any(school[k] != v for k, v in wanted.items()):
            stale.append({"b_id": school["id"], **{f"b_{k}": v for k, v in wanted.items()}})
            school.update(wanted)
    if stale:
        connection.execute(
            sa.update(t).where(t.c.id == sa.bindparam("b_id"))
            .values({k: sa.bindparam(f"b_{k}") for k in LATEST_COLUMNS}), stale)


def _plan_partnerships(scale: str, rng: random.Random, schools: list[dict], la_codes: list[str],
                       region_las: set[str]) -> list[tuple[str, str, str, str | None, list[dict]]]:
    """(kind, slug without the prefix, name, LA code, the source schools it gets) for each partnership."""
    open_schools = [s for s in schools if s["status"] == "open"]
    plans = []
    if scale in ("national", "partnership"):
        pool = [s for s in open_schools if s["la_code"] in region_las]
        picked = sorted(rng.sample(pool, min(REGION_SCHOOLS, len(pool))), key=lambda s: s["urn"])
        plans.append(("region", "region", f"{demo.PLACES[0]} Regional Schools Partnership", None, picked))
    if scale == "national":
        by_la: dict[str, list[dict]] = {}
        for s in open_schools:
            by_la.setdefault(s["la_code"], []).append(s)
        chosen = la_codes[:LA_PARTNERSHIPS]
        available = sum(len(by_la.get(code, [])) for code in chosen)
        share = min(1.0, LA_SCHOOLS_TARGET / max(available, 1))
        for code in chosen:
            pool = by_la.get(code, [])
            if not pool:
                continue
            # LAs differ in size: each takes its share of its open schools, give or take 40%.
            size = max(1, min(len(pool), round(len(pool) * share * rng.uniform(0.6, 1.4))))
            picked = sorted(rng.sample(pool, size), key=lambda s: s["urn"])
            plans.append(("la", f"la-{code}", f"{pool[0]['la_name'] or code} Schools Partnership", code,
                          picked))
    if scale in SMALL_SIZES:
        pool = [s for s in open_schools if s["la_code"] not in region_las] or open_schools
        if scale == "partnership":
            pool = open_schools  # only the region's LAs were imported
        places = demo.PLACES[1:]
        for n, size in enumerate(SMALL_SIZES[scale]):
            picked = sorted(rng.sample(pool, min(size, len(pool))), key=lambda s: s["urn"])
            plans.append(("small", f"small-{n + 1}", f"{places[n]} Schools Partnership", None, picked))
    return plans


def _copy(connection: Connection, tables: _Tables, rng: random.Random,
          targets: list[tuple[Partnership, str, list[dict]]], history: dict[int, list[dict]],
          latest: dict[int, dict], result: GenerateResult, report: Progress) -> None:
    """The chosen schools into each partnership, with their inspections and some indicators."""
    now = utcnow()
    columns = set(tables.school.c.keys())
    school_rows = []
    for partnership, _, picked in targets:
        scheme = partnership.category_scheme
        for s in picked:
            engaged = rng.random() > 0.08
            row = {k: v for k, v in s.items() if k != "id"} | {
                "partnership_id": partnership.id, "version": 1, "created_at": now, "updated_at": now,
                "engaged": engaged, "not_engaged_reason": None if engaged else rng.choice(NOT_ENGAGED_REASONS),
                "la_category": rng.choices([*scheme, None], weights=[10, 25, 55, 10][:len(scheme)] + [10])[0],
                "headteacher_started_on": date(2026, 9, 1) - timedelta(days=rng.randrange(60, 4000))
                if s["headteacher_name"] else None,
            }
            if tables.latest:
                row |= _latest_values(latest.get(s["id"]))
            school_rows.append({k: v for k, v in row.items() if k in columns})
    insert(connection, tables.school, school_rows, "copying schools", report)

    t = tables.school
    target_ids = [p.id for p, _, _ in targets]
    new_ids: dict[tuple[int, str], int] = {}
    for chunk in chunks(target_ids, 500):
        for school_id, partnership_id, urn in connection.execute(
                select(t.c.id, t.c.partnership_id, t.c.urn).where(t.c.partnership_id.in_(chunk))):
            new_ids[(partnership_id, urn)] = school_id

    inspection_rows = []
    stats = {p.slug: p for p in result.partnerships}
    for partnership, _, picked in targets:
        count = 0
        for s in picked:
            for inspection in history.get(s["id"], ()):
                inspection_rows.append({k: v for k, v in inspection.items() if k != "id"} | {
                    "partnership_id": partnership.id, "school_id": new_ids[(partnership.id, s["urn"])],
                    "version": 1, "created_at": now, "updated_at": now})
                count += 1
        stats[partnership.slug].inspections = count
    insert(connection, Inspection.__table__, inspection_rows, "copying inspections", report)

    for partnership, _, picked in targets:
        stats[partnership.slug].indicators = _write_indicators(
            connection, rng, partnership.id, [(new_ids[(partnership.id, s["urn"])], s["phase"]) for s in picked],
            years=("2024/25", "2025/26"), measures_by_phase=True, report=None)
    report("indicators", 1, 1)


def _write_indicators(connection: Connection, rng: random.Random, partnership_id: int,
                      schools: Iterable[tuple[int, str]], *, years: tuple[str, ...], measures_by_phase: bool,
                      report: Progress | None) -> int:
    """Absence figures for each school and year, and attainment or progress by phase if asked."""
    now = utcnow()
    rows = []
    for school_id, phase in schools:
        for year in years:
            figures = {"absence": rng.uniform(3.5, 9.5), "persistent_absence": rng.uniform(8, 32)}
            if measures_by_phase and phase in ("primary", "junior"):
                figures["attainment"] = rng.uniform(38, 85)
            elif measures_by_phase and phase in ("secondary", "all_through"):
                figures["progress"] = rng.uniform(-0.9, 0.8)
            recorded = date(int(year[:4]) + 1, 7, 15)
            rows.extend({"partnership_id": partnership_id, "school_id": school_id, "measure": measure,
                         "academic_year": year, "value": round(value, 2), "source": INDICATOR_SOURCE,
                         "recorded_on": recorded, "version": 1, "created_at": now, "updated_at": now}
                        for measure, value in figures.items())
    insert(connection, Indicator.__table__, rows, "indicators", report)
    return len(rows)


def _issue_tokens(connection: Connection, result: GenerateResult, ids: dict[str, int]) -> None:
    """One read-write token per partnership, belonging to no officer; plain values only in the result."""
    now = utcnow()
    rows = []
    for p in result.partnerships:
        plain, prefix, digest = new_api_token()
        p.token = plain
        rows.append({"partnership_id": ids[p.slug], "name": "Benchmarks (generated)", "prefix": prefix,
                     "token_hash": digest, "scopes": "read write", "created_at": now})
    connection.execute(sa.insert(ApiToken.__table__), rows)


def _delete_partnerships(connection: Connection, partnership_ids: list[int]) -> None:
    """Remove partnerships and everything they hold, child tables first (not relying on cascades)."""
    if not partnership_ids:
        return
    present = set(sa.inspect(connection).get_table_names())
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "partnership_id" in table.c and table.name in present:
            connection.execute(sa.delete(table).where(table.c.partnership_id.in_(partnership_ids)))
    connection.execute(sa.delete(Partnership).where(Partnership.id.in_(partnership_ids)))
    delete_generated_people(connection)
