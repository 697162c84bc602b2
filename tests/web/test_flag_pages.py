"""/red-flags and /settings/flag-rules in the browser: the list worst first with reasons and
evidence, its filters (htmx fragment, 400 for bad values), a headteacher's own schools only, an
officer's own flags and overrides on the form pattern (422 keeps what was typed; CSRF), withdrawing
one, the rules' forms (409 beside what someone saved first), and the CSV and XLSX downloads."""

import csv
import html as htmllib
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.db import all_tenants
from app.models.account import Role
from app.models.flag import FlagRuleSetting, ManualFlag
from app.services import accounts
from tests import factories
from tests.flag_setup import manual, troubled_school
from tests.forms import form_values
from tests.web.conftest import csrf_from, sign_in

URL = "/red-flags"


@pytest.fixture
def schools(session, world):
    troubled = troubled_school(session, world.ours, name="Yew Primary")
    amber = factories.make_school(session, world.ours, name="Elm Primary", la_category="amber")
    factories.make_school(session, world.ours, name="Fir Primary")
    return troubled, amber


def text(response) -> str:
    return htmllib.unescape(response.text)


def test_the_list_worst_first_with_reasons_and_evidence(signed_in, schools):
    troubled, amber = schools
    page = signed_in.get(URL)
    assert page.status_code == 200 and page.headers["vary"] == "HX-Request"
    html = text(page)
    assert html.index("Yew Primary") < html.index("Elm Primary") and "Fir Primary" not in html
    assert "Showing 1–2 of 2 schools flagged, worst first" in html
    assert "A budget deficit of £45,000 in 2025/26" in html
    assert '<details class="govuk-details govuk-!-margin-bottom-1 app-evidence" id="evidence-' in html
    assert "<dt>Academic year</dt><dd>2025/26</dd>" in html
    assert 'aria-current="page">Red flags</a>' in html
    assert f'href="/red-flags/new?urn={troubled.urn}&amp;rule=budget_deficit"' in page.text
    assert 'href="/red-flags/export.xlsx"' in html


def test_filters_swap_the_results_block_for_htmx(signed_in, schools):
    fragment = signed_in.get(URL, params={"severity": "amber", "category": "network"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = text(fragment)
    assert "<html" not in html and 'id="results-status" hx-swap-oob="innerHTML"' in html
    assert "Elm Primary" in html and "Yew Primary" in html  # Yew's amber network flags
    assert "A budget deficit" not in html
    whole = signed_in.get(URL, params={"severity": "amber"}, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in whole.text


@pytest.mark.parametrize(("params", "message"), [
    ({"severity": "purple"}, "Choose red or amber"), ({"category": "weather"}, "Choose categories from the list"),
    ({"cursor": "nonsense"}, "That page link is out of date"), ({"page": "0"}, "That page link is out of date"),
])
def test_bad_values_are_400_with_the_reason(signed_in, schools, params, message):
    page = signed_in.get(URL, params=params)
    assert page.status_code == 400 and message in text(page) and "<title>Error: " in page.text


def test_a_headteacher_sees_their_own_schools_flags_only(client, session, world, schools):
    troubled, amber = schools
    head = factories.make_user(session)
    with all_tenants(session):
        accounts.grant(session, head, world.ours, Role.headteacher.value, scope_kind="school", scope_id=amber.id)
        session.flush()
    sign_in(client, head.email)
    html = text(client.get(URL))
    assert "Elm Primary" in html and "Yew Primary" not in html
    assert "Add a flag" not in html and "Override" not in html
    assert client.get(f"{URL}/new").status_code == 403


def test_an_officer_adds_a_flag_and_a_refusal_keeps_what_was_typed(signed_in, session, world, schools):
    troubled, amber = schools
    form = signed_in.get(f"{URL}/new", params={"urn": amber.urn})
    assert form.status_code == 200 and f'value="{amber.urn}"' in form.text
    typed = {"csrf_token": csrf_from(form.text), "urn": amber.urn, "kind": "add", "severity": "red",
             "category": "", "reason": "Chair of governors resigned; clerk leaving"}
    refused = signed_in.post(f"{URL}/new", data=typed)
    assert refused.status_code == 422
    html = text(refused)
    assert "Say what the concern is about" in html and "Chair of governors resigned; clerk leaving</textarea>" in html
    assert 'value="red" checked' in refused.text
    saved = signed_in.post(f"{URL}/new", data=typed | {"category": "governance"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == URL
    assert f"Your flag for {amber.name} was saved" in text(signed_in.get(URL))
    with all_tenants(session):
        row = session.scalars(select(ManualFlag).where(ManualFlag.school_id == amber.id)).one()
    assert (row.severity, row.category, row.updated_by) == ("red", "governance", world.officer.name)


def test_every_missing_answer_is_named_at_once(signed_in, world):
    form = signed_in.get(f"{URL}/new", params={"urn": world.our_school.urn, "rule": "la_category"})
    refused = signed_in.post(f"{URL}/new", data=form_values(form.text, f"{URL}/new"))
    assert refused.status_code == 422
    html = text(refused)
    assert "Say red or amber, or set the flag aside" in html and "Say why: the clinic reads your reason" in html


def test_an_unknown_urn_is_refused_on_its_field(signed_in, world):
    form = signed_in.get(f"{URL}/new")
    refused = signed_in.post(f"{URL}/new", data={"csrf_token": csrf_from(form.text), "urn": world.their_school.urn,
                                                 "kind": "add", "severity": "red", "category": "finance",
                                                 "reason": "x"})
    assert refused.status_code == 422 and "Enter the URN of one of the partnership's schools" in text(refused)


def test_an_override_from_a_schools_row_then_withdrawn(signed_in, session, world, schools):
    troubled, _ = schools
    form = signed_in.get(f"{URL}/new", params={"urn": troubled.urn, "rule": "la_category"})
    values = form_values(form.text, f"{URL}/new")
    assert values["kind"] == "override" and values["rule"] == "la_category"
    saved = signed_in.post(f"{URL}/new", data=values | {"severity": "aside", "reason": "Category review due"},
                           follow_redirects=False)
    assert saved.status_code == 303, saved.text
    page = text(signed_in.get(URL))
    assert "In the LA's ‘red’ category" not in page
    with all_tenants(session):
        row = session.scalars(select(ManualFlag).where(ManualFlag.school_id == troubled.id)).one()
    assert (row.kind, row.rule, row.severity) == ("override", "la_category", None)

    amber = signed_in.post(f"{URL}/new", data=values | {"severity": "amber", "reason": "Interim head"},
                           follow_redirects=False)
    assert amber.status_code == 303
    page = signed_in.get(URL).text
    withdraw = re.search(r'<form method="post" action="/red-flags/withdraw".*?</form>', page, re.S).group(0)
    data = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', withdraw))
    stale = signed_in.post(f"{URL}/withdraw", data=data | {"version": "9"})
    assert stale.status_code == 409 and "Someone changed or withdrew that flag" in text(stale)
    done = signed_in.post(f"{URL}/withdraw", data=data, follow_redirects=False)
    assert done.status_code == 303
    assert "The flag for Yew Primary was withdrawn" in text(signed_in.get(URL))
    again = signed_in.post(f"{URL}/withdraw", data=data | {"version": "2"})
    assert again.status_code == 409 and "This flag was withdrawn on" in text(again)


def test_writes_without_the_csrf_token_are_refused(signed_in, world):
    refused = signed_in.post(f"{URL}/new", data={"urn": world.our_school.urn, "kind": "add", "severity": "red",
                                                 "category": "finance", "reason": "x"})
    assert refused.status_code == 403
    assert signed_in.post("/settings/flag-rules/budget_deficit", data={"enabled": "false"}).status_code == 403


def test_the_csv_download(signed_in, session, world, schools):
    troubled, amber = schools
    manual(session, amber, severity="red", category="finance", reason="=HYPERLINK(\"x\")")
    response = signed_in.get(f"{URL}/export.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="red-flags-' in response.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:6] == ["URN", "School", "Phase", "LA category", "School's severity", "Severity"]
    assert [line[0] for line in lines[1:]] == [troubled.urn] * 10 + [amber.urn] * 2
    assert [line[8] for line in lines if line[7] == "manual"] == ["'=HYPERLINK(\"x\")"]
    only_red = signed_in.get(f"{URL}/export.csv", params={"severity": "red", "category": "finance"})
    assert len(list(csv.reader(io.StringIO(only_red.content.decode("utf-8-sig"))))) == 3
    assert signed_in.get(f"{URL}/export.csv", params={"severity": "pink"}).status_code == 400


def test_the_xlsx_download_opens_with_its_cells(signed_in, world, schools):
    troubled, amber = schools
    response = signed_in.get(f"{URL}/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Red flags"]
    assert [c.value for c in sheet[1]][:3] == ["URN", "School", "Phase"] and sheet.freeze_panes == "C2"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 11 and {r[0] for r in rows[:10]} == {troubled.urn}
    deficit = next(r for r in rows if r[7] == "budget deficit")
    assert deficit[1:9] == ["Yew Primary", "primary", "red", "red", "red", "finance", "budget deficit",
                            "A budget deficit of £45,000 in 2025/26"]
    assert "academic year: 2025/26" in deficit[9] and "value: -45000" in deficit[9]
    assert sheet.cell(row=2, column=6).fill.fgColor.rgb.endswith("F4A6A6")
    assert rows[-1][:2] == [amber.urn, "Elm Primary"] and rows[-1][5] == "amber"
    about = book["About"]
    assert about["A1"].value == "Red flags" and about["B1"].value == world.ours.name
    assert about["B3"].value == 11


# --- the rules' settings --------------------------------------------------------------------------

RULE = "/settings/flag-rules/attainment_below_floor"


def test_the_rules_page_lists_each_rule_with_its_thresholds(signed_in):
    html = text(signed_in.get("/settings/flag-rules"))
    assert "Attainment below floor" in html and "Floor: <strong>50.0</strong>" in html
    assert 'href="/settings/flag-rules/excess_surplus"' in html


def test_an_officer_changes_a_threshold(signed_in, session, world):
    values = form_values(signed_in.get(RULE).text, RULE)
    assert values["version"] == "0" and values["thresholds.floor"] == "50" and values["enabled"] == "true"
    saved = signed_in.post(RULE, data=values | {"thresholds.floor": "62.5"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/settings/flag-rules"
    assert "The rule ‘attainment below floor’ was saved" in text(signed_in.get("/settings/flag-rules"))
    with all_tenants(session):
        row = session.scalars(select(FlagRuleSetting).where(FlagRuleSetting.rule == "attainment_below_floor")).one()
    assert (row.thresholds, row.version, row.updated_by) == ({"floor": 62.5}, 1, world.officer.name)


def test_a_bad_threshold_is_refused_beside_it_keeping_what_was_typed(signed_in):
    values = form_values(signed_in.get(RULE).text, RULE)
    refused = signed_in.post(RULE, data=values | {"thresholds.floor": "sixty"})
    assert refused.status_code == 422
    html = text(refused)
    assert 'id="threshold-floor-error"' in html and "Floor must be a number" in html and 'value="sixty"' in html
    assert 'href="#threshold-floor"' in html


def test_a_stale_save_is_shown_beside_theirs(signed_in, session, world):
    values = form_values(signed_in.get(RULE).text, RULE)
    first = signed_in.post(RULE, data=values | {"thresholds.floor": "55"}, follow_redirects=False)
    assert first.status_code == 303
    stale = signed_in.post(RULE, data=values | {"thresholds.floor": "60", "enabled": "false"})
    assert stale.status_code == 409
    html = text(stale)
    assert "Someone else changed this record while you were editing it" in html and 'value="60"' in html
    assert 'name="version" value="1"' in html
    again = signed_in.post(RULE, data=form_values(stale.text, RULE), follow_redirects=False)
    assert again.status_code == 303


def test_rules_are_for_officers_and_unknown_ones_404(client, session, world, signed_in):
    assert signed_in.get("/settings/flag-rules/no_such_rule").status_code == 404
    signed_in.post("/sign-out", data={"csrf_token": csrf_from(signed_in.get("/schools").text)})
    sign_in(client, world.viewer.email)
    assert client.get("/settings/flag-rules").status_code == 403
    assert client.get(URL).status_code == 200
