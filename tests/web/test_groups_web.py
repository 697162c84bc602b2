"""Groups in the browser: the list and its fragment, the officers' "new group" form (CSRF, refusals
that keep what was typed), a dashboard's weighted figures on known data, targets, stages, the
details form's stale save, the route map, and another partnership's group (404)."""

import re

import pytest

from app.db import all_tenants
from app.models.group import SchoolGroup
from tests import factories
from tests.web.conftest import csrf_from, sign_in

YEAR = "2025/26"


@pytest.fixture
def pair(session, world):
    a = factories.make_school(session, world.ours, name="Ashdown Primary", pupils=100)
    b = factories.make_school(session, world.ours, name="Bexhill Primary", pupils=300)
    return a, b


def make_group(client, **fields) -> int:
    page = client.get("/groups")
    data = {"name": "Rother Alliance", "kind": "alliance", "description": "", "schools": "", "trust_name": "",
            "collaborative_id": "", "csrf_token": csrf_from(page.text)} | fields
    response = client.post("/groups", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def post_on(client, group_id: int, path: str, **fields):
    page = client.get(f"/groups/{group_id}")
    version = re.search(r'name="version" value="([0-9]+)"', page.text).group(1)
    return client.post(f"/groups/{group_id}{path}", data={"csrf_token": csrf_from(page.text), "version": version}
                       | fields, follow_redirects=False)


class TestList:
    def test_the_page_and_its_fragment(self, signed_in, pair):
        make_group(signed_in, schools=f"{pair[0].urn}, {pair[1].urn}")
        page = signed_in.get("/groups")
        assert page.status_code == 200 and "Rother Alliance" in page.text and 'id="new-group"' in page.text
        assert page.headers["vary"] == "HX-Request"
        fragment = signed_in.get("/groups", headers={"HX-Request": "true"})
        assert "Rother Alliance" in fragment.text and "<html" not in fragment.text

    def test_a_viewer_has_no_form(self, client, world):
        sign_in(client, world.viewer.email)
        page = client.get("/groups")
        assert page.status_code == 200 and 'id="new-group"' not in page.text

    def test_a_form_without_csrf_is_refused(self, signed_in):
        response = signed_in.post("/groups", data={"name": "X", "kind": "named"}, follow_redirects=False)
        assert response.status_code == 403

    def test_a_refusal_keeps_what_was_typed(self, signed_in, world):
        page = signed_in.get("/groups")
        response = signed_in.post("/groups", data={
            "name": "Hastings Alliance", "kind": "alliance", "description": "Five primaries",
            "schools": f"{world.our_school.urn} {world.their_school.urn}", "trust_name": "", "collaborative_id": "",
            "csrf_token": csrf_from(page.text)})
        assert response.status_code == 422
        assert "There is a problem" in response.text and f"No school with URN {world.their_school.urn}" in response.text
        assert 'value="Hastings Alliance"' in response.text and "Five primaries" in response.text
        assert world.their_school.urn in response.text

    def test_made_from_a_trust_offered_by_name(self, signed_in, session, world):
        factories.make_school(session, world.ours, trust_name="Downs Learning Trust")
        assert "Downs Learning Trust (1 open school)" in signed_in.get("/groups").text
        group_id = make_group(signed_in, kind="trust", name="Downs", trust_name="Downs Learning Trust")
        assert "1 school," in signed_in.get(f"/groups/{group_id}").text


class TestDashboard:
    def test_weighted_figures_with_the_school_left_out_named(self, signed_in, session, world, pair):
        a, b = pair
        c = factories.make_school(session, world.ours, name="Camber Primary", pupils=None)
        for school, value in ((a, 50.0), (b, 70.0), (c, 90.0)):
            factories.make_indicator(session, school, measure="attainment", academic_year=YEAR, value=value)
        group_id = make_group(signed_in, schools=f"{a.urn}\n{b.urn}\n{c.urn}")
        page = signed_in.get(f"/groups/{group_id}", params={"year": YEAR})
        assert page.status_code == 200
        table = page.text[page.text.index('id="figures-table"'):]
        assert ">65<br>" in table and "2 schools, 400 pupils" in table
        assert f"Camber Primary ({c.urn}): no pupil number on the register" in table

    def test_a_bad_year_is_400_with_the_message(self, signed_in):
        group_id = make_group(signed_in)
        page = signed_in.get(f"/groups/{group_id}", params={"year": "2025-26"})
        assert page.status_code == 400 and "Enter a year like 2024/25" in page.text

    def test_another_partnerships_group_is_404(self, signed_in, session, world):
        with all_tenants(session):
            theirs = SchoolGroup(partnership_id=world.theirs.id, name="Theirs", kind="named")
            session.add(theirs)
            session.flush()
        assert signed_in.get(f"/groups/{theirs.id}").status_code == 404

    def test_a_target_added_then_its_latest_value(self, signed_in):
        group_id = make_group(signed_in)
        refused = post_on(signed_in, group_id, "/targets", measure="Reading (%)", baseline="60", target="60",
                          target_on="2027-07-31", latest_value="", latest_on="")
        assert refused.status_code == 422 and "The target must differ from the baseline" in refused.text
        assert 'value="Reading (%)"' in refused.text
        done = post_on(signed_in, group_id, "/targets", measure="Reading (%)", baseline="60", target="80",
                       target_on="2027-07-31", latest_value="", latest_on="")
        assert done.status_code == 303
        page = signed_in.get(f"/groups/{group_id}")
        target_id = re.search(r'/targets/([0-9]+)"', page.text).group(1)
        saved = post_on(signed_in, group_id, f"/targets/{target_id}", latest_value="70", latest_on="2026-07-15")
        assert saved.status_code == 303
        assert "50% of the way · In progress" in signed_in.get(f"/groups/{group_id}").text

    def test_a_stage_recorded_and_kept(self, signed_in):
        group_id = make_group(signed_in)
        assert post_on(signed_in, group_id, "/stage", stage="emerging", reached_on="2025-09-01",
                       note="").status_code == 303
        assert post_on(signed_in, group_id, "/stage", stage="developing", reached_on="2026-06-01",
                       note="Shared CPD").status_code == 303
        page = signed_in.get(f"/groups/{group_id}")
        assert "Developing, since 1 June 2026" in page.text
        history = page.text[page.text.index('id="stage-history"'):]
        assert history.index("Emerging") < history.index("Developing") and "Shared CPD" in history

    def test_a_stale_details_form_is_409_with_what_was_typed(self, signed_in, pair):
        group_id = make_group(signed_in)
        page = signed_in.get(f"/groups/{group_id}")
        token = csrf_from(page.text)
        first = signed_in.post(f"/groups/{group_id}", data={"csrf_token": token, "version": "1", "name": "First",
                                                            "kind": "alliance", "description": "", "schools": ""},
                               follow_redirects=False)
        assert first.status_code == 303
        second = signed_in.post(f"/groups/{group_id}", data={"csrf_token": token, "version": "1", "name": "Second",
                                                             "kind": "alliance", "description": "Typed",
                                                             "schools": pair[0].urn}, follow_redirects=False)
        assert second.status_code == 409 and "nothing was saved" in second.text
        assert 'value="Second"' in second.text and "Typed" in second.text

    def test_removed(self, signed_in):
        group_id = make_group(signed_in)
        assert post_on(signed_in, group_id, "/delete").status_code == 303
        assert signed_in.get(f"/groups/{group_id}").status_code == 404


class TestRouteMap:
    def test_an_officer_edits_it(self, signed_in):
        page = signed_in.get("/groups/route-map")
        assert page.status_code == 200 and "emerging\ndeveloping" in page.text
        response = signed_in.post("/groups/route-map", data={"csrf_token": csrf_from(page.text), "version": "",
                                                             "stages": "forming\nforming"}, follow_redirects=False)
        assert response.status_code == 422 and "listed twice" in response.text
        response = signed_in.post("/groups/route-map", data={"csrf_token": csrf_from(page.text), "version": "",
                                                             "stages": "forming\nnorming\nperforming"},
                                  follow_redirects=False)
        assert response.status_code == 303
        assert "forming\nnorming\nperforming" in signed_in.get("/groups/route-map").text
