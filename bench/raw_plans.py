"""The raw baseline of issue 9's lists, served by bench/raw_app.py beside the schools and peer-review lists:

    GET /api/v1/action-plans                          (the first page, or after ``cursor``)
    GET /api/v1/action-plans/{plan_id}/milestones     (``overdue=true|false``, ``cursor``)
    GET /api/v1/support-deployments                   (``cursor``)
    GET /api/v1/reports/support-data-quality          (``cursor``)
    GET /api/v1/reports/support-review                (``year``; default the partnership's current year)

each with ``limit`` where the project has one, for a read-write or read token. Each runs the statements the
project's service runs for the same request (captured with SQL echo), in the same order, in one read
transaction, and answers the same JSON:

- a plans page: the count, then the page (newest first) with its owner's name and school;
- a plan's milestones: the plan looked up (404 if not the partnership's), the glossary of lead roles,
  the count, the page joined to its action and priority, then the page's actions' lead codes;
- a deployments page: the count, the page (newest year first) with its school, then, if any deployment
  of the page names a provider school, the provider schools and the triads of both schools in the
  page's years (the conflict of interest suggested);
- the data-quality report: the same, chosen by the report's condition. Its SQL text is compiled once at
  start from app.services.support_quality's conditions (so it is the project's SQL, word for word, with
  the partnership conditions the tenant guard adds written out), and each row's problems are said by
  app.services.support_rules' pure functions on a plain dict (the words are the answer itself);
- the support review: the partnership's current year (when none is asked), then the grouped counts,
  the schools reached by type and by kind (one UNION ALL), the most-supported schools, and the years.

It serves what the benchmark asks for; other filters are refused with 400 so that a wrong comparison
cannot pass unnoticed.
"""

import base64
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.models.support import PROVIDER_KIND_WORDS, ProviderKind, SupportOutcome  # noqa: E402
from app.services import support_rules  # noqa: E402
from app.services.flag_checks_context import maintained_type  # noqa: E402

try:
    import orjson

    def _embedded(value: object) -> object:
        return orjson.Fragment(value) if isinstance(value, str) else value

except ImportError:  # raw_app falls back to json; so does this

    def _embedded(value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


DEFAULT_LIMIT, MAX_LIMIT = 50, 200
STAMP = ("version", "created_at", "updated_at", "updated_by")
PLAN = (*STAMP, "partnership_id", "id", "title", "period_start", "period_end", "owner_user_id", "school_id",
        "status")
MILESTONE = (*STAMP, "partnership_id", "id", "plan_id", "action_id", "description", "due_on", "status", "evidence",
             "evidence_links")
STEPS = tuple(name for name, _ in support_rules.BROKERING_STEPS)
DEPLOYMENT = (*STAMP, "partnership_id", "id", "school_id", "academic_year", "provider_kind", "provider_name",
              "provider_school_id", "objective", "days_planned", "days_delivered", "start_on", "end_on",
              "funding_source", "cost_pence", "origin_kind", "origin_visit_id", "origin_clinic_action_id",
              "origin_plan_action_id", "outcome", "impact_note", "contacted_on", "school_response", "responded_on",
              "adviser_name", "adviser_allocated_on", "conflicts_checked_on", "conflict_note", "adviser_visit_on",
              "matched_on", "supporting_organisation", "delivery_started_on", "reviewed_on")
DEPLOYMENT_DAYS = {"start_on", "end_on", *STEPS}
OUTCOMES = tuple(o.value for o in SupportOutcome)
LA_MAINTAINED, ACADEMY = "la_maintained", "academy"
SCHOOL_TYPE_WORDS = {LA_MAINTAINED: "LA maintained", ACADEMY: "Academy"}
NOT_RECORDED = "Not recorded"
TOP_SCHOOLS = 10


def _cursor(sort: str, value: object, row_id: int) -> str:
    raw = json.dumps([sort, value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str | None, sort: str, kind: type) -> tuple | None | bool:
    """The cursor's (value, id); None without one; False if it is not one the project would issue."""
    if cursor is None:
        return None
    try:
        name, value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return False
    if name != sort or not isinstance(value, kind) or not isinstance(row_id, int) or isinstance(row_id, bool):
        return False
    return value, row_id


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def quality_statements(engine: str) -> tuple[str, str, list[str]]:
    """The data-quality report's count and page statements, as the project writes them (compiled once,
    with `?` marks), and the names of their parameters in order: `p` (the partnership), `today`,
    `limit`, and the condition's own constants (given as their values)."""
    from sqlalchemy import and_, bindparam, exists, func, or_, select
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.orm import aliased

    from app.models.collaborative import TriadSchool
    from app.models.school import School
    from app.models.support import SupportDeployment as SD
    from app.services import support_quality

    p = bindparam("p")
    supported, provider = aliased(School), aliased(School)
    mine, theirs = aliased(TriadSchool), aliased(TriadSchool)
    # support_quality.conflict_suggested, with the conditions the tenant guard adds to each alias.
    same_trust = exists().where(supported.id == SD.school_id, provider.id == SD.provider_school_id,
                                provider.trust_name.is_not(None), provider.trust_name == supported.trust_name,
                                supported.partnership_id == p, provider.partnership_id == p)
    same_triad = exists().where(mine.school_id == SD.school_id, mine.academic_year == SD.academic_year,
                                theirs.triad_id == mine.triad_id, theirs.school_id == SD.provider_school_id,
                                mine.partnership_id == p, theirs.partnership_id == p)
    conflict = and_(SD.provider_school_id.is_not(None), SD.provider_school_id != SD.school_id,
                    or_(same_trust, same_triad))
    found = support_quality.conditions(bindparam("today"))
    found["conflict_unchecked"] = and_(SD.conflicts_checked_on.is_(None), conflict)
    where = (or_(*found.values()), SD.partnership_id == p)
    count = select(func.count(SD.id)).where(*where)
    page = (select(*(getattr(SD, n) for n in DEPLOYMENT), School.urn, School.name, School.trust_name)
            .join(School, and_(School.id == SD.school_id, School.partnership_id == p)).where(*where)
            .order_by(SD.academic_year.desc(), SD.id.desc()).limit(bindparam("limit")))
    dialect = sqlite.dialect(paramstyle="qmark") if engine == "sqlite" else \
        postgresql.psycopg.dialect(paramstyle="qmark")
    compiled = [s.compile(dialect=dialect) for s in (count, page)]
    return str(compiled[0]), str(compiled[1]), [compiled[0].positiontup, compiled[1].positiontup,
                                                 compiled[0].params, compiled[1].params]


def add_routes(db, principal: Callable, json_response: Callable, problem: Callable, timestamp: Callable,
               day: Callable) -> list[Route]:  # noqa: ANN001
    """The routes on raw_app's Database (`db.rows(sql, params)`, `db.begin()`, `db.end()`, `db.engine`)."""

    def today() -> object:
        return date.today().isoformat() if db.engine == "sqlite" else date.today()

    def limit_of(request: Request) -> int | Response:
        try:
            limit = int(request.query_params.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            return problem(400, "limit must be a whole number")
        if not 1 <= limit <= MAX_LIMIT:
            return problem(400, f"limit must be between 1 and {MAX_LIMIT}")
        return limit

    def only(request: Request, allowed: set[str]) -> Response | None:
        unknown = set(request.query_params) - allowed
        return problem(400, f"the raw baseline does not serve {', '.join(sorted(unknown))}") if unknown else None

    def read(request: Request, allowed: set[str], work: Callable) -> Response:
        refused = only(request, allowed)
        if refused is not None:
            return refused
        limit = limit_of(request)
        if isinstance(limit, Response):
            return limit
        db.begin()
        try:
            partnership_id = principal(request)
            if isinstance(partnership_id, Response):
                return partnership_id
            return work(partnership_id, limit, request.query_params.get("cursor"))
        finally:
            db.end()

    def stamped(row: dict) -> dict:
        return {"version": row["version"], "created_at": timestamp(row["created_at"]),
                "updated_at": timestamp(row["updated_at"]), "updated_by": row["updated_by"]}

    # --- action plans --------------------------------------------------------------------------------

    plan_columns = ", ".join(f"action_plan.{n}" for n in PLAN)

    def month(value: object) -> str:
        return day(value)[:7]

    async def plans(request: Request) -> Response:
        def work(partnership_id: int, limit: int, cursor: str | None) -> Response:
            after = _after(cursor, "-id", int)
            if after is False:
                return problem(400, "the cursor is not one this service issued")
            total = db.rows("SELECT count(action_plan.id) AS count_1 FROM action_plan "
                            "WHERE action_plan.partnership_id = ?", [partnership_id])[0][0]
            rows: list[tuple] = []
            if total:
                where, args = "action_plan.partnership_id = ?", [partnership_id]
                if after:
                    where += " AND (action_plan.id < ? OR action_plan.id = ? AND action_plan.id < ?)"
                    args += [after[0], after[0], after[1]]
                rows = db.rows(
                    f"SELECT {plan_columns}, app_user.name, school.urn, school.name AS name_1 FROM action_plan "
                    "LEFT OUTER JOIN app_user ON app_user.id = action_plan.owner_user_id LEFT OUTER JOIN school "
                    "ON school.id = action_plan.school_id AND school.partnership_id = ? "
                    f"WHERE {where} ORDER BY action_plan.id DESC, action_plan.id DESC LIMIT ?",
                    [partnership_id, *args, limit + 1])
            next_cursor = _cursor("-id", rows[limit - 1][5], rows[limit - 1][5]) if len(rows) > limit else None
            items = []
            for row in rows[:limit]:
                plan = dict(zip(PLAN, row, strict=False))
                owner_name, owner_urn, school_name = row[len(PLAN):]
                items.append(stamped(plan) | {
                    "id": plan["id"], "title": plan["title"], "owner_user_id": plan["owner_user_id"],
                    "status": plan["status"], "period_start": month(plan["period_start"]),
                    "period_end": month(plan["period_end"]), "owner_name": owner_name, "owner_urn": owner_urn,
                    "owner_school_name": school_name,
                    "scope": "partnership" if plan["school_id"] is None else "school"})
            return json_response({"items": items, "total": total, "limit": limit, "next_cursor": next_cursor})

        return read(request, {"limit", "cursor"}, work)

    milestone_columns = ", ".join(f"plan_milestone.{n}" for n in MILESTONE)
    overdue_sql = ("plan_milestone.due_on IS NOT NULL AND plan_milestone.due_on < ? "
                   "AND plan_milestone.status != ?")

    async def milestones(request: Request) -> Response:
        text = request.path_params["plan_id"]
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 2_147_483_647:
            return problem(422, "a plan id is a whole number from 1")
        plan_id = int(text)
        overdue = request.query_params.get("overdue")
        if overdue not in (None, "true", "false"):
            return problem(422, "overdue is true or false")

        def work(partnership_id: int, limit: int, cursor: str | None) -> Response:
            if not db.rows("SELECT action_plan.id FROM action_plan WHERE action_plan.id = ? "
                           "AND action_plan.partnership_id = ?", [plan_id, partnership_id]):
                return problem(404, f"no action plan {plan_id} in this partnership")
            stored = db.rows("SELECT partnership.plan_roles FROM partnership WHERE partnership.id = ?",
                             [partnership_id])[0][0]
            roles = json.loads(stored) if isinstance(stored, str) else stored
            titles = {role["code"]: role.get("title") or role["code"] for role in roles}
            after = _after(cursor, "id", int)
            if after is False:
                return problem(400, "the cursor is not one this service issued")
            now = today()
            where, args = "plan_milestone.plan_id = ?", [plan_id]
            if overdue == "true":
                where, args = f"{where} AND {overdue_sql}", [*args, now, "complete"]
            elif overdue == "false":
                where, args = f"{where} AND NOT ({overdue_sql})", [*args, now, "complete"]
            where, args = f"{where} AND plan_milestone.partnership_id = ?", [*args, partnership_id]
            total = db.rows(f"SELECT count(plan_milestone.id) AS count_1 FROM plan_milestone WHERE {where}",
                            args)[0][0]
            rows: list[tuple] = []
            if total:
                if after:
                    where += " AND (plan_milestone.id > ? OR plan_milestone.id = ? AND plan_milestone.id > ?)"
                    args = [*args, after[0], after[0], after[1]]
                rows = db.rows(
                    f"SELECT {milestone_columns}, plan_action.priority_id, plan_priority.number, "
                    "plan_action.number AS number_1 FROM plan_milestone JOIN plan_action ON plan_action.id = "
                    "plan_milestone.action_id AND plan_action.partnership_id = ? JOIN plan_priority ON "
                    "plan_priority.id = plan_action.priority_id AND plan_priority.partnership_id = ? "
                    f"WHERE {where} ORDER BY plan_milestone.id ASC, plan_milestone.id ASC LIMIT ?",
                    [partnership_id, partnership_id, *args, limit + 1])
            next_cursor = _cursor("id", rows[limit - 1][5], rows[limit - 1][5]) if len(rows) > limit else None
            rows = rows[:limit]
            leads: dict[int, list[str]] = {}
            action_ids = sorted({row[7] for row in rows})
            if action_ids:
                for action_id, code in db.rows(
                        "SELECT plan_action_lead.action_id, plan_action_lead.code FROM plan_action_lead "
                        f"WHERE plan_action_lead.plan_id = ? AND plan_action_lead.action_id IN "
                        f"({', '.join('?' * len(action_ids))}) AND plan_action_lead.partnership_id = ? "
                        "ORDER BY plan_action_lead.action_id, plan_action_lead.position",
                        [plan_id, *action_ids, partnership_id]):
                    leads.setdefault(action_id, []).append(code)
            items = []
            today_date = date.today()
            for row in rows:
                m = dict(zip(MILESTONE, row, strict=False))
                priority_id, priority_number, action_number = row[len(MILESTONE):]
                due = _as_date(m["due_on"])
                items.append(stamped(m) | {
                    "id": m["id"], "plan_id": m["plan_id"], "action_id": m["action_id"],
                    "description": m["description"], "due_on": day(m["due_on"]), "status": m["status"],
                    "evidence": m["evidence"], "evidence_links": _embedded(m["evidence_links"]),
                    "overdue": due is not None and due < today_date and m["status"] != "complete",
                    "priority_id": priority_id, "priority_number": priority_number, "action_number": action_number,
                    "action_label": f"{priority_number}.{action_number}",
                    "leads": [{"code": c, "title": titles.get(c, c)} for c in leads.get(m["action_id"], [])]})
            return json_response({"items": items, "total": total, "limit": limit, "next_cursor": next_cursor})

        return read(request, {"limit", "cursor", "overdue"}, work)

    # --- support deployments ---------------------------------------------------------------------------

    deployment_columns = ", ".join(f"support_deployment.{n}" for n in DEPLOYMENT)
    n_columns = len(DEPLOYMENT)

    def providers(partnership_id: int, pairs: list[tuple]) -> tuple[dict[int, tuple], list[str | None]]:
        """app.services.support_quality.providers: pairs of (school_id, provider_school_id, year, trust)."""
        wanted = [p for p in pairs if p[1] is not None]
        if not wanted:
            return {}, [None] * len(pairs)
        ids = list({p[1] for p in wanted})
        found = {row[0]: row[1:] for row in db.rows(
            f"SELECT school.id, school.urn, school.name, school.trust_name FROM school WHERE school.id IN "
            f"({', '.join('?' * len(ids))}) AND school.partnership_id = ?", [*ids, partnership_id])}
        schools = list({p[0] for p in wanted} | {p[1] for p in wanted})
        years = list({p[2] for p in wanted})
        triad_of = {(school, year): (triad, name) for school, year, triad, name in db.rows(
            "SELECT triad_school.school_id, triad_school.academic_year, triad_school.triad_id, triad.name "
            "FROM triad_school JOIN triad ON triad.id = triad_school.triad_id AND triad.partnership_id = ? "
            f"WHERE triad_school.school_id IN ({', '.join('?' * len(schools))}) AND triad_school.academic_year "
            f"IN ({', '.join('?' * len(years))}) AND triad_school.partnership_id = ?",
            [partnership_id, *schools, *years, partnership_id])}
        said: list[str | None] = []
        for school_id, provider_id, year, trust in pairs:
            provider = found.get(provider_id) if provider_id is not None else None
            reasons = []
            if provider is not None and provider_id != school_id:
                if provider[2] and provider[2] == trust:
                    reasons.append(f"the provider school, {provider[1]}, is in the same trust ({trust})")
                theirs = triad_of.get((provider_id, year))
                if theirs is not None and triad_of.get((school_id, year)) == theirs:
                    reasons.append(f"the provider school, {provider[1]}, is in the same triad ({theirs[1]}) "
                                   f"in {year}")
            said.append("; ".join(reasons) if reasons else None)
        return found, said

    def pairs_of(rows: list[tuple]) -> list[tuple]:
        return [(row[6], row[10], row[7], row[n_columns + 2]) for row in rows]

    def paged(rows: list[tuple], limit: int) -> tuple[list[tuple], str | None]:
        if len(rows) > limit:
            last = rows[limit - 1]
            return rows[:limit], _cursor("-academic_year", last[7], last[5])
        return rows, None

    def keyset(cursor: str | None) -> tuple | None | bool:
        return _after(cursor, "-academic_year", str)

    async def deployments(request: Request) -> Response:
        def work(partnership_id: int, limit: int, cursor: str | None) -> Response:
            after = keyset(cursor)
            if after is False:
                return problem(400, "the cursor is not one this service issued")
            total = db.rows("SELECT count(support_deployment.id) AS count_1 FROM support_deployment "
                            "WHERE support_deployment.partnership_id = ?", [partnership_id])[0][0]
            where, args = "support_deployment.partnership_id = ?", [partnership_id]
            if after:
                where = ("(support_deployment.academic_year < ? OR support_deployment.academic_year = ? AND "
                         f"support_deployment.id < ?) AND {where}")
                args = [after[0], after[0], after[1], *args]
            rows, next_cursor = paged(db.rows(
                f"SELECT {deployment_columns}, school.urn, school.name, school.trust_name FROM support_deployment "
                "JOIN school ON school.id = support_deployment.school_id AND school.partnership_id = ? "
                f"WHERE {where} ORDER BY support_deployment.academic_year DESC, support_deployment.id DESC LIMIT ?",
                [partnership_id, *args, limit + 1]), limit)
            found, said = providers(partnership_id, pairs_of(rows))
            items = []
            for row, conflict in zip(rows, said, strict=True):
                d = dict(zip(DEPLOYMENT, row, strict=False))
                urn, name = row[n_columns], row[n_columns + 1]
                provider = found.get(d["provider_school_id"]) if d["provider_school_id"] is not None else None
                item = {name_: (day(value) if name_ in DEPLOYMENT_DAYS else value) for name_, value in d.items()
                        if name_ not in ("partnership_id", "school_id", "provider_school_id", "cost_pence")}
                pence = d["cost_pence"]
                planned, delivered = d["days_planned"], d["days_delivered"]
                item |= stamped(d) | {
                    "urn": urn, "school_name": name,
                    "provider_kind_words": PROVIDER_KIND_WORDS.get(d["provider_kind"], d["provider_kind"]),
                    "provider_urn": provider[0] if provider else None,
                    "provider_school_name": provider[1] if provider else None,
                    "cost": None if pence is None else pence / 100,
                    "warnings": [f"More days delivered ({delivered:g}) than planned ({planned:g})"]
                    if planned is not None and delivered is not None and delivered > planned else [],
                    "conflict_of_interest": conflict}
                items.append(item)
            return json_response({"items": items, "total": total, "limit": limit, "next_cursor": next_cursor})

        return read(request, {"limit", "cursor"}, work)

    count_sql, page_sql, (count_names, page_names, count_params, page_params) = quality_statements(db.engine)

    def bound(names: tuple[str, ...], constants: dict, given: dict) -> list:
        return [given[name] if name in given else constants[name] for name in names]

    async def data_quality(request: Request) -> Response:
        def work(partnership_id: int, limit: int, cursor: str | None) -> Response:
            after = keyset(cursor)
            if after is not None:
                return problem(400, "the raw baseline serves the report's first page only")
            now = date.today()
            given = {"p": partnership_id, "today": now.isoformat() if db.engine == "sqlite" else now}
            total = db.rows(count_sql, bound(count_names, count_params, given))[0][0]
            rows, next_cursor = paged(db.rows(page_sql, bound(page_names, page_params, given | {"limit": limit + 1})),
                                      limit)
            _, said = providers(partnership_id, pairs_of(rows))
            items = []
            for row, conflict in zip(rows, said, strict=True):
                d = dict(zip(DEPLOYMENT, row, strict=False))
                for name in DEPLOYMENT_DAYS:
                    d[name] = _as_date(d[name])
                items.append({
                    "id": d["id"], "urn": row[n_columns], "school_name": row[n_columns + 1],
                    "academic_year": d["academic_year"], "provider_kind": d["provider_kind"],
                    "provider_kind_words": PROVIDER_KIND_WORDS.get(d["provider_kind"], ""), "outcome": d["outcome"],
                    "problems": [words for _, words in support_rules.findings(d, conflict=conflict, today=now)]})
            return json_response({"items": items, "total": total, "limit": limit, "next_cursor": next_cursor})

        return read(request, {"limit", "cursor"}, work)

    # --- the support review -----------------------------------------------------------------------------

    def tally(key: str, label: str) -> dict:
        return {"key": key, "label": label, "green": 0, "amber": 0, "red": 0, "not_yet_completed": 0, "projects": 0,
                "days_planned": 0.0, "days_delivered": 0.0, "schools": 0, LA_MAINTAINED: 0, ACADEMY: 0}

    def school_type(establishment_type: str | None) -> str:
        return LA_MAINTAINED if maintained_type(establishment_type) else ACADEMY

    of_year = ("FROM support_deployment JOIN school ON support_deployment.school_id = school.id AND "
               "school.partnership_id = ? WHERE support_deployment.partnership_id = ? AND "
               "support_deployment.academic_year = ? AND support_deployment.partnership_id = ?")

    async def support_review(request: Request) -> Response:
        refused = only(request, {"year"})
        if refused is not None:
            return refused
        year = request.query_params.get("year")
        db.begin()
        try:
            partnership_id = principal(request)
            if isinstance(partnership_id, Response):
                return partnership_id
            if year is None:
                year = db.rows("SELECT partnership.current_academic_year FROM partnership WHERE partnership.id = ?",
                               [partnership_id])[0][0]
            p = partnership_id
            counts = db.rows(
                "SELECT school.establishment_type, support_deployment.provider_kind, support_deployment.outcome, "
                "count(support_deployment.id) AS count_1, coalesce(sum(CAST(support_deployment.days_planned AS "
                "FLOAT)), ?) AS coalesce_1, coalesce(sum(CAST(support_deployment.days_delivered AS FLOAT)), ?) "
                f"AS coalesce_3 {of_year} GROUP BY school.establishment_type, support_deployment.provider_kind, "
                "support_deployment.outcome", [0.0, 0.0, p, p, year, p])
            reached = db.rows(
                "SELECT ? AS anon_1, school.establishment_type, count(distinct(school.id)) AS count_1 "
                f"{of_year} GROUP BY school.establishment_type UNION ALL SELECT ? AS anon_2, "
                "support_deployment.provider_kind, count(distinct(support_deployment.school_id)) AS count_2 "
                "FROM support_deployment WHERE support_deployment.partnership_id = ? AND "
                "support_deployment.academic_year = ? AND support_deployment.partnership_id = ? "
                "GROUP BY support_deployment.provider_kind", ["type", p, p, year, p, "kind", p, year, p])
            per_outcome = ", ".join(f"sum(CASE WHEN (support_deployment.outcome = ?) THEN ? ELSE ? END) AS sum_{n}"
                                    for n in range(1, len(OUTCOMES) + 1))
            top = db.rows(
                "SELECT school.urn, school.name, school.establishment_type, count(support_deployment.id) AS count_1, "
                f"{per_outcome}, coalesce(sum(CAST(support_deployment.days_delivered AS FLOAT)), ?) AS coalesce_1 "
                f"{of_year} GROUP BY school.id, school.urn, school.name, school.establishment_type "
                "ORDER BY count(support_deployment.id) DESC, coalesce(sum(CAST(support_deployment.days_delivered "
                "AS FLOAT)), ?) DESC, school.name, school.urn LIMIT ?",
                [*[v for o in OUTCOMES for v in (o, 1, 0)], 0.0, p, p, year, p, 0.0, TOP_SCHOOLS])
            years = [row[0] for row in db.rows(
                "SELECT DISTINCT support_deployment.academic_year FROM support_deployment WHERE "
                "support_deployment.partnership_id = ? AND support_deployment.partnership_id = ? "
                "ORDER BY support_deployment.academic_year DESC", [p, p])]
        finally:
            db.end()
        overall = tally("all", "All schools")
        types = {t: tally(t, SCHOOL_TYPE_WORDS[t]) for t in (LA_MAINTAINED, ACADEMY)}
        finer: dict[str, dict] = {}
        kinds = {k.value: tally(k.value, PROVIDER_KIND_WORDS[k.value]) for k in ProviderKind}
        for etype, kind, outcome, projects, planned, delivered in counts:
            kind_of_school = school_type(etype)
            label = etype or NOT_RECORDED
            finer.setdefault(label, tally(label, label))
            kinds.setdefault(kind, tally(kind, kind))
            for t in (overall, types[kind_of_school], finer[label], kinds[kind]):
                if outcome in OUTCOMES:
                    t[outcome] += projects
                t["projects"] += projects
                t["days_planned"] += float(planned)
                t["days_delivered"] += float(delivered)
                t[kind_of_school] += projects
        for what, key, schools in reached:
            if what == "kind":
                kinds[key]["schools"] = schools
                continue
            finer[key or NOT_RECORDED]["schools"] = schools
            types[school_type(key)]["schools"] += schools
            overall["schools"] += schools

        def group(t: dict) -> dict:
            return {k: v for k, v in t.items() if k not in (LA_MAINTAINED, ACADEMY)}

        return json_response({
            "academic_year": year, "overall": group(overall), "by_school_type": [group(t) for t in types.values()],
            "by_establishment_type": [group(t) for t in sorted(finer.values(),
                                                                key=lambda t: (-t["projects"], t["label"]))],
            "by_kind": list(kinds.values()),
            "schools": [{"urn": urn, "name": name, "establishment_type": etype, "school_type": school_type(etype),
                         "projects": n, "green": int(g), "amber": int(a), "red": int(r), "not_yet_completed": int(nyc),
                         "days_delivered": float(days)} for urn, name, etype, n, g, a, r, nyc, days in top],
            "years": years})

    return [
        Route("/api/v1/action-plans", plans),
        Route("/api/v1/action-plans/{plan_id}/milestones", milestones),
        Route("/api/v1/support-deployments", deployments),
        Route("/api/v1/reports/support-data-quality", data_quality),
        Route("/api/v1/reports/support-review", support_review),
    ]
