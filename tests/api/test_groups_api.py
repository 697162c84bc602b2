"""Groups through HTTP: /api/v1/groups and a group's dashboard; problem details naming the field,
ETags and If-Match, keyset paging, roles, tenancy and statement counts."""

import pytest

from tests import factories, flag_setup
from tests.api.test_schools_api import fields, problem

GROUPS = "/api/v1/groups"
YEAR = "2025/26"


def item(group_id: int) -> str:
    return f"{GROUPS}/{group_id}"


def created(api, **body) -> dict:
    response = api.post(GROUPS, json={"name": "Rother Alliance", "kind": "alliance"} | body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def pair(session, world):
    a = factories.make_school(session, world.ours, name="Ashdown Primary", pupils=100)
    b = factories.make_school(session, world.ours, name="Bexhill Primary", pupils=300)
    return a, b


class TestCrud:
    def test_a_round_trip(self, api, pair):
        a, b = pair
        body = created(api, schools=[a.urn, b.urn], description="Cross-phase alliance",
                       targets=[{"measure": "Reading (%)", "baseline": 60, "target": 80, "target_on": "2027-07-31",
                                 "latest_value": 65, "latest_on": "2026-07-15"}],
                       stage={"stage": "emerging", "reached_on": "2025-09-01"})
        assert [s["name"] for s in body["schools"]] == ["Ashdown Primary", "Bexhill Primary"]
        assert body["targets"][0]["progress_percent"] == 25.0 and body["targets"][0]["status"] == "in_progress"
        assert (body["stage"], body["stage_reached_on"]) == ("emerging", "2025-09-01")
        read = api.get(item(body["id"]))
        assert read.status_code == 200 and read.headers["ETag"] == '"1"' and read.json() == body

    def test_patch_needs_if_match_and_moves_the_version(self, api, pair):
        body = created(api)
        problem(api.patch(item(body["id"]), json={"name": "New"}), 428)
        problem(api.patch(item(body["id"]), json={"name": "New"}, headers={"If-Match": '"9"'}), 412)
        response = api.patch(item(body["id"]), json={"schools": [pair[0].urn],
                                                     "stage": {"stage": "developing", "reached_on": "2026-01-10"}},
                             headers={"If-Match": '"1"'})
        assert response.status_code == 200 and response.headers["ETag"] == '"2"'
        assert [h["stage"] for h in response.json()["stage_history"]] == ["developing"]

    def test_delete(self, api):
        body = created(api)
        problem(api.delete(item(body["id"])), 428)
        assert api.delete(item(body["id"]), headers={"If-Match": '"1"'}).status_code == 204
        problem(api.get(item(body["id"])), 404)

    def test_a_urn_outside_the_partnership_is_422_naming_the_field(self, api, world):
        body = problem(api.post(GROUPS, json={"name": "X", "kind": "named",
                                              "schools": [world.our_school.urn, world.their_school.urn]}), 422)
        assert fields(body) == {"schools.1"}

    def test_unknown_fields_and_kinds_are_422(self, api):
        assert "colour" in str(problem(api.post(GROUPS, json={"name": "X", "kind": "named", "colour": 1}), 422))
        assert fields(problem(api.post(GROUPS, json={"name": "X", "kind": "club"}), 422)) == {"kind"}

    def test_a_taken_name_is_409(self, api):
        created(api)
        assert fields(problem(api.post(GROUPS, json={"name": "Rother Alliance", "kind": "named"}), 409)) == {"name"}

    def test_from_a_trust(self, api, session, world):
        school = factories.make_school(session, world.ours, trust_name="Downs Learning Trust")
        body = created(api, kind="trust", name="Downs", trust_name="Downs Learning Trust")
        assert [s["urn"] for s in body["schools"]] == [school.urn]


class TestPaging:
    def test_keyset_pages_by_name(self, api):
        for name in ("Charlie", "Alpha", "Bravo"):
            created(api, name=name)
        first = api.get(GROUPS, params={"limit": 2}).json()
        assert [g["name"] for g in first["items"]] == ["Alpha", "Bravo"] and first["total"] == 3
        second = api.get(GROUPS, params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert [g["name"] for g in second["items"]] == ["Charlie"] and second["next_cursor"] is None

    def test_a_forged_cursor_is_400(self, api):
        assert fields(problem(api.get(GROUPS, params={"cursor": "nonsense"}), 400)) == {"cursor"}

    def test_the_list_costs_the_same_for_one_and_many(self, api, session, world, count_statements):
        counts = []
        for n in (1, 12):
            for i in range(n):
                school = factories.make_school(session, world.ours)
                created(api, name=f"Group {n}-{i}", schools=[school.urn],
                        targets=[{"measure": "m", "baseline": 1, "target": 2, "target_on": "2027-01-01"}],
                        stage={"stage": "emerging", "reached_on": "2025-09-01"})
            with count_statements() as counter:
                assert api.get(GROUPS, params={"limit": 200}).status_code == 200
            counts.append(counter.count)
        assert counts[0] == counts[1], counts


class TestDashboard:
    def test_weighted_figures_on_known_data(self, api, session, world, pair):
        a, b = pair
        c = factories.make_school(session, world.ours, name="Camber Primary", pupils=None)
        for school, value in ((a, 50.0), (b, 70.0), (c, 90.0)):
            factories.make_indicator(session, school, measure="attainment", academic_year=YEAR, value=value)
        flag_setup.national(session, world.ours, "attainment", 61.0, YEAR)
        body = created(api, schools=[a.urn, b.urn, c.urn])
        board = api.get(f"{item(body['id'])}/dashboard", params={"year": YEAR})
        assert board.status_code == 200, board.text
        row = board.json()["figures"][0]
        assert (row["measure"], row["group"], row["schools_counted"], row["national"]) == ("attainment", 65.0, 2, 61.0)
        assert row["left_out"] == [{"urn": c.urn, "name": "Camber Primary", "reason": "no_pupils",
                                    "words": "no pupil number on the register, so nothing to weigh the figure by"}]

    def test_an_empty_group_is_a_dashboard_with_nulls(self, api, session, world):
        factories.make_indicator(session, world.our_school, measure="absence", academic_year=YEAR, value=5.0)
        body = created(api, kind="named")
        board = api.get(f"{item(body['id'])}/dashboard", params={"year": YEAR}).json()
        assert board["schools"] == [] and board["pupils"] == 0 and board["flags"] == []
        assert board["figures"][0]["group"] is None and board["figures"][0]["partnership"] == 5.0

    def test_the_year_defaults_to_the_current_one(self, api, world):
        body = created(api)
        board = api.get(f"{item(body['id'])}/dashboard").json()
        assert board["academic_year"] == world.ours.current_academic_year
        assert board["route_map"] == ["emerging", "developing", "established", "leading"]

    def test_a_bad_year_is_422_naming_it(self, api):
        body = created(api)
        assert fields(problem(api.get(f"{item(body['id'])}/dashboard", params={"year": "2025-26"}), 422)) == {"year"}


class TestRolesAndTenancy:
    def test_a_read_token_reads_but_cannot_change(self, client, api, world):
        body = created(api)
        client.headers["Authorization"] = f"Bearer {world.read_token}"
        assert client.get(item(body["id"])).status_code == 200
        assert client.get(f"{item(body['id'])}/dashboard").status_code == 200
        problem(client.post(GROUPS, json={"name": "N", "kind": "named"}), 403)
        problem(client.patch(item(body["id"]), json={"name": "N"}, headers={"If-Match": '"1"'}), 403)

    def test_another_partnerships_group_is_404(self, client, api, world):
        body = created(api)
        client.headers["Authorization"] = f"Bearer {world.their_token}"
        problem(client.get(item(body["id"])), 404)
        problem(client.get(f"{item(body['id'])}/dashboard"), 404)
        problem(client.patch(item(body["id"]), json={"name": "N"}, headers={"If-Match": '"1"'}), 404)
        problem(client.delete(item(body["id"]), headers={"If-Match": '"1"'}), 404)
        assert client.get(GROUPS).json()["total"] == 0
