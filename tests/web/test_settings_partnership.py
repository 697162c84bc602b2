"""The partnership settings page: name and LA category scheme on the form pattern (saved with a banner,
refused with what was typed kept, a category in use needing somewhere for its schools to go, stale
saves shown as a conflict); officers only."""

import html as htmllib
import re

import pytest
from sqlmodel import select

from app.db import all_tenants
from app.models.partnership import Partnership
from app.models.school import School
from app.services import partnerships
from tests import factories
from tests.web.conftest import csrf_from, sign_in

URL = "/settings/partnership"


def form_of(client) -> dict[str, str]:
    page = client.get(URL)
    assert page.status_code == 200, page.text
    html = page.text
    return {
        "csrf_token": csrf_from(html),
        "version": re.search(r'name="version" value="(\d+)"', html).group(1),
        "name": htmllib.unescape(re.search(r'name="name" type="text" value="([^"]*)"', html).group(1)),
        "category_scheme": textarea(html),
    }


def textarea(html: str) -> str:
    return htmllib.unescape(re.search(r'name="category_scheme"[^>]*>([^<]*)</textarea>', html).group(1))


def stored(session, partnership_id: int) -> Partnership:
    with all_tenants(session):
        session.expire_all()
        return session.exec(select(Partnership).where(Partnership.id == partnership_id)).one()


def categories(session, world) -> list[str | None]:
    with all_tenants(session):
        session.expire_all()
        return sorted(session.exec(select(School.la_category).where(School.partnership_id == world.ours.id)).all(),
                      key=str)


def test_the_form_shows_the_name_and_one_category_a_line(signed_in, world):
    values = form_of(signed_in)
    assert values["name"] == "Northfield Schools Partnership"
    assert values["category_scheme"] == "red\namber\ngreen"
    page = signed_in.get(URL).text
    assert 'aria-current="page">Partnership</a>' in page


def test_an_officer_saves_an_unused_scheme_and_sees_the_banner(signed_in, session, world):
    values = form_of(signed_in) | {"name": "Northfield Alliance",
                                   "category_scheme": "priority 1\r\npriority 2\r\npriority 3\r\n"}
    response = signed_in.post(URL, data=values, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == URL
    saved = stored(session, world.ours.id)
    assert (saved.name, saved.category_scheme) == ("Northfield Alliance", ["priority 1", "priority 2", "priority 3"])
    assert saved.updated_by == world.officer.name
    page = signed_in.get(URL).text
    assert "Partnership settings saved" in page
    assert textarea(page) == "priority 1\npriority 2\npriority 3"


def test_dropping_a_category_in_use_is_refused_naming_it_then_accepted_with_a_mapping(signed_in, session, world):
    for _ in range(12):
        factories.make_school(session, world.ours, la_category="amber")
    factories.make_school(session, world.ours, la_category="green")
    values = form_of(signed_in) | {"category_scheme": "red\ngreen"}

    refused = signed_in.post(URL, data=values)
    assert refused.status_code == 422
    html = htmllib.unescape(refused.text)
    assert "<title>Error: " in html
    assert "'amber' is used by 12 schools" in html
    assert textarea(refused.text) == "red\ngreen", "the typed scheme is kept"
    field = partnerships.mapping_field("amber")
    select_html = re.search(rf'<select[^>]*name="{re.escape(field)}".*?</select>', refused.text, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', select_html) == ["", "red", "green"]
    assert 'href="#map-1"' in refused.text, "the summary links to the select"
    assert stored(session, world.ours.id).category_scheme == ["red", "amber", "green"]

    moved = signed_in.post(URL, data=values | {"csrf_token": csrf_from(refused.text), field: "red"},
                           follow_redirects=False)
    assert moved.status_code == 303
    assert stored(session, world.ours.id).category_scheme == ["red", "green"]
    assert categories(session, world) == [None, "green"] + ["red"] * 12
    assert "12 schools moved" in signed_in.get(URL).text


@pytest.mark.parametrize(("typed", "words"), [
    ("red\nAmber\namber", "more than once"),
    ("red\n\ngreen", "category 2 is blank"),
    ("", "between 2 and 10"),
])
def test_a_bad_scheme_is_refused_beside_the_field_with_the_typed_text_kept(signed_in, session, world, typed, words):
    values = form_of(signed_in) | {"name": "Typed name kept", "category_scheme": typed}
    response = signed_in.post(URL, data=values)
    assert response.status_code == 422
    html = response.text
    message = re.search(r'id="category_scheme-error"[^>]*>(.*?)</p>', html, re.S)
    assert message and words in htmllib.unescape(message.group(1)).lower()
    assert textarea(html) == typed
    assert 'value="Typed name kept"' in html
    assert stored(session, world.ours.id).name == "Northfield Schools Partnership"


def test_a_stale_save_shows_both_versions_and_keeps_what_was_typed(signed_in, session, world):
    mine = form_of(signed_in) | {"name": "My name for it", "category_scheme": "red\namber\ngreen\nblue"}
    # Someone else saves first.
    partnership = stored(session, world.ours.id)
    partnership.name = "Their name for it"
    partnership.category_scheme = ["gold", "silver", "bronze"]
    partnership.touch("Someone Else")
    session.add(partnership)
    session.flush()

    response = signed_in.post(URL, data=mine)
    assert response.status_code == 409
    html = response.text
    assert "Someone else changed this record" in html and "Someone Else" in html
    assert "Save mine over theirs" in html and f'href="{URL}">Discard mine' in html
    name_row = re.search(r"Partnership name.*?</tr>", html, re.S).group(0)
    assert "Their name for it" in name_row and "My name for it" in name_row
    scheme_row = re.search(r"LA categories.*?</tr>", html, re.S).group(0)
    assert "gold, silver, bronze" in scheme_row and "red, amber, green, blue" in scheme_row
    assert 'value="My name for it"' in html and textarea(html) == "red\namber\ngreen\nblue"
    assert stored(session, world.ours.id).name == "Their name for it", "nothing was overwritten"

    again = mine | {"version": re.search(r'name="version" value="(\d+)"', html).group(1),
                    "csrf_token": csrf_from(html)}
    assert signed_in.post(URL, data=again, follow_redirects=False).status_code == 303
    saved = stored(session, world.ours.id)
    assert (saved.name, saved.category_scheme) == ("My name for it", ["red", "amber", "green", "blue"])


def test_a_viewer_is_refused_the_form_and_the_save(client, session, world):
    assert sign_in(client, world.viewer.email).status_code == 303
    page = client.get(URL)
    assert page.status_code == 403 and "You cannot do that" in page.text
    csrf = csrf_from(client.get("/schools").text)
    response = client.post(URL, data={"csrf_token": csrf, "name": "Mine", "category_scheme": "a\nb",
                                      "version": str(world.ours.version)})
    assert response.status_code == 403 and "You cannot do that" in response.text
    assert stored(session, world.ours.id).name == "Northfield Schools Partnership"


def test_the_form_needs_a_constant_number_of_statements(signed_in, session, world, count_statements):
    signed_in.get(URL)
    with count_statements() as few:
        assert signed_in.get(URL).status_code == 200
    for n in range(20):
        factories.make_school(session, world.ours, la_category=["red", "amber", "green"][n % 3])
    with count_statements() as many:
        assert signed_in.get(URL).status_code == 200
    assert many.count == few.count <= 5, few.statements


def test_the_clinic_cadence_is_chosen_here(signed_in, session, world):
    page = signed_in.get(URL).text
    assert re.search(r'name="cadence" type="radio" value="termly" checked', page), "termly clinics by default"
    saved = signed_in.post(URL, data=form_of(signed_in) | {"cadence": "review_group"}, follow_redirects=False)
    assert saved.status_code == 303
    assert [m["meeting"] for m in stored(session, world.ours.id).meeting_cadence] == [
        "september", "january", "april", "july"]
    assert re.search(r'name="cadence" type="radio" value="review_group" checked', signed_in.get(URL).text)
    refused = signed_in.post(URL, data=form_of(signed_in) | {"cadence": "fortnightly", "name": "Kept name"})
    assert refused.status_code == 422 and 'id="cadence-error"' in refused.text and 'value="Kept name"' in refused.text
    without = form_of(signed_in)  # a form that sends no cadence leaves it as it is
    assert signed_in.post(URL, data=without, follow_redirects=False).status_code == 303
    assert stored(session, world.ours.id).meeting_cadence[0]["meeting"] == "september"
