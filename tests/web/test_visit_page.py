"""A visit record in the browser: sections changed in place (htmx) or by a whole-page form, refused
with what was typed kept, a stale save shown beside the stored record, actions added and removed,
the workflow's buttons by role, and the history."""

import re
from datetime import date

import pytest
from sqlmodel import select

from app.db import all_tenants
from app.models.account import User
from app.models.visit import TriadVisit, VisitAction
from tests import factories, visit_setup
from tests.web.conftest import csrf_from, sign_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def net(session, world):
    return visit_setup.network(session, world)


@pytest.fixture
def visit(session, world, net):
    return factories.make_visit(session, world.our_school, kind="triad_review", triad_id=net.north_triad.id,
                                visit_date=date(2025, 10, 15), strengths="Reading culture")


def stored(session, visit_id: int) -> TriadVisit:
    with all_tenants(session):
        session.expire_all()
        return session.exec(select(TriadVisit).where(TriadVisit.id == visit_id)).one()


def as_person(client, session, world, *grants):
    """Sign the browser in as a new account holding `grants` (role, scope kind, scope id)."""
    principal = visit_setup.person(session, world.ours, "Hana Head", *grants)
    response = sign_in(client, _email(session, principal))
    assert response.status_code == 303, response.text
    return client


def _email(session, principal) -> str:
    with all_tenants(session):
        return session.get(User, principal.user_id).email


def version_of(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


class TestReading:
    def test_the_page_shows_the_record_its_state_and_history(self, signed_in, session, visit, net):
        factories.make_visit_action(session, visit, text="Share the reading spine")
        page = signed_in.get(f"/visits/{visit.id}")
        assert page.status_code == 200, page.text
        assert "Reading culture" in page.text
        assert "Share the reading spine" in page.text
        assert ">Draft</strong>" in page.text
        assert f'href="/triads/{net.north_triad.id}"' in page.text
        assert "Submit the record for sign-off" in page.text
        assert 'id="visit-history"' in page.text

    def test_another_partnerships_visit_is_404(self, signed_in, session, world):
        theirs = factories.make_visit(session, world.their_school)
        assert signed_in.get(f"/visits/{theirs.id}").status_code == 404
        assert signed_in.get(f"/visits/{theirs.id}/edit/findings").status_code == 404

    def test_a_headteacher_of_another_school_cannot_see_it(self, client, session, world, visit, net):
        as_person(client, session, world, ("headteacher", "school", net.cedar.id))
        assert client.get(f"/visits/{visit.id}").status_code == 404

    def test_a_viewer_reads_without_change_links(self, client, session, world, visit):
        as_person(client, session, world, ("viewer", "partnership", None))
        page = client.get(f"/visits/{visit.id}")
        assert page.status_code == 200
        assert "/edit/findings" not in page.text and "Submit the record" not in page.text
        assert client.get(f"/visits/{visit.id}/edit/findings").status_code == 403

    def test_an_unknown_section_is_404(self, signed_in, visit):
        assert signed_in.get(f"/visits/{visit.id}/edit/nonsense").status_code == 404


class TestSections:
    def test_a_section_is_changed_in_place_with_htmx(self, signed_in, session, visit):
        form = signed_in.get(f"/visits/{visit.id}/edit/findings", headers=HTMX)
        assert form.status_code == 200
        assert form.text.lstrip().startswith('<section id="section-findings"'), "only the section comes back"
        data = {"csrf_token": csrf_from(form.text), "version": version_of(form.text), "strengths": "Phonics",
                "areas_for_development": "Writing at KS2", "priorities_for_support": "", "grade": "2"}
        saved = signed_in.post(f"/visits/{visit.id}/edit/findings", data=data, headers=HTMX)
        assert saved.status_code == 200, saved.text
        assert "Writing at KS2" in saved.text and "<form" not in saved.text.split('id="visit-workflow"')[0]
        assert 'id="visit-history" class="app-section" hx-swap-oob="true"' in saved.text
        assert 'id="visit-workflow" hx-swap-oob="true"' in saved.text
        assert "your changes were saved" in saved.text
        row = stored(session, visit.id)
        assert (row.strengths, row.areas_for_development, row.grade, row.version) == ("Phonics", "Writing at KS2", 2, 2)

    def test_without_javascript_the_save_redirects_with_a_banner(self, signed_in, session, visit):
        form = signed_in.get(f"/visits/{visit.id}/edit/details")
        assert "<h1" in form.text, "a whole page without htmx"
        data = {"csrf_token": csrf_from(form.text), "version": version_of(form.text), "visit_date": "2025-10-16",
                "visiting_heads.0.name": "Ann Adviser", "visiting_heads.0.urn": "",
                "visiting_heads.1.name": "", "visiting_heads.1.urn": "",
                "visiting_heads.2.name": "Bola Brown", "visiting_heads.2.urn": ""}
        saved = signed_in.post(f"/visits/{visit.id}/edit/details", data=data, follow_redirects=False)
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/visits/{visit.id}#section-details"
        row = stored(session, visit.id)
        assert row.visit_date == date(2025, 10, 16)
        assert [h["name"] for h in row.visiting_heads] == ["Ann Adviser", "Bola Brown"]
        assert "The visit: your changes were saved" in signed_in.get(f"/visits/{visit.id}").text

    def test_a_refusal_names_the_row_and_keeps_what_was_typed(self, signed_in, session, visit):
        form = signed_in.get(f"/visits/{visit.id}/edit/details", headers=HTMX)
        data = {"csrf_token": csrf_from(form.text), "version": version_of(form.text), "visit_date": "2025-10-15",
                "visiting_heads.0.name": "", "visiting_heads.0.urn": "",
                "visiting_heads.1.name": "Cara Cole", "visiting_heads.1.urn": "999999"}
        refused = signed_in.post(f"/visits/{visit.id}/edit/details", data=data, headers=HTMX)
        assert refused.status_code == 422
        assert 'href="#visiting_heads-1-urn"' in refused.text
        assert 'id="visiting_heads-1-urn-error"' in refused.text and "No school with URN 999999" in refused.text
        assert 'value="Cara Cole"' in refused.text
        assert stored(session, visit.id).version == 1

    def test_a_date_outside_the_triads_year_is_refused_beside_the_date(self, signed_in, visit):
        form = signed_in.get(f"/visits/{visit.id}/edit/details", headers=HTMX)
        data = {"csrf_token": csrf_from(form.text), "version": version_of(form.text), "visit_date": "2024-10-15",
                "visiting_heads.0.name": "Ann Adviser"}
        refused = signed_in.post(f"/visits/{visit.id}/edit/details", data=data, headers=HTMX)
        assert refused.status_code == 422
        assert 'id="visit_date-error"' in refused.text, refused.text
        assert "The triad is for 2025/26" in refused.text

    def test_focus_areas_are_ticked_and_written_side_by_side(self, signed_in, session, visit):
        form = signed_in.get(f"/visits/{visit.id}/edit/areas", headers=HTMX)
        areas = re.findall(r'name="area\.(\d+)\.include"[^>]*>\s*<label[^>]*>The visit looked at ([^<]+)<', form.text)
        index = {name: n for n, name in areas}
        data = {"csrf_token": csrf_from(form.text), "version": version_of(form.text),
                f"area.{index['reading']}.include": "yes", f"area.{index['reading']}.self_evaluation": "Strong",
                f"area.{index['reading']}.peer_view": "Strong in KS1",
                f"area.{index['phonics']}.peer_view": "Typed but not ticked"}
        refused = signed_in.post(f"/visits/{visit.id}/edit/areas", data=data, headers=HTMX)
        assert refused.status_code == 422
        assert f'id="area-{index["phonics"]}-include-error"' in refused.text
        assert "Typed but not ticked" in refused.text, "what was typed is kept"
        data[f"area.{index['phonics']}.include"] = "yes"
        saved = signed_in.post(f"/visits/{visit.id}/edit/areas", data=data, headers=HTMX)
        assert saved.status_code == 200, saved.text
        areas_now = {a["area"]: a for a in stored(session, visit.id).focus_areas}
        assert set(areas_now) == {"reading", "phonics"}
        assert areas_now["reading"]["peer_view"] == "Strong in KS1"

    def test_a_stale_save_shows_theirs_beside_yours_and_saving_again_wins(self, signed_in, session, world, visit):
        form = signed_in.get(f"/visits/{visit.id}/edit/findings", headers=HTMX)
        mine = {"csrf_token": csrf_from(form.text), "version": version_of(form.text), "strengths": "My words",
                "areas_for_development": "", "priorities_for_support": "", "grade": ""}
        with all_tenants(session):
            row = session.get(TriadVisit, visit.id)
            row.strengths, row.updated_by = "Their words", "Olu Officer"
            session.flush()
        stale = signed_in.post(f"/visits/{visit.id}/edit/findings", data=mine, headers=HTMX)
        assert stale.status_code == 409
        assert "Olu Officer saved it" in stale.text
        assert "Their words" in stale.text and "My words" in stale.text
        assert "Save mine over theirs" in stale.text
        again = signed_in.post(f"/visits/{visit.id}/edit/findings",
                               data=mine | {"version": version_of(stale.text)}, headers=HTMX)
        assert again.status_code == 200
        assert stored(session, visit.id).strengths == "My words"


class TestActions:
    def test_add_update_and_remove_an_action_in_place(self, signed_in, session, visit):
        page = signed_in.get(f"/visits/{visit.id}")
        token = csrf_from(page.text)
        added = signed_in.post(f"/visits/{visit.id}/actions", headers=HTMX,
                               data={"csrf_token": token, "text": "Moderate writing", "owner": "Deputy head",
                                     "due_on": "2026-02-01"})
        assert added.status_code == 200, added.text
        assert added.text.lstrip().startswith('<section id="visit-actions"')
        assert "Moderate writing" in added.text and 'hx-swap-oob="true"' in added.text
        with all_tenants(session):
            action = session.exec(select(VisitAction).where(VisitAction.visit_id == visit.id)).one()
        done = signed_in.post(f"/visits/{visit.id}/actions/{action.id}", headers=HTMX,
                              data={"csrf_token": token, "version": "1", "status": "done"})
        assert done.status_code == 200 and ">Done</strong>" in done.text
        stale = signed_in.post(f"/visits/{visit.id}/actions/{action.id}/delete", headers=HTMX,
                               data={"csrf_token": token, "version": "1"})
        assert stale.status_code == 409 and "changed this action after you opened the page" in stale.text
        removed = signed_in.post(f"/visits/{visit.id}/actions/{action.id}/delete", headers=HTMX,
                                 data={"csrf_token": token, "version": "2"})
        assert removed.status_code == 200 and "No actions agreed yet" in removed.text
        history = signed_in.get(f"/visits/{visit.id}").text.split('id="visit-history"')[1]
        assert history.count("an action") == 3, "added, changed and removed all show in the visit's history"

    def test_an_empty_action_is_refused_beside_the_field(self, signed_in, visit):
        page = signed_in.get(f"/visits/{visit.id}")
        refused = signed_in.post(f"/visits/{visit.id}/actions", headers=HTMX,
                                 data={"csrf_token": csrf_from(page.text), "text": " ", "owner": "Kept owner"})
        assert refused.status_code == 422
        assert 'id="action-text-error"' in refused.text and 'value="Kept owner"' in refused.text


class TestWorkflow:
    def _step(self, client, visit_id: int, status: str, **extra):
        page = client.get(f"/visits/{visit_id}")
        data = {"csrf_token": csrf_from(page.text), "version": version_of(page.text), "status": status} | extra
        return client.post(f"/visits/{visit_id}/status", data=data, follow_redirects=False)

    def test_submit_sign_off_and_reopen_with_a_reason(self, signed_in, session, visit):
        assert self._step(signed_in, visit.id, "submitted").status_code == 303
        refused = self._step(signed_in, visit.id, "signed_off")
        assert refused.status_code == 422 and "grade the visit before signing it off" in refused.text.lower()
        row = stored(session, visit.id)
        with all_tenants(session):
            row.grade = 2
            session.flush()
        assert self._step(signed_in, visit.id, "signed_off").status_code == 303
        page = signed_in.get(f"/visits/{visit.id}")
        assert "The record was signed off" in page.text and "/edit/findings" not in page.text
        assert signed_in.get(f"/visits/{visit.id}/edit/findings").status_code == 409
        no_reason = self._step(signed_in, visit.id, "submitted", reason="  ")
        assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
        assert self._step(signed_in, visit.id, "submitted", reason="Grade agreed in error").status_code == 303
        row = stored(session, visit.id)
        assert (row.status, row.reopen_reason) == ("submitted", "Grade agreed in error")

    def test_a_headteacher_submits_their_own_schools_record_but_cannot_sign_it_off(self, client, session, world,
                                                                                     visit):
        as_person(client, session, world, ("headteacher", "school", world.our_school.id))
        page = client.get(f"/visits/{visit.id}")
        assert "Submit the record for sign-off" in page.text
        assert self._step(client, visit.id, "submitted").status_code == 303
        page = client.get(f"/visits/{visit.id}")
        assert "Sign off the record" not in page.text
        refused = client.post(f"/visits/{visit.id}/status", follow_redirects=False,
                              data={"csrf_token": csrf_from(page.text), "version": "2", "status": "signed_off"})
        assert refused.status_code == 403

    def test_a_lead_outside_the_collaborative_cannot_sign_off(self, client, session, world, net, visit):
        row = stored(session, visit.id)
        with all_tenants(session):
            row.status = "submitted"
            session.flush()
        as_person(client, session, world, ("lead_headteacher", "collaborative", net.south.id))
        assert client.get(f"/visits/{visit.id}").status_code == 404


def test_the_statement_count_does_not_grow_with_actions_or_history(signed_in, session, visit, count_statements):
    for n in range(2):
        factories.make_visit_action(session, visit, text=f"Action {n}")
    signed_in.get(f"/visits/{visit.id}")
    with count_statements() as few:
        assert signed_in.get(f"/visits/{visit.id}").status_code == 200
    for n in range(30):
        factories.make_visit_action(session, visit, text=f"More {n}")
    with count_statements() as many:
        page = signed_in.get(f"/visits/{visit.id}")
    assert page.text.count("More ") >= 30
    assert many.count == few.count


def test_a_triad_reviews_page_leads_back_to_its_triad(signed_in, visit, net):
    page = signed_in.get(f"/visits/{visit.id}")
    crumbs = page.text.split('aria-label="Breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert f'href="/triads/{net.north_triad.id}">{net.north_triad.name}</a>' in crumbs
