"""Lead role codes and who holds them (app.services.plan_roles)."""

import pytest

from app.db import all_tenants, as_tenant
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.account import Role
from app.services import accounts, plan_roles
from tests import factories


def principal(session, world, user):
    return accounts.principal_for(session, user, world.ours.id)


def test_an_officer_sets_a_members_codes_and_they_are_held(session, world):
    officer = principal(session, world, world.officer)
    viewer = principal(session, world, world.viewer)
    assert plan_roles.held_codes(session, viewer) == frozenset()
    assert plan_roles.set_holder_codes(session, world.viewer.id, ["SIM", "HSI", "HSI"], by=officer) == ["HSI", "SIM"]
    assert plan_roles.held_codes(session, viewer) == {"HSI", "SIM"}
    assert plan_roles.holders(session, by=viewer) == {world.viewer.id: ["HSI", "SIM"]}
    assert plan_roles.set_holder_codes(session, world.viewer.id, ["DCS"], by=officer) == ["DCS"]
    assert plan_roles.held_codes(session, viewer) == {"DCS"}
    plan_roles.set_holder_codes(session, world.viewer.id, [], by=officer)
    assert plan_roles.holders(session, by=officer) == {}


def test_unknown_codes_are_refused_naming_the_field(session, world):
    officer = principal(session, world, world.officer)
    with pytest.raises(ValidationFailed) as caught:
        plan_roles.set_holder_codes(session, world.viewer.id, ["HSI", "WIZARD"], by=officer)
    assert caught.value.errors[0].field == "codes" and "WIZARD" in caught.value.errors[0].message
    assert plan_roles.holders(session, by=officer) == {}


def test_only_officers_set_codes_and_only_for_members(session, world):
    viewer = principal(session, world, world.viewer)
    with pytest.raises(Forbidden):
        plan_roles.set_holder_codes(session, world.viewer.id, ["HSI"], by=viewer)
    officer = principal(session, world, world.officer)
    with pytest.raises(NotFound):
        plan_roles.set_holder_codes(session, world.outsider.id, ["HSI"], by=officer)


def test_codes_are_held_in_one_partnership_only(session, world):
    both = factories.make_user(session, world.ours, Role.viewer.value)
    with all_tenants(session):
        accounts.grant(session, both, world.theirs, Role.viewer.value)
    theirs = accounts.principal_for(session, both, world.theirs.id)
    plan_roles.set_holder_codes(session, both.id, ["HSI"], by=principal(session, world, world.officer))
    assert plan_roles.held_codes(session, principal(session, world, both)) == {"HSI"}
    with as_tenant(session, world.theirs.id):
        assert plan_roles.held_codes(session, theirs) == frozenset()


def test_titles_and_the_token_that_holds_nothing(session, world):
    assert plan_roles.role_titles(world.ours)["HSI"] == "Head of School Improvement"
    plan_roles.check_codes(world.ours, ["DCS", "SIM"], "leads")
    with pytest.raises(ValidationFailed) as caught:
        plan_roles.check_codes(world.ours, ["XX"], "leads")
    assert caught.value.errors[0].field == "leads"
