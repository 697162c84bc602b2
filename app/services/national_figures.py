"""National figures (England's persistent absence for 2024/25, say), which the red-flag rules compare
a school's figures against. Each partnership loads the ones it uses (app.services.indicators_bulk);
here they are read back."""

from dataclasses import dataclass

from sqlalchemy import Row, func, select
from sqlmodel import Session

from app.models.flag import NationalFigure
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind

DEFAULT_LIMIT = 50
SORT = "measure"  # by measure, each measure's figures in the order they were first loaded
_KEY = SortKey(SORT, NationalFigure.measure, False, str)
COLUMNS = (NationalFigure.id, NationalFigure.measure, NationalFigure.academic_year, NationalFigure.value,
           NationalFigure.source, NationalFigure.version, NationalFigure.updated_at, NationalFigure.updated_by)


@dataclass
class NationalFigurePage:
    rows: list[Row]
    total: int
    limit: int
    next_cursor: str | None


def page(session: Session, *, measure: str | None = None, academic_year: str | None = None,
         limit: int = DEFAULT_LIMIT, cursor: str | None = None, by: Principal) -> NationalFigurePage:
    """A page of the partnership's national figures, by measure, with the total that match."""
    bind(session, by)
    by.require_read()
    limit = clamp_limit(limit)
    after = decode_cursor(cursor, SORT, str) if cursor else None

    def filtered(stmt):  # noqa: ANN001, ANN202
        if measure:
            stmt = stmt.where(NationalFigure.measure == measure)
        if academic_year:
            stmt = stmt.where(NationalFigure.academic_year == academic_year)
        return stmt

    total = session.scalar(filtered(select(func.count(NationalFigure.id))))
    stmt = apply_keyset(filtered(select(*COLUMNS)), _KEY, NationalFigure.id, after).limit(limit + 1)
    rows = session.execute(stmt).all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(SORT, last.measure, last.id)
    return NationalFigurePage(rows[:limit], total or 0, limit, next_cursor)
