"""/api/v1/triads through HTTP: lists, ETags and If-Match, sizes and warnings, members on their
field, a school in one triad a year, and who may change them (an officer, or the collaborative's
lead: another collaborative's triads are 403)."""

import pytest

from app.api.deps import api_principal
from app.errors import PROBLEM_JSON
from app.models.account import Role
from app.services import accounts
from tests import factories

URL = "/api/v1/triads"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    return response.json()


def fields(body: dict) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


@pytest.fixture
def schools(session, world):
    return [factories.make_school(session, world.ours, name=f"School {n}") for n in range(8)]


@pytest.fixture
def collaborative(session, world, schools):
    return factories.make_collaborative(session, world.ours, schools[:6], name="City primary")


@pytest.fixture
def acting(client, session, world):
    """Speak as a member (the API's own callers are tokens; a person's scoped roles come this way)."""

    def act(user):
        principal = accounts.principal_for(session, user, world.ours.id)
        client.app.dependency_overrides[api_principal] = lambda: principal
        return client

    yield act
    client.app.dependency_overrides.pop(api_principal, None)


def body(collaborative, schools, name="Triad A", **values) -> dict:
    return {"name": name, "collaborative_id": collaborative.id, "schools": [s.urn for s in schools]} | values


def test_a_partnership_with_only_schools_lists_none(api):
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 50, "next_cursor": None}


def test_create_read_change_delete(api, collaborative, schools):
    created = api.post(URL, json=body(collaborative, schools[:3]))
    assert created.status_code == 201, created.text
    shown = created.json()
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == f"{URL}/{shown['id']}"
    assert (shown["academic_year"], shown["collaborative_id"], shown["warnings"]) == \
        ("2025/26", collaborative.id, [])
    assert shown["schools"] == [{"urn": s.urn, "name": s.name} for s in schools[:3]]
    one = f"{URL}/{shown['id']}"
    assert api.get(one).json() == shown and api.get(one).headers["ETag"] == '"1"'

    problem(api.patch(one, json={"name": "B"}), 428)
    changed = api.patch(one, json={"name": "Triad B", "schools": [schools[0].urn, schools[4].urn]},
                        headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'  # one change, one version, names and members alike
    assert changed.json()["warnings"] and "three is usual" in changed.json()["warnings"][0]
    problem(api.patch(one, json={"name": "C"}, headers={"If-Match": '"1"'}), 412)
    problem(api.delete(one), 428)
    problem(api.delete(one, headers={"If-Match": '"1"'}), 412)
    assert api.delete(one, headers={"If-Match": '"2"'}).status_code == 204
    problem(api.get(one), 404)


def test_bad_bodies_are_refused_on_their_field(api, world, collaborative, schools):
    assert fields(problem(api.post(URL, json=body(collaborative, schools[:3], colour="red")), 422)) == {"colour"}
    assert fields(problem(api.post(URL, json=body(collaborative, schools[:1])), 422)) == {"schools"}
    assert fields(problem(api.post(URL, json=body(collaborative, schools[:5])), 422)) == {"schools"}
    outside = body(collaborative, schools[:2]) | {"schools": [schools[0].urn, schools[1].urn,
                                                              world.their_school.urn]}
    assert fields(problem(api.post(URL, json=outside), 422)) == {"schools.2"}
    not_member = problem(api.post(URL, json=body(collaborative, [schools[0], schools[7]])), 422)
    assert fields(not_member) == {"schools.1"} and "City primary" in not_member["detail"]
    assert fields(problem(api.post(URL, json=body(collaborative, schools[:2]) | {"collaborative_id": 2**31}),
                          422)) == {"collaborative_id"}
    assert fields(problem(api.post(URL, json=body(collaborative, schools[:2], academic_year="2030/31")),
                          422)) == {"academic_year"}
    made = api.post(URL, json=body(collaborative, schools[:3])).json()
    assert fields(problem(api.patch(f"{URL}/{made['id']}", json={"collaborative_id": 1},
                                    headers={"If-Match": '"1"'}), 422)) == {"collaborative_id"}


def test_pairs_and_fours_are_allowed_with_a_warning(api, collaborative, schools):
    pair = api.post(URL, json=body(collaborative, schools[:2], name="Pair")).json()
    four = api.post(URL, json=body(collaborative, schools[2:6], name="Four")).json()
    assert pair["warnings"] and four["warnings"]


def test_a_school_in_another_triad_that_year_is_a_conflict(api, collaborative, schools):
    assert api.post(URL, json=body(collaborative, schools[:3])).status_code == 201
    refused = problem(api.post(URL, json=body(collaborative, [schools[3], schools[1]], name="Triad B")), 409)
    assert fields(refused) == {"schools.1"} and "Triad A" in refused["detail"]
    assert fields(problem(api.post(URL, json=body(collaborative, schools[3:5])), 409)) == {"name"}


def test_lists_filter_and_page(api, session, world, schools):
    old = factories.make_collaborative(session, world.ours, academic_year="2024/25")
    new = factories.make_collaborative(session, world.ours)
    made = [factories.make_triad(session, old, schools[:3]), factories.make_triad(session, new, schools[:3]),
            factories.make_triad(session, new, schools[3:6])]
    first = api.get(URL, params={"limit": 2}).json()
    rest = api.get(URL, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [t["id"] for t in first["items"] + rest["items"]] == [t.id for t in made] and rest["next_cursor"] is None
    assert first["total"] == 3 and first["limit"] == 2
    assert [t["id"] for t in api.get(URL, params={"academic_year": "2024/25"}).json()["items"]] == [made[0].id]
    assert [t["id"] for t in api.get(URL, params={"collaborative_id": new.id}).json()["items"]] == \
        [made[1].id, made[2].id]
    assert [t["id"] for t in api.get(URL, params={"urn": schools[4].urn}).json()["items"]] == [made[2].id]
    assert fields(problem(api.get(URL, params={"collaborative_id": 0}), 422)) == {"collaborative_id"}


def test_a_lead_changes_their_own_collaboratives_triads_only(session, world, schools, collaborative, acting):
    lead = factories.make_user(session, world.ours, Role.viewer.value)
    mine = factories.make_collaborative(session, world.ours, schools[6:], lead=lead)
    theirs = factories.make_triad(session, collaborative, schools[:3])
    client = acting(lead)
    made = client.post(URL, json=body(mine, schools[6:]))
    assert made.status_code == 201, made.text
    one = f"{URL}/{made.json()['id']}"
    assert client.patch(one, json={"name": "Ours"}, headers={"If-Match": '"1"'}).status_code == 200
    problem(client.post(URL, json=body(collaborative, schools[3:6])), 403)
    problem(client.patch(f"{URL}/{theirs.id}", json={"name": "Mine"}, headers={"If-Match": '"1"'}), 403)
    problem(client.delete(f"{URL}/{theirs.id}", headers={"If-Match": '"1"'}), 403)
    assert client.get(f"{URL}/{theirs.id}").status_code == 200  # every member reads every triad
    assert client.delete(one, headers={"If-Match": '"2"'}).status_code == 204


def test_viewers_headteachers_and_read_tokens_cannot_write(client, session, world, schools, collaborative, acting):
    triad = factories.make_triad(session, collaborative, schools[:3])
    head = factories.make_user(session, world.ours, Role.viewer.value)
    accounts.grant(session, head, world.ours, Role.headteacher.value, scope_kind="school", scope_id=schools[0].id)
    for caller in (acting(world.viewer), acting(head)):
        assert caller.get(f"{URL}/{triad.id}").status_code == 200
        problem(caller.post(URL, json=body(collaborative, schools[3:6])), 403)
        problem(caller.patch(f"{URL}/{triad.id}", json={"name": "B"}, headers={"If-Match": '"1"'}), 403)
    client.app.dependency_overrides.pop(api_principal)
    client.headers["Authorization"] = f"Bearer {world.read_token}"
    assert client.get(URL).json()["total"] == 1
    problem(client.post(URL, json=body(collaborative, schools[3:6])), 403)
    problem(client.delete(f"{URL}/{triad.id}", headers={"If-Match": '"1"'}), 403)


def test_another_partnerships_triad_is_404_everywhere(api, session, world):
    theirs = factories.make_collaborative(session, world.theirs, [world.their_school])
    triad = factories.make_triad(session, theirs, [world.their_school])
    one = f"{URL}/{triad.id}"
    problem(api.get(one), 404)
    problem(api.patch(one, json={"name": "B"}, headers={"If-Match": '"1"'}), 404)
    problem(api.delete(one, headers={"If-Match": '"1"'}), 404)
    assert api.get(URL).json()["total"] == 0
    assert api.get(URL, params={"collaborative_id": theirs.id}).json()["total"] == 0
