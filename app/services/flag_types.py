"""What a red flag is, as the rules raise it and the clinics keep it: shared by app.services.flags
(which computes them) and app.services.clinics (which snapshots them into an agenda)."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from app.models.flag import Severity

SEVERITY_ORDER = {Severity.red.value: 0, Severity.amber.value: 1}


@dataclass(frozen=True)
class Flag:
    """One reason to worry about one school.

    `reason` is plain words for a clinic chair ("Persistent absence 24.1% in 2024/25, above the
    partnership's 20% threshold"); `evidence` says which figure, from when, against what:
    {"measure", "value", "academic_year", "source", "threshold", "compared_with", "as_of", ...}.
    A manual flag or override carries the id of its `manual_flag` row and who set it why."""

    rule: str
    severity: str  # Severity
    category: str  # FlagCategory
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    manual_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def worst(flags: Iterable[Flag]) -> str | None:
    """The most severe of `flags` (red before amber), or None for none."""
    found = [f.severity for f in flags]
    return min(found, key=SEVERITY_ORDER.__getitem__) if found else None


def ordered(flags: Iterable[Flag]) -> list[Flag]:
    """Red first, then amber; by category and rule within each, so a list reads the same each time."""
    return sorted(flags, key=lambda f: (SEVERITY_ORDER[f.severity], f.category, f.rule))
