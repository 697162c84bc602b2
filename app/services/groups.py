"""Groups of schools: an alliance, a trust, a collaborative or any named set; listed, read, made,
changed and removed, with an alliance's improvement targets and its stages on the partnership's
route map. Officers and write tokens change groups (app.services.permissions.require_manage);
every member and read token reads them. Another partnership's group is 404.

The dashboard that shows a group "as if one school" is app.services.group_dashboard's; the route map
its stages are on is app.services.group_route_map's."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models.collaborative import Collaborative, CollaborativeSchool
from app.models.group import GroupKind, GroupStage, GroupTarget, SchoolGroup, SchoolGroupMember
from app.models.group_api import GroupCreate, GroupUpdate, StageIn, TargetIn
from app.models.school import School, SchoolStatus
from app.services import concurrency, group_members, permissions
from app.services.collaboratives import resolve_urns
from app.services.concurrency import require_match
from app.services.group_route_map import route_map
from app.services.paging import SortKey, apply_keyset, clamp_limit, decode_cursor, encode_cursor
from app.services.principal import Principal, bind

DEFAULT_LIMIT = 50
SORT = "name"
_KEY = SortKey(SORT, SchoolGroup.name, False, str)
WHAT = "group"


@dataclass
class Progress:
    percent: float | None
    status: str  # no_latest_value, met, in_progress, moved_away
    overdue: bool


def progress(target: GroupTarget, today: date | None = None) -> Progress:
    """How far the latest value has come from the baseline towards the target, in per cent. A
    target below its baseline (absence to come down) counts the same way: the sign takes care."""
    today = today or date.today()
    if target.latest_value is None:
        return Progress(None, "no_latest_value", target.target_on < today)
    span = target.target - target.baseline
    percent = round((target.latest_value - target.baseline) / span * 100, 1) if span else 100.0
    status = "met" if percent >= 100 else "moved_away" if percent < 0 else "in_progress"
    return Progress(percent, status, status != "met" and target.target_on < today)


@dataclass
class GroupView:
    """A group with its schools (urn, name; by URN), its targets, and its stages oldest first."""

    group: SchoolGroup
    schools: list[Row] = field(default_factory=list)
    targets: list[GroupTarget] = field(default_factory=list)
    stages: list[GroupStage] = field(default_factory=list)

    @property
    def current_stage(self) -> GroupStage | None:
        return self.stages[-1] if self.stages else None


@dataclass
class Page:
    items: list[GroupView]
    total: int
    limit: int
    next_cursor: str | None


# --- reading --------------------------------------------------------------------------------------


def views(session: Session, groups: list[SchoolGroup]) -> list[GroupView]:
    """The groups with their schools, targets and stages: three statements, whatever their number."""
    if not groups:
        return []
    ids = [g.id for g in groups]
    schools = group_members.schools_of(session, SchoolGroupMember, "group_id", ids)
    targets: dict[int, list[GroupTarget]] = {i: [] for i in ids}
    for target in session.scalars(select(GroupTarget).where(GroupTarget.group_id.in_(ids)).order_by(GroupTarget.id)):
        targets[target.group_id].append(target)
    stages: dict[int, list[GroupStage]] = {i: [] for i in ids}
    for stage in session.scalars(select(GroupStage).where(GroupStage.group_id.in_(ids))
                                 .order_by(GroupStage.reached_on, GroupStage.id)):
        stages[stage.group_id].append(stage)
    return [GroupView(g, schools[g.id], targets[g.id], stages[g.id]) for g in groups]


def page(session: Session, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None, by: Principal) -> Page:
    """A page of the partnership's groups by name, each with its schools, targets and stages: five
    statements whatever the page's size."""
    bind(session, by)
    by.require_read()
    limit = clamp_limit(limit)
    after = decode_cursor(cursor, SORT, str) if cursor else None
    total = session.scalar(select(func.count(SchoolGroup.id))) or 0
    found = list(session.scalars(apply_keyset(select(SchoolGroup), _KEY, SchoolGroup.id, after).limit(limit + 1)))
    next_cursor = encode_cursor(SORT, found[limit - 1].name, found[limit - 1].id) if len(found) > limit else None
    return Page(views(session, found[:limit]), total, limit, next_cursor)


def get(session: Session, group_id: int, *, by: Principal) -> SchoolGroup:
    """A group of the caller's partnership, or 404 (also for another partnership's)."""
    bind(session, by)
    by.require_read()
    # A query, not session.get: that would answer from the identity map, past the tenant filter.
    group = session.scalars(select(SchoolGroup).where(SchoolGroup.id == group_id)).first()
    if group is None:
        raise NotFound(f"no group {group_id} in this partnership")
    return group


def view(session: Session, group_id: int, *, by: Principal) -> GroupView:
    return views(session, [get(session, group_id, by=by)])[0]


def trust_names(session: Session, *, by: Principal) -> list[Row]:
    """The trusts the partnership's open schools belong to (trust_name, schools), by name: what an
    officer may make a group from."""
    bind(session, by)
    by.require_read()
    return list(session.execute(
        select(School.trust_name, func.count(School.id).label("schools"))
        .where(School.trust_name.is_not(None), School.trust_name != "", School.status != SchoolStatus.closed.value)
        .group_by(School.trust_name).order_by(School.trust_name)).all())


def collaboratives(session: Session, *, by: Principal) -> list[Row]:
    """The partnership's collaboratives (id, name, academic year), newest year first."""
    bind(session, by)
    by.require_read()
    return list(session.execute(select(Collaborative.id, Collaborative.name, Collaborative.academic_year)
                                .order_by(Collaborative.academic_year.desc(), Collaborative.name)).all())


# --- the rules ------------------------------------------------------------------------------------


def _trust_schools(session: Session, trust_name: str) -> list[int]:
    return list(session.scalars(select(School.id).where(School.trust_name == trust_name,
                                                        School.status != SchoolStatus.closed.value)
                                .order_by(School.urn)))


def _collaborative(session: Session, collaborative_id: int | None, errors: list[FieldError]) -> int | None:
    if collaborative_id is None:
        return None
    found = session.scalar(select(Collaborative.id).where(Collaborative.id == collaborative_id))
    if found is None:
        errors.append(FieldError("collaborative_id", f"no collaborative {collaborative_id} in this partnership"))
    return found


def _members_from(session: Session, *, kind: str, schools: list[str] | None, trust_name: str | None,
                  collaborative_id: int | None, errors: list[FieldError]) -> list[int]:
    """The school ids a new group starts with: those listed, else the trust's or the collaborative's."""
    if schools is not None:
        return [s.id for s in resolve_urns(session, schools, field="schools", errors=errors)]
    if kind == GroupKind.trust.value:
        if not trust_name:
            errors.append(FieldError("trust_name", "name the trust whose schools make the group, or list the schools"))
            return []
        found = _trust_schools(session, trust_name)
        if not found:
            errors.append(FieldError("trust_name",
                                     f"no open school in this partnership is in the trust {trust_name!r}"))
        return found
    if kind == GroupKind.collaborative.value:
        if collaborative_id is None:
            errors.append(FieldError("collaborative_id", "name the collaborative whose schools make the group, "
                                                         "or list the schools"))
            return []
        return list(session.scalars(select(CollaborativeSchool.school_id)
                                    .where(CollaborativeSchool.collaborative_id == collaborative_id)))
    return []


def _check_targets(targets: list[TargetIn], own: dict[int, GroupTarget], errors: list[FieldError]) -> None:
    for i, target in enumerate(targets):
        if target.id is not None and target.id not in own:
            errors.append(FieldError(f"targets.{i}.id", f"the group has no target {target.id}"))
        if target.target == target.baseline:
            errors.append(FieldError(f"targets.{i}.target", "the target must differ from the baseline"))
        if (target.latest_value is None) != (target.latest_on is None):
            name = "latest_on" if target.latest_value is not None else "latest_value"
            errors.append(FieldError(f"targets.{i}.{name}", "give the latest value with the date it was measured"))


def _check_stage(session: Session, stage: StageIn | None, kind: str, errors: list[FieldError]) -> None:
    if stage is None:
        return
    if kind != GroupKind.alliance.value:
        errors.append(FieldError("stage", "only an alliance has a stage on the route map"))
        return
    stages = route_map(session)
    if stage.stage not in stages:
        errors.append(FieldError("stage.stage", f"not a stage of the partnership's route map; use one of: "
                                                f"{', '.join(stages)}"))


def _refuse_taken_name(session: Session, name: str, own_id: int | None = None) -> None:
    stmt = select(SchoolGroup.id).where(SchoolGroup.name == name)
    if own_id is not None:
        stmt = stmt.where(SchoolGroup.id != own_id)
    if session.scalar(stmt.limit(1)) is not None:
        raise Conflict(f"there is already a group called {name!r}", errors=[FieldError("name", "already used")])


def _flush(session: Session) -> None:
    try:
        concurrency.flush(session, what=WHAT)
    except IntegrityError:
        raise Conflict("the group conflicts with a change made at the same moment (its name); read it again",
                       errors=[FieldError("name", "already used")]) from None


# --- changes --------------------------------------------------------------------------------------


def _target_values(target: TargetIn) -> dict[str, Any]:
    return target.model_dump(exclude={"id"})


def _set_targets(session: Session, group: SchoolGroup, wanted: list[TargetIn], own: dict[int, GroupTarget],
                 by: Principal) -> bool:
    """Make the group's targets those `wanted`; whether anything changed."""
    changed = False
    kept = {t.id for t in wanted if t.id is not None}
    for target_id, target in own.items():
        if target_id not in kept:
            session.delete(target)
            changed = True
    for item in wanted:
        if item.id is None:
            session.add(GroupTarget(group_id=group.id, updated_by=by.label, **_target_values(item)))
            changed = True
            continue
        target = own[item.id]
        for key, value in _target_values(item).items():
            setattr(target, key, value)
        if session.is_modified(target):
            target.touch(by.label)
            changed = True
    return changed


def _add_stage(session: Session, group: SchoolGroup, stage: StageIn | None, by: Principal) -> bool:
    if stage is None:
        return False
    same = session.scalar(select(GroupStage.id).where(GroupStage.group_id == group.id, GroupStage.stage == stage.stage,
                                                      GroupStage.reached_on == stage.reached_on).limit(1))
    if same is not None:
        return False
    session.add(GroupStage(group_id=group.id, stage=stage.stage, reached_on=stage.reached_on,
                           note=stage.note or None, updated_by=by.label))
    return True


def _add_members(session: Session, group: SchoolGroup, school_ids: Iterable[int]) -> None:
    for school_id in school_ids:
        session.add(SchoolGroupMember(group_id=group.id, school_id=school_id))


def create(session: Session, data: GroupCreate, *, by: Principal) -> GroupView:
    """Define a group (officers): its schools listed, or taken from a trust or a collaborative."""
    bind(session, by)
    permissions.require_manage(by, "groups")
    errors: list[FieldError] = []
    collaborative_id = _collaborative(session, data.collaborative_id, errors)
    school_ids = _members_from(session, kind=data.kind.value, schools=data.schools, trust_name=data.trust_name,
                               collaborative_id=collaborative_id, errors=errors)
    _check_targets(data.targets, {}, errors)
    for i, target in enumerate(data.targets):
        if target.id is not None:
            errors.append(FieldError(f"targets.{i}.id", "a new group has no targets yet to change"))
    _check_stage(session, data.stage, data.kind.value, errors)
    if errors:
        raise ValidationFailed(errors)
    _refuse_taken_name(session, data.name)
    group = SchoolGroup(name=data.name, kind=data.kind.value, description=data.description or None,
                        trust_name=data.trust_name, collaborative_id=data.collaborative_id, updated_by=by.label)
    session.add(group)
    _flush(session)
    _add_members(session, group, dict.fromkeys(school_ids))
    _set_targets(session, group, data.targets, {}, by)
    _add_stage(session, group, data.stage, by)
    _flush(session)
    return views(session, [group])[0]


def update(session: Session, group_id: int, data: GroupUpdate, *, if_match: str | None,
           by: Principal) -> GroupView:
    """Change a group (officers): fields, members, targets, a stage reached; refusing a stale copy."""
    group = get(session, group_id, by=by)
    permissions.require_manage(by, "groups")
    require_match(if_match, group.version, what=WHAT)
    sent = data.model_fields_set
    nulled = sorted(k for k in ("name", "kind", "schools", "targets") if k in sent and getattr(data, k) is None)
    if nulled:
        raise ValidationFailed([FieldError(k, "cannot be empty") for k in nulled])
    errors: list[FieldError] = []
    if "collaborative_id" in sent:
        _collaborative(session, data.collaborative_id, errors)
    kind = data.kind.value if data.kind is not None else group.kind
    wanted: list[int] | None = None
    if data.schools is not None:
        wanted = [s.id for s in resolve_urns(session, data.schools, field="schools", errors=errors)]
    own = {t.id: t for t in session.scalars(select(GroupTarget).where(GroupTarget.group_id == group.id))}
    if data.targets is not None:
        _check_targets(data.targets, own, errors)
    _check_stage(session, data.stage, kind, errors)
    if errors:
        raise ValidationFailed(errors)
    if data.name is not None and data.name != group.name:
        _refuse_taken_name(session, data.name, group.id)
    for key in ("name", "description", "trust_name", "collaborative_id"):
        if key in sent:
            value = getattr(data, key)
            setattr(group, key, value or None if key == "description" else value)
    if data.kind is not None:
        group.kind = data.kind.value
    changed = session.is_modified(group)
    if wanted is not None:
        current = {m.school_id: m for m in session.scalars(select(SchoolGroupMember)
                                                           .where(SchoolGroupMember.group_id == group.id))}
        for school_id, member in current.items():
            if school_id not in wanted:
                session.delete(member)
                changed = True
        added = [i for i in dict.fromkeys(wanted) if i not in current]
        _add_members(session, group, added)
        changed = changed or bool(added)
    if data.targets is not None:
        changed = _set_targets(session, group, data.targets, own, by) or changed
    changed = _add_stage(session, group, data.stage, by) or changed
    if changed:
        # Touched whatever changed, so that the group's ETag covers its members, targets and stages.
        group.touch(by.label)
        _flush(session)
    return views(session, [group])[0]


def delete(session: Session, group_id: int, *, if_match: str | None, by: Principal) -> None:
    """Remove a group with its members, targets and stages (officers)."""
    group = get(session, group_id, by=by)
    permissions.require_manage(by, "groups")
    require_match(if_match, group.version, what=WHAT)
    # One by one, not left to the database's cascade, so that each is audited.
    for model in (SchoolGroupMember, GroupTarget, GroupStage):
        for row in session.scalars(select(model).where(model.group_id == group.id)):
            session.delete(row)
    concurrency.flush(session, what=WHAT)
    session.delete(group)
    concurrency.flush(session, what=WHAT)
