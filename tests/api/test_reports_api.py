"""GET /api/v1/reports/support-review: the year's projects by outcome, school type and kind; a
year not like 2026/27 refused on `year`; zeros for a year (or a partnership) without deployments;
another partnership's deployments never counted; read tokens read it."""

from datetime import date

import pytest

from app.services import demo
from app.services.partnerships import academic_year_for, previous_year
from tests import factories
from tests.api.test_schools_api import problem
from tests.report_setup import deploy

URL = "/api/v1/reports/support-review"


def counts(group: dict) -> tuple:
    return group["projects"], group["green"], group["amber"], group["red"], group["not_yet_completed"]


def test_a_partnership_with_only_schools_answers_zeros(api, world):
    response = api.get(URL)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["academic_year"] == world.ours.current_academic_year
    assert counts(body["overall"]) == (0, 0, 0, 0, 0) and body["overall"]["days_delivered"] == 0
    assert [(g["key"], counts(g)) for g in body["by_school_type"]] == [
        ("la_maintained", (0, 0, 0, 0, 0)), ("academy", (0, 0, 0, 0, 0))]
    assert len(body["by_kind"]) == 8 and all(g["projects"] == 0 for g in body["by_kind"])
    assert body["by_establishment_type"] == [] and body["schools"] == [] and body["years"] == []


@pytest.mark.parametrize("year", ["2025-26", "2025/27", "25/26", "2025/2026", "1899/00"])
def test_a_year_not_like_2026_27_is_422_on_year(api, year):
    body = problem(api.get(URL, params={"year": year}), 422)
    assert [(e["field"], e["location"]) for e in body["errors"]] == [("year", "query")]
    assert "2024/25" in body["errors"][0]["message"]


def test_the_years_counts_by_type_and_kind(api, session, world):
    academy = factories.make_school(session, world.ours, name="Oak Academy", establishment_type="Academy sponsor led")
    deploy(session, world.our_school, outcome="green", days_planned=2.0, days_delivered=2.5)
    deploy(session, world.our_school, provider_kind="funded_bid", outcome="not_yet_completed", days_delivered=0.0)
    deploy(session, academy, provider_kind="peer_review", outcome="amber")
    deploy(session, academy, academic_year="2024/25", outcome="red")
    body = api.get(URL, params={"year": "2025/26"}).json()
    assert body["academic_year"] == "2025/26" and body["years"] == ["2025/26", "2024/25"]
    assert counts(body["overall"]) == (3, 1, 1, 0, 1) and body["overall"]["schools"] == 2
    assert body["overall"]["days_planned"] == 8.0 and body["overall"]["days_delivered"] == 5.5
    maintained, academies = body["by_school_type"]
    assert counts(maintained) == (2, 1, 0, 0, 1) and counts(academies) == (1, 0, 1, 0, 0)
    assert [(g["key"], g["projects"]) for g in body["by_establishment_type"]] == [
        ("Community school", 2), ("Academy sponsor led", 1)]
    kinds = {g["key"]: g for g in body["by_kind"]}
    assert kinds["peer_review"]["label"] == "Peer review"
    assert (kinds["peer_review"]["academy"], kinds["peer_review"]["la_maintained"]) == (1, 0)
    assert (kinds["sle"]["projects"], kinds["sle"]["days_delivered"]) == (1, 2.5)
    first = body["schools"][0]
    assert (first["urn"], first["projects"], first["school_type"], first["not_yet_completed"]) == (
        world.our_school.urn, 2, "la_maintained", 1)
    assert counts(api.get(URL, params={"year": "2024/25"}).json()["overall"]) == (1, 0, 0, 1, 0)


def test_another_partnerships_deployments_are_never_counted(client, session, world):
    deploy(session, world.our_school, outcome="green")
    deploy(session, world.their_school, outcome="red")
    deploy(session, world.their_school, outcome="red")
    theirs = client.get(URL, params={"year": "2025/26"}, headers={"Authorization": f"Bearer {world.their_token}"})
    assert counts(theirs.json()["overall"]) == (2, 0, 0, 2, 0)
    assert [s["urn"] for s in theirs.json()["schools"]] == [world.their_school.urn]
    ours = client.get(URL, params={"year": "2025/26"}, headers={"Authorization": f"Bearer {world.read_token}"})
    assert ours.status_code == 200 and counts(ours.json()["overall"]) == (1, 1, 0, 0, 0)
    assert [s["urn"] for s in ours.json()["schools"]] == [world.our_school.urn]


def test_without_a_token_it_is_401(client, world):
    assert problem(client.get(URL), 401)["status"] == 401


def test_the_demos_review_through_the_api(client, session):
    built = demo.build(session)
    year = previous_year(academic_year_for(date.today()))
    response = client.get(URL, params={"year": year}, headers={"Authorization": f"Bearer {built.token}"})
    body = response.json()
    assert counts(body["overall"]) == (92, 53, 12, 4, 23)
    assert [counts(g) for g in body["by_school_type"]] == [(58, 29, 12, 4, 13), (34, 24, 0, 0, 10)]
    assert body["years"] == [year]


def test_the_statements_do_not_grow_with_rows(api, session, world, count_statements):
    deploy(session, world.our_school)
    with count_statements() as few:
        assert api.get(URL, params={"year": "2025/26"}).status_code == 200
    for n in range(25):
        school = factories.make_school(session, world.ours, establishment_type=["Academy converter", None][n % 2])
        deploy(session, school, provider_kind=["nle", "adviser", "peer_review"][n % 3])
        deploy(session, school, outcome="amber")
    with count_statements() as many:
        assert api.get(URL, params={"year": "2025/26"}).json()["overall"]["projects"] == 51
    assert many.count == few.count, many.statements
