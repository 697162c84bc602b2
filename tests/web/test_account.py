"""Your own password in the browser, and the public page a one-time link opens."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import get_settings
from app.models.account import SecurityEvent
from app.services import accounts, people
from tests.factories import PASSWORD
from tests.web.conftest import csrf_from, sign_in

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def other_browser(app) -> TestClient:
    with TestClient(app, base_url="https://testserver") as c:
        c.headers["Accept"] = "text/html"
        yield c


def _change(client: TestClient, current: str, new: str, again: str | None = None):
    token = csrf_from(client.get("/account/password").text)
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                   "again": new if again is None else again, "csrf_token": token},
                       follow_redirects=False)


def _events(session, kind: str) -> list[SecurityEvent]:
    return list(session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)))


def test_any_signed_in_person_has_the_form(client, world):
    sign_in(client, world.viewer.email)
    page = client.get("/account/password")
    assert page.status_code == 200 and "<title>Change your password" in page.text
    assert 'autocomplete="current-password"' in page.text and 'autocomplete="new-password"' in page.text


def test_a_wrong_current_password_is_named_beside_its_field_and_no_password_is_echoed(signed_in, other_browser,
                                                                                    session, world):
    response = _change(signed_in, "not my password", NEW_PASSWORD)
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: Change your password" in html
    assert 'id="current_password-error"' in html and "Your current password is not right" in html
    assert 'aria-describedby="current_password-error"' in html
    assert "not my password" not in html and NEW_PASSWORD not in html
    assert html.count('value=""') >= 3
    assert sign_in(other_browser, world.officer.email).status_code == 303  # the password is unchanged
    assert _events(session, "password_changed") == []


def test_the_new_password_follows_the_one_rule_and_is_typed_twice(signed_in):
    short = _change(signed_in, PASSWORD, "too short")
    assert short.status_code == 422
    assert 'id="new_password-error"' in short.text
    assert f"Use at least {accounts.MIN_PASSWORD_LENGTH} characters" in short.text
    differs = _change(signed_in, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "?")
    assert differs.status_code == 422 and 'id="again-error"' in differs.text


def test_success_keeps_this_session_and_ends_the_others(signed_in, other_browser, session, world):
    assert sign_in(other_browser, world.officer.email).status_code == 303
    response = _change(signed_in, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/account/password"
    page = signed_in.get("/account/password", follow_redirects=False)
    assert page.status_code == 200 and "Your password has been changed" in page.text
    assert signed_in.get("/schools", follow_redirects=False).status_code == 200
    assert other_browser.get("/schools", follow_redirects=False).status_code == 303
    assert sign_in(other_browser, world.officer.email).status_code == 422
    assert sign_in(other_browser, world.officer.email, NEW_PASSWORD).status_code == 303
    [event] = _events(session, "password_changed")
    assert (event.user_id, event.email, event.partnership_id, event.client) == (
        world.officer.id, world.officer.email, world.ours.id, "testclient")


def test_the_password_pages_need_a_session(client):
    response = client.get("/account/password", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


class TestTheLinkPage:
    @pytest.fixture
    def key(self, session, world) -> str:
        by = accounts.principal_for(session, world.officer, world.ours.id)
        return people.make_link(session, user_id=world.viewer.id, by=by, client="192.0.2.1")[1]

    def test_is_public_but_csrf_checked(self, client, key):
        page = client.get(f"/password/{key}")
        assert page.status_code == 200
        assert '<meta name="referrer" content="no-referrer">' in page.text  # the key stays out of Referer
        refused = client.post(f"/password/{key}", data={"password": NEW_PASSWORD, "again": NEW_PASSWORD})
        assert refused.status_code == 403
        assert client.get(f"/password/{key}").status_code == 200  # not used up

    def test_a_refused_password_says_why_and_keeps_the_link(self, client, key):
        page = client.get(f"/password/{key}")
        response = client.post(f"/password/{key}", data={"password": "short", "again": "short",
                                                         "csrf_token": csrf_from(page.text)})
        assert response.status_code == 422
        assert "<title>Error: Choose your password" in response.text
        assert 'id="password-error"' in response.text and 'value="short"' not in response.text
        assert client.get(f"/password/{key}").status_code == 200

    def test_setting_it_signs_the_person_out_elsewhere_and_records_the_address(self, client, other_browser, session,
                                                                              world, key):
        assert sign_in(other_browser, world.viewer.email).status_code == 303
        page = client.get(f"/password/{key}")
        done = client.post(f"/password/{key}", data={"password": NEW_PASSWORD, "again": NEW_PASSWORD,
                                                     "csrf_token": csrf_from(page.text)}, follow_redirects=False)
        assert done.status_code == 303
        assert other_browser.get("/schools", follow_redirects=False).status_code == 303
        assert get_settings().session_cookie_name not in done.cookies
        [event] = _events(session, "password_set")
        assert (event.user_id, event.partnership_id, event.client) == (world.viewer.id, world.ours.id, "testclient")
