"""The audit trail (issue 7): written once by the flush hook and by the GIAS import's record_bulk;
who, when, which record, [before, after]; never a secret; append-only; one partnership's own."""

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import all_tenants
from app.errors import BadRequest, Forbidden
from app.models.account import ApiToken, PasswordLink, User
from app.models.audit import AuditEvent
from app.models.base import utcnow
from app.models.inspection import Inspection
from app.models.school import SchoolCreate, SchoolUpdate
from app.security import sha256_hex
from app.services import accounts, audit, partnerships, people, schools, tokens
from app.services.audit import AuditFilters
from app.services.concurrency import etag
from app.services.imports import gias
from app.services.principal import bind
from tests import factories
from tests.gias_csv import gias_row, write_gias_csv

CLIENT = "192.0.2.7"


@pytest.fixture
def by(session, world):
    """The first partnership's officer."""
    return accounts.principal_for(session, world.officer, world.ours.id)


def events(session, table: str | None = None, record_id: int | None = None) -> list[AuditEvent]:
    with all_tenants(session):
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if table:
            stmt = stmt.where(AuditEvent.table_name == table)
        if record_id:
            stmt = stmt.where(AuditEvent.record_id == record_id)
        return list(session.scalars(stmt))


def new_school(urn: str = "400001", **fields) -> SchoolCreate:
    return SchoolCreate(**({"urn": urn, "name": "Hawthorn Primary", "phase": "primary", "status": "open",
                            "pupils": 210, "engaged": True} | fields))


# --- the flush hook -------------------------------------------------------------------------------


def test_a_created_school_is_recorded_with_its_values_and_who(session, world, by):
    school = schools.create(session, new_school(), by=by)
    [event] = events(session, "school", school.id)
    assert (event.action, event.actor, event.actor_user_id, event.actor_token_id) == (
        "create", world.officer.name, world.officer.id, None)
    assert event.partnership_id == world.ours.id
    assert event.changes["name"] == [None, "Hawthorn Primary"]
    assert event.changes["urn"] == [None, "400001"]
    assert event.changes["pupils"] == [None, 210]
    assert event.changes["engaged"] == [None, True]
    # Noise and nulls are left out: the event itself says when and by whom.
    assert not {"version", "updated_at", "updated_by", "created_at", "id", "partnership_id", "trust_name"} \
        & set(event.changes)
    assert abs(event.occurred_at - utcnow()) < timedelta(minutes=1)


def test_an_update_through_the_service_records_before_and_after_of_what_changed(session, world, by):
    school = world.our_school
    bind(session, by)
    before = len(events(session))
    schools.update(session, school.urn, SchoolUpdate(name="Alder Community Primary", pupils=250,
                                                     headteacher_name="Ms Rowan"),
                   if_match=etag(school.version), by=by)
    new = events(session)[before:]
    assert len(new) == 1
    [event] = new
    assert (event.table_name, event.record_id, event.action) == ("school", school.id, "update")
    assert event.changes == {"name": ["Alder Primary School", "Alder Community Primary"], "pupils": [210, 250],
                             "headteacher_name": [None, "Ms Rowan"]}
    assert event.actor == world.officer.name


def test_an_unchanged_save_records_nothing(session, world, by):
    school = world.our_school
    bind(session, by)
    before = len(events(session))
    schools.update(session, school.urn, SchoolUpdate(name=school.name), if_match=etag(school.version), by=by)
    assert len(events(session)) == before


def test_a_status_change_is_a_status_event(session, world, by):
    school = world.our_school
    bind(session, by)
    schools.update(session, school.urn, SchoolUpdate(status="closed"), if_match=etag(school.version), by=by)
    event = events(session, "school", school.id)[-1]
    assert event.action == "status"
    assert event.changes == {"status": ["open", "closed"]}


def test_a_delete_records_what_the_row_held(session, world, by):
    school = factories.make_school(session, world.ours, urn="400777", name="Rowan Infants")
    bind(session, by)
    schools.delete(session, "400777", if_match=etag(school.version), by=by)
    event = events(session, "school", school.id)[-1]
    assert event.action == "delete"
    assert event.changes["name"] == ["Rowan Infants", None]
    assert event.changes["urn"] == ["400777", None]


def test_dates_and_json_values_are_plain_json(session, world, by):
    school = world.our_school
    bind(session, by)
    schools.update(session, school.urn, SchoolUpdate(opened_on=date(1974, 9, 1)), if_match=etag(school.version),
                   by=by)
    event = events(session, "school", school.id)[-1]
    assert event.changes == {"opened_on": [None, "1974-09-01"]}
    inspection = factories.make_inspection(session, school)
    assert events(session, "inspection", inspection.id)[0].changes["inspected_on"] == [None, "2023-05-10"]
    assert audit.plain({"when": utcnow().replace(microsecond=0), "n": float("nan")})["n"] == "nan"


def test_removing_a_member_records_each_membership_removed(session, world, by):
    people.remove_member(session, user_id=world.viewer.id, by=by)
    [removed] = [e for e in events(session, "membership") if e.action == "delete"]
    assert removed.changes["user_id"] == [world.viewer.id, None]
    assert removed.changes["role"] == ["viewer", None]
    assert removed.actor == world.officer.name


def test_moving_schools_off_a_dropped_category_records_each_school(session, world, by):
    moved = [factories.make_school(session, world.ours, la_category="amber") for _ in range(3)]
    scheme = [c for c in partnerships.current(session, by=by).category_scheme if c != "amber"]
    version = partnerships.current(session, by=by).version
    partnerships.update_settings(session, name=world.ours.name, category_scheme=scheme,
                                 mapping={"amber": scheme[0]}, if_version=version, by=by)
    found = {e.record_id: e for e in events(session, "school") if e.action == "update"}
    assert set(found) == {s.id for s in moved}
    assert {tuple(e.changes["la_category"]) for e in found.values()} == {("amber", scheme[0])}


def test_a_token_and_the_command_line_are_named_as_actors(session, world):
    principal, _ = tokens.authenticate(session, world.write_token)
    bind(session, principal)
    school = schools.create(session, new_school("400002"), by=principal)
    [event] = events(session, "school", school.id)
    assert event.actor == f"token {principal.token_prefix}"
    assert (event.actor_token_id, event.actor_user_id) == (principal.token_id, None)

    session.info.pop("principal")  # as a command with no principal: demo data, factories
    unbound = factories.make_school(session, world.theirs, urn="400004")
    [event] = events(session, "school", unbound.id)
    assert (event.actor, event.actor_user_id, event.actor_token_id) == ("command line", None, None)
    assert event.partnership_id == world.theirs.id


def test_one_flush_writes_its_events_in_one_statement(session, world, by, count_statements):
    bind(session, by)
    with count_statements() as counted:
        for n in range(5):
            session.add(factories.School(partnership_id=world.ours.id, urn=f"40010{n}", name=f"School {n}",
                                         phase="primary", status="open", engaged=True))
        session.flush()
    inserts = [s for s in counted.statements if s.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT")]
    assert len(inserts) == 1
    assert len(events(session, "school")) >= 5


def test_a_rolled_back_change_leaves_no_event(session, world, by):
    bind(session, by)
    before = len(events(session))
    with session.begin_nested() as nested:
        schools.create(session, new_school("400200"), by=by)
        assert len(events(session)) == before + 1
        nested.rollback()
    assert len(events(session)) == before


# --- secrets ----------------------------------------------------------------------------------------


def test_secrets_never_reach_the_trail(session, world, by):
    token, plain = tokens.create(session, name="MIS sync", scopes="read", by=by, client=CLIENT)
    tokens.revoke(session, token.prefix, by=by, client=CLIENT)
    user, key = people.add_member(session, name="Ada Newcomer", email="ada@school.example", role="viewer", by=by,
                                  client=CLIENT)
    assert key
    with all_tenants(session):
        hashes = [t.token_hash for t in session.scalars(select(ApiToken))]
        hashes += [u.password_hash for u in session.scalars(select(User))]
        hashes += [link.key_hash for link in session.scalars(select(PasswordLink))]
    secrets = [*hashes, plain, key, sha256_hex(key)]
    trail = [json.dumps(e.changes) for e in events(session)]
    assert trail
    for text in trail:
        for secret in secrets:
            assert secret not in text
        assert not re.search(r"token_hash|key_hash|password_hash|\"content\"", text)

    created, revoked = events(session, "api_token", token.id)
    assert created.action == "create" and created.changes["prefix"] == [None, token.prefix]
    assert created.changes["name"] == [None, "MIS sync"]
    assert revoked.action == "update" and set(revoked.changes) == {"revoked_at"}
    assert events(session, "membership")[-1].changes["role"] == [None, "viewer"]
    assert events(session, "password_link") == [], "a password link is plumbing holding a key's hash"


def test_the_excluded_tables_and_columns_are_as_documented():
    tables = audit.audited_tables()
    assert {"school", "inspection", "indicator", "membership", "api_token", "triad_visit"} <= set(tables)
    assert not {"audit_event", "password_link", "import_upload"} & set(tables)
    for _table, keys in audit._audited().values():
        assert not audit.SECRET_COLUMNS & set(keys)


def test_record_bulk_refuses_tables_that_are_not_audited(session, by):
    with pytest.raises(ValueError):
        audit.record_bulk(session, {"password_link": [(1, "create", {})]}, by=by)


def test_record_bulk_drops_secret_columns(session, world, by):
    bind(session, by)
    audit.record_bulk(session, {"api_token": [(1, "update", {"token_hash": ["a", "b"], "name": ["x", "y"]})]}, by=by)
    assert events(session, "api_token", 1)[-1].changes == {"name": ["x", "y"]}


# --- the GIAS import --------------------------------------------------------------------------------


def _import(session, path: Path, by):
    return gias.import_file(session, path, by=by)


def test_a_gias_import_is_audited(session, world, by, tmp_path):
    bind(session, by)
    rows = [gias_row("410001", name="Larch Primary", rating="Good", inspected="10-03-2021"),
            gias_row("410002", name="Maple Academy")]
    _import(session, write_gias_csv(tmp_path / "a.csv", rows), by)
    larch = schools.get(session, "410001", by=by)
    [created] = events(session, "school", larch.id)
    assert created.action == "create" and created.actor == world.officer.name
    assert created.changes["name"] == [None, "Larch Primary"] and created.changes["from_gias"] == [None, True]
    [inspection] = [e for e in events(session, "inspection") if e.changes.get("school_id") == [None, larch.id]]
    assert inspection.action == "create"
    assert inspection.changes["inspected_on"] == [None, "2021-03-10"]
    assert inspection.changes["overall_effectiveness"] == [None, 2]
    assert session.get(Inspection, inspection.record_id).school_id == larch.id

    rows[0] = gias_row("410001", name="Larch Primary", rating="Good", inspected="10-03-2021", pupils="333",
                       status="Closed")
    _import(session, write_gias_csv(tmp_path / "b.csv", rows), by)
    changed = events(session, "school", larch.id)[-1]
    assert changed.action == "status"
    assert changed.changes == {"pupils": [210, 333], "status": ["open", "closed"]}


def test_a_gias_import_claiming_a_school_is_audited(session, world, by, tmp_path):
    bind(session, by)
    school = factories.make_school(session, world.ours, urn="410009", name="School 410009", postcode="PE1 1AA",
                                   headteacher_name="Mrs Jane Smith", pupils=210, fsm_percent=18.5)
    summary = _import(session, write_gias_csv(tmp_path / "c.csv", [gias_row("410009")]), by)
    assert summary.unchanged == 1  # nothing but who owns the fields changes
    event = events(session, "school", school.id)[-1]
    assert (event.action, event.changes, event.actor) == ("update", {"from_gias": [False, True]}, world.officer.name)


def test_the_import_audits_in_the_same_number_of_statements_for_2_and_30_rows(session, world, by, tmp_path,
                                                                              count_statements):
    bind(session, by)
    counts = {}
    for n in (2, 30):
        with session.begin_nested() as nested:
            rows = [gias_row(f"42{i:04d}", rating="Good", inspected=f"{i % 28 + 1:02d}-03-2021") for i in range(n)]
            with count_statements() as created:
                _import(session, write_gias_csv(tmp_path / f"{n}.csv", rows), by)
            rows = [gias_row(f"42{i:04d}", rating="Good", inspected=f"{i % 28 + 1:02d}-03-2021", pupils="99")
                    for i in range(n)]
            with count_statements() as updated:
                _import(session, write_gias_csv(tmp_path / f"{n}-b.csv", rows), by)
            audited = [e for e in events(session, "school") if e.changes.get("urn", [None, ""])[1].startswith("42")]
            assert len(audited) == n
            assert len([e for e in events(session, "school") if e.changes.get("pupils") == [210, 99]]) == n
            counts[n] = (created.count, updated.count)
            nested.rollback()
    assert counts[2] == counts[30]


# --- reading ----------------------------------------------------------------------------------------


def test_another_partnerships_events_are_invisible(session, world, by):
    theirs = factories.make_school(session, world.theirs, urn="430001")
    mine = schools.create(session, new_school("430002"), by=by)
    page = audit.page(session, AuditFilters(), limit=200, by=by)
    seen = {(r.table_name, r.record_id) for r in page.rows}
    assert ("school", mine.id) in seen
    assert ("school", theirs.id) not in seen
    assert audit.page(session, AuditFilters(table="school", record_id=theirs.id), by=by).total == 0


def test_filters_and_paging(session, world, by):
    bind(session, by)
    made = [schools.create(session, new_school(f"44000{n}", name=f"Filter {n}"), by=by) for n in range(5)]
    token_principal, _ = tokens.authenticate(session, world.write_token)
    schools.update(session, made[0].urn, SchoolUpdate(pupils=99), if_match=etag(made[0].version),
                   by=token_principal)

    one = audit.page(session, AuditFilters(table="school", record_id=made[0].id), by=by)
    assert [r.action for r in one.rows] == ["update", "create"]  # newest first
    by_token = audit.page(session, AuditFilters(actor=f"token {token_principal.token_prefix}"), by=by)
    assert [(r.record_id, r.action) for r in by_token.rows] == [(made[0].id, "update")]

    newest = events(session)[-1].occurred_at
    assert audit.page(session, AuditFilters(since=newest + timedelta(seconds=1)), by=by).total == 0
    assert audit.page(session, AuditFilters(until=newest - timedelta(days=1)), by=by).total == 0
    assert audit.page(session, AuditFilters(since=newest - timedelta(seconds=5), table="school"), by=by).total >= 6

    seen, cursor = [], None
    while True:
        page = audit.page(session, AuditFilters(table="school"), limit=2, cursor=cursor, by=by)
        seen.extend(r.id for r in page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == page.total


def test_unknown_filters_are_refused(session, by):
    with pytest.raises(BadRequest) as refused:
        audit.page(session, AuditFilters(table="password_link"), by=by)
    assert refused.value.errors[0].field == "table"
    with pytest.raises(BadRequest):
        audit.page(session, AuditFilters(), cursor="not-a-cursor", by=by)


def test_only_officers_and_tokens_read_the_trail(session, world):
    viewer = accounts.principal_for(session, world.viewer, world.ours.id)
    with pytest.raises(Forbidden):
        audit.page(session, AuditFilters(), by=viewer)
    read_token, _ = tokens.authenticate(session, world.read_token)
    assert audit.page(session, AuditFilters(), by=read_token).total >= 0


# --- append-only ------------------------------------------------------------------------------------


def test_nothing_in_the_app_updates_or_deletes_audit_events():
    root = Path(__file__).resolve().parents[2] / "app"
    pattern = re.compile(r"(update|delete)\(\s*(AuditEvent|_TABLE|audit_event|AuditEvent\.__table__)\b"
                         r"|session\.delete\([^)]*audit|UPDATE\s+audit_event|DELETE\s+FROM\s+audit_event", re.I)
    offenders = [f"{path.relative_to(root)}: {match.group(0)}" for path in root.rglob("*.py")
                 for match in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_a_records_history_is_read_through_the_records_and_the_parents_indexes(session, engine, world):
    from tests.services.test_query_plans import plans

    officer = accounts.principal_for(session, world.officer, world.ours.id)
    bind(session, officer)
    school = factories.make_school(session, world.ours)
    visit = factories.make_visit(session, school)
    for n in range(3):
        factories.make_visit_action(session, visit, text=f"Action {n}")
    found = plans(session, engine, lambda: audit.history(session, "triad_visit", visit.id))
    assert len(found) == 2  # the record's own events, then those of the records that belong to it
    for _statement, steps in found:
        assert not any("ix_audit_event_partnership_id" in s or s.startswith("SCAN audit_event") for s in steps), steps
        assert not any(s.startswith("Seq Scan") for s in steps), steps
