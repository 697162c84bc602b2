"""The schools list: the whole page or only its results block, search, filters, sort and paging."""

import re
from datetime import date

import pytest

from app.db import all_tenants
from app.services import accounts
from tests import factories
from tests.web.conftest import csrf_from, sign_in

HX = {"HX-Request": "true"}


def names(html: str) -> list[str]:
    """The school names in the results table, in order."""
    return re.findall(r'<a class="govuk-link" href="/schools/\d{6}">([^<]+)</a>', html)


def next_link(html: str) -> str | None:
    found = re.search(r'href="([^"]+)" rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def register(session, world):
    """A small, varied register for the first partnership (plus world.our_school, Alder Primary School)."""
    ours = world.ours
    schools = {
        "beech": factories.make_school(session, ours, name="Beech Infant School", phase="infant", pupils=180,
                                       la_category="red", establishment_type="Academy converter"),
        "cedar": factories.make_school(session, ours, name="Cedar Academy", phase="secondary", pupils=1200,
                                       la_category="green", establishment_type="Academy sponsor led"),
        "damson": factories.make_school(session, ours, name="Damson Primary School", status="closed", pupils=90),
        "elm": factories.make_school(session, ours, name="Elm 100% School", phase="special", pupils=60,
                                     la_category="amber"),
    }
    factories.make_inspection(session, schools["beech"], inspected_on=date(2022, 3, 1), overall_effectiveness=2)
    factories.make_inspection(session, schools["cedar"], inspected_on=date(2019, 1, 9), overall_effectiveness=4,
                              category_of_concern="special_measures")
    factories.make_inspection(session, schools["elm"], inspected_on=date(2025, 12, 1), overall_effectiveness=None,
                              safeguarding="met", grades={"inclusion": "needs_attention"})
    return schools


def test_the_whole_page_without_htmx(signed_in, register):
    response = signed_in.get("/schools")

    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    html = response.text
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert '<a class="govuk-link app-nav__link" href="/schools" aria-current="page">' in html
    assert 'id="school-filters"' in html and 'action="/schools"' in html and 'method="get"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert "Showing 1–5 of 5 schools" in html
    assert names(html) == ["Alder Primary School", "Beech Infant School", "Cedar Academy",
                           "Damson Primary School", "Elm 100% School"]


def test_htmx_gets_only_the_results_block(signed_in, register):
    response = signed_in.get("/schools?q=cedar", headers=HX)

    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    html = response.text
    assert "<html" not in html and "<form" not in html and "Filter and sort" not in html
    assert 'hx-swap-oob="innerHTML"' in html
    assert "Showing 1–1 of 1 school" in html
    assert names(html) == ["Cedar Academy"]


@pytest.mark.parametrize("extra", [{"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}])
def test_boosted_and_history_restore_requests_get_the_whole_page(signed_in, register, extra):
    response = signed_in.get("/schools?q=cedar", headers=HX | extra)
    assert "<!DOCTYPE html>" in response.text
    assert 'id="school-filters"' in response.text
    assert "HX-Request" in response.headers["vary"]


def test_the_table_shows_each_schools_register_entry(signed_in, register):
    html = signed_in.get("/schools?q=Cedar").text
    row = html[html.index("Cedar Academy"):html.index("</tr>", html.index("Cedar Academy"))]
    for text in [register["cedar"].urn, "Secondary", "Academy sponsor led", "Open", "1,200", "18.5%",
                 'govuk-tag--green">Green', 'govuk-tag--red">Special measures', "9 January 2019"]:
        assert text in row, text
    assert f'href="/schools/{register["cedar"].urn}"' in html


def test_search_by_part_of_the_name_or_the_start_of_the_urn(signed_in, register):
    assert names(signed_in.get("/schools?q=primary").text) == ["Alder Primary School", "Damson Primary School"]
    assert names(signed_in.get(f"/schools?q={register['elm'].urn}").text) == ["Elm 100% School"]
    assert names(signed_in.get("/schools?q=100%25").text) == ["Elm 100% School"]
    empty = signed_in.get("/schools?q=zzz").text
    assert "No schools match" in empty and names(empty) == []
    assert 'value="zzz"' in empty


@pytest.mark.parametrize(("query", "expected"), [
    ("phase=secondary&phase=special", ["Cedar Academy", "Elm 100% School"]),
    ("status=closed", ["Damson Primary School"]),
    ("la_category=red&la_category=amber", ["Beech Infant School", "Elm 100% School"]),
    ("la_category=none", ["Alder Primary School", "Damson Primary School"]),
    ("ofsted=good", ["Beech Infant School"]),
    ("ofsted=special_measures&ofsted=needs_attention", ["Cedar Academy", "Elm 100% School"]),
    ("ofsted=not_inspected", ["Alder Primary School", "Damson Primary School"]),
    ("type=Academy+converter&type=Academy+sponsor+led", ["Beech Infant School", "Cedar Academy"]),
    ("phase=primary&la_category=none&q=alder", ["Alder Primary School"]),
])
def test_filters(signed_in, register, query, expected):
    html = signed_in.get(f"/schools?{query}").text
    assert names(html) == expected


def test_chosen_filters_stay_ticked_and_choices_come_from_the_partnership(signed_in, register):
    html = signed_in.get("/schools?phase=secondary&la_category=none&ofsted=not_inspected&sort=-pupils").text
    assert re.search(r'value="secondary" checked', html)
    assert re.search(r'value="none" checked>\s*<label[^>]*>No category', html)
    assert re.search(r'value="not_inspected" checked', html)
    assert '<option value="-pupils" selected>' in html
    for category in ["Red", "Amber", "Green"]:
        assert f">{category}</label>" in html
    assert 'value="Academy sponsor led"' in html


def test_sort(signed_in, register):
    html = signed_in.get("/schools?sort=-pupils").text
    assert names(html) == ["Cedar Academy", "Alder Primary School", "Beech Infant School",
                           "Damson Primary School", "Elm 100% School"]


@pytest.mark.parametrize(("query", "message"), [
    ("sort=shoe_size", "Choose a sort order from the list"),
    ("cursor=not-a-cursor", "That page link is out of date"),
    ("ofsted=brilliant", "Choose Ofsted outcomes from the list"),
    ("page=0", "That page link is out of date"),
    ("limit=5000", "Choose between 1 and 200 schools a page"),
])
def test_a_bad_query_value_shows_a_message(signed_in, register, query, message):
    response = signed_in.get(f"/schools?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert message in response.text
    assert "<title>Error: Schools" in response.text

    fragment = signed_in.get(f"/schools?{query}", headers=HX)
    assert fragment.status_code == 400
    assert message in fragment.text and "<html" not in fragment.text


def test_paging_forward_and_back_to_the_first_page(signed_in, session, world):
    for n in range(55):
        factories.make_school(session, world.ours, name=f"Oak {n:02d} Primary", phase="primary")
    factories.make_school(session, world.ours, name="Yew Academy", phase="secondary")

    first = signed_in.get("/schools?phase=primary").text
    assert "Showing 1–50 of 56 schools" in first
    assert len(names(first)) == 50
    assert "Back to first page" not in first
    assert "schools 51 to 56 of 56" in first
    link = next_link(first)
    assert link.startswith("/schools?phase=primary&cursor=") and link.endswith("&page=2")

    second = signed_in.get(link).text
    assert "Showing 51–56 of 56 schools" in second
    assert names(second) == [f"Oak {n:02d} Primary" for n in range(49, 55)]
    assert next_link(second) is None
    assert '<a class="govuk-link govuk-pagination__link" href="/schools?phase=primary"' in second
    assert "Back to first page" in second

    assert names(signed_in.get(link, headers=HX).text) == names(second)


def test_another_partnerships_schools_never_appear(signed_in, world, register):
    html = signed_in.get("/schools?q=birch").text
    assert "Birch Academy" not in html and "No schools match" in html
    assert world.their_school.urn not in signed_in.get("/schools").text
    by_urn = signed_in.get(f"/schools?q={world.their_school.urn}", headers=HX).text
    assert "No schools match" in by_urn and world.their_school.urn not in by_urn


def test_the_statement_count_does_not_grow_with_the_rows(signed_in, session, world, count_statements):
    signed_in.get("/schools")
    with count_statements() as few:
        signed_in.get("/schools")
    for n in range(30):
        factories.make_inspection(session, factories.make_school(session, world.ours, name=f"Rowan {n}"))
    with count_statements() as many:
        signed_in.get("/schools")
    assert many.count == few.count


def test_someone_in_two_partnerships_can_switch(client, session, world):
    person = factories.make_user(session, world.ours)
    with all_tenants(session):
        accounts.grant(session, person, world.theirs, "viewer")
    sign_in(client, person.email)

    html = client.get("/schools").text
    assert 'action="/partnership"' in html
    assert f'<option value="{world.ours.id}" selected>{world.ours.name}</option>' in html
    assert "Alder Primary School" in html and "Birch Academy" not in html

    response = client.post("/partnership", data={"partnership_id": str(world.theirs.id),
                                                 "csrf_token": csrf_from(html)}, follow_redirects=False)
    assert response.status_code == 303

    after = client.get("/schools").text
    assert "Birch Academy" in after and "Alder Primary School" not in after
    assert f'<option value="{world.theirs.id}" selected>' in after


def test_switching_needs_the_csrf_token(signed_in, world):
    response = signed_in.post("/partnership", data={"partnership_id": str(world.theirs.id)}, follow_redirects=False)
    assert response.status_code == 403
