"""Every route is authenticated unless it is on this visible list of public ones."""

import re

from fastapi.routing import APIRoute

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/metrics"),  # loopback clients, or METRICS_TOKEN; 404 for anyone else (app/metrics.py)
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),  # still CSRF-checked
    ("GET", "/password/{key}"),  # the one-time link is the credential
    ("POST", "/password/{key}"),  # still CSRF-checked
    ("GET", "/calendar/{key}.ics"),  # the secret in the address is the credential
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/"),  # a redirect to /schools, which needs a session
}


def concrete(path: str) -> str:
    return re.sub(r"\{urn\}", "100001", re.sub(r"\{[a-z_]+\}", "1", path))


def all_routes(routes, prefix: str = ""):
    """Every (path, methods) of the app, through included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route.methods
        elif hasattr(route, "include_context"):  # FastAPI keeps included routers as wrappers
            yield from all_routes(route.original_router.routes, prefix + route.include_context.prefix)


def test_every_non_public_route_refuses_anonymous_callers(client, world):
    checked = 0
    for path, methods in all_routes(client.app.routes):
        for method in methods - {"HEAD"}:
            if (method, path) in PUBLIC:
                continue
            response = client.request(method, concrete(path), follow_redirects=False)
            checked += 1
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path, response.status_code)
            elif method == "GET":
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/sign-in?next="), path
            else:
                # Browser writes are refused before anything else without this browser's CSRF token.
                assert response.status_code == 403, (method, path, response.status_code)
    assert checked >= 10
