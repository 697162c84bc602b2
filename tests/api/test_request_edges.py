"""What every request meets before and after its route: conditional-request rules, the body cap,
security headers, request ids, and the answers for a busy database and an unforeseen error."""

import threading

import pytest
from fastapi.testclient import TestClient

from app.errors import PROBLEM_JSON
from app.middleware import BodyLimit

SCHOOL = "/api/v1/schools/{urn}"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    return response.json()


class TestIfMatch:
    def test_star_is_refused_with_428_saying_why(self, api, world):
        body = problem(api.patch(SCHOOL.format(urn=world.our_school.urn), json={"pupils": 5},
                                 headers={"If-Match": "*"}), 428)
        assert "If-Match: *" in body["detail"] and "ETag" in body["detail"]
        assert api.get(SCHOOL.format(urn=world.our_school.urn)).json()["pupils"] != 5

    def test_star_among_tags_is_refused_too(self, api, world):
        problem(api.patch(SCHOOL.format(urn=world.our_school.urn), json={"pupils": 5},
                          headers={"If-Match": '"1", *'}), 428)

    def test_every_operation_answering_428_requires_if_match_in_openapi(self, client):
        paths = client.get("/openapi.json").json()["paths"]
        checked = set()
        for path, item in paths.items():
            for method, operation in item.items():
                if "428" not in operation.get("responses", {}):
                    continue
                header = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "If-Match"]
                assert header and header[0]["required"] is True, operation["operationId"]
                checked.add(f"{method.upper()} {path.removeprefix('/api/v1')}")
        # Every change or removal of a versioned record, and nothing else.
        versioned = ["/schools/{urn}", "/schools/{urn}/inspections/{inspection_id}",
                     "/schools/{urn}/indicators/{indicator_id}", "/visits/{visit_id}",
                     "/visits/{visit_id}/actions/{action_id}", "/collaboratives/{collaborative_id}",
                     "/triads/{triad_id}", "/clinics/{clinic_id}", "/action-plans/{plan_id}",
                     "/priorities/{priority_id}", "/plan-actions/{action_id}", "/success-measures/{measure_id}",
                     "/support-deployments/{deployment_id}", "/groups/{group_id}"]
        expected = {f"DELETE {p}" for p in versioned} | {
            f"{'PUT' if 'inspection' in p else 'PATCH'} {p}" for p in versioned}
        # Changed but never deleted (closed, reviewed or withdrawn instead), or removed but not changed.
        expected |= {"PATCH /clinics/{clinic_id}/agenda/{item_id}", "PATCH /actions/{action_id}",
                     "PATCH /targets/{target_id}", "PATCH /flag-rules/{rule}", "DELETE /schools/{urn}/flags/{flag_id}",
                 "PATCH /milestones/{milestone_id}"}
        assert checked == expected


class TestBodyLimit:
    def test_a_declared_large_body_is_refused_unread(self, api, world, monkeypatch):
        big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
        response = api.post("/api/v1/schools", content=big, headers={"Content-Type": "application/json"})
        body = problem(response, 413)
        assert "1,048,576 bytes" in body["detail"]

    def test_a_chunked_body_is_cut_off_at_the_limit(self, api, world):
        sent = []

        def chunks():
            for _ in range(40):
                sent.append(1)
                yield b" " * 65536

        response = api.post("/api/v1/schools", content=chunks(), headers={"Content-Type": "application/json"})
        problem(response, 413)

    def test_a_body_under_the_limit_is_read(self, api, world):
        response = api.post("/api/v1/schools", json={"urn": "612345", "name": "Larch School", "phase": "primary"})
        assert response.status_code == 201, response.text

    def test_an_upload_path_has_its_own_limit_for_signed_in_browsers_only(self):
        limit = BodyLimit(lambda *a: None, default=10, respond=None, limits={"/imports/gias": 50},
                          session_cookie="sp_session")

        def scope(path: str, cookie: str = "") -> dict:
            return {"path": path, "headers": [(b"cookie", cookie.encode())] if cookie else []}

        assert limit.limit_for(scope("/imports/gias", "sp_csrf=a; sp_session=b")) == 50
        assert limit.limit_for(scope("/imports/gias")) == 10, "no session: the ordinary limit"
        assert limit.limit_for(scope("/imports/gias", "sp_csrf=a")) == 10
        assert limit.limit_for(scope("/imports/gias/7/apply", "sp_session=b")) == 10, "that path only"
        assert limit.limit_for(scope("/api/v1", "sp_session=b")) == 10


class TestHeaders:
    COMMON = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}

    def check(self, response) -> None:
        for name, value in self.COMMON.items():
            assert response.headers[name] == value, name
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
        assert "script-src 'self' https://cdn.jsdelivr.net" in policy
        assert response.headers["cache-control"] == "no-store"
        assert len(response.headers["x-request-id"]) >= 8

    def test_api_answer(self, api, world):
        self.check(api.get("/api/v1/schools"))

    def test_api_error(self, client, world):
        self.check(client.get("/api/v1/schools"))  # 401

    def test_signed_in_page(self, client, world):
        from tests.web.conftest import sign_in

        sign_in(client, world.officer.email)
        response = client.get("/schools", headers={"Accept": "text/html"})
        assert response.status_code == 200
        self.check(response)

    def test_public_page_and_error_page(self, client, world):
        self.check(client.get("/sign-in"))
        self.check(client.get("/no-such-page", headers={"Accept": "text/html"}))

    def test_static_files_may_be_cached(self, client):
        response = client.get("/static/js/enhance.js")
        assert response.status_code == 200
        assert response.headers.get("cache-control") != "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"

    def test_hsts_outside_development(self, client):
        # The tests run as ENVIRONMENT=test: not development, so HSTS is sent.
        assert client.get("/sign-in").headers["strict-transport-security"].startswith("max-age=")

    def test_a_sane_request_id_is_kept(self, client):
        assert client.get("/sign-in", headers={"X-Request-ID": "abc12345-trace"}).headers["x-request-id"] == \
            "abc12345-trace"
        assert client.get("/sign-in", headers={"X-Request-ID": "bad id\\"}).headers["x-request-id"] != "bad id\\"


@pytest.fixture
def breaking_app(app):
    """The app with two routes that fail as no rule foresaw."""

    @app.get("/api/v1/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("planted failure")

    @app.get("/boom", include_in_schema=False)
    def boom_page() -> None:
        raise RuntimeError("planted failure")

    return app


class TestUnforeseenErrors:
    def test_api_gets_problem_json_500_with_request_id(self, breaking_app, caplog):
        with TestClient(breaking_app, base_url="https://testserver", raise_server_exceptions=False) as client:
            response = client.get("/api/v1/boom", headers={"X-Request-ID": "trace-500-api"})
        body = problem(response, 500)
        assert body["request_id"] == "trace-500-api" and "trace-500-api" in body["detail"]
        assert "planted failure" not in response.text
        assert any("trace-500-api" in r.getMessage() for r in caplog.records)
        TestHeaders().check(response)

    def test_browser_gets_the_error_page(self, breaking_app):
        with TestClient(breaking_app, base_url="https://testserver", raise_server_exceptions=False) as client:
            response = client.get("/boom", headers={"Accept": "text/html"})
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("text/html")
        assert "Internal Server Error" in response.text


class TestBusyDatabase:
    def test_a_write_that_cannot_get_its_turn_is_503_with_retry_after(self, fresh_database_url, monkeypatch):
        """On SQLite: while another writer holds the turn past the deadline, the API answers 503."""
        from alembic import command
        from sqlalchemy.engine import make_url

        from app.db import build_engine, new_session
        from app.main import create_app
        from tests import factories
        from tests.conftest import alembic_config

        if make_url(fresh_database_url).get_backend_name() != "sqlite":
            pytest.skip("the write queue is SQLite's; PostgreSQL takes writers side by side")
        command.upgrade(alembic_config(fresh_database_url), "head")
        engine = build_engine(fresh_database_url, write_wait_seconds=0.2)
        with new_session(write=True, engine=engine) as session:
            partnership = factories.make_partnership(session, slug="busy")
            factories.make_school(session, partnership, urn="300002")
            token = factories.make_token(session, partnership, "read write")
            session.commit()

        app = create_app(engine=engine)
        holding, release = threading.Event(), threading.Event()

        def long_writer() -> None:
            with new_session(write=True, engine=engine) as session:
                session.connection()  # BEGIN IMMEDIATE: this writer has the turn
                holding.set()
                release.wait(5)

        writer = threading.Thread(target=long_writer)
        writer.start()
        try:
            holding.wait(5)
            with TestClient(app, base_url="https://testserver") as client:
                client.headers["Authorization"] = f"Bearer {token}"
                busy = client.post("/api/v1/schools/300002/indicators",
                                   json={"measure": "absence", "academic_year": "2024/25", "value": 5.0,
                                         "source": "census"})
                reading = client.get("/api/v1/schools/300002")
                release.set()
                writer.join(5)
                after = client.post("/api/v1/schools/300002/indicators",
                                    json={"measure": "absence", "academic_year": "2024/25", "value": 5.0,
                                          "source": "census"})
        finally:
            release.set()
            writer.join(5)
            engine.dispose()
        body = problem(busy, 503)
        assert busy.headers["Retry-After"] == "1" and "busy" in body["detail"]
        assert reading.status_code == 200  # readers never wait for writers
        assert after.status_code == 201, after.text


class TestDatabaseDown:
    def test_api_and_pages_answer_503_with_retry_after(self, tmp_path):
        from app.db import build_engine, new_session
        from app.main import create_app

        engine = build_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'app.db'}")  # cannot be opened
        app = create_app(session_factory=lambda write: new_session(write=write, engine=engine))
        with TestClient(app, base_url="https://testserver") as client:
            api = client.get("/api/v1/schools", headers={"Authorization": "Bearer sp_whatever_token"})
            client.cookies.set("sp_session", "a-session-key-to-look-up")
            page = client.get("/schools", headers={"Accept": "text/html"}, follow_redirects=False)
        body = problem(api, 503)
        assert api.headers["Retry-After"] == "2" and "unavailable" in body["detail"]
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert page.headers["Retry-After"] == "2"
        engine.dispose()


class TestProbeFindings:
    """Inputs an outside probe found answered 500; each must be a 4xx naming what is wrong."""

    @pytest.mark.parametrize("when", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
    def test_updated_since_outside_utc_is_422(self, api, world, when):
        body = problem(api.get("/api/v1/schools", params={"updated_since": when}), 422)
        assert [e["field"] for e in body["errors"]] == ["updated_since"]

    @pytest.mark.parametrize("raw", [b"\xff\xfe{", b"[" * 100_000])
    def test_unparsable_bodies_are_400_naming_the_body(self, api, world, raw):
        response = api.patch(f"/api/v1/schools/{world.our_school.urn}", content=raw,
                             headers={"Content-Type": "application/json", "If-Match": '"1"'})
        body = problem(response, 400)
        assert body["errors"] == [{"field": "body", "location": "body", "message": "not valid JSON"}]

    @pytest.mark.parametrize("value", ["²", "١٢", "1" * 5000, "0"])
    def test_page_numbers_must_be_plain_digits(self, client, world, value):
        from tests.web.conftest import sign_in

        sign_in(client, world.officer.email)
        for name in ("page", "limit"):
            response = client.get("/schools", params={name: value}, headers={"Accept": "text/html"})
            assert response.status_code == 400, (name, value)

    def test_switching_to_an_impossible_partnership_is_404(self, client, world):
        from tests.web.conftest import csrf_from, sign_in

        sign_in(client, world.officer.email)
        token = csrf_from(client.get("/schools", headers={"Accept": "text/html"}).text)
        response = client.post("/partnership", data={"partnership_id": "9" * 20, "csrf_token": token},
                               headers={"Accept": "text/html"}, follow_redirects=False)
        assert response.status_code == 404
