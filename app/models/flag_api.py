"""The red flags' API shapes: flags as computed, a page of flagged schools, the rules and their
thresholds, and manual flags (the tables are in app.models.flag)."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from app.models.flag import FlagCategory, ManualKind, Severity
from app.models.types import Bool, text

RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,59}$")]
Reason = text(1000, blank=False)
# A threshold's value: a number, true or false, or null (back to the rule's default). Which of
# these a threshold takes is the rule's (GET /flag-rules says); the service checks it and names the
# field (`thresholds.floor`).
ThresholdValues = Annotated[dict[str, Any], WithJsonSchema({
    "type": "object", "additionalProperties": {"anyOf": [{"type": "number"}, {"type": "boolean"}, {"type": "null"}]},
    "description": "Threshold name to value; null puts a threshold back to the rule's default."})]


class FlagPublic(BaseModel):
    rule: str
    severity: Severity
    category: FlagCategory
    reason: str
    evidence: dict[str, Any]
    manual_id: int | None = Field(description="The manual flag or override behind it, if any")


class FlaggedSchool(BaseModel):
    urn: str
    name: str
    phase: str
    la_category: str | None
    severity: Severity = Field(description="The worst of its flags")
    flags: list[FlagPublic]


class RedFlagPage(BaseModel):
    items: list[FlaggedSchool]
    total: int
    limit: int
    next_cursor: str | None


class ManualFlagPublic(BaseModel):
    id: int
    kind: ManualKind
    rule: str
    severity: Severity | None = Field(description="null: an override that sets the rule's flag aside")
    category: FlagCategory
    reason: str
    withdrawn_at: date | None
    created_at: datetime
    updated_by: str | None
    version: int


class SchoolFlags(BaseModel):
    urn: str
    name: str
    severity: Severity | None = Field(description="The worst of its flags; null when it has none")
    flags: list[FlagPublic]
    manual: list[ManualFlagPublic] = Field(description="Its manual flags and overrides, newest first, withdrawn "
                                                       "ones included")


class ThresholdPublic(BaseModel):
    name: str
    type: str = Field(description="number, integer or boolean")
    value: float | int | bool
    default: float | int | bool
    description: str
    minimum: float | None
    maximum: float | None


class FlagRulePublic(BaseModel):
    rule: str
    category: FlagCategory
    description: str
    enabled: bool
    thresholds: list[ThresholdPublic]
    version: int = Field(description="0 until the partnership first changes the rule (the ETag is \"0\")")
    updated_at: datetime | None
    updated_by: str | None


class FlagRuleList(BaseModel):
    items: list[FlagRulePublic] = Field(description="Every rule, in a fixed order")


class FlagRuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: Bool | None = None
    thresholds: ThresholdValues | None = None


class ManualFlagCreate(BaseModel):
    """An officer's flag (`kind` add: severity, category and reason) or override of a rule's flag
    (`kind` override: the rule, the severity it should have, or null to set it aside, and why)."""

    model_config = ConfigDict(extra="forbid")

    kind: ManualKind = ManualKind.add
    rule: RuleName | None = Field(default=None, description="The rule overridden (override only)")
    severity: Severity | None = Field(default=None, description="red or amber; for an override, null sets the "
                                                                "rule's flag aside")
    category: FlagCategory | None = Field(default=None, description="What the concern is about (add only)")
    reason: Reason
