"""Each red-flag rule's settings for a partnership: on or off, and its thresholds. The defaults are
in code (app.services.flag_rules); a `flag_rule_setting` row, once an officer changes a rule,
holds what they set. Versioned: a change names the version it read (If-Match); a rule never
changed is at version 0."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.errors import FieldError, NotFound, PreconditionFailed, ValidationFailed
from app.models.flag import FlagRuleSetting
from app.models.flag_api import FlagRuleUpdate
from app.services import concurrency, permissions
from app.services.concurrency import require_match
from app.services.flag_rules import RULES, Rule
from app.services.principal import Principal, bind


@dataclass(frozen=True)
class RuleSetting:
    """A rule as the partnership has it: `thresholds` are every threshold's value in force."""

    rule: Rule
    enabled: bool
    thresholds: dict[str, Any]
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def name(self) -> str:
        return self.rule.name


def in_force(rule: Rule, row: FlagRuleSetting | None) -> RuleSetting:
    """The rule's settings: what is stored where it is still a valid value, the default otherwise."""
    if row is None:
        return RuleSetting(rule, True, rule.defaults)
    values = rule.defaults
    for threshold in rule.thresholds:
        stored = (row.thresholds or {}).get(threshold.name)
        if stored is not None and threshold.problem(stored) is None:
            values[threshold.name] = threshold.coerce(stored)
    return RuleSetting(rule, row.enabled, values, row.version, row.updated_at, row.updated_by)


def all_in_force(session: Session) -> dict[str, RuleSetting]:
    """Every rule's settings for the session's partnership (one query)."""
    rows = {row.rule: row for row in session.scalars(select(FlagRuleSetting))}
    return {name: in_force(rule, rows.get(name)) for name, rule in RULES.items()}


def _rule(name: str) -> Rule:
    rule = RULES.get(name)
    if rule is None:
        raise NotFound(f"there is no flag rule called {name!r}")
    return rule


def list_rules(session: Session, *, by: Principal) -> list[RuleSetting]:
    """Every rule with the partnership's settings, in the order of the registry."""
    bind(session, by)
    by.require_read()
    return list(all_in_force(session).values())


def get(session: Session, name: str, *, by: Principal) -> RuleSetting:
    """One rule's settings, or 404 for a rule that does not exist."""
    bind(session, by)
    by.require_read()
    rule = _rule(name)
    return in_force(rule, session.scalars(select(FlagRuleSetting).where(FlagRuleSetting.rule == name)).first())


def check(rule: Rule, data: FlagRuleUpdate) -> dict[str, Any]:
    """The thresholds sent, each checked against the rule (422 naming `thresholds.<name>`)."""
    errors = []
    if "enabled" in data.model_fields_set and data.enabled is None:
        errors.append(FieldError("enabled", "say true or false"))
    values: dict[str, Any] = {}
    for name, value in (data.thresholds or {}).items():
        threshold = rule.threshold(name)
        if threshold is None:
            known = ", ".join(t.name for t in rule.thresholds) or "none"
            errors.append(FieldError(f"thresholds.{name}", f"the rule {rule.name} has no such threshold "
                                                           f"(its thresholds: {known})"))
        elif value is None:
            values[name] = None
        elif (problem := threshold.problem(value)) is not None:
            errors.append(FieldError(f"thresholds.{name}", problem))
        else:
            values[name] = threshold.coerce(value)
    if errors:
        raise ValidationFailed(errors)
    return values


def update(session: Session, name: str, data: FlagRuleUpdate, *, if_match: str | None,
           by: Principal) -> RuleSetting:
    """Switch a rule on or off or change its thresholds (an officer, with If-Match)."""
    bind(session, by)
    permissions.require_flag_manager(by)
    rule = _rule(name)
    row = session.scalars(select(FlagRuleSetting).where(FlagRuleSetting.rule == name)).first()
    require_match(if_match, row.version if row is not None else 0, what="flag rule")
    values = check(rule, data)
    if row is None:
        row = FlagRuleSetting(rule=name, enabled=True, thresholds={})
        session.add(row)
    if data.enabled is not None:
        row.enabled = data.enabled
    if values:
        stored = dict(row.thresholds or {})
        for key, value in values.items():
            if value is None:
                stored.pop(key, None)
            else:
                stored[key] = value
        row.thresholds = stored
    if row.id is None or session.is_modified(row):
        row.touch(by.label)
        try:
            with session.begin_nested():
                concurrency.flush(session, what="flag rule")
        except IntegrityError:
            # Another officer saved the rule's first change at the same moment.
            raise PreconditionFailed("the flag rule was changed by someone else at the same moment; read it "
                                     "again") from None
    return in_force(rule, row)
