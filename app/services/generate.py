"""A register of real size, generated, for the benchmarks and load tests (`python -m app generate`).

Everything is fictional and comes from one GIAS-format extract (tests/gias_csv.py writes it, the
same file the GIAS benchmark imports), so every benchmark measures the same data:

- ``national``: the whole national extract imported into one partnership (about 42,000 schools
  with the closed ones, 38,000 inspections), plus about 150 LA-sized partnerships holding about
  25,000 open schools between them, one of which is a region of 2,500 schools;
- ``partnership``: the same 2,500-school region and three small partnerships;
- ``small``: two partnerships of about 100 and 60 schools (for the test suite).

The national partnership is filled by the GIAS import itself. The others are copies of its open
schools (with their inspections), plus the partnership's own fields (engagement, LA category, head's
start date) and a few indicators per school (app/services/generate_copy.py). Every generated row is
written in bulk, naming its partnership (app/services/generate_rows.py). Every partnership then gets
its peer-review network: collaboratives, triads and visit records with their actions, over two
academic years (app/services/generate_triads.py), then its action plans and support deployments
(app/services/generate_plans.py).
Each partnership gets an API token with read and write scopes and no officer; the plain tokens are
returned once, for the caller to keep.

Every partnership this module makes has a slug starting with ``bench-``, so that ``force`` can
replace an earlier generation without touching anything else.
"""

import csv
import random
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection, func, select
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table, for removing a partnership's rows)
from app.config import PROJECT_ROOT
from app.db import all_tenants
from app.models.account import ApiToken
from app.models.base import utcnow
from app.models.partnership import Partnership
from app.security import new_api_token
from app.services import accounts, demo, partnerships
from app.services.generate_copy import (
    Tables,
    copy_schools,
    keep_latest_on_rows,
    read_inspections,
    read_schools,
    write_indicators,
)
from app.services.generate_plans import write_plans
from app.services.generate_rows import Progress, collector_paused, roomy_cache
from app.services.generate_triads import delete_generated_people, write_networks
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
    with collector_paused(), roomy_cache(session.connection()):
        return _generate(session, scale, seed, force, progress or (lambda label, done, total: None))


def _generate(session: Session, scale: str, seed: int, force: bool, report: Progress) -> GenerateResult:
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
    tables = Tables(connection)
    schools = read_schools(connection, tables, source.id)
    history = read_inspections(connection, source.id)
    latest = {school_id: rows[0] for school_id, rows in history.items()}
    if scale == "national":
        keep_latest_on_rows(connection, tables, schools, latest)
        result.partnerships.append(GeneratedPartnership(
            source.slug, source.name, "national", "", summary.created, summary.inspections_added))

    plans = _plan_partnerships(scale, rng, schools, la_codes, region_las)
    targets = []
    for kind, slug, name, la_code, picked in plans:
        p = _create(session, slug, name, la_code=la_code)
        targets.append((p, kind, picked))
        result.partnerships.append(GeneratedPartnership(p.slug, p.name, kind, "", len(picked)))

    copied = copy_schools(connection, tables, rng, targets, history, latest, report)
    for generated in result.partnerships:
        if generated.slug in copied:
            generated.inspections, generated.indicators = copied[generated.slug]
    ids = {p.slug: p.id for p, _, _ in targets}
    if scale == "national":
        ids[source.slug] = source.id
        open_schools = [(s["id"], s["phase"]) for s in schools if s["status"] == "open"]
        result.partnerships[0].indicators = write_indicators(connection, rng, source.id, open_schools,
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
