"""The print styles, with the browser emulating paper: the plan prints its content without the
navigation, breadcrumbs, forms or buttons, its folded priorities open, and each evidence link with
its address beside it."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_a_plan_on_paper(signed_in_page):
    page = signed_in_page
    page.goto("/action-plans")
    page.locator("#plans table a").first.click()
    evidence = page.locator("a.app-print-url").first
    expect(evidence).to_be_attached()
    after = "el => getComputedStyle(el, '::after').content"
    assert evidence.evaluate(after) in ("none", "normal", '""'), "the address shows on screen too"

    # A priority folded away on screen is printed whole.
    folded = page.locator("details.app-priority").first
    if folded.get_attribute("open") is not None:
        folded.locator("summary").first.click()
    expect(folded.locator("> .govuk-details__text")).to_be_hidden()

    page.emulate_media(media="print")
    expect(folded.locator("> .govuk-details__text")).to_be_visible()
    href = evidence.get_attribute("href")
    assert href in evidence.evaluate(after), evidence.evaluate(after)
    for hidden in (".app-nav", ".govuk-breadcrumbs", "main form", ".govuk-button"):
        assert page.locator(hidden).count(), f"{hidden} is not on the page to hide"
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#priorities table").first).to_be_visible()
    # an ordinary link prints as its words alone
    ordinary = page.locator("main a.govuk-link:not(.app-print-url)").first
    assert ordinary.evaluate(after) in ("none", "normal"), ordinary.evaluate(after)
    screenshot(page, "90-plan-printed")
