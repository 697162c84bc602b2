"""axe-core on every main page: no WCAG 2.2 A/AA violations, and proof that the check can fail."""

import re

import pytest

from tests.browser.conftest import axe_violations, describe, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_sign_in_page(page):
    page.goto("/sign-in")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_sign_in_page_with_errors(page):
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(".govuk-error-summary")
    screenshot(page, "08-sign-in-errors")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_schools_list(page, live_server):
    sign_in(page, live_server)
    page.goto("/schools")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_schools_list_after_an_htmx_search_and_with_an_error(page, live_server):
    sign_in(page, live_server)
    page.goto("/schools")
    page.get_by_label("Search by school name or URN").press_sequentially("zzzz")
    page.wait_for_function("() => document.querySelector('#results-count').innerText.includes('No schools')")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.goto("/schools?sort=nonsense")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_school_page(page, live_server):
    sign_in(page, live_server)
    page.goto(f"/schools/{live_server.rich_urn}")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_not_found_page(page, live_server):
    sign_in(page, live_server)
    page.goto("/schools/000000")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_axe_does_flag_a_broken_page(page):
    page.set_content("<html><head><title>Broken</title></head><body><main>"
                     "<input type='text' name='q'><img src='data:,'>"
                     "<p style='color:#bbb;background:#fff'>faint text</p></main></body></html>")
    found = {v["id"] for v in axe_violations(page)}
    assert {"label", "image-alt", "html-has-lang", "color-contrast"} <= found, found


def _first_link(page, url: str, selector: str) -> str:
    page.goto(url)
    href = page.locator(selector).first.get_attribute("href")
    assert href, f"no {selector} on {url}"
    return href


def _collaborative(page) -> str:
    return _first_link(page, "/collaboratives", "#results tbody a")


def _triad(page) -> str:
    return _first_link(page, _collaborative(page), ".app-card h3 a")


def _visit(page) -> str:
    return _first_link(page, _triad(page), "a[href^='/visits/']")


def _clinic(page) -> str:
    page.goto("/clinics")
    return page.get_by_role("row", name=re.compile("Minutes approved")).get_by_role("link").first.get_attribute("href")


def _plan(page) -> str:
    return _first_link(page, "/action-plans", "#plans table a")


PAGES = {
    "collaborative": _collaborative,
    "triad": _triad,
    "visit": _visit,
    "clinic": _clinic,
    "plan": _plan,
    "support-review": lambda page: "/reports/support-review",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_main_page(page, live_server, name):
    """Each main page of the partnership's work, as an officer sees it (every control it offers)."""
    sign_in(page, live_server)
    url = PAGES[name](page)
    response = page.goto(url)
    assert response.status == 200, url
    for summary in page.locator("main details:not([open]) > summary").all()[:30]:
        if summary.is_visible():
            summary.click()  # the evidence and forms folded away are part of the page too
    violations = axe_violations(page)
    assert not violations, describe(violations)
    screenshot(page, f"80-axe-{name}", full_page=False)
