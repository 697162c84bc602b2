"""The clinic pages (issue 8): planning with what was typed kept on refusal, the chair's page with
the agenda, flags and evidence, a severity filter (400 for a bad one), minutes written in place and
locked once approved, actions added without reload, exports that open in a spreadsheet, roles, and
a statement count that does not grow with the schools."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.db import all_tenants
from app.models.account import User
from app.models.clinic import Clinic
from tests import factories, visit_setup
from tests.web.conftest import csrf_from, sign_in

HTMX = {"HX-Request": "true"}


def flagged(session, world, count: int) -> list:
    made = []
    for n in range(count):
        school = factories.make_school(session, world.ours, name=f"Flagged {n:03d} Primary")
        factories.make_inspection(session, school, overall_effectiveness=3 + n % 2, inspected_on=date(2024, 3, 1))
        made.append(school)
    return made


def plan(client, held_on: str = "2026-10-05", **fields):
    page = client.get("/clinics/new")
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_from(page.text), "held_on": held_on, "meeting": "", "focus": "", "chair_name": "",
            "attendees": ""} | fields
    return client.post("/clinics", data=data, follow_redirects=False)


def opened(client, session) -> Clinic:
    made = plan(client, chair_name="Cllr Ann Chair", attendees="Director of children's services\nLead member")
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    page = client.get(url)
    token = csrf_from(page.text)
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    done = client.post(f"{url}/status", data={"csrf_token": token, "version": version, "status": "in_session"},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    with all_tenants(session):
        session.expire_all()
        return session.get(Clinic, int(url.rsplit("/", 1)[1]))


def test_planning_refused_keeps_what_was_typed(signed_in):
    refused = plan(signed_in, held_on="1899-01-01", chair_name="Cllr Kept", attendees="One\nTwo")
    assert refused.status_code == 422
    assert 'id="held_on-error"' in refused.text and 'value="Cllr Kept"' in refused.text
    assert "One\nTwo" in refused.text


def test_the_chairs_page_shows_flags_evidence_and_changes(signed_in, session, world):
    flagged(session, world, 3)
    clinic = opened(signed_in, session)
    page = signed_in.get(f"/clinics/{clinic.id}")
    assert page.status_code == 200
    assert page.text.count('class="app-agenda-item ') == 3
    assert "Evidence" in page.text and "This is the first clinic" in page.text
    assert "Cllr Ann Chair" in page.text and "Lead member" in page.text
    red = signed_in.get(f"/clinics/{clinic.id}?severity=red", headers=HTMX)
    assert red.text.lstrip().startswith('<section id="agenda"')
    assert red.text.count('class="app-agenda-item ') == 1
    assert signed_in.get(f"/clinics/{clinic.id}?severity=purple").status_code == 400


def test_minutes_in_place_then_locked(signed_in, session, world):
    flagged(session, world, 1)
    clinic = opened(signed_in, session)
    page = signed_in.get(f"/clinics/{clinic.id}")
    item_id = re.search(r'id="item-(\d+)"', page.text).group(1)
    form = signed_in.get(f"/clinics/{clinic.id}/items/{item_id}/edit", headers=HTMX)
    assert form.text.lstrip().startswith(f'<article id="item-{item_id}"')
    version = re.search(r'name="version" value="(\d+)"', form.text).group(1)
    saved = signed_in.post(f"/clinics/{clinic.id}/items/{item_id}", headers=HTMX,
                           data={"csrf_token": csrf_from(form.text), "version": version, "explanation": "New head",
                                 "minutes": "HMI monitoring visit due in spring"})
    assert saved.status_code == 200 and "HMI monitoring visit due in spring" in saved.text
    stale = signed_in.post(f"/clinics/{clinic.id}/items/{item_id}", headers=HTMX,
                           data={"csrf_token": csrf_from(form.text), "version": version, "explanation": "",
                                 "minutes": "Mine"})
    assert stale.status_code == 409 and "Save mine over theirs" in stale.text
    page = signed_in.get(f"/clinics/{clinic.id}")
    token = csrf_from(page.text)
    for status in ("minutes_draft", "minutes_approved"):
        version = re.search(r'name="version" value="(\d+)"', signed_in.get(f"/clinics/{clinic.id}").text).group(1)
        assert signed_in.post(f"/clinics/{clinic.id}/status", follow_redirects=False,
                              data={"csrf_token": token, "version": version, "status": status}).status_code == 303
    locked = signed_in.get(f"/clinics/{clinic.id}")
    assert "Minutes approved" in locked.text and "/edit" not in locked.text
    assert signed_in.get(f"/clinics/{clinic.id}/items/{item_id}/edit").status_code == 409


def test_actions_are_added_in_place(signed_in, session, world):
    schools = flagged(session, world, 1)
    clinic = opened(signed_in, session)
    token = csrf_from(signed_in.get(f"/clinics/{clinic.id}").text)
    added = signed_in.post(f"/clinics/{clinic.id}/actions", headers=HTMX,
                           data={"csrf_token": token, "text": "Commission a review", "urn": schools[0].urn,
                                 "owner": "Head of school improvement", "due_on": "2026-12-01"})
    assert added.status_code == 200 and added.text.lstrip().startswith('<section id="actions"')
    assert "Commission a review" in added.text
    refused = signed_in.post(f"/clinics/{clinic.id}/actions", headers=HTMX,
                             data={"csrf_token": token, "text": "", "urn": "999999", "owner": "Kept owner"})
    assert refused.status_code == 422 and 'value="Kept owner"' in refused.text


def test_an_action_is_closed_from_the_page_and_a_targets_id_is_read(signed_in, session, world):
    """The forms on each action's and target's row reach their routes (their ids had once been read
    as a missing `item_id`: a 422 error page for every update)."""
    schools = flagged(session, world, 1)
    clinic = opened(signed_in, session)
    token = csrf_from(signed_in.get(f"/clinics/{clinic.id}").text)
    signed_in.post(f"/clinics/{clinic.id}/actions", data={"csrf_token": token, "text": "Commission a review",
                   "urn": schools[0].urn, "owner": "Head of school improvement", "due_on": "2026-12-01"})
    page = signed_in.get(f"/clinics/{clinic.id}").text
    action = re.search(rf'action="/clinics/{clinic.id}/actions/(\d+)"', page).group(1)
    closed = signed_in.post(f"/clinics/{clinic.id}/actions/{action}", follow_redirects=False,
                            data={"csrf_token": token, "version": "1", "status": "done", "note": "Review booked"})
    assert closed.status_code == 303, closed.text
    assert "Review booked" in signed_in.get(f"/clinics/{clinic.id}").text
    missing = signed_in.post(f"/clinics/{clinic.id}/targets/999999", follow_redirects=False,
                             data={"csrf_token": token, "version": "1", "review": "On track", "met": "true"})
    assert missing.status_code == 404, missing.text


def test_the_agenda_downloads_as_a_spreadsheet(signed_in, session, world):
    flagged(session, world, 2)
    clinic = opened(signed_in, session)
    xlsx = signed_in.get(f"/clinics/{clinic.id}/agenda.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["item", "urn", "school"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows and rows[0][0] == 1 and rows[0][3] == "red"
    csv_body = signed_in.get(f"/clinics/{clinic.id}/agenda.csv")
    assert csv_body.content.startswith("\ufeff".encode()) and b"Flagged" in csv_body.content
    assert signed_in.get(f"/clinics/{clinic.id}/agenda.pdf").status_code == 404


def test_roles_on_the_web_face(client, session, world, signed_in):
    clinic = opened(signed_in, session)
    signed_in.cookies.clear()
    head = visit_setup.head(session, world.ours, world.our_school)
    with all_tenants(session):
        email = session.get(User, head.user_id).email
    assert sign_in(client, email).status_code == 303
    assert client.get(f"/clinics/{clinic.id}").status_code == 403
    assert client.get("/clinics/new").status_code == 403


def test_another_partnerships_clinic_is_404(signed_in, session, world):
    with all_tenants(session):
        theirs = Clinic(partnership_id=world.theirs.id, held_on=date(2026, 10, 5), academic_year="2026/27",
                        meeting="autumn")
        session.add(theirs)
        session.flush()
    assert signed_in.get(f"/clinics/{theirs.id}").status_code == 404
    assert signed_in.get(f"/clinics/{theirs.id}/agenda.csv").status_code == 404


@pytest.mark.parametrize("count", [2, 60])
def test_the_page_reads_a_fixed_number_of_statements(signed_in, session, world, count_statements, count):
    flagged(session, world, count)
    clinic = opened(signed_in, session)
    signed_in.get(f"/clinics/{clinic.id}")
    with count_statements() as counted:
        page = signed_in.get(f"/clinics/{clinic.id}")
    assert page.text.count('class="app-agenda-item ') == min(count, 25), "25 schools a page"
    assert counted.count <= 12, counted.statements
    if count > 25:
        assert f"Schools 1–25 of {count}" in page.text and "page=2" in page.text
        last = signed_in.get(f"/clinics/{clinic.id}?page=3")
        assert last.text.count('class="app-agenda-item ') == count - 50
        every = signed_in.get(f"/clinics/{clinic.id}?page=all")
        assert every.text.count('class="app-agenda-item ') == count
        assert signed_in.get(f"/clinics/{clinic.id}?page=x").status_code == 400


def test_list_shows_the_clinics(signed_in, session, world):
    opened(signed_in, session)
    page = signed_in.get("/clinics")
    assert page.status_code == 200 and "In session" in page.text
    with all_tenants(session):
        assert session.exec(select(Clinic)).all()


def test_papers_for_publication_redact_what_is_chosen(signed_in, session, world):
    schools = flagged(session, world, 2)
    clinic = opened(signed_in, session)
    page = signed_in.get(f"/clinics/{clinic.id}")
    item_id = re.search(r'id="item-(\d+)"', page.text).group(1)
    form = signed_in.get(f"/clinics/{clinic.id}/items/{item_id}/edit", headers=HTMX)
    signed_in.post(f"/clinics/{clinic.id}/items/{item_id}", headers=HTMX,
                   data={"csrf_token": csrf_from(form.text),
                         "version": re.search(r'name="version" value="(\d+)"', form.text).group(1),
                         "explanation": "The head is on long-term leave", "minutes": "Agreed to broker support"})
    whole = signed_in.get(f"/clinics/{clinic.id}/publication")
    assert whole.status_code == 200 and schools[1].name in whole.text and "long-term leave" in whole.text
    assert "Draft: these minutes are not approved yet" in whole.text
    redacted = signed_in.get(f"/clinics/{clinic.id}/publication?redact=schools&redact=explanations")
    assert schools[0].name not in redacted.text and schools[1].name not in redacted.text
    assert "School 1" in redacted.text and "long-term leave" not in redacted.text and "[redacted]" in redacted.text
    assert "Agreed to broker support" in redacted.text, "minutes were not chosen"
    assert signed_in.get(f"/clinics/{clinic.id}/publication?redact=everything").status_code == 400


def test_long_lists_of_what_changed_show_fifty_and_the_printed_pack_all(signed_in, session, world):
    flagged(session, world, 104)  # 52 of them inadequate: red, and in no LA category, so "at risk"
    clinic = opened(signed_in, session)
    assert len(clinic.changes["at_risk"]) == 52
    page = signed_in.get(f"/clinics/{clinic.id}")
    changes = page.text.split('id="changes"', 1)[1].split("</section>", 1)[0]
    assert changes.count("(no category)</li>") == 50
    assert "and 2 more" in changes and f'href="/clinics/{clinic.id}?page=all#changes"' in changes
    everything = signed_in.get(f"/clinics/{clinic.id}?page=all").text
    changes = everything.split('id="changes"', 1)[1].split("</section>", 1)[0]
    assert changes.count("(no category)</li>") == 52 and "more (" not in changes
