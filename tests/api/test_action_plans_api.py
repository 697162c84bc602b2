"""Action plans through HTTP: plans, priorities, actions, milestones and success measures; the tree
and its roll-ups, the milestones list and its filters, school plans, problem details naming the
field, 409 on a number taken, 404 across partnerships, tokens' scopes and If-Match."""

from datetime import date, timedelta

import pytest

from tests import factories

PLANS = "/api/v1/action-plans"
TODAY = date.today()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def field_of(response) -> str:
    return problem(response, 422)["errors"][0]["field"]


def made(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def new_plan(api, **fields) -> dict:
    return made(api.post(PLANS, json={"title": "Raising standards 2016-18", "period_start": "2016-05",
                                      "period_end": "2018-09"} | fields))


def new_priority(api, plan: dict, **fields) -> dict:
    return made(api.post(f"{PLANS}/{plan['id']}/priorities", json={"title": "Leadership of school improvement"}
                         | fields))


def new_action(api, priority: dict, **fields) -> dict:
    return made(api.post(f"/api/v1/priorities/{priority['id']}/actions",
                         json={"description": "Challenge and support through SIO visits", "leads": ["HSI"]} | fields))


def new_milestone(api, action: dict, **fields) -> dict:
    return made(api.post(f"/api/v1/plan-actions/{action['id']}/milestones",
                         json={"description": "Every school visited"} | fields))


def tag(record: dict) -> dict:
    return {"If-Match": f'"{record["version"]}"'}


@pytest.fixture
def plan(api) -> dict:
    return new_plan(api)


class TestThePlanAndItsTree:
    def test_a_plan_round_trip(self, api, world):
        response = api.post(PLANS, json={"title": "Raising standards", "period_start": "2016-05",
                                         "period_end": "2018-09", "status": "active"})
        body = made(response)
        assert response.headers["Location"] == f"{PLANS}/{body['id']}" and response.headers["ETag"] == '"1"'
        assert (body["period_start"], body["period_end"], body["status"]) == ("2016-05", "2018-09", "active")
        assert body["scope"] == "partnership" and body["owner_urn"] is None and body["owner_user_id"] is None
        read = api.get(f"{PLANS}/{body['id']}")
        assert read.status_code == 200 and read.headers["ETag"] == '"1"'
        assert read.json()["priorities"] is None and read.json()["rollup"] is None

        changed = api.patch(f"{PLANS}/{body['id']}", json={"period_end": "2019-03", "owner_user_id": world.officer.id},
                            headers={"If-Match": '"1"'})
        assert changed.status_code == 200, changed.text
        assert changed.headers["ETag"] == '"2"'
        assert (changed.json()["period_end"], changed.json()["owner_name"]) == ("2019-03", world.officer.name)
        assert api.delete(f"{PLANS}/{body['id']}", headers={"If-Match": '"2"'}).status_code == 204
        problem(api.get(f"{PLANS}/{body['id']}"), 404)

    def test_the_tree_nests_everything_with_numbers_leads_overdue_and_roll_ups(self, api, plan):
        first = new_priority(api, plan, success_criteria=["All schools good or better"],
                             areas=["Progress at key stage 2"])
        second = new_priority(api, plan, title="Outcomes for disadvantaged pupils")
        assert (first["number"], second["number"]) == (1, 2)
        action = new_action(api, second, leads=["HSI", "SIM"], time_frame="From Sept 2016")
        later = new_action(api, second, leads=["DCS"], start_on="2016-09-01", end_on="2017-07-31")
        assert (action["label"], later["label"]) == ("2.1", "2.2")
        assert action["leads"] == [{"code": "HSI", "title": "Head of School Improvement"},
                                   {"code": "SIM", "title": "Strategic Information Manager"}]
        late = new_milestone(api, action, description="Data packs to schools",
                             due_on=(TODAY - timedelta(days=1)).isoformat(), status="on_track")
        new_milestone(api, action, description="Due today", due_on=TODAY.isoformat(), status="at_risk")
        new_milestone(api, later, description="Ongoing challenge")
        new_milestone(api, later, description="Done late", due_on="2017-01-31", status="complete",
                      evidence="Minutes of the board", evidence_links=["https://example.org/minutes.pdf"])
        made(api.post(f"{PLANS}/{plan['id']}/success-measures",
                      json={"measure": "KS2 indicators in the top 50% of LAs", "target": "Top 50%",
                            "target_on": "2018-09-01", "baseline": "Bottom quartile"}))
        made(api.post(f"{PLANS}/{plan['id']}/success-measures",
                      json={"measure": "Disadvantaged gap closes", "priority_id": second["id"]}))
        assert late["overdue"] is True and late["action_label"] == "2.1"

        response = api.get(f"{PLANS}/{plan['id']}", params={"include": "tree"})
        assert response.status_code == 200, response.text
        tree = response.json()
        assert [p["number"] for p in tree["priorities"]] == [1, 2]
        assert tree["priorities"][0]["actions"] == [] and tree["priorities"][0]["rollup"]["worst_status"] is None
        assert tree["priorities"][0]["success_criteria"] == ["All schools good or better"]
        two = tree["priorities"][1]
        assert [a["label"] for a in two["actions"]] == ["2.1", "2.2"]
        assert [(m["description"], m["overdue"]) for m in two["actions"][0]["milestones"]] == [
            ("Data packs to schools", True), ("Due today", False)]
        assert [m["description"] for m in two["actions"][1]["milestones"]] == ["Done late", "Ongoing challenge"]
        assert two["success_measures"][0]["measure"] == "Disadvantaged gap closes"
        assert [m["measure"] for m in tree["success_measures"]] == ["KS2 indicators in the top 50% of LAs"]
        assert two["rollup"] == {"total": 4, "overdue": 1, "worst_status": "at_risk",
                                 "by_status": {"complete": 1, "not_started": 1, "on_track": 1, "at_risk": 1,
                                               "off_track": 0}}
        assert tree["rollup"] == two["rollup"]

    def test_the_tree_and_milestones_list_take_the_same_statements_for_one_row_or_many(
            self, api, plan, count_statements):
        def statements(url: str, params: dict | None = None) -> int:
            with count_statements() as counter:
                assert api.get(url, params=params).status_code == 200
            return counter.count

        def grow(priorities: int, actions: int, milestones: int) -> None:
            for _ in range(priorities):
                priority = new_priority(api, plan)
                for _ in range(actions):
                    action = new_action(api, priority, leads=["HSI", "DCS"])
                    for n in range(milestones):
                        new_milestone(api, action, due_on=(TODAY - timedelta(days=n + 1)).isoformat())

        grow(1, 1, 1)
        tree = statements(f"{PLANS}/{plan['id']}", {"include": "tree"})
        listed = statements(f"{PLANS}/{plan['id']}/milestones")
        overdue = statements(f"{PLANS}/{plan['id']}/milestones", {"overdue": "true", "lead": "HSI"})
        grow(3, 3, 3)
        assert len(api.get(f"{PLANS}/{plan['id']}/milestones").json()["items"]) == 28
        assert statements(f"{PLANS}/{plan['id']}", {"include": "tree"}) == tree
        assert statements(f"{PLANS}/{plan['id']}/milestones") == listed
        assert statements(f"{PLANS}/{plan['id']}/milestones", {"overdue": "true", "lead": "HSI"}) == overdue

    def test_an_empty_partnership_lists_no_plans(self, api):
        response = api.get(PLANS)
        assert response.status_code == 200
        assert response.json() == {"items": [], "total": 0, "limit": 50, "next_cursor": None}


class TestListsAndFilters:
    def test_plans_are_paged_newest_first_and_filtered(self, api, session, world):
        other = factories.make_school(session, world.ours, name="Cedar Academy")
        ours = new_plan(api, status="active")
        school_plan = new_plan(api, owner_urn=world.our_school.urn, title="Raising Achievement Plan")
        new_plan(api, owner_urn=other.urn, status="closed")
        assert school_plan["scope"] == "school" and school_plan["owner_school_name"] == "Alder Primary School"
        first = api.get(PLANS, params={"limit": 2}).json()
        assert first["total"] == 3 and len(first["items"]) == 2 and first["next_cursor"]
        rest = api.get(PLANS, params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert [p["id"] for p in first["items"] + rest["items"]] == sorted(
            [p["id"] for p in first["items"] + rest["items"]], reverse=True)
        assert rest["next_cursor"] is None
        assert [p["id"] for p in api.get(PLANS, params={"scope": "partnership"}).json()["items"]] == [ours["id"]]
        assert [p["id"] for p in api.get(PLANS, params={"urn": world.our_school.urn}).json()["items"]] == [
            school_plan["id"]]
        assert api.get(PLANS, params={"status": ["active", "closed"]}).json()["total"] == 2
        schools_own = api.get(f"/api/v1/schools/{world.our_school.urn}/action-plans").json()
        assert [p["id"] for p in schools_own["items"]] == [school_plan["id"]]
        problem(api.get(f"/api/v1/schools/{world.their_school.urn}/action-plans"), 404)
        problem(api.get(PLANS, params={"status": "pending"}), 422)
        problem(api.get(PLANS, params={"scope": "trust"}), 422)

    def test_the_milestones_list_and_its_filters(self, api, plan):
        priority = new_priority(api, plan)
        led_by_hsi = new_action(api, priority, leads=["HSI"])
        led_by_dcs = new_action(api, priority, leads=["DCS", "CM"])
        late = new_milestone(api, led_by_hsi, due_on=(TODAY - timedelta(days=1)).isoformat(), status="off_track")
        today = new_milestone(api, led_by_hsi, due_on=TODAY.isoformat())
        done = new_milestone(api, led_by_dcs, due_on="2016-12-01", status="complete")
        ongoing = new_milestone(api, led_by_dcs, status="on_track")
        url = f"{PLANS}/{plan['id']}/milestones"

        def ids(**params) -> list[int]:
            response = api.get(url, params=params)
            assert response.status_code == 200, response.text
            return [m["id"] for m in response.json()["items"]]

        assert ids() == [late["id"], today["id"], done["id"], ongoing["id"]]
        assert ids(overdue="true") == [late["id"]]
        assert ids(overdue="false") == [today["id"], done["id"], ongoing["id"]]
        assert ids(status=["complete", "on_track"]) == [done["id"], ongoing["id"]]
        assert ids(lead="DCS") == [done["id"], ongoing["id"]]
        assert ids(due_before=TODAY.isoformat()) == [late["id"], done["id"]]
        assert ids(due_after="2016-12-01") == [late["id"], today["id"]]
        item = api.get(url, params={"lead": "CM"}).json()["items"][0]
        assert (item["priority_number"], item["action_number"], item["action_label"]) == (1, 2, "1.2")
        assert item["leads"] == [{"code": "DCS", "title": "Director of Children's Services"},
                                 {"code": "CM", "title": "Cabinet Member for Education"}]
        first = api.get(url, params={"limit": 3}).json()
        second = api.get(url, params={"limit": 3, "cursor": first["next_cursor"]}).json()
        assert [m["id"] for m in first["items"] + second["items"]] == ids() and second["next_cursor"] is None
        assert first["total"] == 4
        assert problem(api.get(url, params={"lead": "WIZARD"}), 422)["errors"][0]["field"] == "lead"
        problem(api.get(url, params={"status": "finished"}), 422)
        problem(api.get(url, params={"due_before": "next week"}), 422)
        problem(api.get(url, params={"cursor": "bogus"}), 400)


class TestBadInput:
    @pytest.mark.parametrize(("body", "field"), [
        ({"period_end": "2016-04"}, "period_end"),
        ({"period_start": "2016-13"}, "period_start"),
        ({"period_start": "2016-05-01"}, "period_start"),
        ({"period_start": "1999-12"}, "period_start"),
        ({"status": "pending"}, "status"),
        ({"owner_urn": "999999"}, "owner_urn"),
        ({"title": "   "}, "title"),
        ({"colour": "red"}, "colour"),
    ])
    def test_a_bad_plan_is_refused_naming_the_field(self, api, body, field):
        plan = {"title": "Plan", "period_start": "2016-05", "period_end": "2018-09"} | body
        assert field_of(api.post(PLANS, json=plan)) == field

    def test_owners_are_members_and_schools_are_ours(self, api, world):
        body = {"title": "Plan", "period_start": "2016-05", "period_end": "2018-09"}
        assert field_of(api.post(PLANS, json=body | {"owner_user_id": world.outsider.id})) == "owner_user_id"
        assert field_of(api.post(PLANS, json=body | {"owner_urn": world.their_school.urn})) == "owner_urn"
        plan = new_plan(api)
        assert field_of(api.patch(f"{PLANS}/{plan['id']}", json={"period_start": "2019-01"}, headers=tag(plan))) \
            == "period_end"
        assert field_of(api.patch(f"{PLANS}/{plan['id']}", json={"title": None}, headers=tag(plan))) == "title"

    def test_bad_parts_are_refused_naming_the_field(self, api, plan):
        priorities = f"{PLANS}/{plan['id']}/priorities"
        assert field_of(api.post(priorities, json={"title": "P", "areas": ["Progress at key stage 2", "Astrology"]})) \
            == "areas.1"
        assert field_of(api.post(priorities, json={"title": "P", "number": 0})) == "number"
        priority = new_priority(api, plan)
        actions = f"/api/v1/priorities/{priority['id']}/actions"
        action = {"description": "Visit schools", "leads": ["HSI"]}
        assert field_of(api.post(actions, json=action | {"leads": ["HSI", "WIZARD"]})) == "leads"
        assert field_of(api.post(actions, json=action | {"leads": []})) == "leads"
        assert field_of(api.post(actions, json=action | {"start_on": "2017-01-01", "end_on": "2016-12-31"})) \
            == "end_on"
        made_action = new_action(api, priority)
        assert field_of(api.patch(f"/api/v1/plan-actions/{made_action['id']}", json={"end_on": "2001-01-01",
                                                                                     "start_on": "2002-01-01"},
                                  headers=tag(made_action))) == "end_on"
        milestones = f"/api/v1/plan-actions/{made_action['id']}/milestones"
        assert field_of(api.post(milestones, json={"description": "M", "status": "finished"})) == "status"
        assert field_of(api.post(milestones, json={"description": "M", "evidence_links": [
            "https://example.org/a", "javascript:alert(1)"]})) == "evidence_links.1"
        assert field_of(api.post(milestones, json={"description": "M", "evidence_links": ["ftp://example.org/a"]})) \
            == "evidence_links.0"
        assert field_of(api.post(milestones, json={"description": "M", "due_on": "2016-02-30"})) == "due_on"
        other_plan = new_plan(api)
        elsewhere = new_priority(api, other_plan)
        assert field_of(api.post(f"{PLANS}/{plan['id']}/success-measures",
                                 json={"measure": "M", "priority_id": elsewhere["id"]})) == "priority_id"


class TestNumbers:
    def test_a_number_taken_is_409(self, api, plan):
        first = new_priority(api, plan, number=3)
        assert new_priority(api, plan)["number"] == 4
        taken = problem(api.post(f"{PLANS}/{plan['id']}/priorities", json={"title": "Again", "number": 3}), 409)
        assert taken["errors"][0]["field"] == "number"
        action = new_action(api, first, number=2)
        assert action["label"] == "3.2"
        problem(api.post(f"/api/v1/priorities/{first['id']}/actions",
                         json={"description": "Again", "leads": ["HSI"], "number": 2}), 409)
        other = new_action(api, first)
        assert other["number"] == 3
        problem(api.patch(f"/api/v1/plan-actions/{other['id']}", json={"number": 2}, headers=tag(other)), 409)
        moved = api.patch(f"/api/v1/plan-actions/{other['id']}", json={"number": 7, "leads": ["DCS"]},
                          headers=tag(other))
        assert moved.status_code == 200, moved.text
        assert (moved.json()["label"], moved.json()["leads"][0]["code"], moved.json()["version"]) == ("3.7", "DCS", 2)
        second = new_priority(api, plan)
        problem(api.patch(f"/api/v1/priorities/{second['id']}", json={"number": 3}, headers=tag(second)), 409)
        # The same number in another priority is fine.
        assert new_action(api, second, number=2)["label"] == "5.2"


class TestTenancyRolesAndVersions:
    def test_another_partnerships_plan_and_parts_are_404(self, api, client, world, plan):
        priority = new_priority(api, plan)
        action = new_action(api, priority)
        milestone = new_milestone(api, action)
        measure = made(api.post(f"{PLANS}/{plan['id']}/success-measures", json={"measure": "M"}))
        client.headers["Authorization"] = f"Bearer {world.their_token}"
        any_tag = {"If-Match": '"1"'}
        for response in (
            client.get(f"{PLANS}/{plan['id']}"),
            client.get(f"{PLANS}/{plan['id']}", params={"include": "tree"}),
            client.get(f"{PLANS}/{plan['id']}/milestones"),
            client.patch(f"{PLANS}/{plan['id']}", json={"title": "Ours now"}, headers=any_tag),
            client.delete(f"{PLANS}/{plan['id']}", headers=any_tag),
            client.post(f"{PLANS}/{plan['id']}/priorities", json={"title": "P"}),
            client.patch(f"/api/v1/priorities/{priority['id']}", json={"title": "P"}, headers=any_tag),
            client.delete(f"/api/v1/priorities/{priority['id']}", headers=any_tag),
            client.post(f"/api/v1/priorities/{priority['id']}/actions", json={"description": "A", "leads": ["HSI"]}),
            client.patch(f"/api/v1/plan-actions/{action['id']}", json={"description": "A"}, headers=any_tag),
            client.delete(f"/api/v1/plan-actions/{action['id']}", headers=any_tag),
            client.post(f"/api/v1/plan-actions/{action['id']}/milestones", json={"description": "M"}),
            client.get(f"/api/v1/milestones/{milestone['id']}"),
            client.patch(f"/api/v1/milestones/{milestone['id']}", json={"status": "complete"}, headers=any_tag),
            client.post(f"{PLANS}/{plan['id']}/success-measures", json={"measure": "M"}),
            client.patch(f"/api/v1/success-measures/{measure['id']}", json={"measure": "M"}, headers=any_tag),
            client.delete(f"/api/v1/success-measures/{measure['id']}", headers=any_tag),
        ):
            problem(response, 404)
        assert client.get(PLANS).json()["total"] == 0

    def test_a_read_token_reads_and_changes_nothing(self, api, client, world, plan):
        priority = new_priority(api, plan)
        action = new_action(api, priority)
        milestone = new_milestone(api, action)
        client.headers["Authorization"] = f"Bearer {world.read_token}"
        assert client.get(f"{PLANS}/{plan['id']}", params={"include": "tree"}).status_code == 200
        assert client.get(f"/api/v1/milestones/{milestone['id']}").status_code == 200
        problem(client.post(PLANS, json={"title": "P", "period_start": "2016-05", "period_end": "2016-06"}), 403)
        problem(client.post(f"{PLANS}/{plan['id']}/priorities", json={"title": "P"}), 403)
        problem(client.patch(f"/api/v1/milestones/{milestone['id']}", json={"status": "complete"},
                             headers=tag(milestone)), 403)
        problem(client.delete(f"{PLANS}/{plan['id']}", headers=tag(plan)), 403)

    def test_every_change_needs_the_current_etag(self, api, plan):
        priority = new_priority(api, plan)
        action = new_action(api, priority)
        milestone = new_milestone(api, action)
        measure = made(api.post(f"{PLANS}/{plan['id']}/success-measures", json={"measure": "M"}))
        for url, body in ((f"{PLANS}/{plan['id']}", {"title": "T"}),
                          (f"/api/v1/priorities/{priority['id']}", {"title": "T"}),
                          (f"/api/v1/plan-actions/{action['id']}", {"description": "T"}),
                          (f"/api/v1/milestones/{milestone['id']}", {"status": "complete"}),
                          (f"/api/v1/success-measures/{measure['id']}", {"latest_value": "Top 60%"})):
            problem(api.patch(url, json=body), 428)
            problem(api.patch(url, json=body, headers={"If-Match": "*"}), 428)
            problem(api.patch(url, json=body, headers={"If-Match": '"9"'}), 412)
            changed = api.patch(url, json=body, headers={"If-Match": '"1"'})
            assert changed.status_code == 200 and changed.headers["ETag"] == '"2"', changed.text
            problem(api.patch(url, json=body | {}, headers={"If-Match": '"1"'}), 412)
        read = api.get(f"/api/v1/milestones/{milestone['id']}")
        assert read.headers["ETag"] == '"2"' and read.json()["status"] == "complete"
        assert read.json()["updated_by"].startswith("token ")
        for url in (f"/api/v1/success-measures/{measure['id']}", f"/api/v1/plan-actions/{action['id']}",
                    f"/api/v1/priorities/{priority['id']}"):
            problem(api.delete(url), 428)
            problem(api.delete(url, headers={"If-Match": '"1"'}), 412)
            assert api.delete(url, headers={"If-Match": '"2"'}).status_code == 204
        problem(api.get(f"/api/v1/milestones/{milestone['id']}"), 404)  # went with its action

    def test_deleting_a_priority_takes_its_actions_and_milestones(self, api, plan):
        priority = new_priority(api, plan)
        milestone = new_milestone(api, new_action(api, priority))
        assert api.delete(f"/api/v1/priorities/{priority['id']}", headers=tag(priority)).status_code == 204
        problem(api.get(f"/api/v1/milestones/{milestone['id']}"), 404)
        assert api.get(f"{PLANS}/{plan['id']}/milestones").json()["total"] == 0

