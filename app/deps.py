"""Dependencies shared by both faces: the per-request session."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.db import unit_of_work

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SessionFactory = Callable[[bool], Session]


def open_session(request: Request, *, write: bool) -> Session:
    factory: SessionFactory = request.app.state.session_factory
    return factory(write)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route succeeds, rolled back otherwise."""
    with unit_of_work(open_session(request, write=request.method not in SAFE_METHODS)) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
