"""Dependencies shared by both faces: the per-request session."""

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.db import release_pending_turn
from app.errors import ServiceUnavailable
from app.write_gate import Turn

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SessionFactory = Callable[..., Session]  # (write: bool, turn: Turn | None = None) -> Session


def open_session(request: Request, *, write: bool, turn: Turn | None = None) -> Session:
    factory: SessionFactory = request.app.state.session_factory
    return factory(write, turn) if turn is not None else factory(write)


class Slots:
    """Connections a request may hold, waited for on the event loop (first come, first served).

    A request holds its connection from its first query to its commit, across several turns in the
    server's worker threads. Were it to wait for a connection inside a thread, enough waiters would
    fill every thread, and the requests holding connections would find none to finish in. So a
    request takes a slot here first, and the pool (of the same size) never makes a thread wait."""

    def __init__(self, capacity: int, *, timeout: float) -> None:
        self.capacity, self.timeout = capacity, timeout
        self._by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._by_loop.get(loop)
        if semaphore is None:
            semaphore = self._by_loop[loop] = asyncio.Semaphore(self.capacity)
        return semaphore

    async def acquire(self) -> asyncio.Semaphore:
        semaphore = self._semaphore()
        if not semaphore.locked():  # a free slot: taken at once (wait_for would make a task to wait)
            await semaphore.acquire()
            return semaphore
        started = time.monotonic()
        try:
            await asyncio.wait_for(semaphore.acquire(), self.timeout)
        except TimeoutError:
            raise ServiceUnavailable(f"the service is busy (waited {time.monotonic() - started:.1f} s for a "
                                     "database connection); try again in a moment") from None
        return semaphore


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
        release_pending_turn(session)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the route succeeds, rolled back otherwise.

    A request that may write first waits, on the event loop, for its turn among the process's
    writers (SQLite; app.write_gate), and keeps it until its transaction ends; every other request
    waits there for a connection (Slots). No worker thread ever waits for either."""
    write = request.method not in SAFE_METHODS
    state = request.app.state
    turn = await state.write_gate.acquire_async() if write and state.write_gate is not None else None
    slot = None
    try:
        # The writer whose turn it is has a connection kept for it (the pool's last), so that it never
        # queues behind readers while every other writer waits for it.
        if state.connection_slots is not None and turn is None:
            slot = await state.connection_slots.acquire()
        session = open_session(request, write=write, turn=turn)
        try:
            yield session
        except BaseException:
            await run_in_threadpool(_end, session, commit=False)
            raise
        await run_in_threadpool(_end, session, commit=True)
    finally:
        if slot is not None:
            slot.release()
        if turn is not None:
            turn.release()  # if no transaction took it over (and released it at its end)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def password_check(request: Request) -> AsyncIterator[None]:
    """For routes that check or hash a password: wait on the event loop for one of a few places
    (app.main.PASSWORD_CHECKS_AT_ONCE), before the request's write turn. Such a request lets its turn
    go while argon2 runs and waits for it again in its worker thread (app.db.outside_transaction);
    bounding how many do so keeps the thread pool free for the turn's holder, and argon2's memory
    bounded, however many people sign in at once."""
    slots: Slots | None = getattr(request.app.state, "password_checks", None)
    if slots is None:
        yield
        return
    semaphore = await slots.acquire()
    try:
        yield
    finally:
        semaphore.release()


PasswordCheck = Depends(password_check, scope="function")
