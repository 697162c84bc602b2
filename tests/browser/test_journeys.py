"""An officer's journey through the schools register in a real browser, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _offline, screenshot, sign_in

pytestmark = pytest.mark.browser

COUNT = re.compile(r"Showing (\d+)–(\d+) of (\d+) schools?")


def counts(page) -> tuple[int, int, int]:
    found = COUNT.search(page.locator("#results-count").inner_text())
    assert found, page.locator("#results-count").inner_text()
    return tuple(int(n) for n in found.groups())


def result_names(page) -> list[str]:
    return page.locator("#results tbody th a").all_inner_texts()


def test_sign_in_search_filter_open_a_school_and_sign_out(page, live_server):
    page.goto("/schools")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fschools$"))
    screenshot(page, "01-sign-in")
    sign_in(page, live_server)
    expect(page).to_have_url(f"{live_server.url}/board")  # signing in lands on the board
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership board")
    page.locator(".app-nav__link", has_text=re.compile(r"^Schools$")).click()
    expect(page).to_have_url(f"{live_server.url}/schools")
    expect(page.get_by_role("heading", level=1)).to_have_text("Schools")
    expect(page.locator(".app-nav__link[aria-current=page]")).to_have_text("Schools")
    first, last, total = counts(page)
    assert (first, last) == (1, min(50, total)) and total > 50
    screenshot(page, "02-schools-list")

    # Search as you type: htmx swaps only the results, so the page itself is never reloaded.
    page.evaluate("() => { window.sameDocument = true; document.querySelector('h1').dataset.marker = 'kept'; }")
    word = next(w for name in result_names(page) for w in name.split() if len(w) >= 5 and w.isalpha())[:5]
    page.get_by_label("Search by school name or URN").press_sequentially(word, delay=40)
    expect(page).to_have_url(re.compile(rf"[?&]q={word}(&|$)"))
    expect(page.locator("#results-count")).not_to_have_text(re.compile(rf"of {total} schools"))
    names = result_names(page)
    assert names and all(word.lower() in name.lower() for name in names)
    assert page.evaluate("() => window.sameDocument") is True
    expect(page.locator("h1")).to_have_attribute("data-marker", "kept")
    expect(page.locator("#results-status")).to_have_text(COUNT)
    screenshot(page, "03-schools-search")

    # Clearing the search brings everything back; ticking a filter applies it at once.
    page.get_by_label("Search by school name or URN").fill("")
    expect(page.locator("#results-count")).to_have_text(re.compile(rf"of {total} schools"))
    page.get_by_label("Secondary", exact=True).check()
    expect(page).to_have_url(re.compile(r"[?&]phase=secondary(&|$)"))
    expect(page.locator("#results-count")).not_to_have_text(re.compile(rf"of {total} schools"))
    phases = page.locator("#results tbody tr td:nth-child(3)").all_inner_texts()
    assert phases and set(phases) == {"Secondary"}
    assert page.evaluate("() => window.sameDocument") is True
    screenshot(page, "04-schools-filtered")

    # Open a school; the back button returns to the filtered list.
    name = result_names(page)[0]
    page.locator("#results tbody th a").first.click()
    expect(page).to_have_url(re.compile(r"/schools/\d{6}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("heading", name="Ofsted inspections")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"phase=secondary"))
    expect(page.get_by_label("Secondary", exact=True)).to_be_checked()
    assert set(page.locator("#results tbody tr td:nth-child(3)").all_inner_texts()) == {"Secondary"}

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/sign-in")
    page.goto("/schools")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))


def test_paging_with_htmx(signed_in_page):
    page = signed_in_page
    page.goto("/schools")
    total = counts(page)[2]
    page.get_by_role("link", name=re.compile("Next page")).click()
    expect(page).to_have_url(re.compile(r"cursor=.+&page=2"))
    expect(page.locator("#results-count")).to_have_text(re.compile(rf"Showing 51–\d+ of {total} schools"))
    page.get_by_role("link", name="Back to first page").click()
    expect(page.locator("#results-count")).to_have_text(re.compile(rf"Showing 1–50 of {total} schools"))


def test_the_school_page(signed_in_page, live_server):
    page = signed_in_page
    page.goto(f"/schools/{live_server.rich_urn}")
    expect(page.locator(".govuk-caption-l")).to_have_text(f"URN {live_server.rich_urn}")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Engaged in the network")
    assert page.locator("#inspections ~ div table tbody tr").count() >= 2
    screenshot(page, "05-school-page")


def test_unknown_school_is_the_not_found_page(signed_in_page):
    response = signed_in_page.goto("/schools/999999")
    assert response.status == 404
    expect(signed_in_page.get_by_role("heading", level=1)).to_have_text("Page not found")


def test_without_javascript_the_form_links_and_paging_still_work(no_js_page, live_server):
    page = no_js_page
    sign_in(page, live_server)
    page.goto("/schools")
    total = counts(page)[2]
    page.get_by_label("Secondary", exact=True).check()
    page.get_by_role("button", name="Apply filters").last.click()
    expect(page).to_have_url(re.compile(r"phase=secondary"))
    assert set(page.locator("#results tbody tr td:nth-child(3)").all_inner_texts()) == {"Secondary"}
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Search by school name or URN").fill("school")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=school"))
    page.goto("/schools")
    page.get_by_role("link", name=re.compile("Next page")).click()
    expect(page.locator("#results-count")).to_have_text(re.compile(rf"Showing 51–\d+ of {total} schools"))
    screenshot(page, "06-no-js-page-2")
    page.locator("#results tbody th a").first.click()
    expect(page).to_have_url(re.compile(r"/schools/\d{6}$"))


def test_the_list_on_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    try:
        _offline(context, live_server)
        page = context.new_page()
        sign_in(page, live_server)
        # the wide table scrolls inside its own region, not the whole page
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        screenshot(page, "07-phone-list", full_page=False)
    finally:
        context.close()
