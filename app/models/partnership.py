"""The partnership: the tenant that owns every other record."""

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.base import Versioned

DEFAULT_CATEGORY_SCHEME = ["red", "amber", "green"]


class Partnership(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True, index=True)
    name: str = Field(max_length=200)
    la_code: str | None = Field(default=None, max_length=3)
    # The partnership's own LA category scheme, in order from most to least support needed,
    # e.g. ["red", "amber", "green"] or ["priority 1", "priority 2", "priority 3"].
    category_scheme: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CATEGORY_SCHEME), sa_column=Column(JSON, nullable=False)
    )
    current_academic_year: str = Field(max_length=7)


class PartnershipPublic(SQLModel):
    slug: str
    name: str
    la_code: str | None
    category_scheme: list[str]
    current_academic_year: str
