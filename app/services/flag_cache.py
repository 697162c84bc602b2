"""The order of a partnership's flagged schools, kept while nothing the red-flag rules read has
changed, so that paging through a large partnership's list does not work out every school's flags
again for each page.

Flags are still computed from current data on read: what is kept is each school's severities and
categories (enough to filter and sort), keyed by the partnership's flag stamp (app.models.flag:
moved by database triggers on every table the rules read, in the transaction that writes) and by
the day (some rules count days). A page then works out in full only the schools it shows. Any
change to the partnership's data moves the stamp, and the next read works everything out again.

Only read-only sessions use it (app.db.new_session(write=False): they see committed data only). A
session that writes could see a stamp its own uncommitted change moved, and keep an order that a
rollback would then leave standing for a later, different change.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from app.models.flag import FlagStamp

# Each partnership's entry is small (a 25,000-school partnership's about 10 MB), and a worker
# serves few partnerships' clinics at once.
MAX_PARTNERSHIPS = 32
_S = FlagStamp.__table__.c


@dataclass(frozen=True, slots=True)
class Summary:
    """A flagged school as the list sorts and filters it."""

    school_id: int
    name: str  # casefolded, as the list sorts
    flags: tuple[tuple[str, str], ...]  # (severity, category) of each of its flags


@dataclass(slots=True)
class Kept:
    """A partnership's kept flagged schools, and the orders worked out from them so far (the
    sorted sort keys, by the filters they were sorted for: at most MAX_ORDERS of them)."""

    summaries: list[Summary]
    orders: dict[tuple, list[tuple]]
    kept_at: float = 0.0

    def order(self, filters: tuple, work_out: Callable[[list[Summary]], list[tuple]]) -> list[tuple]:
        found = self.orders.get(filters)
        if found is None:
            found = work_out(self.summaries)
            if len(self.orders) < MAX_ORDERS:
                self.orders[filters] = found
        return found


MAX_ORDERS = 8
# A kept order is worked out afresh at least this often, whatever the stamp says: a backstop for
# what the stamp cannot see (a database restored to an earlier state under running workers, whose
# stamp may climb back to a value an order was kept for).
KEEP_FOR_SECONDS = 900.0
Key = tuple[int, date]
_entries: OrderedDict[int, tuple[Key, Kept]] = OrderedDict()
_lock = threading.Lock()


def summary_of(school_id: int, name: str, flags: Iterable) -> Summary:
    """What is kept of a flagged school: its id, its name as the list sorts it, each flag's
    severity and category (`flags`: the school's Flag objects)."""
    return Summary(school_id, name.casefold(), tuple([(f.severity, f.category) for f in flags]))


def usable(session: Session) -> bool:
    """Whether the session may use the cache: it reads committed data only."""
    return session.info.get("read_only") is True


def stamp(session: Session, partnership_id: int) -> int:
    """The partnership's flag stamp as the session sees it (0 before its first change)."""
    found = session.connection().execute(select(_S.changed).where(_S.partnership_id == partnership_id)).scalar()
    return int(found or 0)


def get(partnership_id: int, key: Key) -> Kept | None:
    with _lock:
        entry = _entries.get(partnership_id)
        if entry is None or entry[0] != key or time.monotonic() - entry[1].kept_at > KEEP_FOR_SECONDS:
            return None
        _entries.move_to_end(partnership_id)
        return entry[1]


def put(partnership_id: int, key: Key, summaries: list[Summary]) -> Kept | None:
    """Keep the schools worked out for `key`; what is kept, or None when a later stamp's is."""
    with _lock:
        held = _entries.get(partnership_id)
        if held is not None and held[0][0] > key[0] and time.monotonic() - held[1].kept_at <= KEEP_FOR_SECONDS:
            return None  # a later stamp's order is already kept
        kept = Kept(summaries, {}, time.monotonic())
        _entries[partnership_id] = (key, kept)
        _entries.move_to_end(partnership_id)
        while len(_entries) > MAX_PARTNERSHIPS:
            _entries.popitem(last=False)
        return kept


def clear() -> None:
    with _lock:
        _entries.clear()
