"""What collaboratives and triads share: their schools, listed for a page of them at once."""

from collections.abc import Iterable

from sqlalchemy import Row, select
from sqlmodel import Session

from app.models.school import School


def schools_of(session: Session, link: type, owner_key: str, ids: Iterable[int]) -> dict[int, list[Row]]:
    """The schools (urn, name) of each owner in `ids`, by URN, through the link table `link` whose
    column `owner_key` names the owner: one query for a whole page."""
    ids = list(ids)
    found: dict[int, list[Row]] = {i: [] for i in ids}
    if not ids:
        return found
    owner = getattr(link, owner_key)
    rows = session.execute(
        select(owner.label("owner"), School.urn, School.name)
        .join(School, School.id == link.school_id).where(owner.in_(ids))
    ).all()
    for row in sorted(rows, key=lambda r: r.urn):
        found[row.owner].append(row)
    return found
