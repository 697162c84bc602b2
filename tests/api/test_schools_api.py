"""The schools API through HTTP: auth, tenancy, paging, ETags and problem details."""

from datetime import date

import pytest

from app.errors import PROBLEM_JSON
from tests import factories

NEW_SCHOOL = {"urn": "654321", "name": "Cedar Infant School", "phase": "infant", "la_category": "amber",
              "pupils": 180, "fsm_percent": 22.5, "postcode": "pe1 1aa"}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    return body


def fields(body: dict) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


class TestAuthentication:
    def test_no_token_is_401_with_challenge(self, client, world):
        body = problem(client.get("/api/v1/schools"), 401)
        assert "Bearer" in body["detail"]

    def test_unknown_token_is_401(self, client, world):
        client.headers["Authorization"] = "Bearer sp_deadbeef_nope"
        problem(client.get("/api/v1/schools"), 401)

    def test_revoked_token_is_refused(self, client, world, session):
        from app.services import accounts, tokens

        by = accounts.operator(world.ours)
        token, plain = tokens.create(session, name="Alliance sync", scopes="read", by=by)
        client.headers["Authorization"] = f"Bearer {plain}"
        assert client.get("/api/v1/schools").status_code == 200
        tokens.revoke(session, token.prefix, by=by)
        body = problem(client.get("/api/v1/schools"), 401)
        assert "revoked" in body["detail"]

    def test_session_cookie_is_not_accepted_by_the_api(self, client, world):
        client.cookies.set("sp_session", "anything")
        problem(client.get("/api/v1/schools"), 401)

    def test_read_scope_cannot_write(self, client, world):
        client.headers["Authorization"] = f"Bearer {world.read_token}"
        assert client.get("/api/v1/schools").status_code == 200
        problem(client.post("/api/v1/schools", json=NEW_SCHOOL), 403)

    def test_read_scope_is_refused_a_change_before_its_body_is_read(self, client, world):
        """403 naming the scope, not a 422 about a body the token could never have sent."""
        client.headers["Authorization"] = f"Bearer {world.read_token}"
        urn = world.our_school.urn
        for method, path, body in (("POST", "/api/v1/schools", {"urn": "not a urn"}),
                                   ("POST", f"/api/v1/schools/{urn}/inspections", {"framework": "graded"}),
                                   ("PATCH", f"/api/v1/schools/{urn}", {"pupils": -4})):
            refused = problem(client.request(method, path, json=body), 403)
            assert "write scope" in refused["detail"], (method, path)

    def test_last_used_is_recorded(self, api, world, session):
        from sqlalchemy import select

        from app.db import all_tenants
        from app.models.account import ApiToken

        api.get("/api/v1/schools")
        assert api.app.state.token_usage.flush() == 1
        with all_tenants(session):
            used = session.scalars(select(ApiToken.last_used_at).where(ApiToken.partnership_id == world.ours.id)
                                   .where(ApiToken.last_used_at.is_not(None))).all()
        assert len(used) == 1


class TestTenancy:
    def test_other_partnerships_school_is_404_everywhere(self, api, world):
        urn = world.their_school.urn
        problem(api.get(f"/api/v1/schools/{urn}"), 404)
        problem(api.patch(f"/api/v1/schools/{urn}", json={"name": "Taken"}, headers={"If-Match": '"1"'}), 404)
        problem(api.delete(f"/api/v1/schools/{urn}", headers={"If-Match": "*"}), 404)
        problem(api.get(f"/api/v1/schools/{urn}/inspections"), 404)
        problem(api.post(f"/api/v1/schools/{urn}/indicators",
                         json={"measure": "absence", "academic_year": "2025/26", "value": 1, "source": "x"}), 404)

    def test_list_shows_only_own_schools(self, api, world):
        urns = {s["urn"] for s in api.get("/api/v1/schools").json()["items"]}
        assert world.our_school.urn in urns and world.their_school.urn not in urns

    def test_same_urn_may_exist_in_two_partnerships(self, api, world):
        response = api.post("/api/v1/schools", json={**NEW_SCHOOL, "urn": world.their_school.urn})
        assert response.status_code == 201
        assert response.json()["name"] == NEW_SCHOOL["name"]


class TestCreate:
    def test_create_returns_etag_and_location(self, api, world):
        response = api.post("/api/v1/schools", json=NEW_SCHOOL)
        assert response.status_code == 201, response.text
        assert response.headers["ETag"] == '"1"'
        assert response.headers["Location"] == "/api/v1/schools/654321"
        body = response.json()
        assert body["postcode"] == "PE1 1AA" and body["engaged"] is True and body["version"] == 1
        assert api.get("/api/v1/schools/654321").json()["name"] == "Cedar Infant School"

    def test_duplicate_urn_is_409_naming_urn(self, api, world):
        body = problem(api.post("/api/v1/schools", json={**NEW_SCHOOL, "urn": world.our_school.urn}), 409)
        assert fields(body) == {"urn"}

    @pytest.mark.parametrize(("change", "field"), [
        ({"urn": "12345"}, "urn"),
        ({"phase": "college"}, "phase"),
        ({"pupils": True}, "pupils"),
        ({"pupils": "12"}, "pupils"),
        ({"fsm_percent": 101}, "fsm_percent"),
        ({"colour": "blue"}, "colour"),
        ({"la_category": "purple"}, "la_category"),
        ({"engaged": False}, "not_engaged_reason"),
    ])
    def test_bad_fields_are_named(self, api, world, change, field):
        body = problem(api.post("/api/v1/schools", json={**NEW_SCHOOL, **change}), 422)
        assert field in fields(body), body
        assert api.get("/api/v1/schools/654321").status_code == 404

    def test_malformed_json_is_400(self, api, world):
        body = problem(api.post("/api/v1/schools", content=b"{not json", headers={"content-type": "application/json"}),
                       400)
        assert fields(body) == {"body"}


class TestUpdate:
    def url(self, world) -> str:
        return f"/api/v1/schools/{world.our_school.urn}"

    def test_update_with_current_etag(self, api, world):
        etag = api.get(self.url(world)).headers["ETag"]
        response = api.patch(self.url(world), json={"headteacher_name": "Ms A Rowan"}, headers={"If-Match": etag})
        assert response.status_code == 200, response.text
        assert response.json()["headteacher_name"] == "Ms A Rowan"
        assert response.headers["ETag"] != etag

    def test_missing_if_match_is_428(self, api, world):
        body = problem(api.patch(self.url(world), json={"name": "Renamed"}), 428)
        assert "If-Match" in body["detail"]
        assert api.get(self.url(world)).json()["name"] == "Alder Primary School"

    def test_stale_if_match_is_412_and_nothing_is_lost(self, api, world):
        etag = api.get(self.url(world)).headers["ETag"]
        assert api.patch(self.url(world), json={"pupils": 220}, headers={"If-Match": etag}).status_code == 200
        problem(api.patch(self.url(world), json={"pupils": 999}, headers={"If-Match": etag}), 412)
        assert api.get(self.url(world)).json()["pupils"] == 220

    def test_unknown_field_refused(self, api, world):
        body = problem(api.patch(self.url(world), json={"urn": "999999"}, headers={"If-Match": "\"1\""}), 422)
        assert fields(body) == {"urn"}

    def test_required_field_cannot_be_nulled(self, api, world):
        body = problem(api.patch(self.url(world), json={"name": None}, headers={"If-Match": "\"1\""}), 422)
        assert fields(body) == {"name"}

    def test_delete_needs_if_match(self, api, world):
        problem(api.delete(self.url(world)), 428)
        etag = api.get(self.url(world)).headers["ETag"]
        assert api.delete(self.url(world), headers={"If-Match": etag}).status_code == 204
        problem(api.get(self.url(world)), 404)


class TestList:
    @pytest.fixture
    def many(self, session, world):
        schools = [factories.make_school(session, world.ours, name=f"Hawthorn {i:02d} School", pupils=100 + i,
                                         phase="secondary" if i % 3 == 0 else "primary",
                                         la_category=["red", "amber", "green", None][i % 4])
                   for i in range(30)]
        factories.make_inspection(session, schools[0], inspected_on=date(2023, 1, 10), overall_effectiveness=4,
                                  category_of_concern="special_measures")
        factories.make_inspection(session, schools[1], inspected_on=date(2019, 1, 10), overall_effectiveness=4)
        factories.make_inspection(session, schools[1], inspected_on=date(2024, 3, 1), overall_effectiveness=2)
        return schools

    def test_pages_cover_every_school_once(self, api, many):
        seen, cursor = [], None
        while True:
            params = {"limit": 7, "q": "Hawthorn"} | ({"cursor": cursor} if cursor else {})
            body = api.get("/api/v1/schools", params=params).json()
            assert body["total"] == 30
            seen += [s["name"] for s in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert seen == sorted(seen, key=str.lower) and len(seen) == len(set(seen)) == 30

    def test_sort_descending_by_pupils(self, api, many):
        items = api.get("/api/v1/schools", params={"q": "Hawthorn", "sort": "-pupils", "limit": 3}).json()["items"]
        assert [s["pupils"] for s in items] == [129, 128, 127]

    def test_filters(self, api, many):
        def total(**params):
            return api.get("/api/v1/schools", params={"q": "Hawthorn", **params}).json()["total"]

        assert total(phase="secondary") == 10
        assert total(la_category="red") == 8
        assert total(la_category="none") == 7
        assert total(la_category=["red", "none"]) == 15
        assert total(ofsted="special_measures") == 1
        assert total(ofsted="good") == 1  # the latest inspection counts, not the earlier inadequate
        assert total(ofsted="inadequate") == 0
        assert total(ofsted="not_inspected") == 28

    def test_latest_inspection_in_listing(self, api, many):
        item = api.get("/api/v1/schools", params={"q": "Hawthorn 01"}).json()["items"][0]
        assert item["latest_inspection"] == {"inspected_on": "2024-03-01", "framework": "graded", "headline": "good"}

    def test_search_by_urn_prefix(self, api, world):
        items = api.get("/api/v1/schools", params={"q": world.our_school.urn}).json()["items"]
        assert [s["urn"] for s in items] == [world.our_school.urn]

    def test_search_treats_wildcards_literally(self, api, many):
        assert api.get("/api/v1/schools", params={"q": "%"}).json()["total"] == 0

    @pytest.mark.parametrize(("params", "field"), [
        ({"limit": 201}, "limit"), ({"limit": 0}, "limit"), ({"sort": "colour"}, "sort"),
        ({"cursor": "garbage!"}, "cursor"), ({"ofsted": "brilliant"}, "ofsted"), ({"phase": "college"}, "phase"),
    ])
    def test_bad_query_values_are_named(self, api, world, params, field):
        response = api.get("/api/v1/schools", params=params)
        assert response.status_code in (400, 422)
        assert field in fields(problem(response, response.status_code))

    def test_cursor_from_another_sort_is_refused(self, api, many):
        cursor = api.get("/api/v1/schools", params={"limit": 2}).json()["next_cursor"]
        body = problem(api.get("/api/v1/schools", params={"limit": 2, "sort": "urn", "cursor": cursor}), 400)
        assert fields(body) == {"cursor"}

    def test_statement_count_does_not_grow_with_rows(self, api, many, count_statements):
        api.get("/api/v1/schools", params={"limit": 1})  # records the token's last use, once a minute
        with count_statements() as small:
            assert len(api.get("/api/v1/schools", params={"limit": 2}).json()["items"]) == 2
        with count_statements() as large:
            assert len(api.get("/api/v1/schools", params={"limit": 30}).json()["items"]) == 30
        assert large.count == small.count
        assert large.count <= 6, large.statements
