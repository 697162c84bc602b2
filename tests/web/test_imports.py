"""GIAS upload in the browser: upload, the check's summary, confirm, the applied summary; refusals,
permissions, tenancy, a job cut off by a restart, and the progress page's cost.

The test app runs the jobs at once, in the response's background task (the tests' database is one
connection), so a redirect to the job page finds its step done."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import all_tenants
from app.models.base import utcnow
from app.models.import_job import ImportJob, ImportStatus
from app.models.school import School
from app.services import accounts, import_jobs
from tests.gias_csv import gias_row, write_gias_csv
from tests.web.conftest import csrf_from, sign_in

PAGE = "/imports/gias"


def csv_file(tmp_path, rows, name="edubasealldata.csv") -> bytes:
    return write_gias_csv(tmp_path / name, rows).read_bytes()


def upload(client, content: bytes, *, name="edubasealldata.csv", la_code="874", token=None):
    token = token or csrf_from(client.get(PAGE).text)
    return client.post(PAGE, data={"csrf_token": token, "la_code": la_code},
                       files={"file": (name, content, "text/csv")}, follow_redirects=False)


def job_of(response) -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/imports/gias/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def post(client, url: str):
    return client.post(url, data={"csrf_token": csrf_from(client.get(PAGE).text)}, follow_redirects=False)


def urns(session) -> set[str]:
    session.expire_all()
    with all_tenants(session):
        return set(session.scalars(select(School.urn)))


def stored(session, job_id) -> ImportJob:
    with all_tenants(session):
        return session.scalars(select(ImportJob).where(ImportJob.id == job_id)
                               .execution_options(populate_existing=True)).one()


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_upload_check_confirm_apply(signed_in, session, world, tmp_path):
    rows = [gias_row("300001"), gias_row("300002", rating="Good", inspected="01-02-2019"),
            gias_row(world.our_school.urn, name="Alder Primary Academy")]
    page = signed_in.get(PAGE)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'value="874"' in page.text
    assert 'aria-current="page">Imports' in page.text
    before = urns(session)

    job_id = job_of(upload(signed_in, csv_file(tmp_path, rows)))

    checked = signed_in.get(f"{PAGE}/{job_id}")
    assert checked.status_code == 200
    shown = text_of(checked.text)
    assert "Check complete: nothing has been written yet" in shown
    assert 'data-count="created">2<' in checked.text and 'data-count="updated">1<' in checked.text
    assert 'data-count="inspections_added">1<' in checked.text
    assert 'hx-trigger' not in checked.text and 'http-equiv="refresh"' not in checked.text
    # Nothing is written until the officer confirms.
    assert urns(session) == before
    with all_tenants(session):
        assert session.get(School, world.our_school.id).name == "Alder Primary School"

    applied = post(signed_in, f"{PAGE}/{job_id}/apply")
    assert applied.status_code == 303 and applied.headers["location"] == f"{PAGE}/{job_id}"
    done = signed_in.get(f"{PAGE}/{job_id}")
    assert "Applied to the register" in text_of(done.text)
    assert "edubasealldata.csv is being applied" in text_of(done.text)  # the banner, once
    assert 'data-count="created">2<' in done.text
    assert urns(session) == before | {"300001", "300002"}
    job = stored(session, job_id)
    assert (job.status, job.file_name, job.created_by_name) == ("applied", "edubasealldata.csv", world.officer.name)
    assert job.updated_by == world.officer.name and job.finished_at is not None

    # Recorded, and listed on the upload page.
    listed = signed_in.get(PAGE).text
    assert f'href="{PAGE}/{job_id}">edubasealldata.csv</a>' in listed
    assert world.officer.name in listed and "Applied" in listed

    again = post(signed_in, f"{PAGE}/{job_id}/apply")
    assert again.status_code == 422
    assert "This file has already been applied" in again.text


def test_a_refused_file_lists_every_bad_line_and_applies_nothing(signed_in, session, tmp_path):
    rows = [gias_row("12A456"), gias_row("300002"), gias_row("300003", opened="31-02-2019"),
            gias_row("300004", pupils="many")]
    before = urns(session)
    job_id = job_of(upload(signed_in, csv_file(tmp_path, rows)))

    shown = text_of(signed_in.get(f"{PAGE}/{job_id}").text)
    assert "The file was refused: nothing was written" in shown
    assert "Line 2: URN '12A456' is not 6 digits" in shown
    assert "Line 4: OpenDate '31-02-2019' is not a date (dd-mm-yyyy)" in shown
    assert "Line 5: NumberOfPupils 'many'" in shown
    assert "Apply to the register" not in shown

    refused = post(signed_in, f"{PAGE}/{job_id}/apply")
    assert refused.status_code == 422 and "This file was refused" in refused.text
    assert urns(session) == before
    assert stored(session, job_id).status == "refused"


def test_the_check_shows_the_warnings_grouped(signed_in, tmp_path):
    rows = [gias_row("300001", rating="Not judged", inspected="01-02-2019"),
            gias_row("300002", rating="Insufficient evidence", inspected="01-03-2019"),
            gias_row("300003", rating="Not judged", inspected="01-04-2019")]
    job_id = job_of(upload(signed_in, csv_file(tmp_path, rows)))

    shown = text_of(signed_in.get(f"{PAGE}/{job_id}").text)
    assert "Warnings" in shown
    assert ("OfstedRating (name) 'Not judged': 2 rows (lines 2, 4); not a rating this service knows, so no grade "
            "recorded") in shown
    assert ("OfstedRating (name) 'Insufficient evidence': 1 row (line 3); not a judgement, so no grade recorded"
            in shown)


@pytest.mark.parametrize(("name", "content", "la_code", "field", "message"), [
    ("", b"", "874", "file", "Select a GIAS file (CSV) to upload"),
    ("edubasealldata.csv", b"", "874", "file", "The selected file is empty"),
    ("edubasealldata.xlsx", b"URN,EstablishmentName\r\n", "874", "file", "The selected file must be a CSV"),
    ("edubasealldata.csv", b"PK\x03\x04\x14\x00", "874", "file", "an Excel workbook or another zip file"),
    ("edubasealldata.csv", b"URN\r\n", "87", "la_code", "An LA code is three digits"),
])
def test_a_bad_upload_is_the_form_again_with_the_message_beside_the_field(signed_in, session, name, content,
                                                                           la_code, field, message):
    response = upload(signed_in, content, name=name, la_code=la_code)
    assert response.status_code == 422
    beside = re.search(rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', response.text, re.S)
    assert beside and message in beside.group(1), response.text
    assert f'href="#{field}"' in response.text  # the error summary links to the field
    assert f'value="{la_code}"' in response.text  # what was typed is kept
    with all_tenants(session):
        assert session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_a_national_size_upload_is_not_refused_by_the_body_limit(signed_in, client, tmp_path):
    rows = [gias_row(f"{400000 + n}", la_code="999") for n in range(3000)]
    content = csv_file(tmp_path, rows)
    assert len(content) > 1024 * 1024  # over the limit every other route keeps
    job_id = job_of(upload(signed_in, content, la_code="874"))
    assert 'data-count="skipped">3,000' in signed_in.get(f"{PAGE}/{job_id}").text
    token = csrf_from(signed_in.get(PAGE).text)
    elsewhere = signed_in.post("/sign-out", data={"csrf_token": token, "padding": "x" * (1024 * 1024)})
    assert elsewhere.status_code == 413


@pytest.fixture
def our_job(session, world, tmp_path):
    officer = accounts.principal_for(session, world.officer, world.ours.id)
    return import_jobs.upload_gias(session, file_name="edubasealldata.csv", la_code="874", by=officer,
                                   content=csv_file(tmp_path, [gias_row("300001")]))


def test_a_viewer_gets_the_403_page_never_a_500(client, session, world, our_job, tmp_path):
    assert sign_in(client, world.viewer.email).status_code == 303
    token = csrf_from(client.get("/schools").text)
    assert 'href="/imports/gias"' not in client.get("/schools").text
    for response in (client.get(PAGE), client.get(f"{PAGE}/{our_job.id}"),
                     upload(client, csv_file(tmp_path, [gias_row("300009")]), token=token),
                     client.post(f"{PAGE}/{our_job.id}/apply", data={"csrf_token": token}),
                     client.post(f"{PAGE}/{our_job.id}/discard", data={"csrf_token": token})):
        assert response.status_code == 403, response.request.url
        assert "You cannot do that" in response.text and "read-only" in response.text
    assert stored(session, our_job.id).status == "uploaded"


def test_another_partnerships_job_is_not_found(client, session, world, our_job):
    assert sign_in(client, world.outsider.email).status_code == 303
    token = csrf_from(client.get("/schools").text)
    for response in (client.get(f"{PAGE}/{our_job.id}"),
                     client.post(f"{PAGE}/{our_job.id}/apply", data={"csrf_token": token}),
                     client.post(f"{PAGE}/{our_job.id}/discard", data={"csrf_token": token}),
                     client.get(f"{PAGE}/abc"), client.get(f"{PAGE}/99999999999999999999999")):
        assert response.status_code == 404, response.request.url
    assert our_job.file_name not in client.get(PAGE).text


def test_discard(signed_in, session, our_job, world):
    runner = signed_in.app.state.import_jobs
    runner.check(our_job.id, accounts.principal_for(session, world.officer, world.ours.id))
    response = post(signed_in, f"{PAGE}/{our_job.id}/discard")
    assert response.status_code == 303 and response.headers["location"] == PAGE
    assert "edubasealldata.csv was discarded; nothing was written to the register" in signed_in.get(PAGE).text
    assert stored(session, our_job.id).status == "discarded"
    assert "300001" not in urns(session)


def running(session, job, *, seconds_ago: float) -> None:
    job.status = ImportStatus.checking.value
    job.heartbeat_at = utcnow() - timedelta(seconds=seconds_ago)
    job.progress_done, job.progress_total = 1000, 4000
    session.flush()


def test_a_running_job_polls_and_refreshes_until_it_ends(signed_in, session, our_job):
    running(session, our_job, seconds_ago=1)
    page = signed_in.get(f"{PAGE}/{our_job.id}")
    assert page.status_code == 200
    assert f'hx-get="{PAGE}/{our_job.id}" hx-trigger="every 1s" hx-swap="outerHTML"' in page.text
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text
    assert "1,000 of 4,000 rows" in text_of(page.text)
    assert '<progress class="app-progress" aria-labelledby="import-heading" max="4000" value="1000">' in page.text

    fragment = signed_in.get(f"{PAGE}/{our_job.id}", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="import-job" data-status="checking"')
    assert "<html" not in fragment.text and "hx-trigger" in fragment.text


def test_a_job_cut_off_by_a_restart_is_shown_and_marked_failed(signed_in, session, our_job):
    running(session, our_job, seconds_ago=120)
    page = signed_in.get(f"{PAGE}/{our_job.id}")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "The import failed: nothing was written" in shown
    assert "The server restarted before it finished" in shown
    assert "hx-trigger" not in page.text and 'http-equiv="refresh"' not in page.text
    job = stored(session, our_job.id)
    assert (job.status, job.message) == ("failed", import_jobs.CUT_OFF)
    assert "Failed" in signed_in.get(PAGE).text


def test_the_progress_page_costs_a_few_statements(signed_in, session, our_job, count_statements):
    running(session, our_job, seconds_ago=1)
    signed_in.get(f"{PAGE}/{our_job.id}")
    with count_statements() as poll:
        assert signed_in.get(f"{PAGE}/{our_job.id}", headers={"HX-Request": "true"}).status_code == 200
    with count_statements() as whole:
        assert signed_in.get(f"{PAGE}/{our_job.id}").status_code == 200
    # The poll: the session, the role, the job. The whole page adds the header's partnerships.
    assert poll.count <= 3, poll.statements
    assert whole.count <= 4, whole.statements
