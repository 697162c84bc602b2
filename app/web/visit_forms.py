"""The sections of a visit record as forms: which fields each holds, how what was typed becomes the
API's `VisitUpdate`, and how the service's messages (which number the lists it was sent) find the
rows on the page. The routes are in app.web.visits."""

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from app.errors import FieldError, ValidationFailed
from app.models.visit import MAX_HEADS, TriadVisit, VisitUpdate
from app.web.forms import ConflictRow, EditConflict, Form, as_text, parse

FINDINGS = ("strengths", "areas_for_development", "priorities_for_support", "grade")
LABELS = {
    "visit_date": "Date of the visit",
    "visiting_heads": "Visiting headteachers",
    "strengths": "Strengths",
    "areas_for_development": "Areas for development",
    "priorities_for_support": "Priorities for support",
    "grade": "Grade",
    "self_evaluation": "The school's self-evaluation",
    "peer_view": "The visiting headteachers' view",
}
SECTION_TITLES = {"details": "The visit", "areas": "Focus areas", "findings": "Findings and grade"}
TICKED = "yes"
_LISTED = re.compile(r"(visiting_heads|focus_areas)\.(\d+)(?:\.(\w+))?$")


@dataclass
class SectionForm:
    """A section's form and what the page needs to draw it: how many visiting-head rows, and the
    focus areas offered (the partnership's, and any the record already names)."""

    name: str
    form: Form
    head_rows: int = 0
    areas: tuple[str, ...] = ()
    # The page's row of each entry in the list sent (set by to_update), for `renamed`.
    positions: list[int] = field(default_factory=list)


def _head_rows(count: int) -> int:
    return min(max(count + 2, 3), MAX_HEADS)


def of_visit(section: str, visit: TriadVisit, areas: tuple[str, ...]) -> SectionForm:
    """The section's form filled from the stored record."""
    if section == "details":
        form = Form.of(visit, ("visit_date",))
        for i, head in enumerate(visit.visiting_heads):
            form.values[f"visiting_heads.{i}.name"] = head.get("name") or ""
            form.values[f"visiting_heads.{i}.urn"] = head.get("urn") or ""
        return SectionForm(section, form, head_rows=_head_rows(len(visit.visiting_heads)))
    if section == "areas":
        form = Form.of(visit, ())
        stored = {entry["area"].casefold(): entry for entry in visit.focus_areas}
        for j, area in enumerate(areas):
            entry = stored.get(area.casefold())
            if entry is not None:
                form.values |= {f"area.{j}.include": TICKED,
                                f"area.{j}.self_evaluation": entry.get("self_evaluation") or "",
                                f"area.{j}.peer_view": entry.get("peer_view") or ""}
        return SectionForm(section, form, areas=areas)
    return SectionForm(section, Form.of(visit, FINDINGS))


def _area_keys(count: int) -> list[str]:
    return [f"area.{j}.{part}" for j in range(count) for part in ("include", "self_evaluation", "peer_view")]


def _head_keys(data: Mapping[str, Any]) -> tuple[list[str], int]:
    """The visiting-head rows the page sent (every row it showed, blank ones too)."""
    indices = [int(m.group(2)) for key in data if (m := _LISTED.match(key)) and m.group(1) == "visiting_heads"]
    rows = min(max(indices, default=2) + 1, MAX_HEADS)
    return [f"visiting_heads.{i}.{part}" for i in range(rows) for part in ("name", "urn")], rows


def typed(section: str, data: Mapping[str, Any], areas: tuple[str, ...]) -> SectionForm:
    """The section's form as it was sent."""
    if section == "details":
        keys, rows = _head_keys(data)
        return SectionForm(section, Form.typed(data, ("visit_date", *keys)), head_rows=rows)
    if section == "areas":
        return SectionForm(section, Form.typed(data, _area_keys(len(areas))), areas=areas)
    return SectionForm(section, Form.typed(data, FINDINGS))


def _blank(value: Any) -> bool:
    return not (isinstance(value, str) and value.strip())


@contextmanager
def renamed(section: SectionForm) -> Iterator[None]:
    """Messages about the n-th entry of the list sent (`focus_areas.1.peer_view`), whether pydantic's
    or the service's, named by the row of the page it came from (`area.4.peer_view`)."""
    listed, row = {"details": ("visiting_heads", "visiting_heads"), "areas": ("focus_areas", "area")}.get(
        section.name, ("", ""))
    try:
        yield
    except ValidationFailed as exc:
        errors = []
        for error in exc.errors:
            m = _LISTED.match(error.field)
            if m and m.group(1) == listed and int(m.group(2)) < len(section.positions):
                part = m.group(3) or ""
                if listed == "focus_areas" and part in ("", "area"):
                    part = "include"
                errors.append(FieldError(f"{row}.{section.positions[int(m.group(2))]}.{part or 'name'}",
                                         error.message, error.location))
            else:
                errors.append(error)
        raise ValidationFailed(errors) from None


def to_update(section: SectionForm) -> VisitUpdate:
    """What was typed, as the API's model; 422 (inside `renamed`: naming the rows at fault)."""
    values = section.form.values
    if section.name == "details":
        heads, positions = [], []
        for i in range(section.head_rows):
            name, urn = values.get(f"visiting_heads.{i}.name", ""), values.get(f"visiting_heads.{i}.urn", "")
            if _blank(name) and _blank(urn):
                continue
            heads.append({"name": name, "urn": None if _blank(urn) else urn.strip()})
            positions.append(i)
        section.positions = positions
        return parse(VisitUpdate, section.form, ("visit_date",), extra={"visiting_heads": heads})
    if section.name == "areas":
        chosen, positions, errors = [], [], []
        for j, area in enumerate(section.areas):
            texts = {part: values.get(f"area.{j}.{part}", "") for part in ("self_evaluation", "peer_view")}
            if values.get(f"area.{j}.include") != TICKED:
                if not all(_blank(text) for text in texts.values()):
                    errors.append(FieldError(f"area.{j}.include", f"tick {area} to keep what you wrote about it, "
                                                                  "or clear its boxes"))
                continue
            chosen.append({"area": area} | {part: None if _blank(text) else text for part, text in texts.items()})
            positions.append(j)
        if errors:
            raise ValidationFailed(errors)
        section.positions = positions
        return parse(VisitUpdate, section.form, (), extra={"focus_areas": chosen})
    return parse(VisitUpdate, section.form, FINDINGS)


def _heads_text(heads: list[dict[str, Any]]) -> str:
    return "; ".join(f"{h['name']} ({h['urn']})" if h.get("urn") else h["name"] for h in heads)


def _grade_text(grade: Any, labels: list[str]) -> str:
    text = as_text(grade)
    if text.isdigit() and 1 <= int(text) <= len(labels):
        return f"{text} – {labels[int(text) - 1]}"
    return text


def conflict(section: SectionForm, visit: TriadVisit, labels: list[str]) -> None:
    """The section's save was stale: `visit` as stored now beside what was typed. The form keeps the
    typed values and takes the stored version, so saving again is saving over."""
    values = section.form.values
    rows: list[ConflictRow] = []
    if section.name == "details":
        typed_heads = [{"name": values.get(f"visiting_heads.{i}.name", "").strip(),
                        "urn": values.get(f"visiting_heads.{i}.urn", "").strip()} for i in range(section.head_rows)]
        rows = [ConflictRow("visit_date", LABELS["visit_date"], as_text(visit.visit_date),
                            values.get("visit_date", "")),
                ConflictRow("visiting_heads", LABELS["visiting_heads"], _heads_text(visit.visiting_heads),
                            _heads_text([h for h in typed_heads if h["name"] or h["urn"]]))]
    elif section.name == "areas":
        stored = {entry["area"].casefold(): entry for entry in visit.focus_areas}
        for j, area in enumerate(section.areas):
            entry = stored.get(area.casefold())
            ticked = values.get(f"area.{j}.include") == TICKED
            if entry is None and not ticked:
                continue
            for part in ("self_evaluation", "peer_view"):
                mine = values.get(f"area.{j}.{part}", "") if ticked else "(not looked at)"
                theirs = (entry.get(part) or "") if entry is not None else "(not looked at)"
                rows.append(ConflictRow(f"area.{j}.{part}", f"{area}: {LABELS[part].lower()}", theirs, mine))
    else:
        rows = [ConflictRow(name, LABELS[name], _grade_text(getattr(visit, name), labels) if name == "grade"
                            else as_text(getattr(visit, name)),
                            _grade_text(values.get(name, ""), labels) if name == "grade" else values.get(name, ""))
                for name in FINDINGS]
    section.form.stale = True
    section.form.conflict = EditConflict(visit.updated_by, visit.updated_at, visit.version, rows)
    section.form.values["version"] = str(visit.version)
