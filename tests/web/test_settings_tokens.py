"""API tokens in the browser: issued with the secret shown once, listed, revoked after a confirmation
(and then refused by the API at once); officers only."""

import re

import pytest
from sqlmodel import select

from app.db import all_tenants
from app.models.account import ApiToken, SecurityEvent
from tests import factories
from tests.web.conftest import csrf_from, sign_in

SECRET = re.compile(r'id="new-token"[^>]*?value="(sp_[^"]+)"|value="(sp_[^"]+)"[^>]*?id="new-token"', re.S)


def api_get(client, secret: str):
    """The real API, as an integration calls it (the browser's cookies go along, and change nothing)."""
    return client.get("/api/v1/schools", headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"})


def create(client, **fields):
    page = client.get("/settings/tokens")
    assert page.status_code == 200, page.text
    return client.post("/settings/tokens", data={"csrf_token": csrf_from(page.text), **fields})


def prefix_of(secret: str) -> str:
    """The visible part of a token ("sp_" and eight hex digits); the rest may hold underscores too."""
    return re.match(r"(sp_[0-9a-f]{8})_", secret).group(1)


def secret_in(html: str) -> str:
    found = SECRET.search(html)
    assert found, "the page shows the new token's secret"
    return found.group(1) or found.group(2)


def test_a_created_token_is_shown_once_and_works_on_the_api(signed_in, session, world):
    response = create(signed_in, name="Alliance MIS sync", scopes=["read", "write"])
    assert response.status_code == 201
    html = response.text
    secret = secret_in(html)
    # Readonly and selectable; the copy button is there, hidden until its script finds a clipboard.
    field = re.search(r'<input[^>]*id="new-token"[^>]*>', html, re.S).group(0)
    assert "readonly" in field and 'type="text"' in field
    button = re.search(r'<button type="button" class="([^"]*)"[^>]*data-copy-from="new-token"', html)
    assert button and "govuk-!-display-none" in button.group(1)
    assert '<script src="/static/js/copy.js" defer></script>' in html
    assert "onclick" not in html and "<script>" not in html, "no inline script (the CSP forbids it)"
    assert "sp_banner" not in response.headers.get("set-cookie", ""), "the secret rides in no cookie"

    assert api_get(signed_in, secret).status_code == 200

    listing = signed_in.get("/settings/tokens").text
    assert secret not in listing, "the secret is shown once"
    row = re.search(r"<tr[^>]*>\s*<td[^>]*>Alliance MIS sync</td>.*?</tr>", listing, re.S).group(0)
    prefix = prefix_of(secret)
    assert prefix in row and "read, write" in row and "Active" in row

    with all_tenants(session):
        stored = session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).one()
        assert stored.partnership_id == world.ours.id and stored.scopes == "read write"
        event = session.exec(select(SecurityEvent).where(SecurityEvent.token_prefix == prefix)).one()
    assert event.kind == "token_created" and event.client == "testclient", "the browser's address is recorded"


def test_a_read_only_token_cannot_write(signed_in, world):
    secret = secret_in(create(signed_in, name="Dashboard", scopes="read").text)
    assert api_get(signed_in, secret).status_code == 200
    response = signed_in.post("/api/v1/schools", json={"urn": "123456", "name": "X", "phase": "primary"},
                              headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"})
    assert response.status_code == 403


@pytest.mark.parametrize(("fields", "field", "kept"), [
    ({"name": "Alliance sync"}, "scopes", 'value="Alliance sync"'),
    ({"name": "   ", "scopes": "read"}, "name", 'value="read" checked'),
    ({"name": "x" * 101, "scopes": "write"}, "name", 'value="write" checked'),
    ({"name": "Sync", "scopes": "admin"}, "scopes", 'value="Sync"'),
])
def test_a_refused_token_says_why_beside_the_field_and_keeps_what_was_typed(signed_in, session, fields, field, kept):
    response = create(signed_in, **fields)
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: " in html
    assert re.search(rf'id="{field}-error"', html), f"the message is beside {field}"
    assert kept in html
    assert not SECRET.search(html)
    with all_tenants(session):
        assert not session.exec(select(ApiToken).where(ApiToken.name == fields["name"])).first()


def test_revoking_asks_first_then_the_api_refuses_the_token_at_once(signed_in, session, world):
    secret = secret_in(create(signed_in, name="Old sync", scopes="read").text)
    prefix = prefix_of(secret)
    assert api_get(signed_in, secret).status_code == 200
    signed_in.app.state.token_usage.flush()

    listing = signed_in.get("/settings/tokens").text
    assert f'href="/settings/tokens/{prefix}/revoke"' in listing
    confirm = signed_in.get(f"/settings/tokens/{prefix}/revoke")
    assert confirm.status_code == 200
    assert "Revoke ‘Old sync’?" in confirm.text and "stops working at once" in confirm.text
    assert api_get(signed_in, secret).status_code == 200, "asking is not revoking"

    done = signed_in.post(f"/settings/tokens/{prefix}/revoke", data={"csrf_token": csrf_from(confirm.text)},
                          follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/settings/tokens"
    refused = api_get(signed_in, secret)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]

    after = signed_in.get("/settings/tokens").text
    assert "Old sync’ (" in after and "revoked" in after, "the banner says so"
    row = re.search(r"<tr[^>]*>\s*<td[^>]*>Old sync</td>.*?</tr>", after, re.S).group(0)
    assert "Revoked" in row and "/revoke" not in row and "Never" not in row, "last used is shown"
    assert "no longer works" in signed_in.get(f"/settings/tokens/{prefix}/revoke").text


def test_another_partnerships_token_is_not_found(signed_in, session, world):
    with all_tenants(session):
        theirs = session.exec(select(ApiToken).where(ApiToken.partnership_id == world.theirs.id)).first()
    assert signed_in.get(f"/settings/tokens/{theirs.prefix}/revoke").status_code == 404
    page = signed_in.get("/settings/tokens")
    assert theirs.prefix not in page.text
    response = signed_in.post(f"/settings/tokens/{theirs.prefix}/revoke", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 404
    assert api_get(signed_in, world.their_token).status_code == 200


def test_a_viewer_is_refused_every_form(client, session, world):
    assert sign_in(client, world.viewer.email).status_code == 303
    prefix = prefix_of(world.write_token)
    csrf = csrf_from(client.get("/schools").text)
    for path in ("/settings/tokens", f"/settings/tokens/{prefix}/revoke"):
        page = client.get(path)
        assert page.status_code == 403 and "You cannot do that" in page.text, path
    made = client.post("/settings/tokens", data={"csrf_token": csrf, "name": "Mine", "scopes": "write"})
    assert made.status_code == 403 and "You cannot do that" in made.text
    revoked = client.post(f"/settings/tokens/{prefix}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 403
    assert api_get(client, world.write_token).status_code == 200, "still works"
    with all_tenants(session):
        assert not session.exec(select(ApiToken).where(ApiToken.name == "Mine")).first()


def test_the_list_needs_a_constant_number_of_statements(signed_in, session, world, count_statements):
    signed_in.get("/settings/tokens")
    with count_statements() as few:
        assert signed_in.get("/settings/tokens").status_code == 200
    for n in range(10):
        factories.make_token(session, world.ours, name=f"Integration {n}")
    with count_statements() as many:
        assert signed_in.get("/settings/tokens").status_code == 200
    assert many.count == few.count <= 4, few.statements
