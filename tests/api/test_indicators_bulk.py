"""POST /api/v1/indicators/bulk and GET /api/v1/national-figures: all or nothing, each refused item
named by `items.<n>.<field>`, upserts that move the version only when a value changes, national
figures, the limits, scopes and tenancy, and a statement count that does not grow with the items."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from app.config import get_settings
from app.db import all_tenants
from app.errors import PROBLEM_JSON
from app.models.audit import AuditEvent
from app.models.base import utcnow
from app.models.flag import NationalFigure
from app.models.indicator import Indicator
from app.models.indicator_bulk import MAX_ITEMS
from tests import factories

URL = "/api/v1/indicators/bulk"


def school_item(urn: str, **overrides) -> dict:
    return {"urn": urn, "measure": "absence", "academic_year": "2025/26", "value": 5.2, "source": "DfE"} | overrides


def national_item(**overrides) -> dict:
    return {"national": True, "measure": "absence", "academic_year": "2025/26", "value": 6.1,
            "source": "DfE"} | overrides


def stored_indicators(session) -> list[Indicator]:
    session.expire_all()
    with all_tenants(session):
        return list(session.scalars(select(Indicator).order_by(Indicator.measure, Indicator.id)))


def stored_national(session) -> list[NationalFigure]:
    session.expire_all()
    with all_tenants(session):
        return list(session.scalars(select(NationalFigure).order_by(NationalFigure.id)))


def fields_of(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def test_creates_then_leaves_alone_then_updates_with_a_new_version(api, session, world):
    urn = world.our_school.urn
    body = {"items": [school_item(urn), school_item(urn, measure="persistent_absence", value=18.0,
                                                    recorded_on="2026-10-01"), national_item()]}
    first = api.post(URL, json=body)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0, "unchanged": 0,
                            "indicators": {"created": 2, "updated": 0, "unchanged": 0},
                            "national_figures": {"created": 1, "updated": 0, "unchanged": 0}}
    made = stored_indicators(session)
    assert [(i.measure, i.value, i.version, i.partnership_id, i.school_id) for i in made] == [
        ("absence", 5.2, 1, world.ours.id, world.our_school.id),
        ("persistent_absence", 18.0, 1, world.ours.id, world.our_school.id)]
    assert made[0].recorded_on == date.today() and made[1].recorded_on == date(2026, 10, 1)
    assert made[0].updated_by.startswith("token sp_")
    assert made[0].created_at == made[0].updated_at and abs((utcnow() - made[0].created_at).total_seconds()) < 60
    national = stored_national(session)
    assert [(n.measure, n.value, n.version, n.partnership_id) for n in national] == [("absence", 6.1, 1, world.ours.id)]

    again = api.post(URL, json=body)
    assert again.json()["unchanged"] == 3 and again.json()["created"] == again.json()["updated"] == 0
    assert [i.version for i in stored_indicators(session)] == [1, 1]

    body["items"][0]["value"] = 4.9
    body["items"][2]["value"] = 6.4
    changed = api.post(URL, json=body)
    assert changed.json() == {"created": 0, "updated": 2, "unchanged": 1,
                              "indicators": {"created": 0, "updated": 1, "unchanged": 1},
                              "national_figures": {"created": 0, "updated": 1, "unchanged": 0}}
    after = stored_indicators(session)
    assert [(i.value, i.version) for i in after] == [(4.9, 2), (18.0, 1)]
    assert after[0].updated_at > after[0].created_at == made[0].created_at
    assert [(n.value, n.version) for n in stored_national(session)] == [(6.4, 2)]
    # The ETag an integration reads moves with the version, so an old copy cannot be saved over it.
    one = api.get(f"/api/v1/schools/{urn}/indicators/{after[0].id}")
    assert one.headers["ETag"] == '"2"'


def test_a_figure_sent_without_its_date_keeps_the_stored_date_unless_its_value_changes(api, session, world):
    stored = factories.make_indicator(session, world.our_school, value=5.2, recorded_on=date(2026, 10, 1))
    same = api.post(URL, json={"items": [school_item(world.our_school.urn, value=5.2)]})
    assert same.json()["unchanged"] == 1
    session.refresh(stored)
    assert (stored.recorded_on, stored.version) == (date(2026, 10, 1), 1)

    redated = api.post(URL, json={"items": [school_item(world.our_school.urn, value=5.2, recorded_on="2026-11-02")]})
    assert redated.json()["updated"] == 1
    session.refresh(stored)
    assert (stored.recorded_on, stored.version) == (date(2026, 11, 2), 2)

    revalued = api.post(URL, json={"items": [school_item(world.our_school.urn, value=5.0)]})
    assert revalued.json()["updated"] == 1
    session.refresh(stored)
    assert (stored.value, stored.recorded_on, stored.version) == (5.0, date.today(), 3)


def test_one_bad_item_writes_nothing(api, session, world):
    urn = world.our_school.urn
    items = [school_item(urn), national_item(), school_item(urn, measure="progress", value="high")]
    response = api.post(URL, json={"items": items})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert fields_of(response) == ["items.2.value"]
    assert stored_indicators(session) == [] and stored_national(session) == []

    # A refusal only the partnership can make (the school is not ours) undoes the good items too.
    items[2] = school_item("999999", measure="progress")
    response = api.post(URL, json={"items": items})
    assert response.status_code == 422
    assert fields_of(response) == ["items.2.urn"]
    assert stored_indicators(session) == [] and stored_national(session) == []


def test_every_refused_item_is_named_by_its_field(api, world):
    urn = world.our_school.urn
    items = [
        school_item(urn),
        {"measure": "absence", "academic_year": "2025/26", "value": 1, "source": "DfE"},  # neither urn nor national
        national_item(urn=urn),  # both
        national_item(recorded_on="2026-10-01"),  # a national figure has no date
        school_item(urn, colour="red"),  # unknown field
        school_item(urn, academic_year="2025-26", measure="Absence"),
        school_item(urn, value=True),  # true is not a number
        school_item(urn, value=1e13),
        school_item("12345"),
    ]
    response = api.post(URL, json={"items": items})
    assert response.status_code == 422, response.text
    found = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(found) == {"items.1.urn", "items.2.urn", "items.3.recorded_on", "items.4.colour",
                          "items.5.academic_year", "items.5.measure", "items.6.value", "items.7.value", "items.8.urn"}
    assert found["items.4.colour"] == "unknown field; this API does not accept it"
    assert found["items.1.urn"].startswith("required, unless the item is a national figure")
    assert found["items.6.value"] == "enter a number"


def test_a_urn_outside_the_partnership_is_refused_on_that_items_urn(api, session, world):
    response = api.post(URL, json={"items": [school_item(world.our_school.urn),
                                             school_item(world.their_school.urn)]})
    assert response.status_code == 422
    message = f"no school with URN {world.their_school.urn} in this partnership"
    assert response.json()["errors"] == [{"field": "items.1.urn", "location": "body", "message": message}]
    assert stored_indicators(session) == []


def test_the_same_figure_twice_is_refused(api, world):
    urn = world.our_school.urn
    response = api.post(URL, json={"items": [school_item(urn), national_item(), school_item(urn, value=9.9),
                                             national_item(value=1.0), national_item(source="ONS")]})
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "items.2.measure": "the same school, measure, academic_year and source as item 0; send each figure once",
        "items.3.measure": "the same national figure, measure, academic_year and source as item 1; send each figure "
                           "once"}


def test_at_most_5000_items(api, session):
    figures = [national_item(source=f"Source {n}") for n in range(MAX_ITEMS + 1)]
    refused = api.post(URL, json={"items": figures})
    assert refused.status_code == 422
    assert fields_of(refused) == ["items"]
    assert stored_national(session) == []

    accepted = api.post(URL, json={"items": figures[:MAX_ITEMS]})
    assert accepted.status_code == 200, accepted.text[:500]
    assert accepted.json()["created"] == MAX_ITEMS
    with all_tenants(session):
        assert session.scalar(select(func.count(NationalFigure.id))) == MAX_ITEMS


@pytest.mark.parametrize("body", [{"items": []}, {"items": [national_item()], "dry_run": True}, {}, []])
def test_envelope_refusals(api, body):
    assert api.post(URL, json=body).status_code == 422


def test_a_read_token_may_not_upload(client, session, world):
    client.headers["Authorization"] = f"Bearer {world.read_token}"
    response = client.post(URL, json={"items": [school_item(world.our_school.urn)]})
    assert response.status_code == 403
    assert stored_indicators(session) == []
    # ... but may read the national figures back.
    assert client.get("/api/v1/national-figures").status_code == 200


def test_the_audit_trail_says_what_the_upload_changed(api, session, world):
    urn = world.our_school.urn
    api.post(URL, json={"items": [school_item(urn), national_item()]})
    api.post(URL, json={"items": [school_item(urn, value=4.0), national_item(value=7.5)]})
    session.expire_all()
    with all_tenants(session):
        events = session.scalars(select(AuditEvent).where(AuditEvent.table_name.in_(["indicator", "national_figure"]))
                                 .order_by(AuditEvent.id)).all()
    shown = [(e.table_name, e.action, e.changes.get("value"), e.partnership_id) for e in events]
    assert shown == [("indicator", "create", [None, 5.2], world.ours.id),
                     ("national_figure", "create", [None, 6.1], world.ours.id),
                     ("indicator", "update", [5.2, 4.0], world.ours.id),
                     ("national_figure", "update", [6.1, 7.5], world.ours.id)]
    assert all(e.actor.startswith("token sp_") for e in events)
    assert events[0].changes["school_id"] == [None, world.our_school.id]


def test_national_figures_read_back_with_filters_and_paging(api, client, session, world):
    api.post(URL, json={"items": [national_item(), national_item(academic_year="2024/25", value=6.5),
                                  national_item(measure="persistent_absence", value=19.4)]})
    page = api.get("/api/v1/national-figures", params={"limit": 2})
    body = page.json()
    assert page.status_code == 200 and body["total"] == 3 and body["limit"] == 2
    # By measure; within one, in the order they were added (an upload adds in key order).
    assert [(i["measure"], i["academic_year"]) for i in body["items"]] == [("absence", "2024/25"),
                                                                          ("absence", "2025/26")]
    rest = api.get("/api/v1/national-figures", params={"limit": 2, "cursor": body["next_cursor"]}).json()
    assert [i["measure"] for i in rest["items"]] == ["persistent_absence"] and rest["next_cursor"] is None
    assert set(rest["items"][0]) == {"id", "measure", "academic_year", "value", "source", "version", "updated_at",
                                     "updated_by"}

    filtered = api.get("/api/v1/national-figures", params={"measure": "absence", "academic_year": "2024/25"}).json()
    assert [i["value"] for i in filtered["items"]] == [6.5] and filtered["total"] == 1
    assert api.get("/api/v1/national-figures", params={"academic_year": "2024-25"}).status_code == 422

    # Another partnership sees only its own.
    client.headers["Authorization"] = f"Bearer {world.their_token}"
    assert client.get("/api/v1/national-figures").json()["total"] == 0


def _schools(session, world, count: int) -> list[str]:
    return [world.our_school.urn] + [factories.make_school(session, world.ours).urn for _ in range(count - 1)]


def test_statements_do_not_grow_with_the_items(api, session, world, count_statements):
    urns = _schools(session, world, 30)

    def upload(size: int, value: float) -> int:
        # Half schools' figures, half national; the second upload of each size updates what the first made.
        items = [school_item(urns[n % 30], measure=f"m{size}_{n}", value=value) for n in range(size // 2)]
        items += [national_item(measure=f"m{size}_{n}", value=value) for n in range(size - size // 2)]
        with count_statements() as counter:
            response = api.post(URL, json={"items": items})
        assert response.status_code == 200, response.text
        return counter.count

    assert upload(2, 1.0) == upload(60, 1.0)  # all created
    assert upload(2, 2.0) == upload(60, 2.0)  # all updated


def test_5000_items_at_their_longest_fit_the_bulk_paths_own_body_limit(api, client, session, world):
    school = factories.make_school(session, world.ours)
    items = [school_item(school.urn, measure=f"measure_{n:04d}_" + "m" * 47, source="S" * 100,
                         value=-123456.123456, recorded_on="2026-07-15") for n in range(MAX_ITEMS)]
    body = json.dumps({"items": items}, separators=(", ", ": "))
    assert len(body) > get_settings().max_body_bytes  # over the API's everyday limit
    accepted = api.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert accepted.status_code == 200, accepted.text[:500]
    assert accepted.json()["created"] == MAX_ITEMS

    anonymous = client.post(URL, content=body, headers={"Content-Type": "application/json",
                                                        "Authorization": ""})
    assert anonymous.status_code == 413  # without a token the everyday limit stands
    elsewhere = api.post("/api/v1/schools", content=body, headers={"Content-Type": "application/json"})
    assert elsewhere.status_code == 413  # and on every other path
