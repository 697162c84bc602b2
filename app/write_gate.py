"""SQLite takes one writer at a time. Within one process, writers queue here, first come first
served, instead of spinning on SQLite's busy timeout (which is unfair and, past its timeout, fails
with "database is locked"). A writer that cannot get its turn before its deadline is told the
service is busy (503 with Retry-After), never left to fail inside its transaction.

Across processes there is no queue: a second process still meets busy_timeout. That is why a
SQLite deployment runs one worker, and PostgreSQL is the engine for several.
"""

import threading
import time
from collections import deque

from app.errors import ServiceUnavailable


class WriteBusy(ServiceUnavailable):
    def __init__(self, waited: float) -> None:
        super().__init__(f"the database is busy with other changes (waited {waited:.1f} s); try again in a moment",
                         retry_after=1)


class WriteGate:
    """A FIFO lock with a deadline: each waiter is handed the lock in the order it asked."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> None:
        started = time.monotonic()
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ran out: it is ours
                return
            self._waiters.remove(turn)
        raise WriteBusy(time.monotonic() - started)

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                # Hand over directly, so that no newcomer can slip in ahead of the queue.
                self._waiters.popleft().set()
            else:
                self._held = False

    @property
    def queued(self) -> int:
        return len(self._waiters)
