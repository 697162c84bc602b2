"""/api/v1/red-flags, a school's flags, manual flags and overrides, and the flag rules' settings."""

from typing import Annotated

from fastapi import Path, Query, Response, status

from app.api.deps import CurrentPrincipal, IfMatch, URNPath, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.flag import FlagCategory, ManualFlag, Severity
from app.models.flag_api import (
    FlagRuleList,
    FlagRulePublic,
    FlagRuleUpdate,
    ManualFlagCreate,
    ManualFlagPublic,
    RedFlagPage,
    SchoolFlags,
)
from app.models.school import URN
from app.models.types import MAX_ID
from app.routing import Router
from app.services import flag_settings, flags
from app.services.concurrency import etag
from app.services.flag_settings import RuleSetting
from app.services.flag_types import worst
from app.services.flags import DEFAULT_LIMIT, FlagFilters, FlaggedSchool
from app.services.paging import MAX_LIMIT

router = Router(tags=["red flags"])

SeverityFilter = Annotated[list[Severity] | None, Query(json_schema_extra=no_null)]
CategoryFilter = Annotated[list[FlagCategory] | None, Query(json_schema_extra=no_null)]
URNFilter = Annotated[list[URN] | None, Query(json_schema_extra=no_null, description="A school's URN")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500, json_schema_extra=no_null,
                                     description="`next_cursor` from the page before")]
RulePath = Annotated[str, Path(max_length=60, description="The rule's name, as GET /flag-rules lists them")]
FlagId = Annotated[int, Path(ge=1, le=MAX_ID, description="The manual flag's id")]


def flagged_public(school: FlaggedSchool) -> dict:
    return {"urn": school.urn, "name": school.name, "phase": school.phase, "la_category": school.la_category,
            "severity": school.severity, "flags": [f.as_dict() for f in school.flags]}


def manual_public(row: ManualFlag) -> dict:
    return {name: getattr(row, name) for name in ManualFlagPublic.model_fields}


def rule_public(setting: RuleSetting) -> dict:
    rule = setting.rule
    return {"rule": rule.name, "category": rule.category, "description": rule.description,
            "enabled": setting.enabled, "version": setting.version, "updated_at": setting.updated_at,
            "updated_by": setting.updated_by,
            "thresholds": [{"name": t.name, "type": t.type_name, "value": setting.thresholds[t.name],
                            "default": t.default, "description": t.description, "minimum": t.minimum,
                            "maximum": t.maximum} for t in rule.thresholds]}


@router.get("/red-flags", response_model=RedFlagPage, responses=problem_responses(400))
def list_red_flags(session: SessionDep, by: CurrentPrincipal, severity: SeverityFilter = None,
                   category: CategoryFilter = None, urn: URNFilter = None, limit: Limit = DEFAULT_LIMIT,
                   cursor: Cursor = None) -> dict:
    """The schools with current flags, worst first (red before amber, then more red flags, then more
    amber), each with its flags. The filters choose flags (a school is listed with those that match);
    repeat one to OR its values. Follow `next_cursor` until null."""
    filters = FlagFilters(severity=[s.value for s in severity or []], category=[c.value for c in category or []],
                          urn=urn or [])
    result = flags.page(session, filters, limit=limit, cursor=cursor, by=by)
    return {"items": [flagged_public(s) for s in result.items], "total": result.total, "limit": result.limit,
            "next_cursor": result.next_cursor}


@router.get("/schools/{urn}/flags", response_model=SchoolFlags, responses=problem_responses(404))
def get_school_flags(urn: URNPath, session: SessionDep, by: CurrentPrincipal) -> dict:
    """One school's current flags with their evidence, and its manual flags and overrides."""
    school = flags.school_for_flags(session, urn, by=by)
    found = flags.for_school(session, school, by=by)
    return {"urn": school.urn, "name": school.name, "severity": worst(found),
            "flags": [f.as_dict() for f in found],
            "manual": [manual_public(m) for m in flags.manual_flags(session, school, by=by)]}


@router.post("/schools/{urn}/flags", status_code=status.HTTP_201_CREATED, response_model=ManualFlagPublic,
             responses=problem_responses(400, 403, 404))
def create_school_flag(urn: URNPath, data: ManualFlagCreate, session: SessionDep, by: CurrentPrincipal,
                       response: Response) -> dict:
    """Add a flag by hand (`kind` add: severity, category, reason), or override a rule's flag for the
    school (`kind` override: rule, severity or null to set it aside, reason). `reason` is required."""
    school = flags.school_for_flags(session, urn, by=by)
    row = flags.add_manual(session, school, data, by=by)
    response.headers["ETag"] = etag(row.version)
    response.headers["Location"] = f"/api/v1/schools/{school.urn}/flags/{row.id}"
    return manual_public(row)


@router.get("/schools/{urn}/flags/{flag_id}", response_model=ManualFlagPublic, responses=problem_responses(404))
def get_school_flag(urn: URNPath, flag_id: FlagId, session: SessionDep, by: CurrentPrincipal,
                    response: Response) -> dict:
    """One manual flag or override, with its ETag."""
    school = flags.school_for_flags(session, urn, by=by)
    row = flags.get_manual(session, school, flag_id, by=by)
    response.headers["ETag"] = etag(row.version)
    return manual_public(row)


@router.delete("/schools/{urn}/flags/{flag_id}", response_model=ManualFlagPublic,
               responses=problem_responses(403, 404, 409, 412, 428))
def withdraw_school_flag(urn: URNPath, flag_id: FlagId, session: SessionDep, by: CurrentPrincipal,
                         if_match: IfMatch, response: Response) -> dict:
    """Withdraw a manual flag or override. It is kept, marked `withdrawn_at`, so that what a clinic
    saw can be explained; withdrawing it again is 409. Send `If-Match`."""
    school = flags.school_for_flags(session, urn, by=by)
    row = flags.withdraw(session, school, flag_id, if_match=if_match, by=by)
    response.headers["ETag"] = etag(row.version)
    return manual_public(row)


@router.get("/flag-rules", response_model=FlagRuleList)
def list_flag_rules(session: SessionDep, by: CurrentPrincipal) -> dict:
    """Every red-flag rule with the partnership's settings: on or off, each threshold's value, type,
    default and bounds, and the version to send in If-Match when changing it."""
    return {"items": [rule_public(s) for s in flag_settings.list_rules(session, by=by)]}


@router.get("/flag-rules/{rule}", response_model=FlagRulePublic, responses=problem_responses(404))
def get_flag_rule(rule: RulePath, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """One rule's settings, with its ETag (\"0\" until the partnership first changes it)."""
    setting = flag_settings.get(session, rule, by=by)
    response.headers["ETag"] = etag(setting.version)
    return rule_public(setting)


@router.patch("/flag-rules/{rule}", response_model=FlagRulePublic,
              responses=problem_responses(400, 403, 404, 412, 428))
def update_flag_rule(rule: RulePath, data: FlagRuleUpdate, session: SessionDep, by: CurrentPrincipal,
                     if_match: IfMatch, response: Response) -> dict:
    """Switch a rule on or off, or set thresholds (only those sent change; null puts one back to its
    default). A threshold of the wrong type is 422 naming it (`thresholds.floor`). Send `If-Match`."""
    setting = flag_settings.update(session, rule, data, if_match=if_match, by=by)
    response.headers["ETag"] = etag(setting.version)
    return rule_public(setting)
