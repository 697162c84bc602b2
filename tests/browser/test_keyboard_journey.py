"""Journeys by keyboard alone: Tab to move, Enter and Space to act, typing into fields; no clicks.
The test only watches where the focus is (to know when to stop pressing Tab) and what the page
shows. Each focus stop must be visible (GOV.UK's yellow focus state)."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import LiveServer, axe_violations, describe, screenshot
from tests.browser.test_plan_journey import _ensure_a_plan

pytestmark = pytest.mark.browser

FOCUS_YELLOW = "rgb(255, 221, 0)"  # $govuk-focus-colour
TABS = 400  # enough to cross the longest page here; a page that needs more is itself a problem


def focused(locator: Locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page: Page, locator: Locator, *, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `locator` (one element) has the focus."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(TABS):
        if focused(locator):
            break
        page.keyboard.press(key)
    else:
        pytest.fail(f"{locator} never took the focus after {TABS} presses of {key}")
    shown = locator.evaluate(
        "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.outlineColor, s.boxShadow].join(' '); }")
    assert FOCUS_YELLOW in shown, f"no visible focus on {locator}: {shown}"


def sign_in_by_keyboard(page: Page, server: LiveServer) -> None:
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    tab_to(page, page.get_by_label("Work email address"))
    page.keyboard.type(server.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(server.password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/(schools|board)"))


def test_an_officer_updates_a_milestone_by_keyboard_alone(page, live_server):
    _ensure_a_plan(live_server)
    sign_in_by_keyboard(page, live_server)

    # The skip link goes straight past the header and the navigation.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main-content$"))

    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans", exact=True), back=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plans")
    tab_to(page, page.locator("#plans table a").first)
    page.keyboard.press("Enter")
    expect(page.locator("#priorities")).to_be_visible()
    page.evaluate("window.__noReload = true")

    # The overdue filter (an htmx link): Enter follows it in place.
    overdue = page.get_by_role("link", name=re.compile(r"Only the overdue milestones"))
    tab_to(page, overdue)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"overdue=1"))
    row = page.locator("#priorities tr[id^=milestone-]").first
    expect(row.locator(".app-overdue")).to_have_count(1)
    row_id = row.get_attribute("id")
    row = page.locator(f"#{row_id}")

    # Open the row's form (a <details>: Space on its summary), choose a status by typing, write a
    # note, and save with Enter on the button.
    summary = row.locator("summary")
    tab_to(page, summary)
    page.keyboard.press("Space")
    expect(row.locator("details")).to_have_attribute("open", "")
    status = row.get_by_label("Status")
    tab_to(page, status)
    for _ in range(8):  # ArrowDown through the options, as a keyboard user does, to "Complete"
        if status.input_value() == "complete":
            break
        page.keyboard.press("ArrowDown")
    expect(status).to_have_value("complete")
    page.keyboard.press("Tab")
    note = row.get_by_label("Evidence note")
    expect(note).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Signed off at the governors' meeting: minutes item 4")
    save = row.get_by_role("button", name=re.compile("Save"))
    tab_to(page, save)
    page.keyboard.press("Enter")

    row = page.locator(f"#{row_id}")
    expect(row.locator(".govuk-tag").first).to_have_text("Complete")
    expect(row).to_contain_text("Signed off at the governors' meeting")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Complete")
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"
    screenshot(page, "70-keyboard-milestone-updated")
    violations = axe_violations(page)
    assert not violations, describe(violations)
