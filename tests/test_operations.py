"""Operations: the request log (one line per request, no secrets), request ids, GET /metrics (who may
read it, what it counts, several processes added up) and the logging setup `serve` uses."""

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from app import metrics, metrics_dir
from app.config import PROJECT_ROOT, Settings, get_settings
from app.logging_setup import TEXT_FORMAT, JsonFormatter
from app.request_log import UNMATCHED
from tests.web.conftest import sign_in

LOOPBACK = ("127.0.0.1", 50123)
METRICS_TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def requests_log(caplog):
    caplog.set_level(logging.INFO, logger="app.requests")
    return lambda: [r for r in caplog.records if r.name == "app.requests"]


def line(record: logging.LogRecord) -> dict:
    return json.loads(JsonFormatter().format(record))


def only(records: list[logging.LogRecord]) -> logging.LogRecord:
    assert len(records) == 1, [r.getMessage() for r in records]
    return records[0]


class TestRequestLog:
    def test_an_api_request_is_one_line_with_its_fields(self, api, world, requests_log):
        urn = world.our_school.urn
        response = api.get(f"/api/v1/schools/{urn}", headers={"X-Request-ID": "trace-0001-api"})
        assert response.status_code == 200
        fields = line(only(requests_log()))
        assert fields["request_id"] == "trace-0001-api" == response.headers["x-request-id"]
        assert fields["method"] == "GET"
        assert fields["path"] == "/api/v1/schools/{urn}"  # the template, not the school's URN
        assert fields["status"] == 200
        assert isinstance(fields["ms"], float) and fields["ms"] >= 0
        assert fields["partnership_id"] == world.ours.id
        assert fields["level"] == "INFO" and fields["logger"] == "app.requests"
        assert urn not in json.dumps(fields)

    def test_a_signed_in_page_names_the_partnership(self, client, world, requests_log, caplog):
        assert sign_in(client, world.officer.email).status_code == 303
        caplog.clear()
        assert client.get("/schools").status_code == 200
        fields = line(only(requests_log()))
        assert (fields["method"], fields["path"], fields["status"]) == ("GET", "/schools", 200)
        assert fields["partnership_id"] == world.ours.id

    def test_no_partnership_when_nobody_is_known(self, client, requests_log):
        assert client.get("/api/v1/schools").status_code == 401
        fields = line(only(requests_log()))
        assert fields["status"] == 401 and fields["partnership_id"] is None and fields["path"] == "/api/v1/schools"

    def test_a_generated_request_id_is_logged_as_sent(self, client, requests_log):
        response = client.get("/healthz", headers={"X-Request-ID": "no good\\id"})
        fields = line(only(requests_log()))
        assert fields["request_id"] == response.headers["x-request-id"] != "no good\\id"
        assert len(fields["request_id"]) >= 8

    def test_never_a_token_password_cookie_query_string_or_secret_path(self, client, world, requests_log):
        secrets = [world.write_token, "hunter2-password", "query-secret-value", "cookie-secret-value",
                   "calendar-key-secret-0123456789"]
        client.get("/api/v1/schools?token=query-secret-value&password=hunter2-password",
                   headers={"Authorization": f"Bearer {world.write_token}", "Cookie": "sp_session=cookie-secret-value"})
        client.post("/sign-in", data={"email": world.officer.email, "password": "hunter2-password"})
        client.get("/calendar/calendar-key-secret-0123456789.ics?password=hunter2-password")
        client.get("/password/calendar-key-secret-0123456789")
        client.get("/no/such/calendar-key-secret-0123456789")
        records = requests_log()
        assert len(records) == 5
        paths = [line(r)["path"] for r in records]
        assert paths == ["/api/v1/schools", "/sign-in", "/calendar/{key}.ics", "/password/{key}", UNMATCHED]
        text = logging.Formatter(TEXT_FORMAT)
        for record in records:
            for written in (JsonFormatter().format(record), text.format(record)):
                assert not [s for s in secrets if s in written], written

    def test_an_unhandled_error_is_one_line_with_status_500(self, app, requests_log, caplog):
        @app.get("/api/v1/explode/{key}", include_in_schema=False)
        def explode(key: str) -> None:
            raise RuntimeError("planted failure")

        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/api/v1/explode/secret-key-in-path", headers={"X-Request-ID": "trace-500-log"})
        assert response.status_code == 500
        fields = line(only(requests_log()))
        assert (fields["status"], fields["path"], fields["level"]) == (500, "/api/v1/explode/{key}", "WARNING")
        assert fields["request_id"] == "trace-500-log"
        # The error's own log (with the traceback) names the template too, and the request id.
        errors = [r for r in caplog.records if r.name == "app.errors"]
        assert errors and all("secret-key-in-path" not in r.getMessage() for r in errors)
        assert any("trace-500-log" in r.getMessage() for r in errors)


def samples(body: str, name: str) -> dict[tuple[str, str, str], float]:
    """{(method, path, status): value} of one sample name in a Prometheus text exposition."""
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name:
                found[(sample.labels["method"], sample.labels["path"], sample.labels["status"])] = sample.value
    return found


class TestMetrics:
    @pytest.fixture
    def local(self, app):
        with TestClient(app, base_url="https://testserver", client=LOOPBACK) as client:
            yield client

    @pytest.fixture
    def token_set(self, monkeypatch):
        monkeypatch.setenv("METRICS_TOKEN", METRICS_TOKEN)
        get_settings.cache_clear()
        yield
        monkeypatch.delenv("METRICS_TOKEN")
        get_settings.cache_clear()

    def test_requests_are_counted_and_timed_by_route_template(self, local, world):
        before = local.get("/metrics")
        assert before.status_code == 200
        assert before.headers["content-type"].startswith("text/plain")
        headers = {"Authorization": f"Bearer {world.read_token}"}
        for _ in range(3):
            assert local.get(f"/api/v1/schools/{world.our_school.urn}", headers=headers).status_code == 200
        assert local.get("/api/v1/schools/999999", headers=headers).status_code == 404
        after = local.get("/metrics").text

        def grew(name: str, key: tuple[str, str, str]) -> float:
            return samples(after, name).get(key, 0) - samples(before.text, name).get(key, 0)

        ok, missing = ("GET", "/api/v1/schools/{urn}", "200"), ("GET", "/api/v1/schools/{urn}", "404")
        assert grew("http_requests_total", ok) == 3
        assert grew("http_requests_total", missing) == 1
        assert grew("http_request_duration_seconds_count", ok) == 3
        assert grew("http_request_duration_seconds_sum", ok) > 0
        assert world.our_school.urn not in after
        buckets = [s for f in text_string_to_metric_families(after) for s in f.samples
                   if s.name == "http_request_duration_seconds_bucket" and s.labels["path"] == "/api/v1/schools/{urn}"
                   and s.labels["status"] == "200"]
        assert {b.labels["le"] for b in buckets} >= {"0.005", "0.1", "1.0", "+Inf"}

    def test_a_proxied_request_is_never_taken_for_a_local_one(self, local):
        """Through a proxy (or with FORWARDED_ALLOW_IPS=*, a client naming itself 127.0.0.1), the
        connection's loopback address says nothing about who asks."""
        for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
            assert local.get("/metrics", headers={header: "127.0.0.1"}).status_code == 404, header
        assert local.get("/metrics").status_code == 200

    def test_an_invented_method_is_labelled_other(self, local):
        local.request("BREW", "/api/v1/schools")
        exposed = local.get("/metrics").text
        assert 'method="OTHER"' in exposed and "BREW" not in exposed

    def test_a_remote_client_gets_404(self, client):
        response = client.get("/metrics")  # the test client's address is "testclient", not loopback
        assert response.status_code == 404
        assert "http_requests_total" not in response.text

    def test_the_token_lets_a_remote_client_in_when_set(self, client, token_set):
        assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
        assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}x"}).status_code == 404
        assert client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"}).status_code == 404
        assert client.get("/metrics").status_code == 404

    def test_without_the_setting_no_token_opens_it(self, client, world):
        assert get_settings().metrics_token is None
        assert client.get("/metrics", headers={"Authorization": f"Bearer {world.write_token}"}).status_code == 404
        assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404

    def test_loopback_addresses(self):
        assert all(metrics._loopback(host) for host in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"))
        assert not any(metrics._loopback(host) for host in ("10.0.0.1", "192.168.1.1", "::ffff:10.0.0.1",
                                                             "testclient", "", None))

    def test_not_in_the_api_schema(self, client):
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]


# A worker process: the request log's middleware around a small app (the whole app takes seconds to
# import on a busy machine, and adds nothing to what is tested here).
WORKER = textwrap.dedent("""
    import sys
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient
    from app import metrics
    from app.request_log import RequestLog
    assert metrics.multiprocess()
    app = Starlette(routes=[Route("/ping/{n}", lambda request: PlainTextResponse("pong"))])
    app.add_middleware(RequestLog)
    with TestClient(app) as client:
        for n in range(int(sys.argv[1])):
            assert client.get(f"/ping/{n}").status_code == 200
""")


def test_several_processes_counts_add_up(tmp_path, monkeypatch):
    """Two processes (as two workers) write into one PROMETHEUS_MULTIPROC_DIR; /metrics's exposition,
    in any process, shows their sum."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(n)], cwd=PROJECT_ROOT, env=env,
                                stderr=subprocess.PIPE, text=True) for n in (3, 4)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr
    assert len(list(folder.glob("*.db"))) >= 2  # one file (or more) per process

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    monkeypatch.setattr(metrics, "multiprocess", lambda: True)
    body = metrics.exposition().decode()
    key = ("GET", "/ping/{n}", "200")
    assert samples(body, "http_requests_total")[key] == 7
    assert samples(body, "http_request_duration_seconds_count")[key] == 7
    # The same as prometheus_client's own reading of the directory.
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    assert samples(generate_latest(registry).decode(), "http_requests_total")[key] == 7


class TestMetricsDirectory:
    def test_one_worker_and_none_given_keeps_figures_in_memory(self, monkeypatch):
        monkeypatch.delenv(metrics_dir.VARIABLE, raising=False)
        with metrics_dir.for_workers(1) as folder:
            assert folder is None and metrics_dir.VARIABLE not in os.environ

    def test_several_workers_get_a_fresh_directory_removed_afterwards(self, monkeypatch):
        monkeypatch.delenv(metrics_dir.VARIABLE, raising=False)
        with metrics_dir.for_workers(4) as folder:
            assert folder.is_dir() and os.environ[metrics_dir.VARIABLE] == str(folder)
            assert not list(folder.iterdir())
        assert not folder.exists() and metrics_dir.VARIABLE not in os.environ

    def test_the_operators_directory_is_emptied_of_earlier_runs(self, monkeypatch, tmp_path):
        given = tmp_path / "prom"
        given.mkdir()
        (given / "counter_123.db").write_bytes(b"stale")
        (given / "histogram_live_77.db").write_bytes(b"stale")
        (given / "keep.txt").write_text("not ours")
        (given / "app.db").write_bytes(b"an operator's database, in the wrong folder")
        monkeypatch.setenv(metrics_dir.VARIABLE, str(given))
        with metrics_dir.for_workers(2) as folder:
            assert folder == given and [p.name for p in given.glob("*.db")] == ["app.db"]
        assert given.is_dir() and (given / "keep.txt").exists() and (given / "app.db").exists()


class TestLoggingSetup:
    def test_log_format_defaults_to_text_in_development_and_json_elsewhere(self):
        secret = "a-real-secret-for-production-use"
        assert Settings(environment="development").logs_as == "text"
        assert Settings(environment="production", secret_key=secret).logs_as == "json"
        assert Settings(environment="production", secret_key=secret, log_format="text").logs_as == "text"
        with pytest.raises(ValueError, match="METRICS_TOKEN"):
            Settings(metrics_token="short")

    @pytest.mark.parametrize("fmt", ["json", "text"])
    def test_the_served_configuration_writes_one_line_per_event(self, fmt):
        """The dictConfig `serve` gives uvicorn, applied in a process of its own as a worker would."""
        script = textwrap.dedent(f"""
            import logging, logging.config
            from app.logging_setup import log_config
            logging.config.dictConfig(log_config({fmt!r}))
            logging.getLogger("app.requests").info("GET /healthz 200", extra={{"request_id": "r-12345678",
                                                                             "status": 200}})
            logging.getLogger("uvicorn.error").info("Started server process")
            logging.getLogger("uvicorn.access").info("GET /calendar/secret.ics?x=1 HTTP/1.1 200")
            try:
                raise ValueError("planted")
            except ValueError:
                logging.getLogger("app.errors").exception("unhandled error")
        """)
        done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        assert "secret.ics" not in done.stderr  # uvicorn's access log is silenced
        if fmt == "text":
            assert "INFO app.requests: GET /healthz 200" in done.stderr
            return
        entries = [json.loads(text) for text in done.stderr.splitlines()]
        assert [e["logger"] for e in entries] == ["app.requests", "uvicorn.error", "app.errors"]
        assert entries[0]["request_id"] == "r-12345678" and entries[0]["status"] == 200
        assert "ValueError: planted" in entries[2]["exception"] and entries[2]["level"] == "ERROR"


def test_readme_names_the_settings():
    readme = (Path(PROJECT_ROOT) / "README.md").read_text()
    assert "`METRICS_TOKEN`" in readme and "`LOG_FORMAT`" in readme


def test_gunicorn_settings_do_what_serve_does(monkeypatch):
    """app.gunicorn_conf (docs/operations.md), with a stand-in for gunicorn's server object."""
    from types import SimpleNamespace

    from app import gunicorn_conf

    assert gunicorn_conf.worker_class == "uvicorn_worker.UvicornWorker"
    assert gunicorn_conf.accesslog is None and gunicorn_conf.errorlog is None
    loggers = gunicorn_conf.logconfig_dict["loggers"]
    assert loggers["gunicorn.error"]["handlers"] == ["stderr"] and loggers["gunicorn.access"]["handlers"] == []
    monkeypatch.delenv(metrics_dir.VARIABLE, raising=False)
    server = SimpleNamespace(cfg=SimpleNamespace(workers=3))
    gunicorn_conf.on_starting(server)
    folder = Path(os.environ[metrics_dir.VARIABLE])
    assert folder.is_dir()
    gunicorn_conf.on_exit(server)
    assert not folder.exists() and metrics_dir.VARIABLE not in os.environ
