"""What a red flag is, as the rules raise it and the clinics keep it: shared by app.services.flags
(which computes them) and app.services.clinics (which snapshots them into an agenda)."""

from collections.abc import Callable, Iterable
from typing import Any

from app.models.flag import Severity

SEVERITY_ORDER = {Severity.red.value: 0, Severity.amber.value: 1}
Details = tuple[str, dict[str, Any]]


class Flag:
    """One reason to worry about one school.

    `reason` is plain words for a clinic chair ("Persistent absence 24.1% in 2024/25, above the
    partnership's 20% threshold"); `evidence` says which figure, from when, against what:
    {"measure", "value", "academic_year", "source", "threshold", "compared_with", "as_of", ...}.
    A manual flag or override carries the id of its `manual_flag` row and who set it why.

    A rule may give its words as `describe`, a function returning (reason, evidence), instead of
    the words themselves: they are then written the first time someone reads them. A large
    partnership's flags number tens of thousands and a page shows fifty schools' of them, while
    sorting, counting and filtering need only the rule, severity and category.
    """

    __slots__ = ("rule", "severity", "category", "manual_id", "_reason", "_evidence", "_describe")

    def __init__(self, rule: str, severity: str, category: str, reason: str | None = None,
                 evidence: dict[str, Any] | None = None, manual_id: int | None = None, *,
                 describe: Callable[[], Details] | None = None) -> None:
        if reason is None and describe is None:
            raise TypeError("a flag needs its reason, or a function that describes it")
        self.rule, self.severity, self.category, self.manual_id = rule, severity, category, manual_id
        self._reason, self._evidence = reason, evidence if evidence is not None else {}
        self._describe = describe if reason is None else None

    def _written(self) -> None:
        if self._describe is not None:
            self._reason, self._evidence = self._describe()
            self._describe = None

    @property
    def reason(self) -> str:
        self._written()
        return self._reason  # type: ignore[return-value]

    @property
    def evidence(self) -> dict[str, Any]:
        self._written()
        return self._evidence

    def replace(self, **changes: Any) -> "Flag":
        """A copy with some fields changed (its words written first)."""
        fields = {"rule": self.rule, "severity": self.severity, "category": self.category, "reason": self.reason,
                  "evidence": self.evidence, "manual_id": self.manual_id}
        return Flag(**(fields | changes))

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "category": self.category, "reason": self.reason,
                "evidence": self.evidence, "manual_id": self.manual_id}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Flag) and self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable words: as the frozen dataclass was not hashed either

    def __repr__(self) -> str:
        return f"Flag({self.rule!r}, {self.severity!r}, {self.category!r}, {self.reason!r})"


def worst(flags: Iterable[Flag]) -> str | None:
    """The most severe of `flags` (red before amber), or None for none."""
    found = [f.severity for f in flags]
    return min(found, key=SEVERITY_ORDER.__getitem__) if found else None


def _place(flag: Flag) -> tuple:
    return SEVERITY_ORDER[flag.severity], flag.category, flag.rule


def ordered(flags: Iterable[Flag]) -> list[Flag]:
    """Red first, then amber; by category and rule within each, so a list reads the same each time."""
    found = list(flags)
    if len(found) > 1:
        found.sort(key=_place)
    return found
