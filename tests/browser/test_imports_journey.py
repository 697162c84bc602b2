"""An officer uploads a GIAS file in a real browser, watches its check, confirms it and watches it
applied: with htmx polling the job's block, and without JavaScript by the page refreshing itself."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe, screenshot, sign_in
from tests.gias_csv import gias_row, write_gias_csv

pytestmark = pytest.mark.browser

DONE_WITHIN = 60_000  # ms: a check of tens of thousands of rows on a busy 2-core machine


def gias_file(path, la_code: str, new_urns: list[str], *, others: int) -> str:
    """`others` rows of another LA (checked, then skipped), and a few new schools of ours, one with
    an Ofsted rating this service does not know (a warning)."""
    rows = [gias_row(f"{500000 + n}", la_code="874" if la_code != "874" else "875") for n in range(others)]
    rows += [gias_row(urn, la_code=la_code, name=f"Quince Meadow {n} Primary School",
                      rating="Not judged" if n == 0 else "Good", inspected="14-03-2019")
             for n, urn in enumerate(new_urns)]
    return str(write_gias_csv(path, rows))


def upload(page, path: str) -> str:
    page.goto("/imports/gias")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import schools from GIAS")
    la_code = page.get_by_label("Local authority code").input_value()
    page.get_by_label("GIAS establishment extract (CSV)").set_input_files(path)
    page.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/imports/gias/\d+$"))
    return la_code


def test_upload_watch_the_check_confirm_and_watch_it_applied(signed_in_page, tmp_path):
    page = signed_in_page
    page.goto("/imports/gias")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    la_code = page.get_by_label("Local authority code").input_value() or "874"
    path = gias_file(tmp_path / "edubasealldata20261120.csv", la_code, ["300001", "300002", "300003"], others=25_000)

    upload(page, path)
    # The check runs on the server; htmx swaps in its progress, then its summary, on the same page.
    page.evaluate("() => { window.sameDocument = true; }")
    job = page.locator("#import-job")
    expect(job).to_have_attribute("data-status", re.compile("uploaded|checking"))
    screenshot(page, "20-import-checking")
    expect(job).to_have_attribute("data-status", "checked", timeout=DONE_WITHIN)
    assert page.evaluate("() => window.sameDocument") is True
    expect(page.get_by_role("heading", name="Check complete: nothing has been written yet")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text("3")
    expect(page.locator('[data-count="skipped"]')).to_contain_text("25,000")
    expect(page.get_by_text("OfstedRating (name) 'Not judged': 1 row (line 25002)")).to_be_visible()
    screenshot(page, "21-import-checked")
    violations = axe_violations(page)
    assert not violations, describe(violations)

    # Nothing is in the register yet.
    page.goto("/schools?q=Quince+Meadow")
    expect(page.locator("#results-count")).to_have_text("No schools match")
    page.go_back()

    page.get_by_role("button", name="Apply to the register").click()
    expect(page.locator("#import-job")).to_have_attribute("data-status", "applied", timeout=DONE_WITHIN)
    expect(page.get_by_role("heading", name="Applied to the register")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text("3")
    screenshot(page, "22-import-applied")
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.get_by_role("link", name="Go to the schools register").click()
    page.goto("/schools?q=Quince+Meadow")
    expect(page.locator("#results-count")).to_have_text(re.compile(r"of 3 schools"))

    page.goto("/imports/gias")
    expect(page.locator("#recent-imports tbody tr").first).to_contain_text("edubasealldata20261120.csv")
    expect(page.locator("#recent-imports tbody tr").first).to_contain_text("Applied")


def test_without_javascript_the_page_refreshes_itself(no_js_page, live_server, tmp_path):
    page = no_js_page
    sign_in(page, live_server)
    path = gias_file(tmp_path / "edubasealldata.csv", "999", ["300101"], others=5_000)
    page.goto("/imports/gias")
    page.get_by_label("Local authority code").fill("999")
    page.get_by_label("GIAS establishment extract (CSV)").set_input_files(path)
    page.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/imports/gias/\d+$"))
    expect(page.get_by_role("heading", name="Check complete: nothing has been written yet")).to_be_visible(
        timeout=DONE_WITHIN)
    page.get_by_role("button", name="Discard").click()
    expect(page).to_have_url(re.compile(r"/imports/gias$"))
    expect(page.get_by_text("edubasealldata.csv was discarded; nothing was written to the register")).to_be_visible()


def test_a_refused_file_and_a_bad_upload(signed_in_page, tmp_path):
    page = signed_in_page
    page.goto("/imports/gias")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator("#file-error")).to_contain_text("Select a GIAS file (CSV) to upload")
    violations = axe_violations(page)
    assert not violations, describe(violations)

    path = write_gias_csv(tmp_path / "broken.csv", [gias_row("12A456"), gias_row("300201", opened="31-02-2019")])
    upload(page, str(path))
    expect(page.locator("#import-job")).to_have_attribute("data-status", "refused", timeout=DONE_WITHIN)
    expect(page.locator("#import-problems li")).to_have_text([
        "Line 2: URN '12A456' is not 6 digits", "Line 3: OpenDate '31-02-2019' is not a date (dd-mm-yyyy)"])
    violations = axe_violations(page)
    assert not violations, describe(violations)
