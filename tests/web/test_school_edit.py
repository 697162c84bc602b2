"""Editing a school in the browser: the form pattern (saved with a banner, refused with every typed
value kept, stale with the conflict shown), GIAS-owned fields left alone, viewers refused."""

import re
from datetime import date

import pytest
from sqlmodel import select

from app.db import all_tenants
from app.models.school import School
from tests import factories
from tests.web.conftest import csrf_from, sign_in


@pytest.fixture
def school(session, world):
    return factories.make_school(session, world.ours, name="Hazel Park Primary School", la_category="amber",
                                 pupils=412, engaged=True, headteacher_name="Priya Okafor")


def form_of(client, urn: str) -> dict[str, str]:
    """The edit form's fields as the browser would send them back unchanged."""
    page = client.get(f"/schools/{urn}/edit")
    assert page.status_code == 200, page.text
    html = page.text
    values = {"csrf_token": csrf_from(html)}
    field = r'<input class="govuk-input[^"]*"[^>]*?name="([a-z_]+)" type="[a-z]+" value="([^"]*)"'
    values |= dict(re.findall(field, html))
    values["version"] = re.search(r'name="version" value="(\d+)"', html).group(1)
    for name in ("phase", "status", "la_category"):
        block = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
        if block:
            chosen = re.search(r'<option value="([^"]*)" selected>', block.group(0))
            values[name] = chosen.group(1) if chosen else ""
    values["engaged"] = re.search(r'name="engaged" type="radio" value="(true|false)" checked', html).group(1)
    values["not_engaged_reason"] = re.search(r'name="not_engaged_reason"[^>]*>([^<]*)</textarea>', html).group(1)
    return values


def stored(session, school_id: int) -> School:
    with all_tenants(session):
        session.expire_all()
        return session.exec(select(School).where(School.id == school_id)).one()


def test_an_officer_saves_and_sees_the_banner_once(signed_in, session, world, school):
    values = form_of(signed_in, school.urn) | {"la_category": "red", "pupils": "420"}
    response = signed_in.post(f"/schools/{school.urn}/edit", data=values, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/schools/{school.urn}"

    page = signed_in.get(f"/schools/{school.urn}")
    assert "govuk-notification-banner--success" in page.text
    assert "The details of Hazel Park Primary School were saved" in page.text
    again = signed_in.get(f"/schools/{school.urn}")
    assert "govuk-notification-banner--success" not in again.text, "the banner is shown once"

    saved = stored(session, school.id)
    assert (saved.la_category, saved.pupils, saved.version) == ("red", 420, 2)
    assert saved.updated_by == world.officer.name
    assert f"by {world.officer.name}" in again.text


def test_a_refusal_keeps_every_typed_value_and_says_why_beside_the_field(signed_in, session, school):
    values = form_of(signed_in, school.urn) | {
        "name": "Hazel Park Primary  ", "pupils": "four hundred", "engaged": "false", "not_engaged_reason": "",
        "postcode": "PE1 1AA", "headteacher_name": "A. N. Other",
    }
    response = signed_in.post(f"/schools/{school.urn}/edit", data=values)
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: " in html
    assert 'class="govuk-error-summary"' in html
    assert re.search(r'id="pupils-error"[^>]*>.*?Enter a whole number', html, re.S), "pupils' message beside pupils"
    # Typed values come back as typed, not as stored.
    assert 'value="four hundred"' in html
    assert 'value="A. N. Other"' in html
    assert 'value="PE1 1AA"' in html
    assert re.search(r'name="engaged" type="radio" value="false" checked', html)
    # Nothing was saved.
    assert stored(session, school.id).pupils == 412


def test_a_service_rule_refuses_in_the_form_with_the_api_s_words(signed_in, api, session, school):
    values = form_of(signed_in, school.urn) | {"engaged": "false", "not_engaged_reason": "  "}
    html = signed_in.post(f"/schools/{school.urn}/edit", data=values).text
    assert re.search(r'id="not_engaged_reason-error"[^>]*>.*?Say why the school is not engaged', html, re.S)

    etag = api.get(f"/api/v1/schools/{school.urn}").headers["ETag"]
    problem = api.patch(f"/api/v1/schools/{school.urn}", json={"engaged": False}, headers={"If-Match": etag}).json()
    assert problem["errors"][0]["message"] == "say why the school is not engaged in the network"
    assert "Say why the school is not engaged in the network" in html


def test_a_stale_save_shows_the_conflict_and_keeps_what_was_typed(signed_in, api, session, school):
    mine = form_of(signed_in, school.urn) | {"la_category": "green",
                                             "not_engaged_reason": "My own note, typed at length"}
    # Someone else saves first, through the API.
    etag = api.get(f"/api/v1/schools/{school.urn}").headers["ETag"]
    assert api.patch(f"/api/v1/schools/{school.urn}", json={"la_category": "red", "pupils": 500},
                     headers={"If-Match": etag}).status_code == 200

    response = signed_in.post(f"/schools/{school.urn}/edit", data=mine)
    assert response.status_code == 409
    html = response.text
    assert "Someone else changed this record" in html
    assert "token " in html, "says who changed it"
    assert "My own note, typed at length" in html, "the typed text is kept"
    assert "Save mine over theirs" in html
    assert f'href="/schools/{school.urn}">Discard mine' in html
    # The stored values are shown beside the typed ones.
    row = re.search(r"LA category.*?</tr>", html, re.S).group(0)
    assert ">red<" in row and ">green<" in row
    assert stored(session, school.id).la_category == "red", "nothing was overwritten"

    # Saving again sends the version now stored: the user's values go in, deliberately.
    again = mine | {"version": re.search(r'name="version" value="(\d+)"', html).group(1),
                    "csrf_token": csrf_from(html)}
    assert signed_in.post(f"/schools/{school.urn}/edit", data=again, follow_redirects=False).status_code == 303
    saved = stored(session, school.id)
    assert (saved.la_category, saved.not_engaged_reason) == ("green", "My own note, typed at length")


def test_htmx_saves_redirect_by_header_and_refusals_swap_in(signed_in, school):
    values = form_of(signed_in, school.urn)
    headers = {"HX-Request": "true"}
    ok = signed_in.post(f"/schools/{school.urn}/edit", data=values, headers=headers, follow_redirects=False)
    assert ok.status_code == 204
    assert ok.headers["HX-Redirect"] == f"/schools/{school.urn}"

    values = form_of(signed_in, school.urn) | {"pupils": "-3"}
    refused = signed_in.post(f"/schools/{school.urn}/edit", data=values, headers=headers)
    assert refused.status_code == 422
    assert "<html" not in refused.text, "a fragment, not a page"
    assert 'id="pupils-error"' in refused.text


def test_gias_owned_fields_are_not_offered(signed_in, session, school):
    school.from_gias = True
    session.add(school)
    session.flush()
    html = signed_in.get(f"/schools/{school.urn}/edit").text
    assert 'name="la_category"' in html and 'name="engaged"' in html
    assert 'name="name"' not in html and 'name="pupils"' not in html
    # A field the form does not offer is not changed even if sent.
    values = form_of(signed_in, school.urn) | {"name": "Renamed by hand", "headteacher_started_on": "2024-09-01"}
    assert signed_in.post(f"/schools/{school.urn}/edit", data=values, follow_redirects=False).status_code == 303
    saved = stored(session, school.id)
    assert saved.name == "Hazel Park Primary School"
    assert saved.headteacher_started_on == date(2024, 9, 1)


def test_viewers_see_no_change_link_and_are_refused(client, world, school):
    assert sign_in(client, world.viewer.email).status_code == 303
    assert "/edit" not in client.get(f"/schools/{school.urn}").text
    assert client.get(f"/schools/{school.urn}/edit").status_code == 403
    page = client.get(f"/schools/{school.urn}")
    response = client.post(f"/schools/{school.urn}/edit", data={"csrf_token": csrf_from(page.text), "name": "X"})
    assert response.status_code == 403
    assert "You cannot do that" in response.text


def test_another_partnership_s_school_is_not_found(signed_in, world):
    assert signed_in.get(f"/schools/{world.their_school.urn}/edit").status_code == 404


def test_the_form_needs_a_constant_number_of_statements(signed_in, school, count_statements):
    with count_statements() as counted:
        assert signed_in.get(f"/schools/{school.urn}/edit").status_code == 200
    assert len(counted.statements) <= 8, counted.statements


def test_a_number_typed_as_words_gets_the_same_words_on_both_faces(signed_in, api, school):
    etag = api.get(f"/api/v1/schools/{school.urn}").headers["ETag"]
    problem = api.patch(f"/api/v1/schools/{school.urn}", json={"pupils": "lots"}, headers={"If-Match": etag}).json()
    assert problem["errors"][0] == {"field": "pupils", "location": "body", "message": "enter a whole number"}
    values = form_of(signed_in, school.urn) | {"pupils": "lots"}
    html = signed_in.post(f"/schools/{school.urn}/edit", data=values).text
    assert re.search(r'id="pupils-error"[^>]*>.*?Enter a whole number', html, re.S)


@pytest.mark.parametrize("name", ["Evil \u202eloohcS", "A\x1b[31mB", "Bell\x07"])
def test_control_characters_and_direction_overrides_are_refused_on_both_faces(signed_in, api, school, name):
    etag = api.get(f"/api/v1/schools/{school.urn}").headers["ETag"]
    problem = api.patch(f"/api/v1/schools/{school.urn}", json={"name": name}, headers={"If-Match": etag}).json()
    assert problem["errors"][0]["field"] == "name"
    assert problem["errors"][0]["message"].startswith("must not contain control characters")
    values = form_of(signed_in, school.urn) | {"name": name}
    html = signed_in.post(f"/schools/{school.urn}/edit", data=values).text
    assert re.search(r'id="name-error"[^>]*>.*?Must not contain control characters', html, re.S)


def test_a_form_without_its_version_is_refused_not_taken_for_a_conflict(signed_in, session, school):
    values = form_of(signed_in, school.urn) | {"la_category": "red"}
    del values["version"]
    response = signed_in.post(f"/schools/{school.urn}/edit", data=values)
    assert response.status_code == 422
    assert "no longer says which version" in response.text
    assert "Someone else changed this record" not in response.text
    assert stored(session, school.id).la_category == "amber"


def test_the_api_refuses_to_change_what_gias_keeps(api, session, school):
    school.from_gias = True
    session.add(school)
    session.flush()
    etag = api.get(f"/api/v1/schools/{school.urn}").headers["ETag"]
    refused = api.patch(f"/api/v1/schools/{school.urn}", json={"name": "Renamed", "la_category": "red"},
                        headers={"If-Match": etag})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["name"]
    same = api.patch(f"/api/v1/schools/{school.urn}", json={"name": school.name, "la_category": "red"},
                     headers={"If-Match": etag})
    assert same.status_code == 200, same.text
