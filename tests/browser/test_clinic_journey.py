"""A clinic chair before and during the meeting, in a real browser: the clinic list, the planned
clinic opened by the officer, the agenda with flags and evidence, minutes written in place, an
action added without a reload, the papers for publication; and last term's approved clinic, locked.
axe-core on every page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _offline, axe_violations, describe, screenshot, sign_in

pytestmark = pytest.mark.browser


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _person(browser, live_server, who):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    _offline(context, live_server)
    page = context.new_page()
    sign_in(page, live_server, who)
    return context, page


def test_the_chair_reads_last_terms_clinic_and_minutes_the_next(browser, live_server):
    if live_server.chair is None:
        pytest.fail("the demo data names no clinic chair")
    officer_context, officer = _person(browser, live_server, None)
    chair_context, chair = _person(browser, live_server, live_server.chair)
    try:
        chair.get_by_role("link", name="Clinics").click()
        expect(chair.get_by_role("heading", level=1)).to_have_text("Clinics")
        _accessible(chair)

        # Last term's clinic: approved, locked, its papers printable.
        chair.get_by_role("row", name=re.compile("Minutes approved")).get_by_role("link").click()
        expect(chair.locator(".app-agenda-item").first).to_be_visible()
        expect(chair.get_by_text("Write the explanation and minutes")).to_have_count(0)
        expect(chair.locator("#changes")).to_contain_text("first clinic")
        _accessible(chair)
        chair.get_by_role("link", name=re.compile("Papers for publication")).click()
        chair.get_by_label("School names and URNs").check()
        chair.get_by_role("button", name="Show the papers").click()
        expect(chair.locator("h3").first).to_contain_text("School 1")
        _accessible(chair)

        # The officer opens the planned clinic; its agenda is made from today's flags.
        officer.goto("/clinics")
        officer.get_by_role("row", name=re.compile("Planned")).get_by_role("link").click()
        officer.get_by_role("button", name="Open the clinic and make its agenda").click()
        expect(officer.locator(".govuk-notification-banner--success")).to_contain_text("its agenda was made")
        clinic_url = officer.url

        chair.goto(clinic_url)
        expect(chair.locator("#changes")).to_contain_text("LA categories changed")
        expect(chair.locator("#actions")).to_contain_text("Carried forward from earlier clinics")
        expect(chair.locator("#actions .govuk-tag", has_text="Overdue").first).to_be_visible()
        chair.evaluate("window.__noReload = true")
        first = chair.locator(".app-agenda-item").first
        first.get_by_text("Evidence").first.click()
        first.get_by_role("link", name=re.compile("Write the explanation and minutes")).click()
        first = chair.locator(".app-agenda-item").first
        first.get_by_label("Minutes").fill("The clinic asked for a review of leadership capacity by February")
        first.get_by_role("button", name=re.compile("Save")).click()
        expect(chair.locator(".app-agenda-item").first).to_contain_text("review of leadership capacity")
        actions = chair.locator("#actions")
        actions.get_by_label("What was agreed").fill("Report back on the leadership review")
        actions.get_by_label("Who (a person or a role)").fill("Head of school improvement")
        actions.get_by_role("button", name="Add the action").click()
        expect(chair.locator("#actions")).to_contain_text("Report back on the leadership review")
        assert chair.evaluate("window.__noReload === true"), "the page was reloaded"
        screenshot(chair, "40-clinic-in-session")
        _accessible(chair)

        # Severity filter, in place.
        chair.get_by_label("Show").select_option("red")
        expect(chair.locator(".app-agenda-item--amber")).to_have_count(0)
    finally:
        officer_context.close()
        chair_context.close()
