"""The generated partnerships' registers (`python -m app generate`): the open schools each is given,
copied from the imported national register with their inspections, plus the partnership's own
fields (engagement, LA category, head's start date) and a few indicators per school, written in
bulk (app/services/generate_rows.py), each row naming its partnership."""

import random
from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection, select

from app.models.base import utcnow
from app.models.indicator import Indicator
from app.models.inspection import Inspection
from app.models.partnership import Partnership
from app.models.school import School
from app.services.generate_rows import Progress, chunks, insert

# The latest inspection kept on the school row (written when the database has the columns).
LATEST_COLUMNS = {"latest_inspected_on": sa.Date(), "latest_framework": sa.String(20),
                  "latest_headline": sa.String(30)}
NOT_ENGAGED_REASONS = ["Trust runs its own peer review", "Headteacher on long-term leave",
                       "Joining in spring term", "New headteacher settling in"]



INDICATOR_SOURCE = "Generated"


class Tables:
    """The school table as the database has it now: with the latest-inspection columns once the
    migration that adds them has run (they are written only then)."""

    def __init__(self, connection: Connection) -> None:
        present = {c["name"] for c in sa.inspect(connection).get_columns("school")}
        model = {c.name: c.type for c in School.__table__.c}
        types = {**LATEST_COLUMNS, **model}
        self.latest = all(name in present for name in LATEST_COLUMNS)
        self.school = sa.table("school", *(sa.column(name, types[name]) for name in types if name in present))


def read_schools(connection: Connection, tables: Tables, partnership_id: int) -> list[dict]:
    t = tables.school
    rows = connection.execute(select(t).where(t.c.partnership_id == partnership_id).order_by(t.c.urn))
    return [dict(r) for r in rows.mappings()]


def read_inspections(connection: Connection, partnership_id: int) -> dict[int, list[dict]]:
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


def keep_latest_on_rows(connection: Connection, tables: Tables, schools: list[dict],
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


def copy_schools(connection: Connection, tables: Tables, rng: random.Random,
          targets: list[tuple[Partnership, str, list[dict]]], history: dict[int, list[dict]],
          latest: dict[int, dict], report: Progress) -> dict[str, tuple[int, int]]:
    """The chosen schools into each partnership, with their inspections and some indicators; how
    many inspections and indicators each got, by slug."""
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
    stats: dict[str, list[int]] = {}
    for partnership, _, picked in targets:
        count = 0
        for s in picked:
            for inspection in history.get(s["id"], ()):
                inspection_rows.append({k: v for k, v in inspection.items() if k != "id"} | {
                    "partnership_id": partnership.id, "school_id": new_ids[(partnership.id, s["urn"])],
                    "version": 1, "created_at": now, "updated_at": now})
                count += 1
        stats[partnership.slug] = [count, 0]
    insert(connection, Inspection.__table__, inspection_rows, "copying inspections", report)

    for partnership, _, picked in targets:
        stats[partnership.slug][1] = write_indicators(
            connection, rng, partnership.id, [(new_ids[(partnership.id, s["urn"])], s["phase"]) for s in picked],
            years=("2024/25", "2025/26"), measures_by_phase=True, report=None)
    report("indicators", 1, 1)
    return {slug: (inspections, indicators) for slug, (inspections, indicators) in stats.items()}


def write_indicators(connection: Connection, rng: random.Random, partnership_id: int,
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
