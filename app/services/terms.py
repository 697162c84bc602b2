"""School terms, as the partnership's year runs: autumn from 1 September, spring from 1 January,
summer from 15 April (roughly after Easter) to 31 August. Visits are counted "this term" by these
dates; a partnership whose terms differ a little still sees each visit in the right term, since a
visit is booked well inside one."""

from dataclasses import dataclass
from datetime import date, timedelta

SUMMER_STARTS = (4, 15)


@dataclass(frozen=True)
class Term:
    name: str  # autumn, spring, summer
    start: date
    end: date  # the last day

    @property
    def label(self) -> str:
        """As people say it: "Autumn term 2026"."""
        return f"{self.name.capitalize()} term {self.start.year}"

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def term_of(day: date) -> Term:
    """The term `day` falls in."""
    summer = date(day.year, *SUMMER_STARTS)
    if day.month >= 9:
        return Term("autumn", date(day.year, 9, 1), date(day.year, 12, 31))
    if day >= summer:
        return Term("summer", summer, date(day.year, 8, 31))
    return Term("spring", date(day.year, 1, 1), summer - timedelta(days=1))
