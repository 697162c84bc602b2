"""A lead headteacher's term in a real browser: the collaborative's board, a triad, a visit record
edited in place (htmx, no reload), an action added and marked done, a draft completed and submitted,
and a colleague's save at the same moment shown beside theirs, not lost. axe-core on every page."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _offline, axe_violations, describe, screenshot, sign_in

pytestmark = pytest.mark.browser


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _lead(live_server) -> tuple[str, str]:
    if live_server.lead is None:
        pytest.fail("the demo data names no lead headteacher")
    return live_server.lead


def _draft_visit_url(page) -> str:
    """A draft record in one of the lead's triads, found from the board as a person would."""
    page.goto("/collaboratives")
    page.locator("#results tbody a").first.click()
    expect(page.locator(".app-card").first).to_be_visible()
    for href in page.locator(".app-card h3 a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        page.goto(href)
        rows = page.locator("tbody tr", has=page.locator("strong", has_text="Draft"))
        if rows.count():
            return rows.first.locator("a").first.get_attribute("href")
    pytest.fail("no draft visit record in the lead's triads")


def test_a_lead_works_through_the_board_to_a_visit_record(page, live_server):
    sign_in(page, live_server, _lead(live_server))
    page.get_by_role("link", name="Collaboratives").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Collaboratives")
    _accessible(page)
    page.locator("#results tbody a").first.click()
    expect(page.locator(".app-card").first).to_be_visible()
    expect(page.locator("body")).to_contain_text(re.compile(r"\d+ of \d+ triads? have a visit recorded"))
    screenshot(page, "30-collaborative-board")
    _accessible(page)

    page.locator(".app-card h3 a").first.click()
    expect(page.get_by_role("heading", name="Visit records")).to_be_visible()
    _accessible(page)

    page.goto(_draft_visit_url(page))
    expect(page.locator(".govuk-tag", has_text="Draft").first).to_be_visible()
    _accessible(page)
    # A mark on the window: it survives an htmx swap, and would be gone after a reload.
    page.evaluate("window.__noReload = true")

    findings = page.locator("#section-findings")
    findings.get_by_role("link", name=re.compile("Change")).click()
    expect(findings.get_by_label("Strengths")).to_be_visible()
    findings.get_by_label("Strengths").fill("Reading is a strength across the school")
    findings.get_by_role("radio", name=re.compile("^2 ")).check()
    _accessible(page)
    findings.get_by_role("button", name=re.compile("Save")).click()
    expect(findings).to_contain_text("Reading is a strength across the school")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("your changes were saved")
    expect(page.locator("#visit-history")).to_contain_text("Changed the record")

    actions = page.locator("#visit-actions")
    actions.get_by_label("What was agreed").fill("Share the reading spine with the triad")
    actions.get_by_label("Who will do it").fill("English lead")
    actions.get_by_role("button", name="Add the action").click()
    row = actions.locator("tbody tr", has_text="Share the reading spine with the triad")
    expect(row).to_be_visible()
    row.get_by_label(re.compile("Status of")).select_option("done")
    row.get_by_role("button", name=re.compile("Update")).click()
    expect(actions.locator("tbody tr", has_text="Share the reading spine").locator(".govuk-tag")).to_have_text(
        "Done")
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"
    screenshot(page, "31-visit-record-edited")
    _accessible(page)

    # A refusal in place keeps what was typed and says why beside the field.
    details = page.locator("#section-details")
    details.get_by_role("link", name=re.compile("Change")).click()
    details.get_by_label("Date of the visit").fill("2001-01-01")
    details.get_by_role("button", name=re.compile("Save")).click()
    expect(details.locator("#visit_date-error")).to_be_visible()
    expect(details.get_by_label("Date of the visit")).to_have_value("2001-01-01")
    _accessible(page)


def test_two_people_saving_one_section_lose_nothing(browser, live_server):
    contexts = []
    pages = []
    for person in (None, _lead(live_server)):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                                      locale="en-GB")
        context.set_default_timeout(10_000)
        _offline(context, live_server)
        page = context.new_page()
        sign_in(page, live_server, person)
        contexts.append(context)
        pages.append(page)
    officer, lead = pages
    try:
        url = _draft_visit_url(lead)
        for page in pages:
            page.goto(url)
            page.locator("#section-findings").get_by_role("link", name=re.compile("Change")).click()
            expect(page.locator("#section-findings").get_by_label("Areas for development")).to_be_visible()
        officer.locator("#section-findings").get_by_label("Areas for development").fill("The officer's words")
        officer.locator("#section-findings").get_by_role("button", name=re.compile("Save")).click()
        expect(officer.locator("#section-findings")).to_contain_text("The officer's words")

        section = lead.locator("#section-findings")
        section.get_by_label("Areas for development").fill("The lead's words")
        section.get_by_role("button", name=re.compile("Save")).click()
        expect(section).to_contain_text("Someone else changed this record")
        expect(section.locator("table")).to_contain_text("The officer's words")
        expect(section.get_by_label("Areas for development")).to_have_value("The lead's words")
        screenshot(lead, "32-visit-conflict")
        _accessible(lead)
        section.get_by_role("button", name="Save mine over theirs").click()
        expect(section).to_contain_text("The lead's words")
        expect(lead.locator("#visit-history")).to_contain_text("Changed the record")
    finally:
        for context in contexts:
            context.close()


def test_a_lead_completes_a_draft_record_in_place_and_submits_it(page, live_server):
    sign_in(page, live_server, _lead(live_server))
    url = _draft_visit_url(page)
    page.goto(url)
    expect(page.locator(".govuk-tag", has_text="Draft").first).to_be_visible()
    page.evaluate("window.__noReload = true")

    # The visit has happened: today's date, in the triad's year (the server's clock, as the rule's).
    details = page.locator("#section-details")
    details.get_by_role("link", name=re.compile("Change")).click()
    details.get_by_label("Date of the visit").fill(date.today().isoformat())
    if not details.get_by_label("Headteacher 1").input_value():
        details.get_by_label("Headteacher 1").fill("A visiting headteacher")
    details.get_by_role("button", name=re.compile("Save")).click()
    expect(details).to_contain_text(f"{date.today().day} {date.today():%B %Y}")
    if page.locator("#section-areas").get_by_text("No focus areas chosen yet.").count():
        areas = page.locator("#section-areas")
        areas.get_by_role("link", name=re.compile("Change")).click()
        areas.locator(".govuk-checkboxes__input").first.check()
        areas.get_by_role("button", name=re.compile("Save")).click()
        expect(areas.locator("table")).to_be_visible()

    findings = page.locator("#section-findings")
    findings.get_by_role("link", name=re.compile("Change")).click()
    findings.get_by_label("Priorities for support").fill("Phonics training for the new reception staff")
    findings.get_by_role("button", name=re.compile("Save")).click()
    expect(findings).to_contain_text("Phonics training for the new reception staff")

    actions = page.locator("#visit-actions")
    actions.get_by_label("What was agreed").fill("Book the phonics training for January")
    actions.get_by_label("Who will do it").fill("Reception lead")
    actions.get_by_role("button", name="Add the action").click()
    expect(actions.locator("tbody tr", has_text="Book the phonics training for January")).to_be_visible()
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"

    # Submitting is a step of the workflow: a whole new page, the record now Submitted.
    page.get_by_role("button", name="Submit the record for sign-off").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    expect(page.locator("p .govuk-tag").first).to_have_text("Submitted")
    expect(page.locator("#visit-actions")).to_contain_text("Book the phonics training for January")
    expect(page.locator("#visit-history")).to_contain_text(re.compile("submitted", re.IGNORECASE))
    screenshot(page, "33-visit-submitted")
    _accessible(page)
