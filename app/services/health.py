"""Is the database answering?"""

from sqlalchemy import text
from sqlmodel import Session


def database_problem(session: Session) -> str | None:
    """None when one round trip to the database succeeds, else the kind of failure."""
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001  (any failure at all means unhealthy)
        return type(exc).__name__
    return None
