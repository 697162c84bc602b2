"""Red flags: the partnership's thresholds for each rule, flags an officer adds or overrides by
hand, the national figures that rules compare against, and review judgements (seed 002's annual
grading of each school, strand by strand).

Computed flags are never stored: app.services.flags works them out from current data on read. What
is stored here is what people decide."""

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import TenantScoped, Versioned


class Severity(StrEnum):
    red = "red"
    amber = "amber"


class FlagCategory(StrEnum):
    ofsted = "ofsted"
    standards = "standards"
    attendance = "attendance"
    finance = "finance"
    governance = "governance"
    leadership = "leadership"
    network = "network"
    manual = "manual"


class ManualKind(StrEnum):
    add = "add"  # a flag no rule raises
    override = "override"  # a computed flag's severity changed, or (severity null) set aside


class FlagRuleSetting(TenantScoped, Versioned, table=True):
    """One rule's settings for a partnership: on or off, and its thresholds (the rule's defaults,
    in app.services.flag_rules, apply to any threshold not named here)."""

    __tablename__ = "flag_rule_setting"
    __table_args__ = (UniqueConstraint("partnership_id", "rule"),)

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=60)
    enabled: bool = True
    thresholds: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ManualFlag(TenantScoped, Versioned, table=True):
    """A flag an officer raised by hand, or their override of a computed one, with the reason.
    Withdrawn rather than deleted, so that what a clinic saw can always be explained."""

    __tablename__ = "manual_flag"
    __table_args__ = (Index("ix_manual_flag_school", "partnership_id", "school_id", "withdrawn_at"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")
    kind: str = Field(max_length=10)  # ManualKind
    rule: str = Field(max_length=60)  # "manual" for an added flag; the overridden rule otherwise
    severity: str | None = Field(default=None, max_length=10)  # None: an override setting the flag aside
    category: str = Field(max_length=20)
    reason: str = Field(max_length=1000)
    withdrawn_at: date | None = None


class NationalFigure(TenantScoped, Versioned, table=True):
    """A national figure for a measure and year (e.g. persistent absence, England, 2024/25), which
    rules compare a school's against. Kept per partnership: each loads the figures it uses."""

    __tablename__ = "national_figure"
    __table_args__ = (UniqueConstraint("partnership_id", "measure", "academic_year", "source"),
                      # The list's order: by measure, then as loaded.
                      Index("ix_national_figure_order", "partnership_id", "measure", "id"))

    id: int | None = Field(default=None, primary_key=True)
    measure: str = Field(max_length=60)
    academic_year: str = Field(max_length=7)
    value: float
    source: str = Field(max_length=100)


class ReviewJudgement(TenantScoped, Versioned, table=True):
    """A school's grade on one strand at the year's first review meeting (1 best, 4 worst): the
    school's self-evaluation beside the partner's view. The partner's grade is the judgement."""

    __tablename__ = "review_judgement"
    __table_args__ = (UniqueConstraint("school_id", "academic_year", "strand"),
                      Index("ix_review_judgement_year", "partnership_id", "academic_year", "school_id"),
                      Index("ix_review_judgement_school", "school_id", "partnership_id"))  # one school's

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")
    academic_year: str = Field(max_length=7)
    strand: str = Field(max_length=60)
    self_grade: int | None = None
    partner_grade: int
    notes: str | None = Field(default=None, max_length=2000)


# The tables whose rows the red-flag rules read (app.services.flag_data), each with the column
# naming its partnership. A change to any of them moves the partnership's flag_stamp.
FLAG_INPUT_TABLES = {
    "school": "partnership_id", "inspection": "partnership_id", "indicator": "partnership_id",
    "national_figure": "partnership_id", "triad_visit": "partnership_id", "clinic_action": "partnership_id",
    "review_judgement": "partnership_id", "manual_flag": "partnership_id", "flag_rule_setting": "partnership_id",
    "partnership": "id", "action_plan": "partnership_id",
}


class FlagStamp(SQLModel, table=True):
    """How many times anything the red-flag rules read has changed, per partnership.

    Database triggers on every table of FLAG_INPUT_TABLES move it, in the transaction that makes
    the change, so no write path (ORM, Core bulk statements, imports, another worker) can forget
    to. app.services.flag_cache keeps a partnership's flag order while its stamp stands still.
    Not tenant-scoped: nothing in it is a partnership's data, and only the cache reads it, by id."""

    __tablename__ = "flag_stamp"

    partnership_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    changed: int = Field(default=0, sa_type=BigInteger)


class FlagStampPending(SQLModel, table=True):
    """PostgreSQL: the partnerships a transaction has changed the rules' inputs of, noted by its
    statements (an insert waits for nobody) and turned into a move of flag_stamp when it commits
    (a deferred constraint trigger), so that the stamp's row is locked only while committing.
    Empty outside a transaction; unused on SQLite. A transaction notes each partnership once, however
    many statements it runs (the index finds the note it already made), so that its commit settles
    one note per partnership, not one per statement (quadratic: 16,000 single-row inserts took 17 s
    to commit, a national import hours)."""

    __tablename__ = "flag_stamp_pending"
    __table_args__ = (Index("ix_flag_stamp_pending_partnership", "partnership_id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    partnership_id: int
