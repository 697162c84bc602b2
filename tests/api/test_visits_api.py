"""Visit records through HTTP: /api/v1/visits, /triads/{id}/visits, /schools/{urn}/visits and the
agreed actions; tokens, tenancy, ETags, the workflow and problem details."""

from datetime import date, timedelta

import pytest

from tests import factories
from tests import visit_setup as vs
from tests.api.test_schools_api import fields, problem

VISITS = "/api/v1/visits"


@pytest.fixture
def net(session, world) -> vs.Network:
    return vs.network(session, world)


def new_triad_visit(net: vs.Network, **overrides) -> dict:
    return {"urn": net.ash.urn, "visit_date": "2025-11-12",
            "visiting_heads": [{"name": "Ann Alder", "urn": net.alder.urn}, {"name": "Bo Beech"}],
            "focus_areas": [{"area": "phonics", "self_evaluation": "Strong", "peer_view": "Strong in EYFS"}],
            "strengths": "Early reading", "grade": 1} | overrides


def item(visit_id: int) -> str:
    return f"{VISITS}/{visit_id}"


class TestCreatingAndReading:
    def test_a_triad_review_round_trip(self, api, net):
        created = api.post(f"/api/v1/triads/{net.north_triad.id}/visits", json=new_triad_visit(net))
        assert created.status_code == 201, created.text
        body = created.json()
        assert created.headers["Location"] == item(body["id"]) and created.headers["ETag"] == '"1"'
        assert body["kind"] == "triad_review" and body["status"] == "draft" and body["triad_id"] == net.north_triad.id
        assert (body["urn"], body["school_name"]) == (net.ash.urn, "Ash Primary School")
        assert body["grade_label"] == "Strong" and body["academic_year"] == "2025/26" and body["actions"] == []
        assert body["visiting_heads"] == [{"name": "Ann Alder", "urn": net.alder.urn},
                                          {"name": "Bo Beech", "urn": None}]

        action = api.post(f"{item(body['id'])}/actions", json={"text": "Visit Beech's reception class",
                                                                "owner": "Ann Alder", "due_on": "2026-01-16"})
        assert action.status_code == 201, action.text
        assert action.headers["Location"] == f"{item(body['id'])}/actions/{action.json()['id']}"
        read = api.get(item(body["id"]))
        assert read.status_code == 200 and read.headers["ETag"] == '"1"'
        assert [a["text"] for a in read.json()["actions"]] == ["Visit Beech's reception class"]
        assert read.json()["actions"][0]["status"] == "open" and read.json()["actions"][0]["version"] == 1

    def test_a_visit_that_is_not_a_triads(self, api, net):
        response = api.post(f"/api/v1/schools/{net.oak.urn}/visits",
                            json={"kind": "governance_review", "visit_date": "2025-12-01"})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["triad_id"] is None and body["kind"] == "governance_review"
        assert body["focus_areas"] == [{"area": "governance", "self_evaluation": None, "peer_view": None}]
        problem(api.post(f"/api/v1/schools/{net.oak.urn}/visits",
                         json={"kind": "triad_review", "visit_date": "2025-12-01"}), 422)

    def test_an_empty_partnership_lists_no_visits(self, api, world):
        response = api.get(VISITS)
        assert response.status_code == 200
        assert response.json() == {"items": [], "total": 0, "limit": 50, "next_cursor": None}

    @pytest.mark.parametrize(("change", "field"), [
        ({"surprise": 1}, "surprise"),
        ({"urn": "999999"}, "urn"),
        ({"focus_areas": [{"area": "phonics"}, {"area": "astrology"}]}, "focus_areas.1.area"),
        ({"focus_areas": [{"area": "phonics", "mood": "sunny"}]}, "focus_areas.0.mood"),
        ({"grade": 4}, "grade"),
        ({"grade": 0}, "grade"),
        ({"grade": "1"}, "grade"),
        ({"visit_date": "1999-12-31"}, "visit_date"),
        ({"visit_date": (date.today() + timedelta(days=400)).isoformat()}, "visit_date"),
        ({"visit_date": "2026-09-01"}, "visit_date"),  # past the triad's year
        ({"visiting_heads": [{"name": "Ann", "urn": "12345"}]}, "visiting_heads.0.urn"),
        ({"visiting_heads": [{"name": "  "}]}, "visiting_heads.0.name"),
    ])
    def test_refusals_name_the_field(self, api, net, change, field):
        body = problem(api.post(f"/api/v1/triads/{net.north_triad.id}/visits", json=new_triad_visit(net) | change),
                       422)
        assert fields(body) == {field}, body
        assert api.get(VISITS).json()["total"] == 0

    def test_schools_outside_the_partnership_are_refused_on_their_field(self, api, net, world):
        their_urn = world.their_school.urn
        body = problem(api.post(f"/api/v1/triads/{net.north_triad.id}/visits",
                                json=new_triad_visit(net, urn=their_urn)), 422)
        assert fields(body) == {"urn"}
        body = problem(api.post(f"/api/v1/triads/{net.north_triad.id}/visits", json=new_triad_visit(
            net, visiting_heads=[{"name": "Ann", "urn": net.alder.urn}, {"name": "Cy", "urn": their_urn}])), 422)
        assert fields(body) == {"visiting_heads.1.urn"}


class TestTokensAndTenancy:
    def test_a_read_token_reads_and_writes_nothing(self, client, world, net, session):
        visit = factories.make_visit(session, net.oak)
        client.headers["Authorization"] = f"Bearer {world.read_token}"
        assert client.get(item(visit.id)).status_code == 200
        assert client.get(VISITS).json()["total"] == 1
        problem(client.post(f"/api/v1/triads/{net.north_triad.id}/visits", json=new_triad_visit(net)), 403)
        problem(client.post(f"/api/v1/schools/{net.oak.urn}/visits",
                            json={"kind": "support_partner", "visit_date": "2025-12-01"}), 403)
        problem(client.patch(item(visit.id), json={"strengths": "x"}, headers={"If-Match": '"1"'}), 403)
        problem(client.delete(item(visit.id), headers={"If-Match": '"1"'}), 403)
        problem(client.post(f"{item(visit.id)}/actions", json={"text": "x"}), 403)

    def test_another_partnerships_visits_are_404_everywhere(self, api, world, session):
        theirs = factories.make_visit(session, world.their_school)
        action = factories.make_visit_action(session, theirs)
        their_triad = vs.triad(session, vs.collaborative(session, world.theirs), [world.their_school])
        tag = {"If-Match": '"1"'}
        problem(api.get(item(theirs.id)), 404)
        problem(api.patch(item(theirs.id), json={"strengths": "Taken"}, headers=tag), 404)
        problem(api.delete(item(theirs.id), headers=tag), 404)
        problem(api.post(f"{item(theirs.id)}/actions", json={"text": "x"}), 404)
        problem(api.get(f"{item(theirs.id)}/actions/{action.id}"), 404)
        problem(api.patch(f"{item(theirs.id)}/actions/{action.id}", json={"status": "done"}, headers=tag), 404)
        problem(api.delete(f"{item(theirs.id)}/actions/{action.id}", headers=tag), 404)
        problem(api.get(f"/api/v1/triads/{their_triad.id}/visits"), 404)
        problem(api.post(f"/api/v1/triads/{their_triad.id}/visits",
                         json={"urn": world.their_school.urn, "visit_date": "2025-11-12"}), 404)
        problem(api.post(f"/api/v1/schools/{world.their_school.urn}/visits",
                         json={"kind": "support_partner", "visit_date": "2025-12-01"}), 404)
        assert api.get(VISITS).json()["total"] == 0
        assert api.get(VISITS, params={"urn": world.their_school.urn}).json()["items"] == []


class TestChanges:
    def test_patch_and_delete_need_the_current_etag(self, api, net, session):
        visit = factories.make_visit(session, net.oak)
        problem(api.patch(item(visit.id), json={"strengths": "x"}), 428)
        problem(api.patch(item(visit.id), json={"strengths": "x"}, headers={"If-Match": "*"}), 428)
        problem(api.patch(item(visit.id), json={"strengths": "x"}, headers={"If-Match": '"2"'}), 412)
        problem(api.delete(item(visit.id)), 428)
        problem(api.delete(item(visit.id), headers={"If-Match": '"2"'}), 412)
        changed = api.patch(item(visit.id), json={"strengths": "Governors' minutes"}, headers={"If-Match": '"1"'})
        assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
        assert changed.json()["strengths"] == "Governors' minutes" and changed.json()["version"] == 2
        problem(api.patch(item(visit.id), json={"strengths": "Stale"}, headers={"If-Match": '"1"'}), 412)
        assert api.delete(item(visit.id), headers={"If-Match": '"2"'}).status_code == 204
        problem(api.get(item(visit.id)), 404)

    def test_actions_have_their_own_etags(self, api, net, session):
        visit = factories.make_visit(session, net.oak)
        action = factories.make_visit_action(session, visit)
        url = f"{item(visit.id)}/actions/{action.id}"
        assert api.get(url).headers["ETag"] == '"1"'
        problem(api.patch(url, json={"status": "done"}), 428)
        problem(api.patch(url, json={"status": "done"}, headers={"If-Match": '"3"'}), 412)
        problem(api.patch(url, json={"status": "finished"}, headers={"If-Match": '"1"'}), 422)
        problem(api.patch(url, json={"colour": "red"}, headers={"If-Match": '"1"'}), 422)
        done = api.patch(url, json={"status": "done"}, headers={"If-Match": '"1"'})
        assert done.status_code == 200 and done.headers["ETag"] == '"2"' and done.json()["status"] == "done"
        assert api.get(item(visit.id)).headers["ETag"] == '"1"'
        problem(api.delete(url, headers={"If-Match": '"1"'}), 412)
        assert api.delete(url, headers={"If-Match": '"2"'}).status_code == 204
        problem(api.get(url), 404)

    def test_the_workflow(self, api, net, session):
        visit = factories.make_visit(session, net.ash, kind="triad_review", triad_id=net.north_triad.id, grade=2)
        factories.make_visit_action(session, visit)

        def patch(body: dict, tag: str):
            return api.patch(item(visit.id), json=body, headers={"If-Match": tag})

        body = problem(patch({"status": "signed_off"}, '"1"'), 409)
        assert fields(body) == {"status"}
        body = problem(patch({"status": "submitted", "grade": 3}, '"1"'), 422)
        assert fields(body) == {"status"}
        submitted = patch({"status": "submitted"}, '"1"')
        assert submitted.status_code == 200 and submitted.json()["submitted_at"] and submitted.headers["ETag"] == '"2"'
        signed = patch({"status": "signed_off"}, '"2"')
        assert signed.json()["status"] == "signed_off" and signed.json()["signed_off_by"].startswith("token ")
        problem(patch({"strengths": "Late thought"}, '"3"'), 409)
        problem(api.post(f"{item(visit.id)}/actions", json={"text": "Late action"}), 409)
        problem(api.delete(item(visit.id), headers={"If-Match": '"3"'}), 409)
        body = problem(patch({"status": "submitted"}, '"3"'), 422)
        assert fields(body) == {"reason"}
        problem(patch({"status": "submitted", "reason": "   "}, '"3"'), 422)
        reopened = patch({"status": "submitted", "reason": "Grade to revisit"}, '"3"')
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["reopen_reason"] == "Grade to revisit" and reopened.json()["signed_off_at"] is None
        assert patch({"grade": 3}, '"4"').json()["grade_label"] == "Needs support"


class TestListing:
    def test_pages_and_filters(self, api, net, session):
        a = factories.make_visit(session, net.ash, kind="triad_review", triad_id=net.north_triad.id,
                                 visit_date=date(2025, 10, 1))
        b = factories.make_visit(session, net.cedar, kind="triad_review", triad_id=net.south_triad.id,
                                 visit_date=date(2025, 12, 1), status="submitted")
        c = factories.make_visit(session, net.oak, kind="governance_review", visit_date=date(2024, 11, 1))

        def ids(url: str = VISITS, **params) -> list[int]:
            response = api.get(url, params=params)
            assert response.status_code == 200, response.text
            return [v["id"] for v in response.json()["items"]]

        assert ids() == [b.id, a.id, c.id]
        first = api.get(VISITS, params={"limit": 2}).json()
        assert first["total"] == 3 and first["limit"] == 2 and len(first["items"]) == 2
        second = api.get(VISITS, params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert [v["id"] for v in second["items"]] == [c.id] and second["next_cursor"] is None
        assert ids(kind=["triad_review", "governance_review"]) == [b.id, a.id, c.id]
        assert ids(kind="governance_review") == [c.id]
        assert ids(urn=net.cedar.urn) == [b.id]
        assert ids(academic_year="2024/25") == [c.id]
        assert ids(status="submitted") == [b.id]
        assert ids(triad_id=net.north_triad.id) == [a.id]
        assert ids(f"/api/v1/triads/{net.south_triad.id}/visits") == [b.id]
        assert ids(f"/api/v1/triads/{net.south_triad.id}/visits", status="draft") == []

    @pytest.mark.parametrize(("params", "status", "field"), [
        ({"kind": "picnic"}, 422, "kind"),
        ({"status": "lost"}, 422, "status"),
        ({"academic_year": "2025/27"}, 422, "academic_year"),
        ({"urn": "12"}, 422, "urn"),
        ({"triad_id": 0}, 422, "triad_id"),
        ({"limit": 0}, 422, "limit"),
        ({"cursor": "nonsense"}, 400, "cursor"),
    ])
    def test_bad_queries_name_the_parameter(self, api, world, params, status, field):
        body = problem(api.get(VISITS, params=params), status)
        assert fields(body) == {field}

    @pytest.fixture
    def many(self, session, net):
        for n in range(30):
            visit = factories.make_visit(session, net.oak if n % 2 else net.ash, visit_date=date(2025, 9, 1 + n),
                                         grade=1 + n % 3)
            factories.make_visit_action(session, visit)

    def test_statement_count_does_not_grow_with_rows(self, api, many, count_statements):
        api.get(VISITS, params={"limit": 1})  # records the token's last use, once a minute
        with count_statements() as small:
            assert len(api.get(VISITS, params={"limit": 2}).json()["items"]) == 2
        with count_statements() as large:
            items = api.get(VISITS, params={"limit": 30}).json()["items"]
        assert len(items) == 30 and all(len(v["actions"]) == 1 and v["grade_label"] for v in items)
        assert large.count == small.count
        assert large.count <= 7, large.statements

    def test_one_visit_and_its_actions_cost_one_query(self, api, session, net, count_statements):
        visit = factories.make_visit(session, net.oak)
        for n in range(5):
            factories.make_visit_action(session, visit, text=f"Action {n}")
        api.get(item(visit.id))
        with count_statements() as counted:
            assert len(api.get(item(visit.id)).json()["actions"]) == 5
        visit_queries = [s for s in counted.statements if "FROM triad_visit" in s]
        assert len(visit_queries) == 1 and "visit_action" in visit_queries[0]
