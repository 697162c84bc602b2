"""Through a real server (uvicorn, httptools): after an unforeseen error, the same keep-alive
connection serves the next request."""

import socket
import threading
import time

import pytest
import uvicorn
from alembic import command

from app.db import build_engine
from app.main import create_app
from tests.conftest import alembic_config


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live_url(fresh_database_url):
    command.upgrade(alembic_config(fresh_database_url), "head")
    engine = build_engine(fresh_database_url)
    app = create_app(engine=engine)

    @app.get("/api/v1/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("planted failure")

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                                           http="httptools", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(10)
    engine.dispose()


def _exchange(sock: socket.socket, path: str) -> tuple[int, dict[str, str], bytes]:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\nAccept: application/json\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-answer"
        body += chunk
    return int(lines[0].split()[1]), headers, body


def test_the_connection_survives_a_500(live_url):
    with socket.create_connection(live_url, timeout=10) as sock:
        status, headers, body = _exchange(sock, "/api/v1/boom")
        assert status == 500 and headers["content-type"].startswith("application/problem+json")
        assert b"request_id" in body and headers.get("connection", "").lower() != "close"
        status, _, _ = _exchange(sock, "/healthz")  # same socket
        assert status == 200
        status, _, _ = _exchange(sock, "/api/v1/schools")  # and again: 401 problem, not a dead line
        assert status == 401
