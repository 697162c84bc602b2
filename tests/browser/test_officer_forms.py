"""Officers changing records in a real browser: a school's register entry (with and without
JavaScript), two people editing the same school at once, and axe-core on every new form."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _offline, axe_violations, describe, screenshot, sign_in

pytestmark = pytest.mark.browser


def first_school_url(page) -> str:
    page.goto("/schools?sort=urn")
    return page.locator("#results tbody th a").first.get_attribute("href")


def new_signed_in_page(browser, live_server, *, javascript: bool = True):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                                  locale="en-GB", java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    _offline(context, live_server)
    page = context.new_page()
    sign_in(page, live_server)
    return context, page


def test_an_officer_edits_a_school_and_sees_the_banner(page, live_server):
    sign_in(page, live_server)
    school = first_school_url(page)
    page.goto(school)
    page.get_by_role("link", name=re.compile("Change the register entry")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the register entry")
    violations = axe_violations(page)
    assert not violations, describe(violations)

    # A refusal first: the message sits beside the field, and what was typed stays.
    page.get_by_label("Pupils on roll").fill("lots")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#pupils-error")).to_contain_text("Enter a whole number")
    expect(page.get_by_label("Pupils on roll")).to_have_value("lots")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    screenshot(page, "20-school-edit-refused")
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.get_by_label("Pupils on roll").fill("321")
    page.get_by_label("LA category").select_option("green")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(f"{live_server.url}{school}")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("were saved")
    expect(page.locator(".govuk-summary-list")).to_contain_text("321")
    screenshot(page, "21-school-saved-banner")
    page.reload()
    expect(page.locator(".govuk-notification-banner--success")).to_have_count(0)


def test_the_form_works_without_javascript(browser, live_server):
    context, page = new_signed_in_page(browser, live_server, javascript=False)
    try:
        school = first_school_url(page)
        page.goto(f"{school}/edit")
        page.get_by_label("Headteacher", exact=True).fill("Dr Sam Example")
        page.get_by_role("button", name="Save changes").click()
        expect(page).to_have_url(f"{live_server.url}{school}")
        expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
        expect(page.locator(".govuk-summary-list")).to_contain_text("Dr Sam Example")
    finally:
        context.close()


def test_two_people_edit_the_same_school_and_the_second_sees_the_conflict(browser, live_server):
    first_context, first = new_signed_in_page(browser, live_server)
    second_context, second = new_signed_in_page(browser, live_server)
    try:
        school = first_school_url(first)
        first.goto(f"{school}/edit")
        second.goto(f"{school}/edit")

        first.get_by_label("Postcode").fill("PE1 1AA")
        first.get_by_role("button", name="Save changes").click()
        expect(first.locator(".govuk-notification-banner--success")).to_be_visible()

        second.get_by_label("Postcode").fill("PE2 2BB")
        second.get_by_label("Headteacher", exact=True).fill("Second editor's careful text")
        second.get_by_role("button", name="Save changes").click()
        expect(second.locator(".app-conflict")).to_contain_text("Someone else changed this record")
        expect(second.get_by_label("Headteacher", exact=True)).to_have_value("Second editor's careful text")
        expect(second.get_by_label("Postcode")).to_have_value("PE2 2BB")
        row = second.locator("tr", has_text="Postcode")
        expect(row).to_contain_text("PE1 1AA")
        expect(row).to_contain_text("PE2 2BB")
        screenshot(second, "22-school-edit-conflict")
        violations = axe_violations(second)
        assert not violations, describe(violations)

        # Deliberately saving over: the second person's values go in.
        second.get_by_role("button", name="Save mine over theirs").click()
        expect(second).to_have_url(f"{live_server.url}{school}")
        expect(second.locator(".govuk-summary-list")).to_contain_text("PE2 2BB")
    finally:
        first_context.close()
        second_context.close()


@pytest.mark.parametrize("form", ["/inspections/new", "/indicators/new"])
def test_record_forms_are_accessible(page, live_server, form):
    sign_in(page, live_server)
    school = first_school_url(page)
    page.goto(f"{school}{form}")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.get_by_role("button", name=re.compile("^Record")).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe(violations)
