"""The red flags in a real browser: the list worst first, a filter applied in place by htmx, the
evidence opened, an officer's override from a school's row and its withdrawal, a rule's threshold
changed; axe-core on each page; screenshots in test-artifacts/."""

import re

import pytest

from tests.browser.conftest import axe_violations, describe, screenshot

pytestmark = pytest.mark.browser


def test_the_list_filters_in_place_and_opens_evidence(signed_in_page):
    page = signed_in_page
    page.get_by_role("link", name="Red flags").click()
    page.wait_for_url(re.compile(r"/red-flags$"))
    assert page.locator("article.app-agenda-item").count() > 0
    first_severity = page.locator("article.app-agenda-item h2 .govuk-tag").first.inner_text()
    assert first_severity == "Red"  # worst first
    screenshot(page, "flags-01-list")
    screenshot(page, "flags-01-list-top", full_page=False)
    violations = axe_violations(page)
    assert not violations, describe(violations)

    evidence = page.locator("details.app-evidence").first
    evidence.locator("summary").click()
    assert evidence.locator("dl").is_visible()
    evidence.scroll_into_view_if_needed()
    screenshot(page, "flags-01-evidence", full_page=False)

    page.locator("#flag-filters").get_by_label("Amber").check()
    page.wait_for_url(re.compile(r"severity=amber"))
    page.wait_for_function("() => !document.querySelector('#results').innerText.includes('Red\\n')")
    tags = page.locator("#results ul.app-flag-list .govuk-tag").all_inner_texts()
    assert tags and set(tags) == {"Amber"}
    screenshot(page, "flags-02-amber-only")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_an_override_and_its_withdrawal(signed_in_page):
    page = signed_in_page
    page.goto("/red-flags")
    page.locator("a", has_text="Override").first.click()
    page.wait_for_url(re.compile(r"/red-flags/new\?"))
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector(".govuk-error-summary")
    screenshot(page, "flags-03-override-refused")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.get_by_label("Set the rule's flag aside (an override only)").check()
    page.get_by_label("Why").fill("Reviewed with the trust: an interim executive head starts next week")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/red-flags$"))
    assert "was saved" in page.locator("#app-banner").inner_text()

    page.goto("/red-flags?category=manual")
    page.goto("/red-flags")
    withdraw = page.get_by_role("button", name=re.compile(r"^Withdraw"))
    if withdraw.count():
        withdraw.first.click()
        page.wait_for_url(re.compile(r"/red-flags$"))
        assert "withdrawn" in page.locator("#app-banner").inner_text()


def test_a_rules_threshold_changed(signed_in_page):
    page = signed_in_page
    page.goto("/settings/flag-rules")
    screenshot(page, "flags-04-rules")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.locator("#rule-attainment_below_floor").get_by_role("link", name=re.compile("Change")).click()
    page.get_by_label("Floor").fill("sixty")
    page.get_by_role("button", name="Save the rule").click()
    page.wait_for_selector(".govuk-error-summary")
    screenshot(page, "flags-05-rule-refused")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.get_by_label("Floor").fill("55")
    page.get_by_role("button", name="Save the rule").click()
    page.wait_for_url(re.compile(r"/settings/flag-rules$"))
    assert "Floor: 55.0" in page.locator("#rule-attainment_below_floor").inner_text()
