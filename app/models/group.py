"""Groups of schools looked at together "as if they were one school" (seed 004, East Sussex's
alliance dashboards): an alliance, a trust, a collaborative, or any named set of schools.

An alliance is more than a list: it sets itself improvement targets, and it moves along the
partnership's route map (emerging, developing, established, leading by default), the date of
each stage kept. The API's shapes are in app.models.group_api."""

from datetime import date
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import AutoString, Field

from app.models.base import TenantScoped, Versioned


class GroupKind(StrEnum):
    alliance = "alliance"
    trust = "trust"
    collaborative = "collaborative"
    named = "named"  # any named set of schools


GROUP_KIND_WORDS = {
    "alliance": "Alliance",
    "trust": "Trust",
    "collaborative": "Collaborative",
    "named": "Named set of schools",
}

# The route map a partnership starts with (seed 004: "a route map whereby alliances could plot
# their development to more advanced and systematic partnerships"); the partnership may edit it.
DEFAULT_ROUTE_MAP = ["emerging", "developing", "established", "leading"]


class SchoolGroup(TenantScoped, Versioned, table=True):
    """A group of schools. `trust_name` and `collaborative_id` say where its members were taken
    from, when they were; the members themselves are listed in school_group_member."""

    __tablename__ = "school_group"
    __table_args__ = (
        UniqueConstraint("partnership_id", "name"),
        # The list is read in this index's order (by name, then id).
        Index("ix_school_group_partnership_name", "partnership_id", "name", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(sa_type=AutoString(length=20))
    description: str | None = Field(default=None, max_length=1000)
    trust_name: str | None = Field(default=None, max_length=200)
    collaborative_id: int | None = Field(default=None, foreign_key="collaborative.id", ondelete="SET NULL")


class SchoolGroupMember(TenantScoped, table=True):
    """A school's place in a group; a school may be in several groups."""

    __tablename__ = "school_group_member"
    __table_args__ = (
        UniqueConstraint("group_id", "school_id"),
        Index("ix_school_group_member_group", "partnership_id", "group_id"),
        Index("ix_school_group_member_school", "partnership_id", "school_id"),
    )
    __audit_parent__ = ("school_group", "group_id")

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="school_group.id", ondelete="CASCADE")
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")
    added_on: date = Field(default_factory=date.today)  # when the school joined the group


class GroupTarget(TenantScoped, Versioned, table=True):
    """An improvement target the group set itself: a measure, where it started, where it means to
    be by when, and the latest value (progress is worked out from these three)."""

    __tablename__ = "group_target"
    __table_args__ = (Index("ix_group_target_group", "partnership_id", "group_id", "id"),)
    __audit_parent__ = ("school_group", "group_id")

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="school_group.id", ondelete="CASCADE")
    measure: str = Field(max_length=200)
    baseline: float
    target: float
    target_on: date
    latest_value: float | None = None
    latest_on: date | None = None


class GroupStage(TenantScoped, Versioned, table=True):
    """A stage of the route map the group reached, and when. The latest one reached is the group's
    stage; the earlier ones are its history, kept."""

    __tablename__ = "group_stage"
    __table_args__ = (Index("ix_group_stage_group", "partnership_id", "group_id", "reached_on"),)
    __audit_parent__ = ("school_group", "group_id")

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="school_group.id", ondelete="CASCADE")
    stage: str = Field(max_length=60)
    reached_on: date
    note: str | None = Field(default=None, max_length=500)


class RouteMap(TenantScoped, Versioned, table=True):
    """The partnership's route map: its stages in order. Without a row, DEFAULT_ROUTE_MAP."""

    __tablename__ = "route_map"
    __table_args__ = (UniqueConstraint("partnership_id"),)

    id: int | None = Field(default=None, primary_key=True)
    stages: list[str] = Field(default_factory=lambda: list(DEFAULT_ROUTE_MAP), sa_column=Column(JSON, nullable=False))
