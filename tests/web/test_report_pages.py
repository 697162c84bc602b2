"""/reports/support-review: the year chooser, the charts (readable without colour, with a text
alternative) and their tables, an empty year pointing to the years with deployments, a malformed
year refused beside the chooser, and the review as CSV and as XLSX (opened, its cells checked).
Every member reads it."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from app.db import all_tenants
from app.models.account import Role, ScopeKind
from app.services import accounts, demo
from app.services.partnerships import academic_year_for, previous_year
from tests import factories
from tests.report_setup import deploy
from tests.web.conftest import sign_in

URL = "/reports/support-review"
HEADER = ["academic_year", "section", "group", "urn", "projects", "green", "amber", "red", "not_yet_completed",
          "schools", "days_planned", "days_delivered"]


@pytest.fixture
def deployments(session, world):
    academy = factories.make_school(session, world.ours, name="Oak Academy", establishment_type="Academy converter")
    deploy(session, world.our_school, outcome="green", days_planned=2.0, days_delivered=2.5)
    deploy(session, world.our_school, provider_kind="nlg", outcome="red", days_planned=2.0, days_delivered=2.0)
    deploy(session, academy, provider_kind="peer_review", outcome="not_yet_completed", days_delivered=0.0)
    deploy(session, world.their_school, outcome="amber")
    return academy


def test_a_viewer_reads_the_page_with_its_charts_and_tables(client, world, deployments):
    assert sign_in(client, world.viewer.email).status_code == 303
    response = client.get(URL, params={"year": "2025/26"})
    assert response.status_code == 200, response.text
    html = response.text
    assert "<title>Support review 2025/26" in html and 'aria-current="page">Support review</a>' in html
    assert re.search(r'<option value="2025/26" selected>2025/26</option>', html)
    assert "3 projects: 1 green,\n  0 amber, 1 red, 1 not yet completed" in html
    assert "(2 in LA-maintained schools, 1 in academies)" in html
    # Two charts, each an image with a title and a description that says what the bars say.
    assert html.count('role="img"') == 2
    assert ("<desc id=\"chart-school-type-desc\">All schools: 3 projects (1 green, 1 red, 1 not yet completed). "
            "LA maintained: 2 projects (1 green, 1 red). Academy: 1 project (1 not yet completed).</desc>") in html
    # Each outcome its own pattern, not only its colour; the counts on the bars; a title per segment.
    for outcome in ("green", "amber", "red", "not_yet_completed"):
        assert f'<pattern id="chart-kind-{outcome}"' in html
    assert '<path d="M0,0 l8,8 M8,0 l-8,8"' in html and '<circle cx="4" cy="4" r="1.5"' in html
    assert "<title>LA maintained: 1 red</title>" in html and "<title>Peer review: 1 not yet completed</title>" in html
    assert 'style=' not in html.split("<main", 1)[1]  # the policy allows no inline style
    # The tables say it in numbers: school type, establishment type, kind (with days), the schools.
    def cells(table_id: str, label: str) -> list[str]:
        table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
        return re.findall(r">([^<>]+)</td>", re.search(rf"{re.escape(label)}</th>(.*?)</tr>", table, re.S).group(1))
    assert cells("table-kind", "Specialist leader of education (SLE)") == ["1", "1", "0", "0", "0", "1"]
    assert cells("table-kind-days", "Specialist leader of education (SLE)") == ["1", "0", "2", "2.5"]
    assert cells("table-kind-days", "Peer review") == ["0", "1", "3", "0"]
    assert cells("table-establishment-type", "Academy converter") == ["1", "0", "0", "0", "1", "1"]
    schools = html.split('id="table-schools"', 1)[1].split("</table>", 1)[0]
    assert schools.index(world.our_school.name) < schools.index("Oak Academy")
    assert world.their_school.name not in html
    assert f'href="{URL}.csv?year=2025/26"' in html and f'href="{URL}.xlsx?year=2025/26"' in html


def test_an_empty_year_points_to_the_years_with_deployments(signed_in, world, deployments):
    html = signed_in.get(URL).text
    current = world.ours.current_academic_year
    assert f"No support deployments are recorded for {current}." in html
    assert f'<a class="govuk-link" href="{URL}?year=2025/26">2025/26</a>' in html
    assert f'<option value="{current}" selected>{current} (this year)</option>' in html


def test_a_malformed_year_is_refused_beside_the_chooser(signed_in, deployments):
    response = signed_in.get(URL, params={"year": "2025-26"})
    assert response.status_code == 400
    html = response.text
    assert "<title>Error: Support review" in html and 'class="govuk-error-summary"' in html
    assert 'id="year-error"' in html and "written like" in html and 'role="img"' not in html


def test_the_csv_download(signed_in, world, deployments):
    response = signed_in.get(f"{URL}.csv", params={"year": "2025/26"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="support-review-' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1] == ["2025/26", "All schools", "All schools", "", "3", "1", "0", "1", "1", "2", "7.0", "4.5"]
    assert rows[2][1:9] == ["School type", "LA maintained", "", "2", "1", "0", "1", "0"]
    assert [r[2] for r in rows if r[1] == "Most supported schools"] == [world.our_school.name, "Oak Academy"]


def test_the_xlsx_download_opens_with_its_cells(signed_in, world, deployments):
    response = signed_in.get(f"{URL}.xlsx", params={"year": "2025/26"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Support review 2025-26"]
    assert [c.value for c in sheet[1]] == HEADER and sheet.freeze_panes == "A2"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0] == ["2025/26", "All schools", "All schools", None, 3, 1, 0, 1, 1, 2, 7, 4.5]
    kinds = {r[2]: r for r in rows if r[1] == "Kind of support"}
    assert len(kinds) == 8 and kinds["National leader of governance (NLG)"][4:8] == [1, 0, 0, 1]
    assert kinds["Peer review"][8] == 1
    top = [r for r in rows if r[1] == "Most supported schools"]
    assert top[0][2:5] == [world.our_school.name, world.our_school.urn, 2] and top[0][11] == 4.5


def test_a_download_of_a_malformed_year_or_kind(signed_in):
    assert signed_in.get(f"{URL}.csv", params={"year": "2025/2026"}).status_code == 422
    assert signed_in.get(f"{URL}.pdf").status_code == 404


def test_signed_out_is_sent_to_sign_in_and_a_headteacher_reads_it(client, session, world, deployments):
    for url in (URL, f"{URL}.csv", f"{URL}.xlsx"):
        assert client.get(url, follow_redirects=False).status_code == 303
    head = factories.make_user(session)
    with all_tenants(session):
        accounts.grant(session, head, world.ours, Role.headteacher.value, scope_kind=ScopeKind.school.value,
                       scope_id=world.our_school.id)
    assert sign_in(client, head.email).status_code == 303
    assert client.get(f"{URL}.csv", params={"year": "2025/26"}).status_code == 200


def test_the_demos_review_page(client, session):
    built = demo.build(session)
    assert sign_in(client, built.viewer_email, built.viewer_password).status_code == 303
    year = previous_year(academic_year_for(date.today()))
    html = client.get(URL).text
    assert f'href="{URL}?year={year}">{year}</a>' in html
    html = client.get(URL, params={"year": year}).text
    assert "92 projects: 53 green,\n  12 amber, 4 red, 23 not yet completed" in html
    assert "(58 in LA-maintained schools, 34 in academies)" in html
