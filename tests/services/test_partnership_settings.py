"""The partnership's settings: its name and its LA category scheme, which may not drop a category its
schools still use unless they are moved to another; officers only; versioned like every edited record."""

import pytest
from sqlmodel import select

from app.db import all_tenants
from app.errors import Forbidden, PreconditionFailed, PreconditionRequired, ValidationFailed
from app.models.school import School
from app.services import partnerships
from app.services.principal import Principal
from tests import factories


@pytest.fixture
def by(world) -> Principal:
    return Principal(partnership_id=world.ours.id, partnership_slug=world.ours.slug,
                     partnership_name=world.ours.name, roles=frozenset({"officer"}), user_id=world.officer.id,
                     user_name=world.officer.name)


@pytest.fixture
def viewer(world) -> Principal:
    return Principal(partnership_id=world.ours.id, partnership_slug=world.ours.slug,
                     partnership_name=world.ours.name, roles=frozenset({"viewer"}), user_id=world.viewer.id,
                     user_name=world.viewer.name)


def schools_in(session, world, category: str, n: int) -> list[School]:
    return [factories.make_school(session, world.ours, la_category=category) for _ in range(n)]


def stored_school(session, school_id: int) -> School:
    with all_tenants(session):
        session.expire_all()
        return session.exec(select(School).where(School.id == school_id)).one()


def save(session, world, by, **changes):
    values = {"name": world.ours.name, "category_scheme": list(world.ours.category_scheme), "mapping": None,
              "if_version": world.ours.version} | changes
    return partnerships.update_settings(session, **values, by=by)


def refusal(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_renames_and_changes_an_unused_scheme(session, world, by):
    version = world.ours.version
    saved = save(session, world, by, name="  Northfield Alliance ", category_scheme=["priority 1", "priority 2"])
    assert (saved.name, saved.category_scheme) == ("Northfield Alliance", ["priority 1", "priority 2"])
    assert saved.version == version + 1 and saved.updated_by == world.officer.name


def test_refuses_to_drop_a_category_in_use_naming_it_and_its_schools(session, world, by):
    schools_in(session, world, "amber", 12)
    schools_in(session, world, "green", 1)
    factories.make_school(session, world.theirs, la_category="red")  # another partnership's: not counted
    with pytest.raises(ValidationFailed) as exc:
        save(session, world, by, category_scheme=["red", "yellow"])
    messages = refusal(exc)
    assert messages[partnerships.mapping_field("amber")].startswith("'amber' is used by 12 schools")
    assert messages[partnerships.mapping_field("green")].startswith("'green' is used by 1 school:")
    session.expire_all()
    assert world.ours.category_scheme == ["red", "amber", "green"], "nothing changed"


def test_drops_a_category_in_use_when_its_schools_are_moved(session, world, by):
    ambers = schools_in(session, world, "amber", 3)
    red = factories.make_school(session, world.ours, la_category="red")
    theirs = factories.make_school(session, world.theirs, la_category="amber")
    versions = {s.id: s.version for s in ambers}

    save(session, world, by, category_scheme=["red", "green"], mapping={"amber": "red", "unused": "green"})

    for school in ambers:
        now = stored_school(session, school.id)
        assert now.la_category == "red"
        assert now.version == versions[school.id] + 1, "the school's version moves on"
        assert now.updated_by == world.officer.name
    assert stored_school(session, red.id).version == red.version, "schools not moved are untouched"
    assert stored_school(session, theirs.id).la_category == "amber", "another partnership's schools are untouched"
    assert world.ours.category_scheme == ["red", "green"]


def test_renaming_a_category_moves_its_schools_with_one_update(session, world, by, count_statements):
    schools_in(session, world, "amber", 20)
    with count_statements() as counted:
        save(session, world, by, category_scheme=["red", "Amber", "green"], mapping={"amber": "Amber"})
    updates = [s for s in counted.statements if s.lstrip().upper().startswith("UPDATE SCHOOL")]
    assert len(updates) == 1, counted.statements
    with all_tenants(session):
        session.expire_all()
        values = session.exec(select(School.la_category).where(School.partnership_id == world.ours.id)).all()
    assert sorted(values, key=str) == ["Amber"] * 20 + [None], "the world's own school had no category"


def test_a_mapping_must_name_one_of_the_new_categories(session, world, by):
    schools_in(session, world, "amber", 2)
    with pytest.raises(ValidationFailed) as exc:
        save(session, world, by, category_scheme=["red", "green"], mapping={"amber": "purple"})
    assert "one of the new categories" in refusal(exc)[partnerships.mapping_field("amber")]


@pytest.mark.parametrize(("scheme", "words"), [
    (["red", "Red", "green"], "'red' is there more than once"),
    (["red", "", "green"], "category 2 is blank"),
    (["red"], "between 2 and 10"),
    ([f"c{n}" for n in range(11)], "between 2 and 10"),
    (["red", "x" * 41], "longer than 40"),
])
def test_refuses_a_scheme_that_breaks_a_rule(session, world, by, scheme, words):
    with pytest.raises(ValidationFailed) as exc:
        save(session, world, by, category_scheme=scheme)
    assert words in refusal(exc)["category_scheme"]


def test_refuses_a_blank_or_overlong_name(session, world, by):
    for name in ("  ", "n" * 201):
        with pytest.raises(ValidationFailed) as exc:
            save(session, world, by, name=name)
        assert "name" in refusal(exc)


def test_a_stale_or_missing_version_is_refused(session, world, by):
    version = world.ours.version
    save(session, world, by, name="First")
    with pytest.raises(PreconditionFailed):
        save(session, world, by, name="Second", if_version=version)
    with pytest.raises(PreconditionRequired):
        save(session, world, by, name="Third", if_version=None)
    assert world.ours.name == "First"


def test_viewers_may_neither_read_nor_change_the_settings(session, world, viewer):
    with pytest.raises(Forbidden):
        partnerships.for_editing(session, by=viewer)
    with pytest.raises(Forbidden):
        partnerships.categories_leaving(session, category_scheme=["red"], by=viewer)
    with pytest.raises(Forbidden):
        save(session, world, viewer, name="Mine now")


def test_usage_counts_the_callers_schools_only(session, world, by):
    schools_in(session, world, "red", 2)
    factories.make_school(session, world.theirs, la_category="red")
    schools_in(session, world, "green", 1)
    schools_in(session, world, "beige", 1)  # a value the scheme does not list
    assert list(partnerships.category_usage(session, by=by).items()) == [("red", 2), ("green", 1), ("beige", 1)]
    assert partnerships.categories_leaving(session, category_scheme=["amber", "green"], by=by) == {"red": 2}
    assert partnerships.categories_leaving(session, category_scheme=["red", "green"], by=by) == {}
