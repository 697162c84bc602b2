"""SQLite takes one writer at a time. Within one process, writers queue here, first come first
served, instead of spinning on SQLite's busy timeout (which is unfair and, past its timeout, fails
with "database is locked"). A writer that cannot get its turn before its deadline is told the
service is busy (503 with Retry-After), never left to fail inside its transaction.

A request waits for its turn on the event loop (`acquire_async`), before it takes a worker thread:
a request's work spans several threads of the server's pool (dependencies, the route, the commit),
and waiters parked in those threads would leave the turn's holder none to finish with. Code that
is already in a thread of its own (the command line, background jobs) waits with `acquire`.

Across processes there is no queue: a second process still meets busy_timeout. That is why a
SQLite deployment runs one worker, and PostgreSQL is the engine for several.
"""

import asyncio
import threading
import time
from collections import deque

from app.errors import ServiceUnavailable


class WriteBusy(ServiceUnavailable):
    def __init__(self, waited: float) -> None:
        super().__init__(f"the database is busy with other changes (waited {waited:.1f} s); try again in a moment",
                         retry_after=1)


class Turn:
    """One writer's turn. Released once, however many times it is let go; a transaction may take
    over a turn its request was given (`take`), so that it is released at that transaction's end."""

    def __init__(self, gate: "WriteGate") -> None:
        self._gate = gate
        self._lock = threading.Lock()
        self._taken = False
        self._released = False

    def take(self) -> bool:
        """Claim this (still held) turn for a transaction; False if it was already used or let go."""
        with self._lock:
            if self._taken or self._released:
                return False
            self._taken = True
            return True

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._gate._release()

    @property
    def released(self) -> bool:
        return self._released


class _Waiter:
    """Someone in the queue: a thread (an Event) or a coroutine (a future on its loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.granted = False
        self.loop = loop
        self.event = threading.Event() if loop is None else None
        self.future = loop.create_future() if loop is not None else None

    def grant(self) -> None:  # called with the gate's mutex held
        self.granted = True
        if self.event is not None:
            self.event.set()
        else:
            self.loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if not self.future.done():
            self.future.set_result(None)


class WriteGate:
    """A FIFO lock with a deadline: each waiter is handed the lock in the order it asked."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout  # how long a writer waits for its turn, unless told otherwise
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[_Waiter] = deque()

    def _take_or_queue(self, waiter: _Waiter) -> bool:
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            self._waiters.append(waiter)
            return False

    def _give_up(self, waiter: _Waiter) -> bool:
        """Leave the queue; True if the turn was handed over meanwhile (and so is ours after all)."""
        with self._mutex:
            if waiter.granted:
                return True
            self._waiters.remove(waiter)
            return False

    def acquire(self, timeout: float | None = None) -> Turn:
        """Wait in this thread for the turn (at most `timeout` seconds, else WriteBusy)."""
        timeout = self.timeout if timeout is None else timeout
        started = time.monotonic()
        waiter = _Waiter()
        if self._take_or_queue(waiter) or waiter.event.wait(timeout) or self._give_up(waiter):
            return Turn(self)
        raise WriteBusy(time.monotonic() - started)

    async def acquire_async(self, timeout: float | None = None) -> Turn:
        """Wait on the event loop for the turn (at most `timeout` seconds, else WriteBusy)."""
        timeout = self.timeout if timeout is None else timeout
        started = time.monotonic()
        waiter = _Waiter(asyncio.get_running_loop())
        if self._take_or_queue(waiter):
            return Turn(self)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        except TimeoutError:
            if self._give_up(waiter):
                return Turn(self)
            raise WriteBusy(time.monotonic() - started) from None
        except asyncio.CancelledError:  # the client went away while waiting
            if self._give_up(waiter):
                self._release()
            raise
        return Turn(self)

    def _release(self) -> None:
        with self._mutex:
            if self._waiters:
                # Hand over directly, so that no newcomer can slip in ahead of the queue.
                self._waiters.popleft().grant()
            else:
                self._held = False

    @property
    def queued(self) -> int:
        return len(self._waiters)
