"""The people page in the browser: adding someone and their one-time link, roles, the last officer,
signing someone out everywhere, removing; officers only, and only this partnership's people."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.db import all_tenants
from app.models.account import PasswordLink, SecurityEvent, User
from app.models.base import utcnow
from tests import factories
from tests.web.conftest import csrf_from, sign_in

NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r'value="(https://testserver/password/([A-Za-z0-9_-]+))"')


def _post(client: TestClient, url: str, data: dict | None = None, *, page: str = "/settings/people"):
    token = csrf_from(client.get(page).text)
    return client.post(url, data={**(data or {}), "csrf_token": token}, follow_redirects=False)


def _add(client: TestClient, name="Ada Lovelace", email="ada@school.example", role="viewer"):
    return _post(client, "/settings/people", {"name": name, "email": email, "role": role})


@pytest.fixture
def other_browser(app) -> TestClient:
    with TestClient(app, base_url="https://testserver") as c:
        c.headers["Accept"] = "text/html"
        yield c


def _events(session, kind: str) -> list[SecurityEvent]:
    return list(session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)))


def test_the_list_shows_each_member_with_role_last_sign_in_and_password(signed_in, session, world):
    html = signed_in.get("/settings/people").text
    assert "<title>People" in html
    assert world.officer.email in html and world.viewer.email in html
    assert world.outsider.email not in html
    assert "Officer" in html and "Viewer" in html
    assert "Never" in html  # the viewer has not signed in
    assert 'aria-current="page">People' in html


def test_adding_a_person_shows_their_link_once_and_it_sets_their_password_once(signed_in, other_browser, session,
                                                                            world):
    response = _add(signed_in)
    assert response.status_code == 201
    url, key = LINK.search(response.text).groups()
    assert "you will not see it again" in response.text
    assert key not in signed_in.get("/settings/people").text  # shown once
    assert "Not set yet" in signed_in.get("/settings/people").text
    assert session.scalars(select(PasswordLink.key_hash)).all() != [key]

    form = other_browser.get(f"/password/{key}")
    assert form.status_code == 200 and "Choose your password" in form.text and "Ada Lovelace" in form.text
    done = other_browser.post(f"/password/{key}", data={"password": NEW_PASSWORD, "again": NEW_PASSWORD,
                                                        "csrf_token": csrf_from(form.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/sign-in"
    assert "Your password is set" in other_browser.get("/sign-in").text

    again = other_browser.post(f"/password/{key}", data={"password": "someone else's pick",
                                                         "again": "someone else's pick",
                                                         "csrf_token": csrf_from(form.text)})
    assert again.status_code == 410 and "This link no longer works" in again.text
    assert other_browser.get(f"/password/{key}").status_code == 410
    assert sign_in(other_browser, "ada@school.example", NEW_PASSWORD).status_code == 303
    assert other_browser.get("/schools", follow_redirects=False).status_code == 200
    assert [e.email for e in _events(session, "password_link_created")] == ["ada@school.example"]
    assert [e.email for e in _events(session, "password_set")] == ["ada@school.example"]


def test_an_expired_link_is_a_page_that_says_so(signed_in, other_browser, session):
    key = LINK.search(_add(signed_in).text).group(2)
    with all_tenants(session):
        session.execute(update(PasswordLink).values(expires_at=utcnow() - timedelta(minutes=1)))
    page = other_browser.get(f"/password/{key}")
    assert page.status_code == 410 and "expired" in page.text
    posted = other_browser.post(f"/password/{key}", data={"password": NEW_PASSWORD, "again": NEW_PASSWORD,
                                                          "csrf_token": csrf_from(other_browser.get("/sign-in").text)})
    assert posted.status_code == 410


def test_an_unknown_link_is_not_found(other_browser):
    page = other_browser.get("/password/nonsense")
    assert page.status_code == 404 and "This link no longer works" in page.text


def test_adding_someone_with_an_account_needs_no_link(signed_in, world):
    response = _add(signed_in, name="Whoever", email=world.outsider.email, role="officer")
    assert response.status_code == 303
    html = signed_in.get(response.headers["location"]).text
    assert "can now use" in html and world.outsider.email in html and "/password/" not in html


def test_a_refused_person_keeps_what_was_typed(signed_in, world):
    response = _add(signed_in, name="Ada <b>", email="not-an-email", role="")
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: People" in html
    assert 'id="email-error"' in html and "Enter a work email address" in html
    assert 'id="role-error"' in html
    assert 'value="not-an-email"' in html and 'value="Ada &lt;b&gt;"' in html
    again = _add(signed_in, name="Viewer", email=world.viewer.email, role="viewer")
    assert again.status_code == 422 and "already a member of this partnership" in again.text


def test_a_new_link_for_a_member_replaces_the_old_one(signed_in, other_browser, world):
    page = f"/settings/people/{world.viewer.id}"
    first = _post(signed_in, f"{page}/password-link", page=page)
    assert first.status_code == 201
    old_key = LINK.search(first.text).group(2)
    new_key = LINK.search(_post(signed_in, f"{page}/password-link", page=page).text).group(2)
    assert old_key not in signed_in.get(page).text
    assert other_browser.get(f"/password/{old_key}").status_code == 404
    assert other_browser.get(f"/password/{new_key}").status_code == 200


def test_the_last_officer_cannot_be_removed_or_made_a_viewer(signed_in, world):
    page = f"/settings/people/{world.officer.id}"
    removed = _post(signed_in, f"{page}/remove", page=page)
    assert removed.status_code == 422
    assert "<title>Error: " in removed.text and "only officer" in removed.text
    demoted = _post(signed_in, f"{page}/role", {"role": "viewer"}, page=page)
    assert demoted.status_code == 422
    assert 'id="role-error"' in demoted.text and "at least one officer" in demoted.text
    assert signed_in.get("/settings/people", follow_redirects=False).status_code == 200  # still an officer


def test_changing_a_role(signed_in, session, world):
    page = f"/settings/people/{world.viewer.id}"
    response = _post(signed_in, f"{page}/role", {"role": "officer"}, page=page)
    assert response.status_code == 303 and response.headers["location"] == "/settings/people"
    assert f"{world.viewer.name} is now an officer" in signed_in.get("/settings/people").text


def test_an_officer_may_leave_when_another_remains(signed_in, session, world):
    factories.make_user(session, world.ours, "officer")
    page = f"/settings/people/{world.officer.id}"
    response = _post(signed_in, f"{page}/remove", page=page)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert signed_in.get("/schools", follow_redirects=False).status_code == 303


def test_removing_someone(signed_in, other_browser, world):
    sign_in(other_browser, world.viewer.email)
    page = f"/settings/people/{world.viewer.id}"
    response = _post(signed_in, f"{page}/remove", page=page)
    assert response.status_code == 303
    assert world.viewer.email not in signed_in.get("/settings/people").text
    assert other_browser.get("/schools", follow_redirects=False).status_code == 303


def test_signing_someone_out_everywhere(signed_in, other_browser, session, world):
    assert sign_in(other_browser, world.viewer.email).status_code == 303
    assert other_browser.get("/schools", follow_redirects=False).status_code == 200
    page = f"/settings/people/{world.viewer.id}"
    response = _post(signed_in, f"{page}/sign-out", page=page)
    assert response.status_code == 303
    assert "1 session ended" in signed_in.get(response.headers["location"]).text
    assert other_browser.get("/schools", follow_redirects=False).status_code == 303
    [event] = _events(session, "sessions_ended")
    assert (event.user_id, event.email, event.partnership_id) == (world.officer.id, world.viewer.email, world.ours.id)
    assert event.client == "testclient"
    yourself = f"/settings/people/{world.officer.id}"
    assert _post(signed_in, f"{yourself}/sign-out", page=yourself).status_code == 422


ROUTES = [("GET", "/settings/people"), ("POST", "/settings/people"), ("GET", "/settings/people/{id}"),
          ("POST", "/settings/people/{id}/role"), ("POST", "/settings/people/{id}/password-link"),
          ("POST", "/settings/people/{id}/sign-out"), ("POST", "/settings/people/{id}/remove")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_viewer_gets_the_403_page(client, world, method, path):
    sign_in(client, world.viewer.email)
    token = csrf_from(client.get("/account/password").text)
    url = path.format(id=world.officer.id)
    data = {"csrf_token": token, "name": "X", "email": "x@school.example", "role": "officer"}
    response = client.request(method, url, data=data if method == "POST" else None, follow_redirects=False)
    assert response.status_code == 403, response.text
    assert "You cannot do that" in response.text


@pytest.mark.parametrize(("method", "path"), ROUTES[2:])
def test_another_partnerships_person_is_not_found(signed_in, world, method, path):
    token = csrf_from(signed_in.get("/settings/people").text)
    for user_id in (world.outsider.id, 2**40, 0):
        response = signed_in.request(method, path.format(id=user_id), follow_redirects=False,
                                     data={"csrf_token": token, "role": "viewer"} if method == "POST" else None)
        assert response.status_code == 404, (user_id, response.status_code)
    assert signed_in.get("/settings/people/not-a-number").status_code in (404, 422)


def test_the_list_costs_the_same_statements_however_many_members(signed_in, session, world, count_statements):
    signed_in.get("/settings/people")
    with count_statements() as few:
        signed_in.get("/settings/people")
    for n in range(12):
        user = factories.make_user(session, world.ours, "viewer", name=f"Member {n}")
        if n % 2:
            user.password_hash = "!unset"
    session.flush()
    _add(signed_in, email="linked@school.example")
    with count_statements() as many:
        html = signed_in.get("/settings/people").text
    assert "Member 11" in html and "Link waiting" in html
    assert many.count == few.count <= 8
    assert session.scalars(select(User).where(User.email == "linked@school.example")).one()
