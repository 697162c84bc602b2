"""A plan's CSV file in the browser: /action-plans/import (officers: a good file is a new plan and the
browser goes to it; a bad one is listed line by line and writes nothing; CSRF) and
/action-plans/{id}/export.csv (any member; another partnership's plan is 404)."""

import html
import re
from datetime import date

from sqlalchemy import func, select

from app.db import all_tenants
from app.models.action_plan import ActionPlan, PlanMilestone
from tests.web.conftest import csrf_from, sign_in

PAGE = "/action-plans/import"
HEADER = "priority,priority_title,action,action_description,lead,time_frame,milestone,due_date,status\n"
GOOD = (HEADER + "1,Leadership,1.1,Appoint a head of school improvement,DCS,Sept 2016,Post filled,2017-01-31,green\n"
                 "1,Leadership,1.2,Review every school,HSI,Termly,,,\n").encode()


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def send(client, content: bytes | None, *, title: str = "Our plan", name: str = "plan.csv", token: str | None = None):
    token = token or csrf_from(client.get(PAGE).text)
    files = {"file": (name, content, "text/csv")} if content is not None else None
    return client.post(PAGE, data={"csrf_token": token, "title": title}, files=files, follow_redirects=False)


def counts(session) -> tuple[int, int]:
    session.expire_all()
    with all_tenants(session):
        return (session.scalar(select(func.count()).select_from(ActionPlan)),
                session.scalar(select(func.count()).select_from(PlanMilestone)))


def test_the_form(signed_in):
    page = signed_in.get(PAGE)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="csrf_token"' in page.text
    assert "<code>priority_title</code>" in page.text and 'name="title"' in page.text


def test_a_good_file_is_a_new_plan(signed_in, session, world):
    done = send(signed_in, GOOD)
    assert done.status_code == 303, text_of(done.text)
    with all_tenants(session):
        plan = session.scalar(select(ActionPlan).where(ActionPlan.partnership_id == world.ours.id))
    assert done.headers["location"] == f"/action-plans/{plan.id}"
    assert plan.title == "Our plan" and plan.owner_user_id == world.officer.id
    assert counts(session) == (1, 1)


def test_a_bad_file_lists_every_line_and_writes_nothing(signed_in, session, world):
    bad = (HEADER + "1,Leadership,1.1,Appoint,DCS,,Post filled,2017-02-30,green\n"
                    "1,Leadership,1.2,Review,WIZARD,,Reviewed,,\n"
                    "1,Leadership,1.3,Review,HSI,,Reviewed,,violet\n").encode()
    page = send(signed_in, bad, title="Kept title")
    assert page.status_code == 422
    shown = text_of(page.text)
    assert "plan.csv has 3 problem(s) on 3 line(s)" in shown and "Nothing was imported" in shown
    rows = re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>', page.text)
    assert rows == ["2", "3", "4"]
    assert "due_date '2017-02-30' is not a date" in shown and "'WIZARD' is not a lead role" in shown
    assert "status 'violet' is not a milestone status" in shown
    assert 'value="Kept title"' in page.text
    assert counts(session) == (0, 0)


def test_no_file_or_not_a_csv(signed_in, session):
    assert "Select the plan&#39;s CSV file to upload" in send(signed_in, None).text
    workbook = send(signed_in, b"PK\x03\x04rest", name="plan.xlsx")
    assert workbook.status_code == 422 and "an Excel workbook" in text_of(workbook.text)
    assert counts(session) == (0, 0)


def test_a_viewer_gets_the_403_page(client, session, world):
    assert sign_in(client, world.viewer.email).status_code == 303
    token = csrf_from(client.get("/schools").text)
    assert client.get(PAGE).status_code == 403
    assert send(client, GOOD, token=token).status_code == 403
    assert counts(session) == (0, 0)


def test_csrf_is_required(signed_in, session):
    refused = signed_in.post(PAGE, data={"title": "x"}, files={"file": ("p.csv", GOOD, "text/csv")},
                             follow_redirects=False)
    assert refused.status_code == 403
    assert counts(session) == (0, 0)


def _plan(session, partnership_id: int, title: str) -> int:
    plan = ActionPlan(partnership_id=partnership_id, title=title, period_start=date(2016, 9, 1),
                      period_end=date(2018, 8, 1))
    with all_tenants(session):
        session.add(plan)
        session.flush()
    return plan.id


def test_a_member_downloads_a_plan(client, session, world):
    plan_id = _plan(session, world.ours.id, "Raising standards 2016-18")
    assert sign_in(client, world.viewer.email).status_code == 303
    got = client.get(f"/action-plans/{plan_id}/export.csv")
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.headers["content-disposition"] == (f'attachment; filename="plan-{plan_id}-raising-standards-2016-18'
                                                  '.csv"')
    assert got.content.startswith(b"\xef\xbb\xbfpriority,priority_title,action,")
    assert ",Raising standards 2016-18,2016-09,2018-08,draft," in got.text


def test_another_partnerships_plan_is_404(signed_in, session, world):
    theirs = _plan(session, world.theirs.id, "Theirs")
    assert signed_in.get(f"/action-plans/{theirs}/export.csv").status_code == 404
    assert signed_in.get("/action-plans/999999/export.csv").status_code == 404
