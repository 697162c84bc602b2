"""The clinics API (issue 8): problem details, ETag/If-Match, the workflow by PATCH status, locked
clinics 409, another partnership's clinic 404, roles, and statement ceilings equal for 2 and 60
schools."""

from datetime import date

import pytest

from tests import factories

CLINICS = "/api/v1/clinics"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def flagged_schools(session, world, count: int) -> list:
    made = []
    for n in range(count):
        school = factories.make_school(session, world.ours, name=f"Flagged {n:03d}")
        factories.make_inspection(session, school, overall_effectiveness=3 + n % 2, inspected_on=date(2024, 3, 1))
        made.append(school)
    return made


def planned(api, held_on: str = "2026-10-05", **fields) -> dict:
    made = api.post(CLINICS, json={"held_on": held_on, **fields})
    assert made.status_code == 201, made.text
    return made.json() | {"etag": made.headers["etag"]}


def move(api, clinic: dict, status: str):
    return api.patch(f"{CLINICS}/{clinic['id']}", json={"status": status}, headers={"If-Match": clinic["etag"]})


def test_plan_open_and_read_the_agenda(api, session, world):
    flagged_schools(session, world, 3)
    clinic = planned(api, chair_name="Cllr Ann Chair", attendees=["Director of children's services"])
    assert (clinic["meeting"], clinic["status"], clinic["agenda"]) == ("autumn", "planned", [])
    assert api.get(f"{CLINICS}/{clinic['id']}/agenda").json() == []
    opened = move(api, clinic, "in_session")
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert body["status"] == "in_session" and body["opened_at"]
    assert [i["severity"] for i in body["agenda"]][:1] == ["red"]
    assert all(i["flags"] and i["flags"][0]["reason"] for i in body["agenda"])
    assert "baseline" not in body["changes"]
    listed = api.get(CLINICS).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == clinic["id"]


def test_bad_input_names_the_field(api):
    assert problem(api.post(CLINICS, json={"held_on": "2026-10-05", "meeting": "midwinter"}), 422)["errors"][0][
        "field"] == "meeting"
    assert problem(api.post(CLINICS, json={"held_on": "1890-01-01"}), 422)["errors"][0]["field"] == "held_on"
    assert problem(api.post(CLINICS, json={"held_on": "2026-10-05", "colour": "red"}), 422)
    clinic = planned(api)
    problem(api.patch(f"{CLINICS}/{clinic['id']}", json={"focus": "x"}), 428)
    problem(api.patch(f"{CLINICS}/{clinic['id']}", json={"focus": "x"}, headers={"If-Match": '"99"'}), 412)
    assert problem(move(api, clinic, "minutes_approved"), 409)["errors"][0]["field"] == "status"


def test_a_locked_clinic_refuses_changes_and_the_next_is_planned(api, session, world):
    flagged_schools(session, world, 2)
    clinic = planned(api)
    body = move(api, clinic, "in_session").json()
    item = body["agenda"][0]
    item_url = f"{CLINICS}/{clinic['id']}/agenda/{item['id']}"
    written = api.patch(item_url, json={"minutes": "Agreed a review visit"},
                        headers={"If-Match": f'"{item["version"]}"'})
    assert written.status_code == 200 and written.json()["minutes"] == "Agreed a review visit"
    action = api.post(f"{CLINICS}/{clinic['id']}/actions", json={"text": "Book the review", "urn": item["urn"],
                                                                 "due_on": "2026-11-30"})
    assert action.status_code == 201 and action.json()["urn"] == item["urn"]
    etag = api.get(f"{CLINICS}/{clinic['id']}").headers["etag"]
    drafted = api.patch(f"{CLINICS}/{clinic['id']}", json={"status": "minutes_draft"}, headers={"If-Match": etag})
    approved = api.patch(f"{CLINICS}/{clinic['id']}", json={"status": "minutes_approved"},
                         headers={"If-Match": drafted.headers["etag"]})
    assert approved.status_code == 200 and approved.json()["locked"] is True
    again = api.get(item_url.rsplit("/", 1)[0]).json()[0]
    assert problem(api.patch(item_url, json={"minutes": "changed"}, headers={"If-Match": f'"{again["version"]}"'}),
                   409)
    assert problem(api.post(f"{CLINICS}/{clinic['id']}/actions", json={"text": "late"}), 409)
    later = [c for c in api.get(CLINICS).json()["items"] if c["id"] != clinic["id"]]
    assert [c["meeting"] for c in later] == ["spring"]
    carried = api.get(f"{CLINICS}/{later[0]['id']}").json()["carried_forward"]
    assert [a["text"] for a in carried] == ["Book the review"]


def test_another_partnerships_clinic_is_404(api, client, session, world):
    clinic = planned(api)
    client.headers["Authorization"] = f"Bearer {world.their_token}"
    problem(client.get(f"{CLINICS}/{clinic['id']}"), 404)
    problem(client.patch(f"{CLINICS}/{clinic['id']}", json={"focus": "x"}, headers={"If-Match": clinic["etag"]}), 404)
    assert client.get(CLINICS).json()["total"] == 0


def test_a_read_token_cannot_plan(client, world):
    client.headers["Authorization"] = f"Bearer {world.read_token}"
    problem(client.post(CLINICS, json={"held_on": "2026-10-05"}), 403)
    assert client.get(CLINICS).status_code == 200


def test_review_judgements(api, world):
    url = f"/api/v1/schools/{world.our_school.urn}/review-judgements"
    made = api.post(url, json={"academic_year": "2026/27", "strand": "quality_of_education", "partner_grade": 3})
    assert made.status_code == 201
    corrected = api.post(url, json={"academic_year": "2026/27", "strand": "quality_of_education", "partner_grade": 2})
    assert corrected.status_code == 200 and corrected.json()["version"] == 2
    assert [j["partner_grade"] for j in api.get(url).json()] == [2]
    assert problem(api.post(url, json={"academic_year": "2026/27", "strand": "sport", "partner_grade": 2}),
                   422)["errors"][0]["field"] == "strand"
    assert problem(api.post(url, json={"academic_year": "2026/27", "strand": "quality_of_education",
                                       "partner_grade": 5}), 422)["errors"][0]["field"] == "partner_grade"


@pytest.mark.parametrize("count", [2, 60])
def test_the_clinic_reads_a_fixed_number_of_statements(api, session, world, count_statements, count):
    flagged_schools(session, world, count)
    clinic = planned(api)
    move(api, clinic, "in_session")
    api.post(f"{CLINICS}/{clinic['id']}/actions", json={"text": "One"})
    api.get(f"{CLINICS}/{clinic['id']}")
    with count_statements() as counted:
        body = api.get(f"{CLINICS}/{clinic['id']}").json()
    assert len(body["agenda"]) >= count
    # Principal, clinic, agenda, actions, carried forward, targets, their schools.
    assert counted.count <= 9, counted.statements

