"""Settings and accounts in a real browser: an officer adds a colleague, who sets a password with
the one-time link and signs in; an officer issues a token; axe-core on every settings page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _offline, axe_violations, describe, screenshot, sign_in

pytestmark = pytest.mark.browser


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_an_officer_adds_a_colleague_who_sets_a_password_and_signs_in(page, browser, live_server):
    sign_in(page, live_server)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    assert_accessible(page)

    page.get_by_role("button", name="Add person").click()  # nothing filled in: refused beside the fields
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Full name").fill("Morgan Example")
    page.get_by_label("Work email address").fill("morgan.example@northfield.example")
    page.get_by_label("Viewer").check()
    page.get_by_role("button", name="Add person").click()
    link = page.locator("#password-link").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/password/\S+", link), link
    screenshot(page, "30-people-link-made")
    assert_accessible(page)

    newcomer = browser.new_context(base_url=live_server.url, locale="en-GB")
    _offline(newcomer, live_server)
    try:
        theirs = newcomer.new_page()
        theirs.goto(link)
        assert_accessible(theirs)
        theirs.get_by_label("New password", exact=True).fill("a long enough passphrase 42")
        theirs.get_by_label("New password again").fill("a long enough passphrase 42")
        theirs.get_by_role("button", name="Set password").click()
        expect(theirs).to_have_url(re.compile(r"/sign-in"))
        theirs.get_by_label("Work email address").fill("morgan.example@northfield.example")
        theirs.get_by_label("Password").fill("a long enough passphrase 42")
        theirs.get_by_role("button", name="Sign in").click()
        expect(theirs).to_have_url(re.compile(r"/board"))
        expect(theirs.locator(".app-header__user")).to_have_text("Morgan Example")
        # The link worked once.
        theirs.goto(link)
        expect(theirs.locator("h1")).not_to_have_text("Choose your password")
    finally:
        newcomer.close()


def test_an_officer_issues_a_token_and_sees_it_once(page, live_server):
    sign_in(page, live_server)
    page.goto("/settings/tokens")
    assert_accessible(page)
    page.get_by_label("Name").fill("Alliance MIS sync")
    page.get_by_label(re.compile("^Read")).check()
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").input_value()
    assert secret.startswith("sp_")
    screenshot(page, "31-token-created")
    assert_accessible(page)
    page.goto("/settings/tokens")
    expect(page.locator("body")).not_to_contain_text(secret)


@pytest.mark.parametrize("path", ["/settings/partnership", "/account/password"])
def test_settings_pages_are_accessible(page, live_server, path):
    sign_in(page, live_server)
    page.goto(path)
    assert_accessible(page)
    page.locator("main form button[type=submit]").last.click()
    assert_accessible(page)
