"""A school's latest inspection is kept on its row: every way an inspection is written keeps it
right, a second inspection on one day is 409, and the list's Ofsted filter reads it."""

from tests.api.test_schools_api import fields, problem

SCHOOL = "/api/v1/schools/{urn}"


def latest(api, urn: str):
    return api.get(SCHOOL.format(urn=urn)).json()["latest_inspection"]


def test_record_correct_and_delete_keep_the_latest(api, world):
    urn = world.our_school.urn
    inspections = f"{SCHOOL.format(urn=urn)}/inspections"
    etag_before = api.get(SCHOOL.format(urn=urn)).headers["ETag"]
    assert latest(api, urn) is None

    older = api.post(inspections, json={"inspected_on": "2019-03-05", "overall_effectiveness": 4})
    newer = api.post(inspections, json={"inspected_on": "2023-06-14", "overall_effectiveness": 2})
    assert older.status_code == newer.status_code == 201
    assert latest(api, urn) == {"inspected_on": "2023-06-14", "framework": "graded", "headline": "good"}

    # An older one recorded later does not displace the latest.
    api.post(inspections, json={"inspected_on": "2016-01-20", "overall_effectiveness": 1})
    assert latest(api, urn)["inspected_on"] == "2023-06-14"

    corrected = api.put(f"{inspections}/{newer.json()['id']}", headers={"If-Match": newer.headers["ETag"]},
                        json={"inspected_on": "2023-06-14", "overall_effectiveness": 3})
    assert corrected.status_code == 200
    assert latest(api, urn)["headline"] == "requires_improvement"

    gone = api.delete(f"{inspections}/{newer.json()['id']}", headers={"If-Match": corrected.headers["ETag"]})
    assert gone.status_code == 204
    assert latest(api, urn) == {"inspected_on": "2019-03-05", "framework": "graded", "headline": "inadequate"}

    # Derived, not edited: the school's ETag still holds for a PATCH.
    assert api.get(SCHOOL.format(urn=urn)).headers["ETag"] == etag_before
    assert api.patch(SCHOOL.format(urn=urn), json={"pupils": 210}, headers={"If-Match": etag_before}).status_code == 200


def test_a_second_inspection_on_the_same_day_is_409(api, world):
    inspections = f"{SCHOOL.format(urn=world.our_school.urn)}/inspections"
    first = api.post(inspections, json={"inspected_on": "2022-11-09", "overall_effectiveness": 2})
    assert first.status_code == 201
    body = problem(api.post(inspections, json={"inspected_on": "2022-11-09", "overall_effectiveness": 3}), 409)
    assert fields(body) == {"inspected_on"} and "2022-11-09" in body["detail"]

    other = api.post(inspections, json={"inspected_on": "2021-04-01", "overall_effectiveness": 3})
    moved = api.put(f"{inspections}/{other.json()['id']}", headers={"If-Match": other.headers["ETag"]},
                    json={"inspected_on": "2022-11-09", "overall_effectiveness": 3})
    assert fields(problem(moved, 409)) == {"inspected_on"}
    assert [i["inspected_on"] for i in api.get(inspections).json()] == ["2022-11-09", "2021-04-01"]


def test_the_ofsted_filter_follows_the_latest(api, world):
    inspections = f"{SCHOOL.format(urn=world.our_school.urn)}/inspections"
    api.post(inspections, json={"inspected_on": "2018-05-01", "overall_effectiveness": 4})
    assert api.get("/api/v1/schools?ofsted=inadequate").json()["total"] == 1
    api.post(inspections, json={"inspected_on": "2024-05-01", "overall_effectiveness": 2})
    assert api.get("/api/v1/schools?ofsted=inadequate").json()["total"] == 0
    page = api.get("/api/v1/schools?ofsted=good").json()
    assert [s["urn"] for s in page["items"]] == [world.our_school.urn] and page["total"] == 1
    assert api.get("/api/v1/schools?ofsted=not_inspected").json()["total"] == 0
