"""The tenant guard in app.db: scoping is written once, and forgetting it fails closed."""

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from app.db import TenantViolation, all_tenants, set_tenant
from app.models.school import School
from app.services import accounts, schools
from tests import factories


def test_bound_session_sees_only_its_partnership(session, world):
    set_tenant(session, world.ours.id)
    urns = set(session.scalars(select(School.urn)))
    assert world.our_school.urn in urns and world.their_school.urn not in urns


def test_unbound_session_sees_no_tenant_rows(session, world):
    assert session.scalar(select(func.count()).select_from(School)) == 0


def test_joins_and_subqueries_are_scoped_too(session, world):
    factories.make_inspection(session, world.their_school)
    set_tenant(session, world.ours.id)
    from app.models.inspection import Inspection

    joined = session.execute(select(School.urn, Inspection.id).join(Inspection, Inspection.school_id == School.id))
    assert joined.all() == []


def test_every_alias_of_a_table_is_scoped_to_the_tenant_of_each_query(session, world):
    """aliased(School) joined to School: each alias gets the condition on its own columns (a plain
    criterion named the base table, so the alias reached every partnership's schools). The same
    statement for each tenant in turn: the criterion's tenant is a parameter, not cached."""
    from app.db import as_tenant

    factories.make_school(session, world.ours, name="Our Second")
    factories.make_school(session, world.theirs, name="Their Second")
    provider = aliased(School)
    statement = select(School.urn, provider.urn).join(provider, provider.id != School.id)
    for partnership, own, other in ((world.ours, world.our_school, world.their_school),
                                    (world.theirs, world.their_school, world.our_school)):
        with as_tenant(session, partnership.id):
            pairs = session.execute(statement).all()
        seen = {urn for pair in pairs for urn in pair}
        assert own.urn in seen and other.urn not in seen, partnership.slug


def test_bulk_update_cannot_reach_another_partnership(session, world):
    set_tenant(session, world.ours.id)
    session.execute(update(School).values(name="Renamed").execution_options(synchronize_session=False))
    with all_tenants(session):
        session.expire_all()
        assert session.get(School, world.their_school.id).name == "Birch Academy"


def test_new_rows_are_stamped_with_the_tenant(session, world):
    set_tenant(session, world.ours.id)
    school = School(urn="777777", name="Stamped School", phase="primary")
    session.add(school)
    session.flush()
    assert school.partnership_id == world.ours.id


def test_creating_in_another_partnership_is_refused(session, world):
    set_tenant(session, world.ours.id)
    session.add(School(urn="777778", name="Smuggled", phase="primary", partnership_id=world.theirs.id))
    with pytest.raises(TenantViolation):
        session.flush()


def test_a_session_cannot_change_partnership(session, world):
    set_tenant(session, world.ours.id)
    with pytest.raises(TenantViolation):
        set_tenant(session, world.theirs.id)


def test_service_lookup_of_another_partnerships_school_is_not_found(session, world):
    from app.errors import NotFound

    with pytest.raises(NotFound):
        schools.get(session, world.their_school.urn, by=accounts.operator(world.ours))


def test_viewer_cannot_write(session, world):
    from app.errors import Forbidden
    from app.models.school import SchoolUpdate

    viewer = accounts.principal_for(session, world.viewer, world.ours.id)
    assert viewer.can_read and not viewer.can_write
    with pytest.raises(Forbidden):
        schools.update(session, world.our_school.urn, SchoolUpdate(name="No"), if_match="*", by=viewer)


def test_bulk_insert_must_name_the_sessions_partnership(session, world):
    from sqlalchemy import insert

    set_tenant(session, world.ours.id)
    row = {"urn": "888888", "name": "Bulk School", "phase": "primary", "status": "open", "engaged": True,
           "version": 1}
    for bad in ({}, {"partnership_id": world.theirs.id}):
        with pytest.raises(TenantViolation):
            session.execute(insert(School), [{**row, **bad}])
    session.execute(insert(School), [{**row, "partnership_id": world.ours.id}])
    assert session.scalars(select(School.name).where(School.urn == "888888")).one() == "Bulk School"



def _statement_shapes(their_urn: str):
    """Each way a statement can name the school table: the guard gives a statement criteria only
    for the tenant tables it finds in it, so every shape must still be found. Each answers the
    other partnership's school's URN if the guard missed the table, and never does otherwise."""
    from sqlalchemy import exists, literal, union_all

    from app.models.inspection import Inspection

    provider = aliased(School)
    in_cte = select(School.urn).cte("in_cte")
    in_subquery = select(School.urn, School.id).subquery()
    theirs = School.urn == their_urn
    return {
        "entity": select(School.urn),
        "alias": select(provider.urn),
        "cte": select(in_cte.c.urn),
        "subquery in FROM": select(in_subquery.c.urn),
        "scalar subquery": select(select(School.urn).where(theirs).scalar_subquery()),
        "IN subquery": select(literal(their_urn)).where(Inspection.school_id.in_(select(School.id).where(theirs))),
        "EXISTS": select(literal(their_urn)).where(exists().where(theirs)),
        "union": union_all(select(literal("none")), select(School.urn).where(theirs)),
        "count": select(func.count(School.id)).where(theirs),
    }


@pytest.mark.parametrize("shape", list(_statement_shapes("0")))
def test_every_shape_of_statement_is_scoped(session, world, shape):
    """Another partnership's school is never seen, however the statement reaches the table; the
    same statement with the guard lifted does see it (so the statement could fail)."""
    from tests import factories

    factories.make_inspection(session, world.their_school)
    statement = _statement_shapes(world.their_school.urn)[shape]
    with all_tenants(session):
        lifted = [row[0] for row in session.execute(statement).all()]
    set_tenant(session, world.ours.id)
    seen = [row[0] for row in session.execute(statement).all()]
    if shape == "count":
        assert lifted == [1] and seen == [0]
    else:
        assert world.their_school.urn in lifted
        assert world.their_school.urn not in seen, seen
        if shape in ("entity", "alias", "cte", "subquery in FROM"):
            assert world.our_school.urn in seen
