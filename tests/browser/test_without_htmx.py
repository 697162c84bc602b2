"""Every main page when htmx fails to load (the CDN request aborted, the site's own scripts still
running): it renders, and its main form works as plain HTML: a filter submits as an ordinary GET (a
new page, not a swap), a save posts and redirects to a page with the success banner."""

import re
from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import HTMX_CDN, screenshot, sign_in

pytestmark = pytest.mark.browser

MARK = "window.__sameDocument = true"
SAME = "window.__sameDocument === true"


@pytest.fixture
def page_without_htmx(context, live_server) -> Page:
    """A signed-in officer whose browser cannot fetch htmx (routes registered later win, so this
    refusal overrides the suite's local copy)."""
    context.route(HTMX_CDN, lambda route: route.abort())
    page = context.new_page()
    sign_in(page, live_server)
    assert page.evaluate("typeof window.htmx") == "undefined", "htmx loaded after all"
    return page


def _open(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.title() and not page.title().startswith(" –"), page.title()
    page.evaluate(MARK)


def _reloaded(page: Page) -> None:
    """The form went to the server as a whole new page (htmx would have swapped in place)."""
    page.wait_for_load_state()
    assert not page.evaluate(SAME), "the page was not reloaded: something answered in place without htmx"


def _first_href(page: Page, url: str, selector: str) -> str:
    page.goto(url)
    href = page.locator(selector).first.get_attribute("href")
    assert href, f"no link {selector} on {url}"
    return href


def _collaborative(page: Page) -> str:
    return _first_href(page, "/collaboratives", "#results tbody a")


def _triad(page: Page) -> str:
    return _first_href(page, _collaborative(page), ".app-card h3 a")


def _draft_visit(page: Page) -> str:
    """A draft record, found from the collaboratives as a person would."""
    page.goto(_collaborative(page))
    for href in page.locator(".app-card h3 a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        page.goto(href)
        rows = page.locator("tbody tr", has=page.locator("strong", has_text="Draft"))
        if rows.count():
            return rows.first.locator("a").first.get_attribute("href")
    pytest.fail("no draft visit record in the first collaborative")


def _clinic(page: Page) -> str:
    page.goto("/clinics")
    return page.get_by_role("row", name=re.compile("Minutes approved")).get_by_role("link").first.get_attribute("href")


def _plan(page: Page) -> str:
    return _first_href(page, "/action-plans", "#plans table a")


def schools_list(page: Page, live_server) -> None:
    _open(page, "/schools")
    page.get_by_label("Secondary", exact=True).check()
    page.get_by_role("button", name="Apply filters").last.click()
    expect(page).to_have_url(re.compile(r"[?&]phase=secondary"))
    _reloaded(page)
    phases = page.locator("#results tbody tr td:nth-child(3)").all_inner_texts()
    assert phases and set(phases) == {"Secondary"}


def school(page: Page, live_server) -> None:
    _open(page, f"/schools/{live_server.rich_urn}")
    page.get_by_role("link", name=re.compile("Change the register entry")).click()
    page.get_by_label("Headteacher", exact=True).fill("Ms Without Script")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(f"{live_server.url}/schools/{live_server.rich_urn}")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("were saved")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Ms Without Script")


def collaboratives(page: Page, live_server) -> None:
    _open(page, "/collaboratives")
    year = page.get_by_label("Academic year").input_value()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"[?&]academic_year={re.escape(year.replace('/', '%2F'))}"))
    _reloaded(page)
    expect(page.locator("#results tbody a").first).to_be_visible()


def collaborative_board(page: Page, live_server) -> None:
    _open(page, _collaborative(page))
    expect(page.locator(".app-card").first).to_be_visible()
    page.locator(".app-card h3 a").first.click()
    expect(page.get_by_role("heading", name="Visit records")).to_be_visible()


def triad(page: Page, live_server) -> None:
    _open(page, _triad(page))
    expect(page.get_by_role("heading", name="Visit records")).to_be_visible()
    # Starting a record with nothing chosen is refused by the server, the page drawn again with its
    # messages (a posted form and a whole new page; nothing is created).
    if page.get_by_role("button", name="Start the record").count():
        page.get_by_label("Date of the visit").fill("")
        page.get_by_role("button", name="Start the record").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        assert page.title().startswith("Error: "), page.title()
        _reloaded(page)
    page.locator("a[href^='/visits/']").first.click()
    expect(page).to_have_url(re.compile(r"/visits/\d+"))


def visit(page: Page, live_server) -> None:
    url = _draft_visit(page)
    _open(page, url)
    section = page.locator("#section-findings")
    section.get_by_role("link", name=re.compile("Change")).click()
    _reloaded(page)
    expect(page).to_have_url(re.compile(r"/visits/\d+/edit/findings"))
    section.get_by_label("Priorities for support").fill("Written with htmx missing")
    section.get_by_role("button", name=re.compile("Save")).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}#section-findings$"))
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    expect(page.locator("#section-findings")).to_contain_text("Written with htmx missing")


def clinics_list(page: Page, live_server) -> None:
    _open(page, "/clinics")
    page.get_by_role("row", name=re.compile("Minutes approved")).get_by_role("link").first.click()
    expect(page.locator(".app-agenda-item").first).to_be_visible()


def clinic(page: Page, live_server) -> None:
    _open(page, _clinic(page))
    agenda = page.locator("#agenda")
    agenda.get_by_label("Show").select_option("red")
    agenda.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]severity=red"))
    _reloaded(page)
    expect(page.locator(".app-agenda-item").first).to_be_visible()
    expect(page.locator(".app-agenda-item--amber")).to_have_count(0)
    evidence = page.locator(".app-agenda-item").first.get_by_text("Evidence").first
    evidence.click()  # a native <details>: no script needed


def red_flags(page: Page, live_server) -> None:
    _open(page, "/red-flags")
    page.locator("#flag-filters").get_by_label("Amber").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]severity=amber"))
    _reloaded(page)
    tags = page.locator("#results ul.app-flag-list .govuk-tag").all_inner_texts()
    assert tags and set(tags) == {"Amber"}


def action_plans(page: Page, live_server) -> None:
    _open(page, "/action-plans")
    page.get_by_label("Whose").select_option(index=0)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/action-plans\?.*scope="))
    _reloaded(page)
    expect(page.locator("#plans table a").first).to_be_visible()


def plan(page: Page, live_server) -> None:
    url = _plan(page)
    _open(page, url)
    page.get_by_label("Overdue only").check()
    page.locator("#priorities").get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]overdue=1"))
    _reloaded(page)
    row = page.locator("#priorities tr[id^=milestone-]").first
    row_id = row.get_attribute("id")
    page.evaluate(MARK)
    row.get_by_text("Update status and evidence").click()
    row.get_by_label("Status").select_option("at_risk")
    row.get_by_label("Evidence note").fill("Saved while htmx was missing")
    row.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("At risk")
    _reloaded(page)
    expect(page.locator(f"#{row_id}")).to_contain_text("Saved while htmx was missing")


def my_milestones(page: Page, live_server) -> None:
    _open(page, "/my-milestones")
    page.locator("main").get_by_role("link").last.click()
    _reloaded(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def support(page: Page, live_server) -> None:
    _open(page, "/support")
    page.get_by_label("Academic year").fill("2017/18")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]year=2017%2F18"))
    _reloaded(page)
    expect(page.get_by_label("Academic year")).to_have_value("2017/18")


def support_review(page: Page, live_server) -> None:
    _open(page, "/reports/support-review")
    chooser = page.locator("#year-chooser")
    year = chooser.get_by_label("Academic year").input_value()
    chooser.get_by_role("button", name="Show the year").click()
    expect(page).to_have_url(re.compile(r"[?&]year="))
    _reloaded(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(year)


def settings(page: Page, live_server) -> None:
    _open(page, "/settings/partnership")
    page.get_by_role("button", name="Save settings").click()
    expect(page).to_have_url(f"{live_server.url}/settings/partnership")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("saved")
    _reloaded(page)


PAGES: dict[str, Callable[[Page, object], None]] = {
    f.__name__: f for f in (schools_list, school, collaboratives, collaborative_board, triad, visit, clinics_list,
                            clinic, red_flags, action_plans, plan, my_milestones, support, support_review, settings)
}


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_works_without_htmx(page_without_htmx, live_server, name):
    PAGES[name](page_without_htmx, live_server)
    screenshot(page_without_htmx, f"60-without-htmx-{name.replace('_', '-')}")


def test_the_visit_date_rule_without_htmx_keeps_what_was_typed(page_without_htmx):
    """A refused save without htmx: the whole page again, the message beside the field."""
    page = page_without_htmx
    page.goto(_draft_visit(page))
    section = page.locator("#section-details")
    section.get_by_role("link", name=re.compile("Change")).click()
    typed = date(2001, 1, 1).isoformat()
    section.get_by_label("Date of the visit").fill(typed)
    section.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator("#visit_date-error")).to_be_visible()
    expect(section.get_by_label("Date of the visit")).to_have_value(typed)
