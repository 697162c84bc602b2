"""Issue 10 in a real browser, on the demo data: signing in lands on the partnership board, which
filters in place (the address bar following, so the filtered board is a bookmark); an officer makes
an alliance of three schools and reads its dashboard; the board, the filtered board, a school's
profile with every folded section open, and the group dashboard have no WCAG 2.2 A/AA violations."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe, screenshot, sign_in

pytestmark = pytest.mark.browser


def _schools_shown(page) -> int:
    heading = page.locator("#summary-heading").inner_text()
    found = re.search(r"(\d+) schools?", heading)
    assert found, heading
    return int(found.group(1))


def _open_every_fold(page) -> None:
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")


def test_sign_in_land_on_the_board_and_filter_it(page, live_server):
    sign_in(page, live_server)
    expect(page).to_have_url(f"{live_server.url}/board")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership board")
    expect(page.locator(".app-nav__link[aria-current=page]")).to_have_text("Board")
    everyone = _schools_shown(page)
    assert everyone > 10
    violations = axe_violations(page)
    assert not violations, describe(violations)
    screenshot(page, "board-01-whole")

    # A ticked filter applies at once: only the tiles are swapped and the address follows.
    page.evaluate("() => { document.querySelector('h1').dataset.marker = 'kept'; }")
    page.get_by_label("Red flags", exact=True).check()
    expect(page).to_have_url(re.compile(r"[?&]severity=red(&|$)"))
    expect(page.locator("#summary-heading")).to_contain_text("that match")
    red = _schools_shown(page)
    assert 0 < red < everyone
    expect(page.locator("h1")).to_have_attribute("data-marker", "kept")
    tiles = page.locator("#tiles li:has(> a[href^='/schools/'])")
    assert tiles.count() == red
    flags = tiles.locator("text=/^Flags:/")
    assert all("Red flags" in text for text in flags.all_inner_texts())
    violations = axe_violations(page)
    assert not violations, describe(violations)
    screenshot(page, "board-02-red-flags")

    # The filtered address is a bookmark: opened afresh, it shows the same board.
    bookmarked = page.url
    page.goto("/board")
    assert _schools_shown(page) == everyone
    page.goto(bookmarked)
    expect(page.get_by_label("Red flags", exact=True)).to_be_checked()
    assert _schools_shown(page) == red

    # A bad value in the address is a 400 with the message beside the field.
    response = page.goto("/board?severity=purple")
    assert response.status == 400
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_an_officer_makes_an_alliance_and_reads_its_dashboard(page, live_server):
    sign_in(page, live_server)
    urns = []
    for link in page.locator("#tiles a[href^='/schools/']").all()[:3]:
        urns.append(link.get_attribute("href").rsplit("/", 1)[1])
    assert len(urns) == 3
    page.goto("/groups")
    expect(page.get_by_role("heading", level=1)).to_have_text("Groups of schools")
    page.get_by_label("Name", exact=True).fill("Browser alliance")
    page.get_by_label("Alliance", exact=True).check()
    page.get_by_label("Schools' URNs").fill(", ".join(urns))
    page.locator("form[action='/groups'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/groups/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Browser alliance")
    for urn in urns:
        expect(page.locator(f"a[href='/schools/{urn}']").first).to_be_visible()
    _open_every_fold(page)
    violations = axe_violations(page)
    assert not violations, describe(violations)
    screenshot(page, "group-dashboard")


def test_a_school_profile_with_every_section_open(page, live_server):
    sign_in(page, live_server)
    # A school on the board whose triad's visit this term is recorded: it has visits to show.
    page.goto("/board")
    hosted = page.locator("#tiles li:has-text('(hosted here)') > a[href^='/schools/']").first
    href = hosted.get_attribute("href") if hosted.count() else f"/schools/{live_server.rich_urn}"
    page.goto(href)
    expect(page.get_by_role("heading", level=2, name=re.compile("Ofsted inspections"))).to_be_visible()
    assert page.locator("svg").count() >= 1, "no indicator chart drawn"
    _open_every_fold(page)
    violations = axe_violations(page)
    assert not violations, describe(violations)
    screenshot(page, "school-profile")
