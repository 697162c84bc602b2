"""The directory where several worker processes' metrics meet (PROMETHEUS_MULTIPROC_DIR).

Kept apart from app.metrics because it must run before prometheus_client is first imported:
prometheus_client chooses, once, at import, whether metrics live in memory or in that directory's
files, from the environment variable. Worker processes inherit the variable."""

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


# prometheus_client's own files in that directory (counter_<pid>.db, histogram_live_<pid>.db ...);
# nothing else there is touched, even if the operator pointed it at a folder that holds a database.
OWN_FILE = re.compile(r"(counter|gauge|histogram|summary)(_[a-z]+)*_\d+\.db")


def empty(folder: Path) -> None:
    """A run's figures start from nothing: the files of earlier runs' processes go."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        if OWN_FILE.fullmatch(stale.name):
            stale.unlink()


def prepare(workers: int) -> tuple[Path | None, bool]:
    """Before the workers start: the operator's PROMETHEUS_MULTIPROC_DIR emptied, or with several
    workers and none set, a new one made and named in the environment (the workers inherit it).
    One worker and none set: nothing, the figures stay in memory. Returns (the directory, made)."""
    given = os.environ.get(VARIABLE)
    if given:
        empty(Path(given))
        return Path(given), False
    if workers <= 1:
        return None, False
    folder = Path(tempfile.mkdtemp(prefix="sp-metrics-"))
    os.environ[VARIABLE] = str(folder)
    return folder, True


def release(folder: Path | None, made: bool) -> None:
    """After the server stops: the directory `prepare` made goes."""
    if made and folder is not None:
        os.environ.pop(VARIABLE, None)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def for_workers(workers: int) -> Iterator[Path | None]:
    """`prepare` for the block (the server's life), then `release`."""
    folder, made = prepare(workers)
    try:
        yield folder
    finally:
        release(folder, made)
