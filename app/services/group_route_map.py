"""The partnership's route map for alliances (seed 004): its stages in order, which the partnership
edits; an alliance's stages reached are app.services.groups'. Without a stored row, the defaults."""

from sqlalchemy import select
from sqlmodel import Session

from app.errors import FieldError, ValidationFailed
from app.models.group import DEFAULT_ROUTE_MAP, GroupStage, RouteMap, SchoolGroup
from app.models.group_api import RouteMapUpdate
from app.services import concurrency, permissions
from app.services.concurrency import require_match
from app.services.principal import Principal, bind


def route_map(session: Session) -> list[str]:
    """The partnership's route map stages, in order (the defaults until it sets its own)."""
    stages = session.scalar(select(RouteMap.stages))
    return list(stages) if stages else list(DEFAULT_ROUTE_MAP)


def set_route_map(session: Session, data: RouteMapUpdate, *, if_match: str | None, by: Principal) -> RouteMap:
    """Set the partnership's route map (officers). A stage an alliance is at cannot be taken out;
    the stages in groups' histories stay as they were."""
    bind(session, by)
    permissions.require_manage(by, "the route map")
    stored = session.scalars(select(RouteMap)).first()
    if stored is not None:
        require_match(if_match, stored.version, what="route map")
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, stage in enumerate(data.stages):
        if stage.lower() in seen:
            errors.append(FieldError(f"stages.{i}", f"{stage!r} is listed twice"))
        seen.add(stage.lower())
    in_use = current_stages(session)
    for stage in sorted(set(in_use.values()) - set(data.stages)):
        named = ", ".join(sorted(name for name, at in in_use.items() if at == stage))
        errors.append(FieldError("stages", f"{stage!r} is the stage of {named}; keep it, or move them on first"))
    if errors:
        raise ValidationFailed(errors)
    if stored is None:
        stored = RouteMap(stages=list(data.stages), updated_by=by.label)
        session.add(stored)
    elif stored.stages != list(data.stages):
        stored.stages = list(data.stages)
        stored.touch(by.label)
    concurrency.flush(session, what="route map")
    return stored


def route_map_record(session: Session, *, by: Principal) -> RouteMap | None:
    """The partnership's stored route map (None while it uses the defaults)."""
    bind(session, by)
    by.require_read()
    return session.scalars(select(RouteMap)).first()


def current_stages(session: Session) -> dict[str, str]:
    """Each group's current stage, by the group's name (groups without a stage left out)."""
    rows = session.execute(select(SchoolGroup.name, GroupStage.stage)
                           .join(SchoolGroup, SchoolGroup.id == GroupStage.group_id)
                           .order_by(GroupStage.group_id, GroupStage.reached_on, GroupStage.id)).all()
    return {name: stage for name, stage in rows}
