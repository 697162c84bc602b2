"""Web-face helpers: reading the CSRF token from a page and signing in as a browser would."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.factories import PASSWORD

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF_INPUT.search(html)
    assert found, "the page has no csrf_token field"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, *, next_url: str | None = None):
    """GET the form (for the CSRF cookie and token), then POST it; returns the POST's response."""
    page = client.get("/sign-in")
    data = {"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    if next_url:
        data["next"] = next_url
    return client.post("/sign-in", data=data, follow_redirects=False)


@pytest.fixture
def client(client: TestClient) -> TestClient:
    """The shared client, sending what a browser sends: it asks for HTML (errors then come as pages,
    not problem details). htmx requests ask for it too, through the page's hx-headers."""
    client.headers["Accept"] = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
    return client


@pytest.fixture
def signed_in(client, world) -> TestClient:
    """A browser signed in as the first partnership's officer."""
    response = sign_in(client, world.officer.email)
    assert response.status_code == 303, response.text
    return client
