"""/audit and /audit.csv: the trail for officers, filtered and paged, downloaded as a CSV file a
spreadsheet opens safely; viewers refused; another partnership's events never shown."""

import csv
import io
import re

from app.models.school import SchoolCreate, SchoolUpdate
from app.services import accounts, schools
from app.services.concurrency import etag
from app.services.principal import bind
from tests import factories
from tests.web.conftest import sign_in


def officer(session, world):
    return accounts.principal_for(session, world.officer, world.ours.id)


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr class="govuk-table__row" id="event-\d+">.*?</tr>', html, re.S)


def test_an_officer_sees_who_changed_what(signed_in, session, world):
    by = officer(session, world)
    bind(session, by)
    schools.update(session, world.our_school.urn, SchoolUpdate(name="Alder Community Primary", pupils=250),
                   if_match=etag(world.our_school.version), by=by)
    response = signed_in.get("/audit")
    assert response.status_code == 200
    html = response.text
    assert '<a class="govuk-link app-nav__link" href="/audit" aria-current="page">Audit</a>' in html
    newest = rows_of(html)[0]
    assert world.officer.name in newest and "School" in newest and str(world.our_school.id) in newest
    assert "Changed" in newest
    assert "“Alder Primary School” → “Alder Community Primary”" in newest
    assert "210 → 250" in newest
    assert f'href="/audit?table=school&amp;record_id={world.our_school.id}"' in newest


def test_a_viewer_is_refused_the_page_and_the_download(client, session, world):
    assert sign_in(client, world.viewer.email).status_code == 303
    assert client.get("/audit").status_code == 403
    assert client.get("/audit.csv").status_code == 403
    assert 'href="/audit"' not in client.get("/schools").text


def test_filters_narrow_to_one_record(signed_in, session, world):
    other = factories.make_school(session, world.ours, urn="600001", name="Other School")
    html = signed_in.get("/audit", params={"table": "school", "record_id": world.our_school.id}).text
    rows = rows_of(html)
    assert len(rows) == 1 and "Alder Primary School" in rows[0] and "Created" in rows[0]
    assert "Other School" not in html
    assert 'value="school" selected' in html and f'value="{world.our_school.id}"' in html
    assert other.id != world.our_school.id


def test_filter_by_who_and_by_day(signed_in, session, world):
    by = officer(session, world)
    schools.create(session, SchoolCreate(urn="600002", name="Juniper Primary", phase="primary", status="open",
                                         engaged=True), by=by)
    mine = rows_of(signed_in.get("/audit", params={"actor": world.officer.name}).text)
    assert len(mine) == 1 and "Juniper Primary" in mine[0]
    assert rows_of(signed_in.get("/audit", params={"since": "2099-01-01"}).text) == []
    assert rows_of(signed_in.get("/audit", params={"until": "2000-01-01"}).text) == []
    assert len(rows_of(signed_in.get("/audit", params={"since": "2000-01-01", "until": "2099-12-31"}).text)) >= 3


def test_bad_filters_are_shown_beside_their_fields(signed_in, world):
    for params, message in (({"record_id": "forty"}, "Enter a record number, like 42"),
                            ({"since": "31/12/2025"}, "Enter a date like 2026-09-01"),
                            ({"table": "password_link"}, "Choose a table from the list"),
                            ({"cursor": "nonsense"}, "That page link is out of date")):
        response = signed_in.get("/audit", params=params)
        assert response.status_code == 400, params
        assert "There is a problem" in response.text and message in response.text
        assert rows_of(response.text) == []


def test_another_partnerships_events_are_not_shown(signed_in, session, world):
    factories.make_school(session, world.theirs, urn="600003", name="Their Hidden School")
    html = signed_in.get("/audit").text
    assert "Their Hidden School" not in html and "Birch Academy" not in html
    assert "Alder Primary School" in html
    their_id = world.their_school.id
    assert rows_of(signed_in.get("/audit", params={"table": "school", "record_id": their_id}).text) == []


def test_paging_goes_to_older_events(signed_in, session, world):
    for n in range(55):
        factories.make_school(session, world.ours, urn=f"61{n:04d}")
    first = signed_in.get("/audit").text
    assert len(rows_of(first)) == 50
    next_url = re.search(r'href="(/audit\?[^"]*cursor=[^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = signed_in.get(next_url).text
    ids = lambda html: [int(i) for i in re.findall(r'id="event-(\d+)"', html)]  # noqa: E731
    assert ids(second) and max(ids(second)) < min(ids(first))
    assert "Showing 51–" in second


def test_htmx_gets_the_results_block_only(signed_in, world):
    response = signed_in.get("/audit", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="audit-events"' in response.text
    assert 'hx-swap-oob="innerHTML"' in response.text
    assert response.headers["vary"] == "HX-Request"


def test_the_csv_opens_in_a_spreadsheet_safely(signed_in, session, world):
    by = officer(session, world)
    school = schools.create(session, SchoolCreate(urn="600004", name="=HYPERLINK(\"http://evil.example\")",
                                                  phase="primary", status="open", engaged=True, pupils=180,
                                                  headteacher_name="@Ms Lee", trust_name="+Trust -1"),
                            by=by)
    response = signed_in.get("/audit.csv", params={"table": "school", "record_id": school.id})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and re.search(r'filename="audit-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.csv"',
                                                                disposition)
    body = response.content
    assert body.startswith("\ufeff".encode())  # so that Excel reads UTF-8
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0] == ["event", "occurred_at_utc", "actor", "table", "record_id", "action", "field", "before",
                        "after"]
    by_field = {line[6]: line for line in lines[1:]}
    assert by_field["name"][8] == "'=HYPERLINK(\"http://evil.example\")"
    assert by_field["headteacher_name"][8] == "'@Ms Lee"
    assert by_field["trust_name"][8] == "'+Trust -1"
    assert by_field["pupils"][8] == "180"  # numbers stay numbers
    assert {line[2] for line in lines[1:]} == {world.officer.name}
    assert {line[5] for line in lines[1:]} == {"create"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", lines[1][1])
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines[1:] for cell in line)


def test_the_csv_keeps_the_filters_and_only_our_events(signed_in, session, world):
    factories.make_school(session, world.theirs, urn="600005", name="Their Hidden School")
    body = signed_in.get("/audit.csv").content.decode("utf-8-sig")
    assert "Their Hidden School" not in body and "Alder Primary School" in body
    page = signed_in.get("/audit", params={"table": "school"}).text
    assert 'href="/audit.csv?table=school"' in page
    only_schools = list(csv.reader(io.StringIO(signed_in.get("/audit.csv?table=school").content.decode("utf-8-sig"))))
    assert {line[3] for line in only_schools[1:]} == {"school"}
    assert signed_in.get("/audit.csv", params={"record_id": "x"}).status_code == 400


def test_the_statement_count_does_not_grow_with_the_rows(signed_in, session, world, count_statements):
    for n in range(30):
        factories.make_school(session, world.ours, urn=f"6201{n:02d}")  # no principal bound: "command line"
    by = officer(session, world)
    for n in range(2):
        schools.create(session, SchoolCreate(urn=f"62000{n}", name=f"Few {n}", phase="primary", status="open",
                                             engaged=True), by=by)
    signed_in.get("/audit")
    with count_statements() as few:
        assert len(rows_of(signed_in.get("/audit", params={"actor": world.officer.name}).text)) == 2
    with count_statements() as many:
        assert len(rows_of(signed_in.get("/audit", params={"actor": "command line", "table": "school"}).text)) >= 30
    assert many.count == few.count
    with count_statements() as download:
        signed_in.get("/audit.csv", params={"actor": "command line"})
    assert download.count <= few.count
