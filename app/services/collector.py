"""The garbage collector held off while a request makes a great many short-lived objects.

Reading a large partnership's figures and raising its flags makes a few hundred thousand objects
that live until the answer is sent. Each time they outnumber the older objects by a quarter, the
garbage collector sweeps the whole heap: at 25,000 schools that was half the time (3.4 s became
6-7 s). Nothing made here forms a cycle, so the collector waits until the work is done (the
whole partnership, or thousands of its schools; paused once however many requests do this at once).

Resuming it with those objects counted as new would sweep them all at once (0.5 s at 25,000
schools), though they are about to be freed by their reference counts as the answer is sent.
So what is alive when the last pause ends is frozen (gc.freeze: left out of the collector's
sweeps; freed as usual when its last reference goes) and the collector resumes with nothing new
to sweep. What was frozen is unfrozen, into the oldest generation, when the next pause begins
and LONGEST_PAUSE seconds after it was frozen whatever happens meanwhile (a timer), so a cycle
among it is collected in time as any other.

A caller says whether to pause: app.services.flags pauses for a whole partnership's flags, or
thousands of its schools'. The pause is process-wide and counted: overlapping requests pause it
once, and the last to finish resumes it.
"""

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LONGEST_PAUSE = 30.0
_collector: dict[str, Any] = {"pauses": 0, "was_enabled": True, "since": 0.0, "frozen_at": None}
_collector_lock = threading.Lock()


def _unfreeze_if_due(now: float, *, starting: bool) -> None:
    frozen_at = _collector["frozen_at"]
    if frozen_at is not None and (starting or now - frozen_at > LONGEST_PAUSE):
        gc.unfreeze()
        _collector["frozen_at"] = None


def _unfreeze_later() -> None:
    """Unfreeze LONGEST_PAUSE seconds from now even if nothing pauses the collector again (a worker
    that serves one large list and then only small pages)."""
    def due() -> None:
        with _collector_lock:
            if _collector["pauses"] == 0:
                _unfreeze_if_due(time.monotonic(), starting=True)
    timer = threading.Timer(LONGEST_PAUSE, due)
    timer.daemon = True
    timer.start()


@contextmanager
def paused(pause: bool) -> Iterator[None]:
    if not pause:
        with _collector_lock:
            _unfreeze_if_due(time.monotonic(), starting=False)
        yield
        return
    with _collector_lock:
        if _collector["pauses"] == 0:
            _unfreeze_if_due(time.monotonic(), starting=True)
            _collector["was_enabled"], _collector["since"] = gc.isenabled(), time.monotonic()
            gc.disable()
        _collector["pauses"] += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector["pauses"] -= 1
            last = _collector["pauses"] == 0
            if last and _collector["was_enabled"]:
                gc.freeze()
                _collector["frozen_at"] = time.monotonic()
                gc.enable()
                _unfreeze_later()
            overdue = not last and time.monotonic() - _collector["since"] > LONGEST_PAUSE
            if overdue:
                _collector["since"] = time.monotonic()
        if overdue:
            gc.collect()
