"""What the HTTP benchmarks share: servers started on a free port and stopped by their PID, the
generated data's tokens, and a description of the machine the figures were measured on."""

import json
import math
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def can_pin() -> bool:
    """Server on CPU 0, load on CPU 1: only where there are two CPUs and taskset."""
    return cpus() >= 2 and shutil.which("taskset") is not None


def pin_this_process(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


class Server:
    """A server process of ours: started on a free port, waited for, stopped by its PID only."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], port: int, cpu: int | None = None,
                 log: Path | None = None) -> None:
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        if cpu is not None and can_pin():
            command = ["taskset", "-c", str(cpu), *command]  # taskset execs the command: same PID
        self.log = log or RESULTS / f"{name}.log.tmp"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 60.0, path: str = "/") -> None:
        """Until the server answers anything over HTTP (or fail with its log)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            try:
                httpx.get(self.url + path, timeout=2.0)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to our process (uvicorn stops its own workers), SIGKILL to it if it lingers."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log_file.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, **extra}
    env.setdefault("ENVIRONMENT", "development")
    return env


def project_server(database_url: str, *, workers: int = 1, cpu: int | None = None, env: dict | None = None,
                   name: str = "project", log: Path | None = None) -> Server:
    """`python -m app serve` on a free port (the environment's DATABASE_URL replaced by this one)."""
    port = free_port()
    command = [PYTHON, "-m", "app", "serve", "--port", str(port), "--workers", str(workers)]
    env = {**(env or server_env(database_url)), "DATABASE_URL": database_url}
    return Server(name, command, env=env, port=port, cpu=cpu, log=log)


def raw_server(database_url: str, *, cpu: int | None = None) -> Server:
    port = free_port()
    command = [PYTHON, str(ROOT / "bench" / "raw_app.py"), "--database-url", database_url, "--port", str(port)]
    return Server("raw", command, env=server_env(database_url), port=port, cpu=cpu)


def tokens_file_for(database_url: str) -> Path:
    sys.path.insert(0, str(ROOT))
    from app.services.generate import default_tokens_file

    return default_tokens_file(database_url)


def load_tokens(path: Path) -> dict:
    if not path.is_file():
        raise SystemExit(f"no {path}: generate the data first, e.g.\n"
                         f"  DATABASE_URL=... .venv/bin/python -m app migrate\n"
                         f"  DATABASE_URL=... .venv/bin/python -m app generate --scale national")
    return json.loads(path.read_text(encoding="utf-8"))


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict:
    """Where and with what the figures were measured; other work on the machine slows every
    figure, and the load averages say how much there was."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "cpus": cpus(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "commit": commit.stdout.strip() or None,
        "versions": {p: _version(p) for p in ("fastapi", "starlette", "uvicorn", "sqlalchemy", "sqlmodel", "pydantic",
                                              "psycopg", "httpx", "orjson", "uvloop", "httptools")},
    }


def write_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share in 0..1) of the values, or None if there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]
