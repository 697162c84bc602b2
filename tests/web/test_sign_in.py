"""Signing in and out in the browser: cookies, messages, CSRF refusals and rate limiting."""

from app.config import get_settings
from tests.factories import PASSWORD
from tests.web.conftest import csrf_from, sign_in


def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def test_sign_in_sets_a_strict_session_cookie_and_redirects(client, world):
    response = sign_in(client, world.officer.email, next_url="/schools?phase=primary")

    assert response.status_code == 303
    assert response.headers["location"] == "/schools?phase=primary"
    cookie = _set_cookies(response)[get_settings().session_cookie_name].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie  # tests run as ENVIRONMENT=test: anything but development is Secure
    assert "path=/" in cookie
    assert client.get("/schools").status_code == 200


def test_sign_in_never_follows_next_to_another_site(client, world):
    response = sign_in(client, world.officer.email, next_url="//evil.example/steal")
    assert response.headers["location"] == "/board"


def test_wrong_password_shows_the_message_beside_the_field_and_keeps_the_email(client, world):
    response = sign_in(client, world.officer.email, "not the password")

    assert response.status_code == 422
    assert get_settings().session_cookie_name not in _set_cookies(response)
    html = response.text
    assert "<title>Error: Sign in" in html
    assert 'id="email-error"' in html
    assert "The email address or password is not right" in html
    assert 'aria-describedby="email-error"' in html
    assert f'value="{world.officer.email}"' in html
    assert PASSWORD not in html and "not the password" not in html


def test_empty_fields_are_named(client, world):
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "Enter your email address" in response.text
    assert "Enter your password" in response.text
    assert '<a href="#password">' in response.text


def test_sign_in_without_a_csrf_token_is_refused(client, world):
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": world.officer.email, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 403
    assert "did not come from this site" in response.text


def test_sign_in_with_a_wrong_csrf_token_is_refused(client, world):
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": world.officer.email, "password": PASSWORD,
                                             "csrf_token": "0" * 64}, follow_redirects=False)
    assert response.status_code == 403


def test_a_token_without_its_cookie_is_refused(client, world):
    token = csrf_from(client.get("/sign-in").text)
    client.cookies.clear()
    response = client.post("/sign-in", data={"email": world.officer.email, "password": PASSWORD,
                                             "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 403


def test_sign_out_without_or_with_a_wrong_csrf_token_is_refused(signed_in):
    assert signed_in.post("/sign-out", data={}, follow_redirects=False).status_code == 403
    assert signed_in.post("/sign-out", data={"csrf_token": "nope"}, follow_redirects=False).status_code == 403
    assert signed_in.post("/sign-out", headers={"X-CSRF-Token": "nope"}, follow_redirects=False).status_code == 403
    assert signed_in.get("/schools").status_code == 200


def test_sign_out_deletes_the_server_session(signed_in):
    name = get_settings().session_cookie_name
    old = signed_in.cookies.get(name)
    token = csrf_from(signed_in.get("/schools").text)

    response = signed_in.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    signed_in.cookies.clear()
    signed_in.cookies.set(name, old)
    again = signed_in.get("/schools", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/sign-in")


def test_the_csrf_token_changes_at_sign_in(client, world):
    before = csrf_from(client.get("/sign-in").text)
    sign_in(client, world.officer.email)
    after = csrf_from(client.get("/schools").text)
    assert before != after


def test_five_failures_lock_the_account_even_for_the_right_password(client, world):
    for _ in range(get_settings().sign_in_max_failures):
        assert sign_in(client, world.officer.email, "wrong password!").status_code == 422

    response = sign_in(client, world.officer.email)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(get_settings().sign_in_window_seconds)
    assert "Too many failed sign-ins" in response.text
    assert get_settings().session_cookie_name not in _set_cookies(response)


def test_a_page_needs_a_session(client, world):
    response = client.get("/schools?q=alder", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fschools%3Fq%3Dalder"

    form = client.get(response.headers["location"])
    assert 'name="next" value="/schools?q=alder"' in form.text


def test_an_htmx_request_without_a_session_is_sent_to_sign_in(client, world):
    response = client.get("/schools", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/sign-in?next=")


def test_the_header_names_the_partnership_and_person(signed_in, world):
    html = signed_in.get("/schools").text
    assert world.ours.name in html
    assert world.officer.name in html
    assert 'action="/partnership"' not in html
