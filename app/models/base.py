"""What every table shares: the naming convention, UTC timestamps and the tenant column."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, TypeDecorator
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def created_at_field() -> datetime:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class TenantScoped(SQLModel):
    """Mixin for every table whose rows belong to one partnership (see app.db)."""

    partnership_id: int | None = Field(
        default=None, foreign_key="partnership.id", index=True, nullable=False, ondelete="CASCADE"
    )


def version_column() -> Column:
    """A row version for optimistic concurrency. Use it as both the field's sa_column and the
    mapper's version_id_col: every UPDATE then says WHERE version = <what was read>, so two
    editors can never silently overwrite each other."""
    return Column("version", Integer, nullable=False)


class Versioned(SQLModel):
    """Mixin for every record people edit: a row version for optimistic concurrency, and when the
    row was made and last changed, and by whom (a person's name, or "token abc123").

    The version is the mapper's version_id_col: every UPDATE says WHERE version = <what was read>,
    so two editors can never silently overwrite each other; the loser's flush raises StaleDataError."""

    version: int | None = Field(default=None, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_by: str | None = Field(default=None, max_length=200)

    @declared_attr
    def __mapper_args__(cls) -> dict:  # noqa: N805 (SQLAlchemy calls it on the class)
        return {"version_id_col": cls.__table__.c.version}

    def touch(self, by_label: str) -> None:
        """Say who changed the record, and when (the version moves on by itself at flush)."""
        self.updated_at = utcnow()
        self.updated_by = by_label
