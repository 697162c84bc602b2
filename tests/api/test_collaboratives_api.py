"""/api/v1/collaboratives through HTTP: lists, ETags and If-Match, problem details on the offending
field, the lead check, roll-forward, the triad composer and who may do what."""

from datetime import date

import pytest

from app.api.deps import api_principal
from app.errors import PROBLEM_JSON
from app.models.account import Role
from app.services import accounts
from tests import factories

URL = "/api/v1/collaboratives"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    return response.json()


def fields(body: dict) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


@pytest.fixture
def schools(session, world):
    return [factories.make_school(session, world.ours, name=f"School {n}", fsm_percent=5.0 * n, pupils=100 + 40 * n)
            for n in range(6)]


@pytest.fixture
def acting(client, session, world):
    """Speak as a member (the API's own callers are tokens; a person's scoped roles come this way)."""

    def act(user):
        principal = accounts.principal_for(session, user, world.ours.id)
        client.app.dependency_overrides[api_principal] = lambda: principal
        return client

    yield act
    client.app.dependency_overrides.pop(api_principal, None)


def body(schools=(), **values) -> dict:
    return {"name": "City primary", "phase": "primary", "academic_year": "2025/26",
            "schools": [s.urn for s in schools]} | values


def test_a_partnership_with_only_schools_lists_none(api):
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 50, "next_cursor": None}


def test_create_read_change_delete(api, world, schools):
    created = api.post(URL, json=body(schools[:3], budget_pounds=15000, lead_user_id=world.viewer.id))
    assert created.status_code == 201, created.text
    shown = created.json()
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == f"{URL}/{shown['id']}"
    assert shown["schools"] == [{"urn": s.urn, "name": s.name} for s in schools[:3]]
    assert (shown["lead_user_id"], shown["lead_name"], shown["budget_pounds"]) == \
        (world.viewer.id, world.viewer.name, 15000)
    one = f"{URL}/{shown['id']}"
    read = api.get(one)
    assert read.json() == shown and read.headers["ETag"] == '"1"'

    problem(api.patch(one, json={"budget_pounds": 1}), 428)
    problem(api.patch(one, json={"budget_pounds": 1}, headers={"If-Match": "*"}), 428)
    changed = api.patch(one, json={"schools": [schools[3].urn], "name": "City primary A"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"' and changed.json()["schools"] == [{"urn": schools[3].urn,
                                                                             "name": schools[3].name}]
    problem(api.patch(one, json={"budget_pounds": 1}, headers={"If-Match": '"1"'}), 412)
    problem(api.delete(one), 428)
    problem(api.delete(one, headers={"If-Match": '"1"'}), 412)
    assert api.delete(one, headers={"If-Match": '"2"'}).status_code == 204
    problem(api.get(one), 404)


def test_bad_bodies_are_refused_on_their_field(api, world, schools):
    assert fields(problem(api.post(URL, json=body(colour="red")), 422)) == {"colour"}
    assert fields(problem(api.post(URL, json=body(budget_pounds=-1)), 422)) == {"budget_pounds"}
    assert fields(problem(api.post(URL, json=body(phase="nursery")), 422)) == {"phase"}
    assert fields(problem(api.post(URL, json=body(academic_year="2025/27")), 422)) == {"academic_year"}
    assert fields(problem(api.post(URL, json=body() | {"schools": ["12345"]}), 422)) == {"schools.0"}
    outside = body(schools[:2]) | {"schools": [schools[0].urn, schools[1].urn, world.their_school.urn]}
    refused = problem(api.post(URL, json=outside), 422)
    assert fields(refused) == {"schools.2"} and "in this partnership" in refused["detail"]
    assert fields(problem(api.post(URL, json=body(lead_user_id=world.outsider.id)), 422)) == {"lead_user_id"}
    created = api.post(URL, json=body(schools[:2])).json()
    assert fields(problem(api.patch(f"{URL}/{created['id']}", json={"academic_year": "2026/27"},
                                    headers={"If-Match": '"1"'}), 422)) == {"academic_year"}


def test_a_school_in_another_collaborative_that_year_is_a_conflict(api, schools):
    assert api.post(URL, json=body(schools[:2])).status_code == 201
    refused = problem(api.post(URL, json=body([schools[2], schools[1]], name="Other")), 409)
    assert fields(refused) == {"schools.1"}
    assert api.post(URL, json=body([schools[1]], name="Other", academic_year="2026/27")).status_code == 201


def test_the_lead_check_asks_for_a_reason_and_shows_it(api, session, world, schools):
    head = factories.make_user(session, world.ours, Role.viewer.value)
    accounts.grant(session, head, world.ours, Role.headteacher.value, scope_kind="school", scope_id=schools[0].id)
    factories.make_inspection(session, schools[0], inspected_on=date(2025, 12, 3), overall_effectiveness=None,
                              grades={"achievement": "urgent_improvement"}, safeguarding="met")
    refused = problem(api.post(URL, json=body(lead_user_id=head.id)), 422)
    assert fields(refused) == {"lead_override_reason"} and "urgent improvement" in refused["detail"]
    made = api.post(URL, json=body(lead_user_id=head.id, lead_override_reason="Executive head of two schools"))
    assert made.status_code == 201
    assert api.get(made.headers["Location"]).json()["lead_override_reason"] == "Executive head of two schools"


def test_paging_and_filters(api, session, world, schools):
    made = [factories.make_collaborative(session, world.ours, [s], academic_year=year)
            for s, year in zip(schools, ["2025/26", "2024/25", "2025/26", "2024/25"], strict=False)]
    first = api.get(URL, params={"limit": 3}).json()
    assert first["total"] == 4 and first["next_cursor"]
    rest = api.get(URL, params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [made[1].id, made[3].id, made[0].id, made[2].id]
    assert rest["next_cursor"] is None
    by_year = api.get(URL, params={"academic_year": "2025/26"}).json()
    assert [i["id"] for i in by_year["items"]] == [made[0].id, made[2].id]
    by_urn = api.get(URL, params=[("urn", schools[1].urn), ("urn", schools[2].urn)]).json()
    assert [i["id"] for i in by_urn["items"]] == [made[1].id, made[2].id]
    assert api.get(URL, params={"collaborative_id": made[3].id}).json()["total"] == 1
    assert fields(problem(api.get(URL, params={"academic_year": "2025"}), 422)) == {"academic_year"}
    assert fields(problem(api.get(URL, params={"urn": "1"}), 422)) == {"urn"}
    assert fields(problem(api.get(URL, params={"cursor": "nonsense"}), 400)) == {"cursor"}


def test_read_tokens_and_viewers_cannot_write(client, session, world, schools, acting):
    made = factories.make_collaborative(session, world.ours, schools[:3])
    client.headers["Authorization"] = f"Bearer {world.read_token}"
    assert client.get(f"{URL}/{made.id}").status_code == 200
    problem(client.post(URL, json=body(name="Other")), 403)
    problem(client.patch(f"{URL}/{made.id}", json={"budget_pounds": 1}, headers={"If-Match": '"1"'}), 403)
    problem(client.delete(f"{URL}/{made.id}", headers={"If-Match": '"1"'}), 403)
    problem(client.post(f"{URL}/{made.id}/roll-forward"), 403)
    problem(client.post(f"{URL}/{made.id}/triad-proposals"), 403)
    viewer = acting(world.viewer)
    assert viewer.get(URL).json()["total"] == 1
    problem(viewer.post(URL, json=body(name="Other")), 403)


def test_another_partnerships_collaborative_is_404_everywhere(api, session, world):
    theirs = factories.make_collaborative(session, world.theirs, [world.their_school])
    one = f"{URL}/{theirs.id}"
    problem(api.get(one), 404)
    problem(api.patch(one, json={"budget_pounds": 1}, headers={"If-Match": '"1"'}), 404)
    problem(api.delete(one, headers={"If-Match": '"1"'}), 404)
    problem(api.post(f"{one}/roll-forward"), 404)
    problem(api.post(f"{one}/triad-proposals"), 404)
    problem(api.post(f"{one}/triad-proposals/accept", json={"triads": [{"name": "A", "schools": ["100001",
                                                                                               "100002"]}]}), 404)
    assert api.get(URL).json()["total"] == 0


def test_roll_forward_once(api, session, world, schools):
    source = factories.make_collaborative(session, world.ours, schools[:4], name="East", budget_pounds=500)
    factories.make_triad(session, source, schools[:3], name="Triad A")
    rolled = api.post(f"{URL}/{source.id}/roll-forward")
    assert rolled.status_code == 201, rolled.text
    result = rolled.json()
    assert result["collaborative"]["academic_year"] == "2026/27" and result["collaborative"]["name"] == "East"
    assert rolled.headers["Location"] == f"{URL}/{result['collaborative']['id']}"
    assert [t["name"] for t in result["triads"]] == ["Triad A"] and result["warnings"] == []
    assert result["triads"][0]["schools"] == [{"urn": s.urn, "name": s.name} for s in schools[:3]]
    refused = problem(api.post(f"{URL}/{source.id}/roll-forward"), 409)
    assert "2026/27" in refused["detail"]
    assert fields(problem(api.post(f"{URL}/{source.id}/roll-forward", json={"reason": "x"}), 422)) == {"reason"}


def test_propose_then_accept(api, session, world, schools):
    for s, grade in zip(schools, [1, 2, 3, 2, 3, 4], strict=True):
        factories.make_inspection(session, s, overall_effectiveness=grade)
    made = factories.make_collaborative(session, world.ours, schools)
    proposal = api.post(f"{URL}/{made.id}/triad-proposals")
    assert proposal.status_code == 200, proposal.text
    proposed = proposal.json()
    assert proposed == api.post(f"{URL}/{made.id}/triad-proposals").json()  # deterministic
    assert proposed["explanation"].startswith("pairs repeated: 0; each triad has a good-or-better school")
    assert [len(t["schools"]) for t in proposed["triads"]] == [3, 3]
    assert all(t["explanation"] and t["has_good_or_better"] for t in proposed["triads"])

    accepted = api.post(f"{URL}/{made.id}/triad-proposals/accept", json=proposed["accept"])
    assert accepted.status_code == 201, accepted.text
    items = accepted.json()["items"]
    assert [[s["urn"] for s in t["schools"]] for t in items] == [t["schools"] for t in proposed["accept"]["triads"]]
    assert all(t["version"] == 1 and t["warnings"] == [] for t in items)
    # The same again: the names and the schools' places are taken now, and nothing more is made.
    again = problem(api.post(f"{URL}/{made.id}/triad-proposals/accept", json=proposed["accept"]), 409)
    assert "triads.0.schools.0" in fields(again)
    assert api.get("/api/v1/triads", params={"collaborative_id": made.id}).json()["total"] == 2


def test_an_edited_proposal_is_checked_triad_by_triad(api, session, world, schools):
    made = factories.make_collaborative(session, world.ours, schools[:5])
    edited = {"triads": [{"name": "A", "schools": [schools[0].urn, schools[1].urn, schools[2].urn]},
                         {"name": "B", "schools": [schools[3].urn, schools[4].urn, world.their_school.urn]}]}
    assert fields(problem(api.post(f"{URL}/{made.id}/triad-proposals/accept", json=edited), 422)) == \
        {"triads.1.schools.2"}
    edited["triads"][1]["schools"] = [schools[3].urn] * 5
    assert fields(problem(api.post(f"{URL}/{made.id}/triad-proposals/accept", json=edited), 422)) == \
        {"triads.1.schools"}
    assert api.get("/api/v1/triads").json()["total"] == 0


def test_a_lead_proposes_and_accepts_for_their_own_collaborative_only(session, world, schools, acting):
    lead = factories.make_user(session, world.ours, Role.viewer.value)
    mine = factories.make_collaborative(session, world.ours, schools[:3], lead=lead)
    other = factories.make_collaborative(session, world.ours, schools[3:])
    client = acting(lead)
    proposal = client.post(f"{URL}/{mine.id}/triad-proposals").json()
    assert client.post(f"{URL}/{mine.id}/triad-proposals/accept", json=proposal["accept"]).status_code == 201
    problem(client.post(f"{URL}/{other.id}/triad-proposals"), 403)
    problem(client.post(f"{URL}/{other.id}/triad-proposals/accept",
                        json={"triads": [{"name": "A", "schools": [s.urn for s in schools[3:]]}]}), 403)
    # Leading a collaborative is not managing them.
    problem(client.patch(f"{URL}/{mine.id}", json={"budget_pounds": 1}, headers={"If-Match": '"1"'}), 403)
    problem(client.post(URL, json=body(name="Mine too")), 403)
    assert client.get(f"{URL}/{other.id}").status_code == 200


def test_nothing_to_propose_says_so(api, session, world):
    empty = factories.make_collaborative(session, world.ours)
    proposal = api.post(f"{URL}/{empty.id}/triad-proposals").json()
    assert (proposal["triads"], proposal["accept"], proposal["explanation"]) == ([], None, "no triads proposed")
    assert proposal["warnings"] == ["the collaborative has no schools"]
