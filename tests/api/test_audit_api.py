"""GET /api/v1/audit-events: the trail through HTTP, filtered and paged like the schools list, one
partnership's own, in a constant number of statements."""

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import PROBLEM_JSON
from app.services import tokens
from tests import factories

URL = "/api/v1/audit-events"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    return response.json()


def fields(body: dict) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


def patch_school(api, urn: str, **changes):
    etag = api.get(f"/api/v1/schools/{urn}").headers["ETag"]
    response = api.patch(f"/api/v1/schools/{urn}", json=changes, headers={"If-Match": etag})
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def many(session, world):
    """Thirty-odd events of ours (the world's own make a few more)."""
    for n in range(32):
        factories.make_school(session, world.ours, urn=f"5{n:05d}")


def test_a_change_through_the_api_is_listed_with_before_and_after(api, session, world):
    patch_school(api, world.our_school.urn, name="Alder Community Primary", pupils=250)
    body = api.get(URL).json()
    assert set(body) == {"items", "total", "limit", "next_cursor"}
    newest = body["items"][0]
    principal, _ = tokens.authenticate(session, world.write_token)
    assert newest["table"] == "school" and newest["record_id"] == world.our_school.id
    assert newest["action"] == "update"
    assert newest["changes"] == {"name": ["Alder Primary School", "Alder Community Primary"], "pupils": [210, 250]}
    assert newest["actor"] == f"token {principal.token_prefix}"
    assert (newest["actor_token_id"], newest["actor_user_id"]) == (principal.token_id, None)
    assert datetime.fromisoformat(newest["occurred_at"]).utcoffset() is not None


def test_a_record_history_by_table_and_id(api, world):
    urn = world.our_school.urn
    patch_school(api, urn, pupils=220)
    patch_school(api, urn, status="closed")
    body = api.get(URL, params={"table": "school", "record_id": world.our_school.id}).json()
    assert [e["action"] for e in body["items"]] == ["status", "update", "create"]
    assert body["total"] == 3
    assert body["items"][0]["changes"] == {"status": ["open", "closed"]}
    assert api.get(URL, params={"table": "inspection", "record_id": world.our_school.id}).json()["total"] == 0


def test_a_delete_is_listed(api, world):
    school = world.our_school
    etag = api.get(f"/api/v1/schools/{school.urn}").headers["ETag"]
    assert api.delete(f"/api/v1/schools/{school.urn}", headers={"If-Match": etag}).status_code == 204
    newest = api.get(URL, params={"table": "school", "record_id": school.id}).json()["items"][0]
    assert newest["action"] == "delete" and newest["changes"]["name"] == ["Alder Primary School", None]


def test_actor_and_time_filters(api, session, world):
    patch_school(api, world.our_school.urn, pupils=230)
    principal, _ = tokens.authenticate(session, world.write_token)
    mine = api.get(URL, params={"actor": f"token {principal.token_prefix}"}).json()
    assert mine["total"] == 1 and mine["items"][0]["changes"] == {"pupils": [210, 230]}
    assert api.get(URL, params={"actor": "Nobody At All"}).json()["total"] == 0

    now = datetime.now(UTC)
    later = (now + timedelta(minutes=5)).isoformat()
    earlier = (now - timedelta(minutes=5)).isoformat()
    assert api.get(URL, params={"since": later}).json()["total"] == 0
    assert api.get(URL, params={"until": earlier}).json()["total"] == 0
    everything = api.get(URL).json()["total"]
    assert api.get(URL, params={"since": earlier, "until": later}).json()["total"] == everything > 1
    # The same moment in another offset is the same moment.
    assert api.get(URL, params={"since": (now + timedelta(minutes=5)).astimezone().isoformat()}).json()["total"] == 0


@pytest.mark.parametrize(("params", "field"), [
    ({"table": "password_link"}, "table"),
    ({"table": "audit_event"}, "table"),
    ({"record_id": "0"}, "record_id"),
    ({"record_id": "abc"}, "record_id"),
    ({"since": "2026-01-01T10:00:00"}, "since"),  # no offset
    ({"until": "yesterday"}, "until"),
    ({"limit": "201"}, "limit"),
])
def test_bad_filters_are_422_naming_the_field(api, world, params, field):
    assert fields(problem(api.get(URL, params=params), 422)) == {field}


def test_a_bad_cursor_is_400(api, world):
    assert fields(problem(api.get(URL, params={"cursor": "bm9wZQ"}), 400)) == {"cursor"}


def test_paging_serves_every_event_once_newest_first(api, world, many):
    total = api.get(URL).json()["total"]
    seen, cursor = [], None
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        body = api.get(URL, params=params).json()
        assert body["limit"] == 7 and body["total"] == total
        seen.extend(e["id"] for e in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == total >= 32
    assert seen == sorted(seen, reverse=True)


def test_another_partnerships_events_are_invisible(client, session, world):
    theirs = factories.make_school(session, world.theirs, urn="599999")
    client.headers["Authorization"] = f"Bearer {world.read_token}"
    ours = client.get(URL, params={"limit": 200}).json()
    assert ("school", theirs.id) not in {(e["table"], e["record_id"]) for e in ours["items"]}
    assert client.get(URL, params={"table": "school", "record_id": theirs.id}).json()["total"] == 0
    client.headers["Authorization"] = f"Bearer {world.their_token}"
    their_view = client.get(URL, params={"limit": 200}).json()
    assert ("school", theirs.id) in {(e["table"], e["record_id"]) for e in their_view["items"]}
    assert ("school", world.our_school.id) not in {(e["table"], e["record_id"]) for e in their_view["items"]}


def test_a_read_token_may_read_the_trail(client, world):
    client.headers["Authorization"] = f"Bearer {world.read_token}"
    assert client.get(URL).status_code == 200


def test_no_token_is_401(client, world):
    problem(client.get(URL), 401)


def test_statements_do_not_grow_with_the_rows(api, many, count_statements):
    api.get(URL, params={"limit": 1})  # records the token's last use, once a minute
    with count_statements() as small:
        assert len(api.get(URL, params={"limit": 2}).json()["items"]) == 2
    with count_statements() as large:
        assert len(api.get(URL, params={"limit": 30}).json()["items"]) == 30
    assert large.count == small.count
    assert large.count <= 5, large.statements


def test_the_schema_names_the_tables(client):
    schema = client.get("/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"][URL]["get"]["parameters"]}
    table = parameters["table"]["schema"]
    table = schema["components"]["schemas"][table["$ref"].rsplit("/", 1)[1]] if "$ref" in table else table
    assert "school" in table["enum"] and "password_link" not in table["enum"]
