"""Accounts: argon2 passwords, rate-limited sign-in, server-side sessions, hashed tokens."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import all_tenants
from app.errors import TooManyRequests, Unauthorized, ValidationFailed
from app.models.account import ApiToken, User, WebSession
from app.models.base import utcnow
from app.services import accounts, tokens
from tests.factories import PASSWORD


def test_password_is_stored_as_argon2_hash(session, world):
    stored = session.get(User, world.officer.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_weak_password_and_bad_email_refused(session):
    with pytest.raises(ValidationFailed) as caught:
        accounts.create_user(session, email="not-an-email", name="X", password="short")
    assert {e.field for e in caught.value.errors} == {"email", "password"}


def test_sign_in_is_case_insensitive_on_email(session, world):
    result = accounts.sign_in(session, email=world.officer.email.upper(), password=PASSWORD, client_ip="1.2.3.4")
    assert result.user.id == world.officer.id


def test_failed_sign_ins_are_limited_per_email(session, world):
    for _ in range(5):
        assert accounts.sign_in(session, email=world.officer.email, password="wrong", client_ip="1.2.3.4").user is None
    with pytest.raises(TooManyRequests) as caught:
        accounts.sign_in(session, email=world.officer.email, password=PASSWORD, client_ip="5.6.7.8")
    assert caught.value.headers["Retry-After"]


def test_success_clears_earlier_failures(session, world):
    for _ in range(4):
        accounts.sign_in(session, email=world.officer.email, password="wrong", client_ip="1.2.3.4")
    assert accounts.sign_in(session, email=world.officer.email, password=PASSWORD, client_ip="1.2.3.4").user
    for _ in range(4):
        accounts.sign_in(session, email=world.officer.email, password="wrong", client_ip="1.2.3.4")
    assert accounts.sign_in(session, email=world.officer.email, password=PASSWORD, client_ip="1.2.3.4").user


def test_session_key_is_stored_hashed_and_expires(session, world):
    key = accounts.start_session(session, world.officer, world.ours.id)
    stored = session.scalars(select(WebSession)).all()
    assert key not in {s.key_hash for s in stored}
    assert accounts.resolve_session(session, key)[1].id == world.officer.id
    stored[-1].expires_at = utcnow() - timedelta(seconds=1)
    assert accounts.resolve_session(session, key) is None


def test_token_is_shown_once_and_stored_hashed(session, world):
    token, plain = tokens.create(session, name="Alliance", scopes="read", by=accounts.operator(world.ours))
    assert plain.startswith(token.prefix + "_")
    with all_tenants(session):
        hashes = session.scalars(select(ApiToken.token_hash)).all()
    assert plain not in hashes and token.token_hash in hashes
    principal, _ = tokens.authenticate(session, plain)
    assert principal.partnership_id == world.ours.id and principal.scopes == {"read"}


def test_revoked_token_fails_authentication(session, world):
    by = accounts.operator(world.ours)
    token, plain = tokens.create(session, name="Alliance", scopes="read,write", by=by)
    tokens.revoke(session, token.prefix, by=by)
    with pytest.raises(Unauthorized):
        tokens.authenticate(session, plain)


def test_cannot_revoke_another_partnerships_token(session, world):
    from app.errors import NotFound

    their_prefix = world.their_token[:11]
    with pytest.raises(NotFound):
        tokens.revoke(session, their_prefix, by=accounts.operator(world.ours))
    with all_tenants(session):
        assert session.scalars(select(ApiToken.revoked_at).where(ApiToken.prefix == their_prefix)).one() is None


def test_sign_in_lands_in_the_first_partnership_by_name_and_starts_a_session(session, world):
    from tests import factories

    factories.make_partnership(session, name="Aardvark Alliance")  # exists, but she is not a member
    result = accounts.sign_in(session, email=world.officer.email, password=PASSWORD, client_ip="1.2.3.4")
    assert result.partnership_id == world.ours.id and result.session_key
    web_session, user = accounts.resolve_session(session, result.session_key)
    assert (web_session.partnership_id, user.id) == (world.ours.id, world.officer.id)


def test_an_account_with_no_membership_is_refused_without_a_session(session, world):
    with all_tenants(session):
        lonely = accounts.create_user(session, email="lonely@example.org", name="Lee Lonely", password=PASSWORD)
    result = accounts.sign_in(session, email=lonely.email, password=PASSWORD, client_ip="1.2.3.4")
    assert result.session_key is None and "not a member of any partnership" in result.error
    assert session.scalars(select(WebSession).where(WebSession.user_id == lonely.id)).first() is None


def _events(session) -> list[tuple]:
    from app.models.account import SecurityEvent

    rows = session.scalars(select(SecurityEvent).order_by(SecurityEvent.id)).all()
    return [(e.kind, e.client, e.email, e.user_id, e.partnership_id, e.token_prefix) for e in rows]


def test_sign_ins_and_failures_are_recorded_with_who_when_and_where(session, world):
    accounts.sign_in(session, email=world.officer.email, password="wrong", client_ip="192.0.2.7")
    accounts.sign_in(session, email="nobody@example.org", password="wrong", client_ip="192.0.2.8")
    accounts.sign_in(session, email=world.officer.email, password=PASSWORD, client_ip="192.0.2.7")
    officer = world.officer
    assert _events(session) == [
        ("sign_in_failed", "192.0.2.7", officer.email, officer.id, None, None),
        ("sign_in_failed", "192.0.2.8", "nobody@example.org", None, None, None),
        ("signed_in", "192.0.2.7", officer.email, officer.id, world.ours.id, None),
    ]


def test_tokens_created_and_revoked_are_recorded(session, world):
    by = accounts.principal_for(session, world.officer, world.ours.id)
    token, _ = tokens.create(session, name="Alliance sync", scopes="read", by=by, client="192.0.2.9")
    tokens.revoke(session, token.prefix, by=by, client="192.0.2.9")
    tokens.revoke(session, token.prefix, by=by, client="192.0.2.9")  # already revoked: nothing new
    assert _events(session) == [
        ("token_created", "192.0.2.9", None, world.officer.id, world.ours.id, token.prefix),
        ("token_revoked", "192.0.2.9", None, world.officer.id, world.ours.id, token.prefix),
    ]
    operator = accounts.operator(world.ours)
    tokens.create(session, name="From the shell", scopes="read", by=operator)
    assert _events(session)[-1][:2] == ("token_created", "command line")


def test_a_password_of_spaces_is_not_a_password():
    assert accounts.password_errors(" " * 12)[0].message.endswith("that are not spaces")
    assert accounts.password_errors("\t\n" * 6)
    assert accounts.password_errors("  a long enough one  ") == []


def test_names_and_emails_with_control_characters_are_refused():
    assert [e.field for e in accounts.identity_errors("a@b.example", "Evil \u202e")] == ["name"]
    assert [e.field for e in accounts.identity_errors("\u202ea@b.example", "Ann")] == ["email"]
