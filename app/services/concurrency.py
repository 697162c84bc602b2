"""Optimistic concurrency: ETags from row versions, and If-Match checked before a change."""

from sqlalchemy.orm.exc import StaleDataError

from app.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def require_match(if_match: str | None, current_version: int, *, what: str) -> None:
    """Refuse a change unless the caller proves it read the current version (RFC 9110 If-Match)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            f"send If-Match with the ETag of the {what} you read, so that no one's change is "
            "overwritten unseen"
        )
    tags = [t.strip() for t in if_match.split(",")]
    if "*" in tags:
        # "*" only says the record exists; it would let a stale copy overwrite someone's change.
        raise PreconditionRequired(
            f"If-Match: * is not accepted here: send the ETag of the {what} you read, so that a change "
            "made since then is not overwritten unseen"
        )
    if etag(current_version) in tags:
        return
    raise PreconditionFailed(
        f"the {what} has changed since you read it (it is now at version {current_version}); "
        "read it again and reapply your change"
    )


def flush(session, *, what: str) -> None:
    """Flush, turning a lost race (another writer got in first) into 412."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise PreconditionFailed(
            f"the {what} was changed by someone else at the same moment; read it again"
        ) from exc
