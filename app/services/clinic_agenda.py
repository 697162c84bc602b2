"""A clinic's agenda. Opening a clinic snapshots every red or amber school with its flags as they
stood, the schools whose LA category changed since the previous clinic or looks at risk, and what
changed since then (new and cleared flags, categories). Snapshots never change afterwards; the
officer reorders items and adds schools; explanations and minutes are written per item."""

from typing import Any

from sqlalchemy import bindparam, func, select
from sqlmodel import Session

from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models.clinic import AgendaItemKind, Clinic, ClinicAgendaItem, ClinicStatus
from app.models.clinic_api import AgendaAdd, AgendaItemUpdate
from app.models.school import School
from app.services import audit, concurrency, flags, partnerships, permissions
from app.services.clinics import get, previous_of, refuse_locked
from app.services.concurrency import require_match
from app.services.flag_types import Flag, ordered, worst
from app.services.principal import Principal

SEVERITY_RANK = {"red": 0, "amber": 1}


def _snapshot(school: Any, found: list[Flag]) -> dict[str, Any]:
    return {"urn": school.urn, "name": school.name, "la_category": school.la_category, "severity": worst(found),
            "flags": [f.as_dict() for f in ordered(found)]}


def baseline_of(schools: dict[int, Any], current: dict[int, list[Flag]]) -> dict[str, Any]:
    """What the next clinic compares with: each school's category and flag rules now."""
    return {"categories": {str(i): s.la_category for i, s in schools.items()},
            "flags": {str(i): sorted(f.rule for f in found) for i, found in current.items() if found}}


def _changes(schools: dict[int, Any], current: dict[int, list[Flag]], previous: Clinic | None,
             scheme: list[str]) -> dict[str, Any]:
    """What changed since `previous` opened: flags raised and cleared, LA categories changed."""
    result: dict[str, Any] = {"new_flags": [], "cleared_flags": [], "categories": [], "at_risk": []}
    worst_category = scheme[0] if scheme else None
    for school_id, found in current.items():
        school = schools.get(school_id)
        if school is not None and worst(found) == "red" and school.la_category != worst_category:
            result["at_risk"].append({"urn": school.urn, "name": school.name, "la_category": school.la_category})
    if previous is None or not previous.baseline:
        result["first"] = True
        return result
    before = previous.baseline
    for school_id, school in schools.items():
        key = str(school_id)
        now_rules = {f.rule: f for f in current.get(school_id, [])}
        then_rules = set(before["flags"].get(key, []))
        for rule in sorted(set(now_rules) - then_rules):
            flag = now_rules[rule]
            result["new_flags"].append({"urn": school.urn, "name": school.name, "rule": rule,
                                        "severity": flag.severity, "reason": flag.reason})
        for rule in sorted(then_rules - set(now_rules)):
            result["cleared_flags"].append({"urn": school.urn, "name": school.name, "rule": rule})
        if key in before["categories"] and before["categories"][key] != school.la_category:
            result["categories"].append({"urn": school.urn, "name": school.name,
                                         "before": before["categories"][key], "after": school.la_category})
    return result


def generate(session: Session, clinic: Clinic, *, by: Principal) -> list[ClinicAgendaItem]:
    """Make the agenda of a clinic being opened: red schools first, then amber (most red flags
    first, then by name), then those whose LA category changed or looks at risk. A fixed number of
    queries, whatever the number of schools."""
    current = {i: found for i, found in flags.current(session, by=by).items() if found}
    schools = {r.id: r for r in session.execute(select(School.id, School.urn, School.name, School.la_category))}
    previous = previous_of(session, clinic)
    scheme = list(partnerships.current(session, by=by).category_scheme)
    changes = _changes(schools, current, previous, scheme)

    flagged = [(i, found) for i, found in current.items() if i in schools and worst(found) in SEVERITY_RANK]
    flagged.sort(key=lambda item: (SEVERITY_RANK[worst(item[1])], -sum(f.severity == "red" for f in item[1]),
                                   schools[item[0]].name, schools[item[0]].urn))
    items = [ClinicAgendaItem(clinic_id=clinic.id, position=n, kind=AgendaItemKind.flagged.value, school_id=i,
                              severity=worst(found), snapshot=_snapshot(schools[i], found), updated_by=by.label)
             for n, (i, found) in enumerate(flagged, start=1)]
    on_agenda = {i for i, _ in flagged}
    moved = {c["urn"] for c in changes["categories"]} | {c["urn"] for c in changes["at_risk"]}
    for school in sorted((s for s in schools.values() if s.urn in moved and s.id not in on_agenda),
                         key=lambda s: (s.name, s.urn)):
        found = current.get(school.id, [])
        items.append(ClinicAgendaItem(clinic_id=clinic.id, position=len(items) + 1, kind=AgendaItemKind.category.value,
                                      school_id=school.id, severity=worst(found), snapshot=_snapshot(school, found),
                                      updated_by=by.label))
    session.add_all(items)
    clinic.previous_clinic_id = previous.id if previous else None
    clinic.changes = changes
    clinic.baseline = baseline_of(schools, current)
    session.flush()
    return items


def items_of(session: Session, clinic_ids: list[int]) -> dict[int, list[ClinicAgendaItem]]:
    """The agenda of each clinic, in order: one query."""
    found: dict[int, list[ClinicAgendaItem]] = {i: [] for i in clinic_ids}
    if clinic_ids:
        for item in session.scalars(select(ClinicAgendaItem).where(ClinicAgendaItem.clinic_id.in_(clinic_ids))
                                    .order_by(ClinicAgendaItem.clinic_id, ClinicAgendaItem.position,
                                              ClinicAgendaItem.id)):
            found[item.clinic_id].append(item)
    return found


def _matching(stmt, clinic_id: int, severity: str | None):  # noqa: ANN001, ANN202
    stmt = stmt.where(ClinicAgendaItem.clinic_id == clinic_id)
    return stmt.where(ClinicAgendaItem.severity == severity) if severity else stmt


def page_of(session: Session, clinic_id: int, *, severity: str | None = None, offset: int = 0,
            limit: int | None = None) -> list[ClinicAgendaItem]:
    """Some of a clinic's agenda in order, of one severity if given: one query, read in the order of
    an index (a region's clinic can hold hundreds of schools; a page shows a few)."""
    stmt = _matching(select(ClinicAgendaItem), clinic_id, severity).order_by(ClinicAgendaItem.position,
                                                                             ClinicAgendaItem.id)
    return list(session.scalars(stmt.offset(offset).limit(limit) if limit is not None else stmt.offset(offset)))


def severity_counts(session: Session, clinic_id: int) -> dict[str | None, int]:
    """How many items of each severity the agenda holds (None: no flag): one query."""
    return dict(session.execute(select(ClinicAgendaItem.severity, func.count(ClinicAgendaItem.id))
                                .where(ClinicAgendaItem.clinic_id == clinic_id)
                                .group_by(ClinicAgendaItem.severity)).all())


def place_of(session: Session, clinic_id: int, item_id: int, *, severity: str | None = None) -> int:
    """How many matching items come before `item_id` on the agenda (0 for the first, or if absent)."""
    position = session.scalar(select(ClinicAgendaItem.position).where(ClinicAgendaItem.id == item_id,
                                                                      ClinicAgendaItem.clinic_id == clinic_id))
    if position is None:
        return 0
    return session.scalar(_matching(select(func.count(ClinicAgendaItem.id)), clinic_id, severity)
                          .where(ClinicAgendaItem.position < position)) or 0


def item_of(session: Session, clinic: Clinic, item_id: int) -> ClinicAgendaItem:
    """One item of the clinic's agenda, or 404."""
    item = session.scalars(select(ClinicAgendaItem).where(ClinicAgendaItem.id == item_id,
                                                          ClinicAgendaItem.clinic_id == clinic.id)).first()
    if item is None:
        raise NotFound(f"no item {item_id} on clinic {clinic.id}'s agenda")
    return item


def _refuse_unopened(clinic: Clinic) -> None:
    if clinic.status == ClinicStatus.planned.value:
        raise Conflict("the agenda is made when the clinic opens: open it first (status in_session)",
                       errors=[FieldError("status", "the clinic is only planned")])


def add(session: Session, clinic_id: int, data: AgendaAdd, *, by: Principal) -> ClinicAgendaItem:
    """Put a school on an opened clinic's agenda (officers), with its flags as they stand now."""
    clinic = get(session, clinic_id, by=by, lock=True)
    permissions.require_manage(by, "a clinic's agenda")
    refuse_locked(clinic, "its agenda")
    _refuse_unopened(clinic)
    school = session.execute(select(School.id, School.urn, School.name, School.la_category)
                             .where(School.urn == data.urn)).first()
    if school is None:
        raise ValidationFailed([FieldError("urn", f"no school with URN {data.urn} in this partnership")])
    taken = session.scalar(select(ClinicAgendaItem.id).where(ClinicAgendaItem.clinic_id == clinic.id,
                                                            ClinicAgendaItem.school_id == school.id))
    if taken is not None:
        raise Conflict(f"{school.name} is on the agenda already (item {taken})",
                       errors=[FieldError("urn", "already on the agenda")])
    found = flags.current(session, by=by, school_ids=[school.id]).get(school.id, [])
    last = session.scalar(select(func.max(ClinicAgendaItem.position)).where(ClinicAgendaItem.clinic_id == clinic.id))
    item = ClinicAgendaItem(clinic_id=clinic.id, position=(last or 0) + 1, kind=AgendaItemKind.added.value,
                            school_id=school.id, severity=worst(found), snapshot=_snapshot(school, found),
                            explanation=data.explanation, updated_by=by.label)
    session.add(item)
    session.flush()
    return item


def update(session: Session, clinic_id: int, item_id: int, data: AgendaItemUpdate, *, if_match: str | None,
           by: Principal) -> ClinicAgendaItem:
    """Move an item (officers), or write its explanation or minutes (officers, chair, members)."""
    clinic = get(session, clinic_id, by=by, lock=True)
    item = item_of(session, clinic, item_id)
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    if "position" in changes:
        permissions.require_manage(by, "the order of a clinic's agenda")
    else:
        permissions.require_minute_taker(by)
    require_match(if_match, item.version, what="agenda item")
    refuse_locked(clinic, "its agenda")
    if changes.get("position", 0) is None:
        raise ValidationFailed([FieldError("position", "cannot be empty")])
    if "minutes" in changes and clinic.status == ClinicStatus.planned.value:
        raise Conflict("minutes are written once the clinic is in session",
                       errors=[FieldError("minutes", "the clinic has not met yet")])
    if "position" in changes:
        _move(session, clinic, item, changes.pop("position"), by=by)
    for name, value in changes.items():
        setattr(item, name, value)
    if session.is_modified(item):
        item.touch(by.label)
    concurrency.flush(session, what="agenda item")
    return item


def _move(session: Session, clinic: Clinic, item: ClinicAgendaItem, position: int, *, by: Principal) -> None:
    """Put `item` at `position` (1 is first; past the end is last). The others are renumbered in
    place without moving their versions: a colleague writing another item's minutes meanwhile is
    not told that their item changed (its place is not what they edit). Their moves are audited."""
    others = [i for i in items_of(session, [clinic.id])[clinic.id] if i.id != item.id]
    place = max(0, min(position - 1, len(others)))
    renumbered = []
    for n, each in enumerate([*others[:place], item, *others[place:]], start=1):
        if each is item:
            item.position = n
        elif each.position != n:
            renumbered.append((each.id, each.position, n))
    if not renumbered:
        return
    table = ClinicAgendaItem.__table__
    session.connection().execute(
        table.update().where(table.c.id == bindparam("item_id"), table.c.clinic_id == clinic.id,
                             table.c.partnership_id == clinic.partnership_id)
        .values(position=bindparam("new_position")),
        [{"item_id": i, "new_position": n} for i, _, n in renumbered])
    audit.record_bulk(session, {"clinic_agenda_item": [(i, "update", {"position": [was, n]})
                                                       for i, was, n in renumbered]}, by=by)
    for each in others:
        session.expire(each, ["position"])
