"""An officer keeps the improvement plan up to date in a real browser: the plans list, the plan with
its priorities and roll-ups, the overdue filter in place, and a milestone's status changed in place
with an evidence note, without a reload. axe-core on the pages; a screenshot to look at."""

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.db import all_tenants, build_engine, session_scope
from app.models.account import User
from app.models.action_plan import ActionPlan
from app.services import accounts
from tests.browser.conftest import axe_violations, describe, screenshot

pytestmark = pytest.mark.browser

SHOT = Path("/tmp/issue9/plan.png")


def _ensure_a_plan(live_server) -> None:
    """The demo's plan when the demo loaded one; otherwise one built like the page tests' (a plan
    with an overdue milestone) for the signed-in officer's partnership."""
    engine = build_engine(live_server.database_url)
    try:
        with session_scope(engine=engine) as session, all_tenants(session):
            if session.scalar(select(func.count(ActionPlan.id))):
                return
            from tests.plan_web_setup import build_plan  # noqa: PLC0415

            user = session.scalars(select(User).where(User.email == live_server.email)).one()
            partnership = accounts.partnerships_of(session, user.id)[0]
            build_plan(session, partnership, priorities=3, actions=2, milestones=3)
    finally:
        engine.dispose()


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_an_officer_filters_overdue_and_updates_a_milestone_in_place(signed_in_page, live_server):
    _ensure_a_plan(live_server)
    page = signed_in_page
    page.get_by_role("link", name="Plans", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plans")
    _accessible(page)
    page.locator("#plans table a").first.click()
    expect(page.locator("#priorities")).to_be_visible()
    rollup = page.locator("#plan-rollup")
    expect(rollup).to_contain_text("overdue")
    overdue_count = int(re.search(r"(\d+) overdue", rollup.inner_text()).group(1))
    assert overdue_count > 0
    _accessible(page)

    # The overdue filter, in place: only overdue milestones are left, each marked Overdue.
    page.evaluate("window.__noReload = true")
    page.get_by_role("link", name=re.compile(r"Only the overdue milestones")).click()
    expect(page).to_have_url(re.compile(r"overdue=1"))
    rows = page.locator("#priorities tr[id^=milestone-]")
    expect(rows).to_have_count(overdue_count)
    expect(page.locator("#priorities .app-overdue")).to_have_count(overdue_count)

    # Change the first overdue milestone's status with an evidence note, in place.
    row = rows.first
    row_id = row.get_attribute("id")
    row.get_by_text("Update status and evidence").click()
    row.get_by_label("Status").select_option("complete")
    row.get_by_label("Evidence note").fill("Done at the autumn review: minutes on the shared drive")
    row.get_by_role("button", name=re.compile("Save")).click()
    row = page.locator(f"#{row_id}")
    expect(row.locator(".govuk-tag").first).to_have_text("Complete")
    expect(row).to_contain_text("Done at the autumn review")
    expect(row.locator(".app-overdue")).to_have_count(0)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Complete")
    expect(page.locator("#plan-rollup")).to_contain_text(f"{overdue_count - 1} overdue" if overdue_count > 1
                                                         else "Worst")
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"
    row.scroll_into_view_if_needed()
    _accessible(page)
    path = screenshot(page, "50-plan-milestone-updated")
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOT)

    # Without the filter, the whole plan again, read back from the server.
    page.goto(page.url.split("?")[0])
    expect(page.locator(f"#{row_id}")).to_contain_text("Done at the autumn review")


def test_without_javascript_the_status_form_still_works(no_js_page, live_server):
    _ensure_a_plan(live_server)
    page = no_js_page
    page.goto("/sign-in")
    page.get_by_label("Work email address").fill(live_server.email)
    page.get_by_label("Password").fill(live_server.password)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/action-plans")
    page.locator("#plans table a").first.click()
    page.get_by_role("link", name=re.compile(r"Only the overdue milestones")).click()
    row = page.locator("#priorities tr[id^=milestone-]").first
    row_id = row.get_attribute("id")
    row.get_by_text("Update status and evidence").click()
    row.get_by_label("Status").select_option("at_risk")
    row.get_by_label("Evidence note").fill("Moved to the spring term")
    row.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("At risk")
    expect(page.locator(f"#{row_id}")).to_contain_text("Moved to the spring term")
