"""School-to-school support deployments: find, page, record, change and remove them. Officers and
write tokens write (app.services.permissions.require_support_writer); every member and read token
reads. Another partnership's deployment is 404.

The rules a deployment's fields keep are app.services.support_rules'; the conflict of interest
suggested and the data-quality report are app.services.support_quality's."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import Session

from app.errors import FieldError, NotFound, ValidationFailed
from app.models.action_plan import PlanAction
from app.models.clinic import ClinicAction
from app.models.school import School
from app.models.support import (
    PROVIDER_KIND_WORDS,
    OriginKind,
    ProviderKind,
    SupportDeployment,
    SupportOutcome,
)
from app.models.support_api import FIELDS, REQUIRED, SupportDeploymentCreate, SupportDeploymentUpdate
from app.models.visit import TriadVisit
from app.services import concurrency, partnerships, permissions, support_rules
from app.services.concurrency import require_match
from app.services.paging import apply_keyset, clamp_limit, encode_cursor
from app.services.principal import Principal, bind
from app.services.support_quality import (
    SORT,
    Pair,
    check_years,
    decode_after,
    providers,
    sort_key,
)

SD = SupportDeployment
DEFAULT_LIMIT = 50
KIND_CHOICES = [k.value for k in ProviderKind]
OUTCOME_CHOICES = [o.value for o in SupportOutcome]
ORIGIN_TABLES = {"origin_visit_id": (TriadVisit, "triad visit record"),
                 "origin_clinic_action_id": (ClinicAction, "clinic action"),
                 "origin_plan_action_id": (PlanAction, "plan action")}
# The API's fields that are stored under other names (schools by URN, cost in pounds).
BY_URN = {"urn": "school_id", "provider_urn": "provider_school_id"}
COLUMNS = tuple(BY_URN.get(name, "cost_pence" if name == "cost" else name) for name in FIELDS)


@dataclass
class DeploymentView:
    """A deployment with what the faces show beside it: both schools by URN and name, and the
    conflict of interest suggested."""

    deployment: SupportDeployment
    urn: str
    school_name: str
    provider_urn: str | None = None
    provider_school_name: str | None = None
    conflict: str | None = None

    @property
    def warnings(self) -> list[str]:
        return support_rules.warnings(self.deployment)

    @property
    def provider_kind_words(self) -> str:
        return PROVIDER_KIND_WORDS.get(self.deployment.provider_kind, self.deployment.provider_kind)

    @property
    def cost(self) -> float | None:
        pence = self.deployment.cost_pence
        return None if pence is None else pence / 100


@dataclass
class SupportFilters:
    year: list[str] = field(default_factory=list)
    urn: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)


@dataclass
class SupportPageResult:
    views: list[DeploymentView]
    total: int
    limit: int
    next_cursor: str | None


# --- reading ------------------------------------------------------------------------------------

def _select():  # noqa: ANN202
    """A deployment with its school (the provider school and the triads are read for a page at once)."""
    return select(SD, School.urn, School.name, School.trust_name).join(School, School.id == SD.school_id)


def _views(session: Session, rows: list[Row]) -> list[DeploymentView]:
    found, said = providers(session, [Pair(d.school_id, d.provider_school_id, d.academic_year, trust)
                                      for d, _, _, trust in rows])
    views = []
    for (d, urn, name, _), conflict in zip(rows, said, strict=True):
        provider = found.get(d.provider_school_id) if d.provider_school_id is not None else None
        views.append(DeploymentView(d, urn, name, provider.urn if provider else None,
                                    provider.name if provider else None, conflict))
    return views


def _load(session: Session, deployment_id: int) -> DeploymentView | None:
    row = session.execute(_select().where(SD.id == deployment_id)).first()
    return _views(session, [row])[0] if row is not None else None


def get(session: Session, deployment_id: int, *, by: Principal) -> DeploymentView:
    """A deployment of the caller's partnership, or 404 (also for another partnership's)."""
    bind(session, by)
    by.require_read()
    view = _load(session, deployment_id)
    if view is None:
        raise NotFound(f"no support deployment {deployment_id} in this partnership")
    return view


def _school_ids(session: Session, urns: list[str]) -> list[int]:
    """The ids of the schools named in a filter; 422 on `urn` for one outside the partnership."""
    found = dict(session.execute(select(School.urn, School.id).where(School.urn.in_(urns))).all())
    for urn in urns:
        if urn not in found:
            raise ValidationFailed([FieldError("urn", f"no school with URN {urn} in this partnership", "query")])
    return list(found.values())


def _check_choices(filters: SupportFilters) -> None:
    check_years(filters.year)
    for name, values, choices in (("kind", filters.kind, KIND_CHOICES), ("outcome", filters.outcome, OUTCOME_CHOICES)):
        for value in values:
            if value not in choices:
                raise ValidationFailed([FieldError(name, f"unknown {name} {value!r}; use one of: {', '.join(choices)}",
                                                   "query")])


def page(session: Session, filters: SupportFilters, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
         by: Principal) -> SupportPageResult:
    """A page of the partnership's deployments, newest year first, then the latest recorded; repeat
    a filter to OR its values. Five queries at most whatever the page's size: the count,
    the page, the filter's schools, and the page's provider schools and their triads."""
    bind(session, by)
    by.require_read()
    _check_choices(filters)
    limit = clamp_limit(limit)
    after = decode_after(cursor) if cursor else None
    where: list[Any] = []
    if filters.year:
        where.append(SD.academic_year.in_(filters.year))
    if filters.urn:
        where.append(SD.school_id.in_(_school_ids(session, filters.urn)))
    if filters.kind:
        where.append(SD.provider_kind.in_(filters.kind))
    if filters.outcome:
        where.append(SD.outcome.in_(filters.outcome))
    total = session.scalar(select(func.count(SD.id)).where(*where)) or 0
    rows = session.execute(apply_keyset(_select().where(*where), sort_key(), SD.id, after).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(SORT, last.academic_year, last.id)
    return SupportPageResult(_views(session, rows[:limit]), total, limit, next_cursor)


# --- writing ------------------------------------------------------------------------------------


def _resolve(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """The API's values as columns: schools by id (422 naming a URN outside the partnership), cost in
    pence, and each origin checked to exist in the partnership (422 naming its field)."""
    columns: dict[str, Any] = {}
    urns = {changes[name] for name in BY_URN if changes.get(name) is not None}
    known = dict(session.execute(select(School.urn, School.id).where(School.urn.in_(urns))).all()) if urns else {}
    errors: list[FieldError] = []
    for name, value in changes.items():
        if name in BY_URN:
            if value is not None and value not in known:
                errors.append(FieldError(name, f"no school with URN {value} in this partnership"))
            columns[BY_URN[name]] = known.get(value) if value is not None else None
        elif name == "cost":
            columns["cost_pence"] = None if value is None else round(value * 100)
        elif hasattr(value, "value"):  # an enum
            columns[name] = value.value
        else:
            columns[name] = value
    for name, (table, words) in ORIGIN_TABLES.items():
        wanted = changes.get(name)
        if wanted is not None and session.scalar(select(table.id).where(table.id == wanted)) is None:
            errors.append(FieldError(name, f"no {words} {wanted} in this partnership"))
    if errors:
        raise ValidationFailed(errors)
    return columns


def _apply(session: Session, deployment: SupportDeployment, changes: dict[str, Any], *, by: Principal) -> None:
    """Check `changes` (API fields, as sent) against the deployment they change and set them; 422
    naming every field at fault, and nothing set, if any is wrong."""
    empty = [FieldError(name, "cannot be empty") for name in REQUIRED
             if name in changes and changes[name] is None and name != "academic_year"]
    if empty:
        raise ValidationFailed(empty)
    columns = _resolve(session, changes)
    merged = {name: getattr(deployment, name) for name in COLUMNS} | columns
    # One origin id given alone says its kind.
    given = [kind for kind, name in support_rules.ORIGIN_FIELDS.items() if merged.get(name) is not None]
    if len(given) == 1 and merged.get("origin_kind") is None:
        merged["origin_kind"] = OriginKind(given[0]).value
    start = merged.get("start_on")
    if changes.get("academic_year") is None and ("academic_year" in changes or merged.get("academic_year") is None
                                                 or ("start_on" in changes and start is not None)):
        merged["academic_year"] = (partnerships.academic_year_for(start) if start is not None
                                   else partnerships.current(session, by=by).current_academic_year)
    errors = support_rules.errors_of(support_rules.problems(merged))
    if errors:
        raise ValidationFailed(errors)
    for name in COLUMNS:
        if getattr(deployment, name) != merged[name]:
            setattr(deployment, name, merged[name])


def create(session: Session, data: SupportDeploymentCreate, *, by: Principal) -> DeploymentView:
    """Record a support deployment (officers and write tokens)."""
    bind(session, by)
    by.require_read()
    permissions.require_support_writer(by)
    deployment = SupportDeployment(updated_by=by.label)
    _apply(session, deployment, {name: getattr(data, name) for name in FIELDS}, by=by)
    session.add(deployment)
    session.flush()
    view = _load(session, deployment.id)
    assert view is not None
    return view


def update(session: Session, deployment_id: int, data: SupportDeploymentUpdate, *, if_match: str | None,
           by: Principal) -> DeploymentView:
    """Change the fields sent (null empties an optional one). Send the ETag read as If-Match. A new
    start moves the academic year with it, unless the year is sent too."""
    view = get(session, deployment_id, by=by)
    permissions.require_support_writer(by)
    deployment = view.deployment
    require_match(if_match, deployment.version, what="support deployment")
    _apply(session, deployment, {name: getattr(data, name) for name in data.model_fields_set}, by=by)
    if session.is_modified(deployment):
        deployment.touch(by.label)
        concurrency.flush(session, what="support deployment")
        view = _load(session, deployment_id) or view
    return view


def delete(session: Session, deployment_id: int, *, if_match: str | None, by: Principal) -> None:
    """Remove a deployment recorded in error (officers and write tokens). Send If-Match."""
    view = get(session, deployment_id, by=by)
    permissions.require_support_writer(by)
    require_match(if_match, view.deployment.version, what="support deployment")
    session.delete(view.deployment)
    concurrency.flush(session, what="support deployment")
