"""Support deployments through HTTP: /api/v1/support-deployments and
/api/v1/reports/support-data-quality; their rules as problem details naming the fields, the
conflict of interest suggested, filters, paging, ETags, roles, tenancy and statement counts."""

from datetime import date

import pytest

from tests import factories
from tests import visit_setup as vs
from tests.api.test_schools_api import fields, problem
from tests.support_setup import make_deployment

DEPLOYMENTS = "/api/v1/support-deployments"
QUALITY = "/api/v1/reports/support-data-quality"


def item(deployment_id: int) -> str:
    return f"{DEPLOYMENTS}/{deployment_id}"


@pytest.fixture
def provider(session, world):
    return factories.make_school(session, world.ours, name="Cedar Teaching School")


def new(world, **overrides) -> dict:
    return {"urn": world.our_school.urn, "provider_kind": "sle", "provider_name": "Sam Leader",
            "objective": "Improve phonics in KS1", "days_planned": 6, "start_on": "2025-10-01"} | overrides


def created(api, world, **overrides) -> dict:
    response = api.post(DEPLOYMENTS, json=new(world, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


class TestRecordingAndReading:
    def test_a_round_trip_in_pounds_and_half_days(self, api, world, provider):
        response = api.post(DEPLOYMENTS, json=new(world, provider_urn=provider.urn, cost=1250.5,
                                                  days_delivered=7.5, funding_source="Challenge the Gap"))
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["Location"] == item(body["id"]) and response.headers["ETag"] == '"1"'
        assert (body["urn"], body["school_name"]) == (world.our_school.urn, "Alder Primary School")
        assert (body["provider_urn"], body["provider_school_name"]) == (provider.urn, "Cedar Teaching School")
        assert body["provider_kind_words"] == "Specialist leader of education (SLE)"
        assert body["cost"] == 1250.5 and body["days_delivered"] == 7.5
        assert body["academic_year"] == "2025/26"  # of start_on
        assert body["outcome"] == "not_yet_completed"
        assert body["warnings"] == ["More days delivered (7.5) than planned (6)"]
        assert body["conflict_of_interest"] is None
        read = api.get(item(body["id"]))
        assert read.status_code == 200 and read.headers["ETag"] == '"1"' and read.json() == body

    def test_cost_is_stored_in_pence(self, api, session, world):
        from app.db import all_tenants
        from app.models.support import SupportDeployment

        body = created(api, world, cost=19.99)
        with all_tenants(session):
            assert session.get(SupportDeployment, body["id"]).cost_pence == 1999

    def test_the_year_is_the_partnerships_without_a_start(self, api, world):
        body = created(api, world, start_on=None)
        assert body["academic_year"] == world.ours.current_academic_year
        assert created(api, world, start_on="2017-11-06")["academic_year"] == "2017/18"
        assert created(api, world, academic_year="2016/17")["academic_year"] == "2016/17"

    @pytest.mark.parametrize(("change", "field"), [
        ({"days_planned": -1}, "days_planned"),
        ({"days_delivered": 2.3}, "days_delivered"),
        ({"cost": 12.345}, "cost"),
        ({"cost": "12.50"}, "cost"),
        ({"urn": "999999"}, "urn"),
        ({"provider_urn": "999998"}, "provider_urn"),
        ({"provider_kind": "guru"}, "provider_kind"),
        ({"objective": "  "}, "objective"),
        ({"start_on": "2026-03-01", "end_on": "2026-02-01"}, "end_on"),
        ({"matched_on": "2025-11-01"}, "supporting_organisation"),
        ({"school_response": "accepted"}, "responded_on"),
        ({"responded_on": "2025-10-02"}, "school_response"),
        ({"origin_visit_id": 1, "origin_clinic_action_id": 1}, "origin_clinic_action_id"),
        ({"academic_year": "2025/27"}, "academic_year"),
        ({"surprise": 1}, "surprise"),
    ])
    def test_bad_values_are_422_naming_the_field(self, api, world, change, field):
        body = problem(api.post(DEPLOYMENTS, json=new(world, **change)), 422)
        assert field in fields(body), body

    def test_a_school_cannot_support_itself(self, api, world):
        body = problem(api.post(DEPLOYMENTS, json=new(world, provider_urn=world.our_school.urn)), 422)
        assert fields(body) == {"provider_urn"}

    @pytest.mark.parametrize("earlier", ["adviser_allocated_on", "conflicts_checked_on"])
    def test_an_adviser_visit_before_an_earlier_step_names_both(self, api, world, earlier):
        body = problem(api.post(DEPLOYMENTS, json=new(world, **{earlier: "2025-10-20",
                                                                "adviser_visit_on": "2025-10-10"})), 422)
        assert fields(body) == {earlier, "adviser_visit_on"}
        assert "adviser visit (10 October 2025)" in body["detail"]

    def test_steps_in_order_are_accepted(self, api, world):
        steps = {"contacted_on": "2025-09-08", "school_response": "accepted", "responded_on": "2025-09-15",
                 "adviser_name": "Ada Adviser", "adviser_allocated_on": "2025-09-20",
                 "conflicts_checked_on": "2025-09-20", "adviser_visit_on": "2025-09-29",
                 "matched_on": "2025-10-03", "supporting_organisation": "Solent Teaching School Hub",
                 "delivery_started_on": "2025-10-06"}
        body = created(api, world, **steps)
        assert body["matched_on"] == "2025-10-03" and body["school_response"] == "accepted"

    def test_nothing_follows_a_declined_response(self, api, world):
        body = problem(api.post(DEPLOYMENTS, json=new(world, contacted_on="2025-09-08", school_response="declined",
                                                      responded_on="2025-09-15",
                                                      adviser_allocated_on="2025-09-20")), 422)
        assert fields(body) == {"adviser_allocated_on"} and "declined" in body["detail"]

    def test_an_origin_must_exist_in_the_partnership_and_match_its_kind(self, api, session, world):
        ours = factories.make_visit(session, world.our_school)
        theirs = factories.make_visit(session, world.their_school)
        body = created(api, world, origin_visit_id=ours.id)
        assert (body["origin_kind"], body["origin_visit_id"]) == ("triad_visit", ours.id)
        assert fields(problem(api.post(DEPLOYMENTS, json=new(world, origin_visit_id=theirs.id)), 422)) \
            == {"origin_visit_id"}
        assert fields(problem(api.post(DEPLOYMENTS, json=new(world, origin_kind="clinic_action",
                                                             origin_visit_id=ours.id)), 422)) == {"origin_kind"}
        assert fields(problem(api.post(DEPLOYMENTS, json=new(world, origin_clinic_action_id=77)), 422)) \
            == {"origin_clinic_action_id"}


class TestConflictOfInterest:
    def test_suggested_for_a_shared_trust(self, api, session, world):
        world.our_school.trust_name = "Solent Academies Trust"
        same = factories.make_school(session, world.ours, name="Oak Academy", trust_name="Solent Academies Trust")
        other = factories.make_school(session, world.ours, name="Elm Academy", trust_name="Other Trust")
        session.flush()
        body = created(api, world, provider_urn=same.urn)
        assert body["conflict_of_interest"] == ("the provider school, Oak Academy, is in the same trust "
                                                "(Solent Academies Trust)")
        assert created(api, world, provider_urn=other.urn)["conflict_of_interest"] is None

    def test_suggested_for_the_triad_of_that_year(self, api, session, world, provider):
        group = vs.collaborative(session, world.ours, year="2025/26")
        triad = vs.triad(session, group, [world.our_school, provider])
        body = created(api, world, provider_urn=provider.urn)
        assert body["conflict_of_interest"] == (f"the provider school, Cedar Teaching School, is in the same triad "
                                                f"({triad.name}) in 2025/26")
        assert created(api, world, provider_urn=provider.urn, start_on="2024-10-01")["conflict_of_interest"] is None


class TestListing:
    @pytest.fixture
    def spread(self, session, world, provider):
        other = factories.make_school(session, world.ours, name="Elm Primary")
        made = [make_deployment(session, world.our_school, academic_year="2017/18", outcome="green",
                                reviewed_on=date(2018, 7, 1), days_delivered=5.0,
                                delivery_started_on=date(2017, 10, 2)),
                make_deployment(session, world.our_school, academic_year="2025/26", provider_kind="nle"),
                make_deployment(session, other, academic_year="2025/26", provider_kind="peer_review",
                                outcome="amber", reviewed_on=date(2026, 7, 1)),
                make_deployment(session, other, academic_year="2024/25")]
        make_deployment(session, world.their_school)
        return made, other

    def ids(self, response) -> list[int]:
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    def test_newest_year_first_and_only_ours(self, api, spread):
        made, _ = spread
        assert self.ids(api.get(DEPLOYMENTS)) == [made[2].id, made[1].id, made[3].id, made[0].id]

    def test_filters(self, api, spread):
        made, other = spread
        assert self.ids(api.get(DEPLOYMENTS, params={"year": "2017/18"})) == [made[0].id]
        assert self.ids(api.get(DEPLOYMENTS, params={"urn": other.urn})) == [made[2].id, made[3].id]
        assert self.ids(api.get(DEPLOYMENTS, params={"kind": ["nle", "peer_review"]})) == [made[2].id, made[1].id]
        assert self.ids(api.get(DEPLOYMENTS, params={"outcome": "green"})) == [made[0].id]
        assert self.ids(api.get(DEPLOYMENTS, params={"year": "2025/26", "outcome": "not_yet_completed"})) \
            == [made[1].id]

    @pytest.mark.parametrize(("params", "field"), [
        ({"year": "2025"}, "year"), ({"year": "2025/27"}, "year"), ({"urn": "999999"}, "urn"),
        ({"urn": "12"}, "urn"), ({"kind": "guru"}, "kind"), ({"outcome": "purple"}, "outcome"),
    ])
    def test_bad_filters_are_422_naming_them(self, api, world, params, field):
        assert fields(problem(api.get(DEPLOYMENTS, params=params), 422)) == {field}

    def test_a_urn_of_another_partnership_is_outside_it(self, api, world):
        assert fields(problem(api.get(DEPLOYMENTS, params={"urn": world.their_school.urn}), 422)) == {"urn"}

    def test_pages_follow_the_cursor(self, api, spread):
        made, _ = spread
        first = api.get(DEPLOYMENTS, params={"limit": 3}).json()
        assert first["total"] == 4 and len(first["items"]) == 3 and first["next_cursor"]
        second = api.get(DEPLOYMENTS, params={"limit": 3, "cursor": first["next_cursor"]}).json()
        assert [i["id"] for i in second["items"]] == [made[0].id] and second["next_cursor"] is None
        problem(api.get(DEPLOYMENTS, params={"cursor": "nonsense"}), 400)

    def test_a_partnership_of_schools_only_answers_200(self, client, session):
        partnership = factories.make_partnership(session)
        factories.make_school(session, partnership)
        client.headers["Authorization"] = f"Bearer {factories.make_token(session, partnership, 'read')}"
        for url in (DEPLOYMENTS, QUALITY):
            response = client.get(url)
            assert response.status_code == 200, response.text
            assert response.json()["items"] == [] and response.json()["total"] == 0

    @pytest.mark.parametrize("url", [DEPLOYMENTS, QUALITY])
    def test_statements_do_not_grow_with_rows(self, api, session, world, provider, count_statements, url):
        group = vs.collaborative(session, world.ours)
        vs.triad(session, group, [world.our_school, provider])
        make_deployment(session, world.our_school, provider_school_id=provider.id, end_on=date(2025, 12, 1))
        api.get(url)  # the token's last use is noted once
        with count_statements() as one:
            assert len(api.get(url).json()["items"]) == 1
        for n in range(12):
            school = factories.make_school(session, world.ours)
            make_deployment(session, school, provider_school_id=provider.id, end_on=date(2025, 12, 1),
                            provider_name=f"Provider {n}")
        with count_statements() as many:
            items = api.get(url).json()["items"]
        assert len(items) == 13
        assert many.count == one.count, many.statements


class TestChanging:
    def test_patch_needs_the_etag_and_moves_the_version(self, api, world):
        body = created(api, world)
        url = item(body["id"])
        problem(api.patch(url, json={"outcome": "green"}), 428)
        problem(api.patch(url, json={"outcome": "green"}, headers={"If-Match": '"7"'}), 412)
        changed = api.patch(url, json={"outcome": "green", "reviewed_on": "2026-07-10", "impact_note": "KS1 up"},
                            headers={"If-Match": '"1"'})
        assert changed.status_code == 200, changed.text
        assert changed.headers["ETag"] == '"2"' and changed.json()["outcome"] == "green"
        assert changed.json()["updated_by"].startswith("token ")

    def test_patch_keeps_the_rules(self, api, world):
        body = created(api, world, adviser_allocated_on="2025-10-20")
        url = item(body["id"])
        refused = problem(api.patch(url, json={"adviser_visit_on": "2025-10-01"}, headers={"If-Match": '"1"'}), 422)
        assert fields(refused) == {"adviser_visit_on", "adviser_allocated_on"}
        assert fields(problem(api.patch(url, json={"objective": None}, headers={"If-Match": '"1"'}), 422)) \
            == {"objective"}
        assert api.get(url).json()["adviser_visit_on"] is None and api.get(url).headers["ETag"] == '"1"'

    def test_a_new_start_moves_the_year(self, api, world):
        body = created(api, world)
        moved = api.patch(item(body["id"]), json={"start_on": "2026-09-14"}, headers={"If-Match": '"1"'})
        assert moved.json()["academic_year"] == "2026/27"

    def test_delete_needs_the_etag(self, api, world):
        body = created(api, world)
        problem(api.delete(item(body["id"])), 428)
        assert api.delete(item(body["id"]), headers={"If-Match": '"1"'}).status_code == 204
        problem(api.get(item(body["id"])), 404)


class TestRolesAndTenancy:
    def test_a_read_token_reads_but_does_not_write(self, client, session, world):
        deployment = make_deployment(session, world.our_school)
        client.headers["Authorization"] = f"Bearer {world.read_token}"
        assert client.get(DEPLOYMENTS).json()["total"] == 1
        assert client.get(item(deployment.id)).status_code == 200
        assert client.get(QUALITY).status_code == 200
        problem(client.post(DEPLOYMENTS, json=new(world)), 403)
        problem(client.patch(item(deployment.id), json={"outcome": "red"}, headers={"If-Match": '"1"'}), 403)
        problem(client.delete(item(deployment.id), headers={"If-Match": '"1"'}), 403)

    def test_another_partnerships_deployment_is_404(self, api, session, world):
        theirs = make_deployment(session, world.their_school)
        problem(api.get(item(theirs.id)), 404)
        problem(api.patch(item(theirs.id), json={"outcome": "red"}, headers={"If-Match": '"1"'}), 404)
        problem(api.delete(item(theirs.id), headers={"If-Match": '"1"'}), 404)
        assert api.get(DEPLOYMENTS).json()["total"] == 0


class TestDataQuality:
    def test_lists_what_breaks_a_rule_or_lacks_a_date(self, api, session, world, provider):
        world.our_school.trust_name = provider.trust_name = "Solent Academies Trust"
        session.flush()
        clean = make_deployment(session, world.our_school)
        gappy = make_deployment(session, world.our_school, days_delivered=4.0, outcome="green",
                                matched_on=date(2025, 10, 1), provider_school_id=provider.id)
        body = api.get(QUALITY).json()
        assert [i["id"] for i in body["items"]] == [gappy.id] and body["total"] == 1
        listed = body["items"][0]
        assert listed["urn"] == world.our_school.urn and listed["provider_kind_words"].startswith("Specialist")
        words = " | ".join(listed["problems"])
        assert "Name the supporting organisation" in words
        assert "4 days delivered, but no date when delivery started" in words
        assert "The outcome is green, but no review date is recorded" in words
        assert "conflict of interest is suggested" in words
        assert "Matched with a supporting organisation is recorded, but not when" in words
        assert clean.id not in [i["id"] for i in body["items"]]
        assert api.get(QUALITY, params={"year": "2017/18"}).json()["total"] == 0
        assert fields(problem(api.get(QUALITY, params={"year": "17/18"}), 422)) == {"year"}
