"""The people service: members, the last-officer rule, one-time password links, ending sessions and
changing one's own password, with the security events each leaves."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from app.db import all_tenants
from app.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from app.models.account import Membership, PasswordLink, SecurityEvent, User, WebSession
from app.models.base import utcnow
from app.models.types import MAX_ID
from app.security import sha256_hex
from app.services import accounts, people
from tests import factories
from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase"
CLIENT = "192.0.2.44"


@pytest.fixture
def by(session, world):
    """The first partnership's officer."""
    return accounts.principal_for(session, world.officer, world.ours.id)


@pytest.fixture
def their_session(connection):
    """A second request's session, for acting in the other partnership."""
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
        yield s


def _events(session, *kinds: str) -> list[tuple]:
    rows = session.scalars(select(SecurityEvent).where(SecurityEvent.kind.in_(kinds)).order_by(SecurityEvent.id))
    return [(e.kind, e.client, e.email, e.user_id, e.partnership_id) for e in rows]


def _signs_in(session, email: str, password: str) -> bool:
    return accounts.sign_in(session, email=email, password=password, client_ip=CLIENT).session_key is not None


def _links(session, user_id: int) -> list[PasswordLink]:
    with all_tenants(session):
        return list(session.scalars(select(PasswordLink).where(PasswordLink.user_id == user_id)))


class TestAddingAPerson:
    def test_a_new_person_gets_an_account_with_no_usable_password_and_a_link(self, session, world, by):
        user, key = people.add_member(session, name=" Ada Lovelace ", email="Ada@School.Example", role="viewer",
                                      by=by, client=CLIENT)
        assert (user.name, user.email) == ("Ada Lovelace", "ada@school.example")
        assert key and len(key) >= 40
        assert not people.has_password(user)
        assert not _signs_in(session, user.email, "")
        [link] = _links(session, user.id)
        assert link.key_hash == sha256_hex(key) and key not in link.key_hash  # only the hash is stored
        assert link.partnership_id == world.ours.id and link.created_by_user_id == world.officer.id
        assert timedelta(hours=71) < link.expires_at - utcnow() <= timedelta(hours=72)
        member = people.get_member(session, user_id=user.id, by=by)
        assert (member.role, member.has_password, member.link_expires_at) == ("viewer", False, link.expires_at)
        assert _events(session, "password_link_created") == [
            ("password_link_created", CLIENT, "ada@school.example", world.officer.id, world.ours.id)]

    def test_the_link_sets_the_password_once_and_the_person_can_sign_in(self, session, world, by):
        user, key = people.add_member(session, name="Ada", email="ada@school.example", role="officer", by=by,
                                      client=CLIENT)
        assert people.link_holder(session, key=key).id == user.id

        people.set_password(session, key=key, password=NEW_PASSWORD, again=NEW_PASSWORD, client="198.51.100.1")

        assert _signs_in(session, "ada@school.example", NEW_PASSWORD)
        assert people.get_member(session, user_id=user.id, by=by).has_password
        with pytest.raises(people.LinkGone):
            people.link_holder(session, key=key)
        with pytest.raises(people.LinkGone):
            people.set_password(session, key=key, password="someone else's choice", again="someone else's choice",
                                client="198.51.100.2")
        assert _signs_in(session, "ada@school.example", NEW_PASSWORD)
        assert _events(session, "password_set") == [
            ("password_set", "198.51.100.1", "ada@school.example", user.id, world.ours.id)]

    def test_an_expired_link_is_refused(self, session, by):
        user, key = people.add_member(session, name="Ada", email="ada@school.example", role="viewer", by=by,
                                      client=CLIENT)
        session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
        with pytest.raises(people.LinkGone):
            people.link_holder(session, key=key)
        with pytest.raises(people.LinkGone):
            people.set_password(session, key=key, password=NEW_PASSWORD, again=NEW_PASSWORD, client=CLIENT)
        assert people.get_member(session, user_id=user.id, by=by).link_expires_at is None

    def test_an_unknown_key_is_not_found(self, session):
        with pytest.raises(NotFound):
            people.link_holder(session, key="not-a-key")

    def test_the_password_rule_is_the_accounts_one_and_a_refusal_leaves_the_link_working(self, session, by):
        _, key = people.add_member(session, name="Ada", email="ada@school.example", role="viewer", by=by,
                                   client=CLIENT)
        with pytest.raises(ValidationFailed) as short:
            people.set_password(session, key=key, password="too short", again="too short", client=CLIENT)
        assert [(e.field, e.message) for e in short.value.errors] == [
            ("password", f"use at least {accounts.MIN_PASSWORD_LENGTH} characters")]
        with pytest.raises(ValidationFailed) as differs:
            people.set_password(session, key=key, password=NEW_PASSWORD, again=NEW_PASSWORD + "!", client=CLIENT)
        assert [e.field for e in differs.value.errors] == ["again"]
        assert people.link_holder(session, key=key).email == "ada@school.example"

    def test_what_is_missing_is_named(self, session, by):
        with pytest.raises(ValidationFailed) as refused:
            people.add_member(session, name=" ", email="not an email", role=None, by=by, client=CLIENT)
        assert {e.field for e in refused.value.errors} == {"name", "email", "role"}

    def test_an_existing_account_is_given_a_role_and_no_link(self, session, world, by):
        user, key = people.add_member(session, name="ignored", email=world.outsider.email.upper(), role="viewer",
                                      by=by, client=CLIENT)
        assert user.id == world.outsider.id and key is None
        assert people.get_member(session, user_id=user.id, by=by).role == "viewer"
        assert _signs_in(session, world.outsider.email, PASSWORD)  # their password is untouched

    def test_adding_someone_already_here_is_refused_beside_the_email(self, session, world, by):
        with pytest.raises(Conflict) as refused:
            people.add_member(session, name="Again", email=world.viewer.email, role="officer", by=by, client=CLIENT)
        assert refused.value.errors[0].field == "email"
        assert people.get_member(session, user_id=world.viewer.id, by=by).role == "viewer"

    def test_a_link_made_elsewhere_stops_working_when_another_partnership_adds_the_person(
            self, session, their_session, world, by):
        theirs = accounts.principal_for(their_session, world.outsider, world.theirs.id)
        _, key = people.make_link(their_session, user_id=world.outsider.id, by=theirs, client=CLIENT)
        people.add_member(session, name="Out", email=world.outsider.email, role="viewer", by=by, client=CLIENT)
        # Their link stays theirs, but now reaches beyond their partnership: it no longer works.
        with pytest.raises(people.LinkGone):
            people.link_holder(session, key=key)
        with pytest.raises(people.LinkGone):
            people.set_password(session, key=key, password=NEW_PASSWORD, again=NEW_PASSWORD, client=CLIENT)

    def test_someone_waiting_for_another_partnerships_link_cannot_be_added(self, session, their_session, world,
                                                                            by):
        theirs = accounts.principal_for(their_session, world.outsider, world.theirs.id)
        pending, key = people.add_member(their_session, name="Pending", email="pending@school.example",
                                         role="viewer", by=theirs, client=CLIENT)
        with pytest.raises(Conflict) as refused:
            people.add_member(session, name="Pending", email="pending@school.example", role="officer", by=by,
                              client=CLIENT)
        assert refused.value.errors[0].field == "email"
        assert people.link_holder(session, key=key).id == pending.id


class TestLinksForMembers:
    def test_a_fresh_link_replaces_older_ones_and_the_password_works_until_it_is_used(self, session, world, by):
        _, first = people.make_link(session, user_id=world.viewer.id, by=by, client=CLIENT)
        _, second = people.make_link(session, user_id=world.viewer.id, by=by, client=CLIENT)
        with pytest.raises(NotFound):
            people.link_holder(session, key=first)
        assert _signs_in(session, world.viewer.email, PASSWORD)
        people.set_password(session, key=second, password=NEW_PASSWORD, again=NEW_PASSWORD, client=CLIENT)
        assert not _signs_in(session, world.viewer.email, PASSWORD)
        assert _signs_in(session, world.viewer.email, NEW_PASSWORD)

    def test_using_a_link_ends_the_persons_sessions(self, session, world, by):
        accounts.start_session(session, world.viewer, world.ours.id)
        _, key = people.make_link(session, user_id=world.viewer.id, by=by, client=CLIENT)
        people.set_password(session, key=key, password=NEW_PASSWORD, again=NEW_PASSWORD, client=CLIENT)
        assert session.scalars(select(WebSession).where(WebSession.user_id == world.viewer.id)).all() == []

    def test_no_link_for_someone_who_also_belongs_where_the_officer_is_not_one(self, session, world, by):
        with all_tenants(session):
            accounts.grant(session, world.viewer, world.theirs, "officer")
        with pytest.raises(Conflict):
            people.make_link(session, user_id=world.viewer.id, by=by, client=CLIENT)
        assert _links(session, world.viewer.id) == []

    def test_an_officer_of_both_partnerships_may_make_one(self, session, world, by):
        with all_tenants(session):
            accounts.grant(session, world.viewer, world.theirs, "viewer")
            accounts.grant(session, world.officer, world.theirs, "officer")
        _, key = people.make_link(session, user_id=world.viewer.id, by=by, client=CLIENT)
        assert people.link_holder(session, key=key).id == world.viewer.id


class TestTheLastOfficer:
    def test_cannot_be_removed(self, session, world, by):
        with pytest.raises(Conflict) as refused:
            people.remove_member(session, user_id=world.officer.id, by=by)
        assert "only officer" in refused.value.detail
        assert people.get_member(session, user_id=world.officer.id, by=by).role == "officer"

    def test_cannot_be_made_a_viewer(self, session, world, by):
        with pytest.raises(Conflict) as refused:
            people.change_role(session, user_id=world.officer.id, role="viewer", by=by)
        assert refused.value.errors[0].field == "role"
        assert people.get_member(session, user_id=world.officer.id, by=by).role == "officer"

    def test_another_officer_makes_either_possible(self, session, world, by):
        people.change_role(session, user_id=world.viewer.id, role="officer", by=by)
        people.change_role(session, user_id=world.officer.id, role="viewer", by=by)
        assert {m.user_id: m.role for m in people.list_members(session, by=by)} == {
            world.officer.id: "viewer", world.viewer.id: "officer"}
        people.remove_member(session, user_id=world.officer.id, by=by)
        assert [m.user_id for m in people.list_members(session, by=by)] == [world.viewer.id]

    def test_a_second_role_row_is_folded_into_one(self, session, world, by):
        with all_tenants(session):
            accounts.grant(session, world.viewer, world.ours, "officer")
        assert people.get_member(session, user_id=world.viewer.id, by=by).role == "officer"
        people.change_role(session, user_id=world.viewer.id, role="viewer", by=by)
        roles = session.scalars(select(Membership.role).where(Membership.user_id == world.viewer.id)).all()
        assert roles == ["viewer"]


class TestRemoving:
    def test_removes_only_this_partnerships_membership_and_its_unused_links(self, session, world, by):
        with all_tenants(session):
            accounts.grant(session, world.outsider, world.ours, "viewer")
        _, key = people.make_link(session, user_id=world.viewer.id, by=by, client=CLIENT)
        people.remove_member(session, user_id=world.outsider.id, by=by)
        people.remove_member(session, user_id=world.viewer.id, by=by)
        with pytest.raises(NotFound):
            people.link_holder(session, key=key)
        assert [p.id for p in accounts.partnerships_of(session, world.outsider.id)] == [world.theirs.id]
        assert accounts.partnerships_of(session, world.viewer.id) == []
        assert session.get(User, world.viewer.id) is not None  # the account stays


class TestEndingSessions:
    def test_ends_every_session_of_the_person_in_every_partnership_the_caller_runs(self, session, world, by):
        with all_tenants(session):
            accounts.grant(session, world.viewer, world.theirs, "viewer")
            accounts.grant(session, world.officer, world.theirs, "officer")
        keys = [accounts.start_session(session, world.viewer, p.id) for p in (world.ours, world.theirs)]
        mine = accounts.start_session(session, world.officer, world.ours.id)
        assert people.end_sessions(session, user_id=world.viewer.id, by=by, client=CLIENT) == 2
        assert all(accounts.resolve_session(session, key) is None for key in keys)
        assert accounts.resolve_session(session, mine) is not None

    def test_another_partnership_s_sessions_of_a_shared_member_are_not_ours_to_end(self, session, world, by):
        with all_tenants(session):
            accounts.grant(session, world.viewer, world.theirs, "viewer")
        here, there = (accounts.start_session(session, world.viewer, p.id) for p in (world.ours, world.theirs))
        assert people.end_sessions(session, user_id=world.viewer.id, by=by, client=CLIENT) == 1
        assert accounts.resolve_session(session, here) is None
        assert accounts.resolve_session(session, there) is not None
        assert _events(session, "sessions_ended") == [
            ("sessions_ended", CLIENT, world.viewer.email, world.officer.id, world.ours.id)]

    def test_not_for_yourself(self, session, world, by):
        with pytest.raises(BadRequest):
            people.end_sessions(session, user_id=world.officer.id, by=by, client=CLIENT)


class TestChangingYourPassword:
    def test_a_wrong_current_password_is_refused_beside_its_field(self, session, world, by):
        with pytest.raises(ValidationFailed) as refused:
            people.change_password(session, current_password="not it", new_password=NEW_PASSWORD,
                                   again=NEW_PASSWORD, keep_session=None, by=by, client=CLIENT)
        assert [e.field for e in refused.value.errors] == ["current_password"]
        assert _signs_in(session, world.officer.email, PASSWORD)
        assert _events(session, "password_changed") == []

    def test_every_problem_is_named_at_once(self, session, by):
        with pytest.raises(ValidationFailed) as refused:
            people.change_password(session, current_password="", new_password="short", again="other",
                                   keep_session=None, by=by, client=CLIENT)
        assert [e.field for e in refused.value.errors] == ["current_password", "new_password", "again"]

    def test_success_keeps_this_session_and_ends_the_others(self, session, world, by):
        this = accounts.start_session(session, world.officer, world.ours.id)
        other = accounts.start_session(session, world.officer, world.ours.id)
        people.change_password(session, current_password=PASSWORD, new_password=NEW_PASSWORD, again=NEW_PASSWORD,
                               keep_session=this, by=by, client=CLIENT)
        assert accounts.resolve_session(session, this) is not None
        assert accounts.resolve_session(session, other) is None
        assert _signs_in(session, world.officer.email, NEW_PASSWORD)
        assert _events(session, "password_changed") == [
            ("password_changed", CLIENT, world.officer.email, world.officer.id, world.ours.id)]


class TestWhoMay:
    def test_a_viewer_may_do_nothing_here(self, session, world):
        viewer = accounts.principal_for(session, world.viewer, world.ours.id)
        calls = [
            lambda: people.list_members(session, by=viewer),
            lambda: people.get_member(session, user_id=world.officer.id, by=viewer),
            lambda: people.add_member(session, name="X", email="x@school.example", role="viewer", by=viewer,
                                      client=CLIENT),
            lambda: people.change_role(session, user_id=world.viewer.id, role="officer", by=viewer),
            lambda: people.remove_member(session, user_id=world.officer.id, by=viewer),
            lambda: people.make_link(session, user_id=world.officer.id, by=viewer, client=CLIENT),
            lambda: people.end_sessions(session, user_id=world.officer.id, by=viewer, client=CLIENT),
        ]
        for call in calls:
            with pytest.raises(Forbidden):
                call()

    @pytest.mark.parametrize("whom", ["outsider", "nobody", "huge"])
    def test_anyone_not_a_member_here_is_not_found(self, session, world, by, whom):
        user_id = {"outsider": world.outsider.id, "nobody": 0, "huge": MAX_ID + 1}[whom]
        calls = [
            lambda: people.get_member(session, user_id=user_id, by=by),
            lambda: people.change_role(session, user_id=user_id, role="viewer", by=by),
            lambda: people.remove_member(session, user_id=user_id, by=by),
            lambda: people.make_link(session, user_id=user_id, by=by, client=CLIENT),
            lambda: people.end_sessions(session, user_id=user_id, by=by, client=CLIENT),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                call()
        assert [p.id for p in accounts.partnerships_of(session, world.outsider.id)] == [world.theirs.id]

    def test_the_list_shows_only_this_partnership(self, session, world, by):
        factories.make_user(session, world.theirs, "viewer")
        ids = {m.user_id for m in people.list_members(session, by=by)}
        assert ids == {world.officer.id, world.viewer.id}


def test_an_account_waiting_for_its_password_matches_no_password_and_is_checked_like_any_other(monkeypatch):
    from app import security

    checked = []
    monkeypatch.setattr(security, "_dummy_hash", lambda: checked.append(True) or security.hash_password("guess"))
    assert not security.verify_password(people.UNUSABLE_PREFIX + "abc", "guess")
    assert checked == [True]  # argon2 ran, so the answer takes as long as for a real account
