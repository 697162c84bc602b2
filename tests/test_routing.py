"""app.routing.Router: a router declines at once a path none of its routes could match, and only such a path."""

import re
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from app.routing import Router

APP = Path(__file__).resolve().parent.parent / "app"


def _scope(path: str, method: str = "GET") -> dict:
    return {"type": "http", "path": path, "method": method, "root_path": "", "headers": [], "query_string": b""}


def _leaf() -> Router:
    router = Router(prefix="/schools")

    @router.get("")
    def listing() -> dict:
        return {"route": "list"}

    @router.get("/{urn}")
    def one(urn: str) -> dict:
        return {"route": "one", "urn": urn}

    @router.post("/{urn}/notes")
    def note(urn: str) -> dict:
        return {"route": "note", "urn": urn}

    return router


def _app() -> FastAPI:
    outer = Router(prefix="/api/v1")
    outer.include_router(_leaf())
    pages = Router()

    @pages.get("/schools/{urn}")
    def page(urn: str) -> dict:
        return {"route": "page", "urn": urn}

    app = FastAPI()
    app.include_router(outer)
    app.include_router(pages)
    return app


@pytest.mark.parametrize(("path", "method", "status", "body"), [
    ("/api/v1/schools", "GET", 200, {"route": "list"}),
    ("/api/v1/schools/100001", "GET", 200, {"route": "one", "urn": "100001"}),
    ("/api/v1/schools/100001/notes", "POST", 200, {"route": "note", "urn": "100001"}),
    ("/schools/100001", "GET", 200, {"route": "page", "urn": "100001"}),  # passed over by /api/v1, found after
    ("/api/v1/schools/100001/notes", "GET", 405, None),  # the path is a route's, the method is not
    ("/api/v1/triads", "GET", 404, None),
    ("/nothing/here", "GET", 404, None),
])
def test_requests_reach_the_route_they_did_before(path: str, method: str, status: int, body: dict | None) -> None:
    response = TestClient(_app()).request(method, path)
    assert response.status_code == status
    if body is not None:
        assert response.json() == body


def test_a_router_of_routes_declines_only_paths_none_of_them_could_end() -> None:
    router = _leaf()
    # Included under a prefix it does not know: a path that ends in one of its routes is asked about.
    assert router._path_filter().search("/api/v1/schools/123") is not None
    assert router._path_filter().search("/api/v1/schools") is not None


def test_a_declined_path_never_reaches_fastapis_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    monkeypatch.setattr(APIRouter, "matches", lambda self, scope: asked.append(scope["path"]) or (Match.NONE, {}))
    router = _leaf()
    for path in ("/api/v1/triads/7", "/api/v1/schools/7/other", "/schools/1", "/api/v1/schools/7/notes"):
        router.matches(_scope(path))
    assert asked == ["/schools/1", "/api/v1/schools/7/notes"]


def test_routes_added_later_are_found() -> None:
    router = _leaf()
    assert router._path_filter().search("/schools/1/extra") is None

    @router.get("/{urn}/extra")
    def extra(urn: str) -> dict:
        return {"route": "extra"}

    assert router._path_filter().search("/schools/1/extra") is not None
    app = FastAPI()
    app.include_router(router)
    assert TestClient(app).get("/schools/1/extra").json() == {"route": "extra"}


def test_a_router_of_routers_declines_paths_without_its_prefix() -> None:
    outer = Router(prefix="/api/v1")
    outer.include_router(_leaf())
    assert outer._path_filter() == "/api/v1"
    assert outer.matches(_scope("/schools/1")) == (Match.NONE, {})


def test_every_router_of_the_app_is_a_router_that_declines() -> None:
    """FastAPI's own APIRouter asks each of its routes about every request: none may be made in app/."""
    makers = [f"{path.relative_to(APP.parent)}:{n}" for path in APP.rglob("*.py") if path.name != "routing.py"
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"\bAPIRouter\(", line)]
    assert makers == []
