"""Triads: members of the triad's collaborative that year, one triad a year per school, two to
four schools, who may change them (an officer, or the collaborative's lead), a batch made all or
none, and a list page's cost."""

import pytest
from sqlalchemy import select

from app.db import all_tenants
from app.errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
from app.models.account import Role
from app.models.collaborative import ProposalAccept, Triad, TriadCreate, TriadSchool, TriadUpdate
from app.services import accounts, triads
from app.services.collaboratives import ListFilters
from tests import factories


@pytest.fixture
def officer(session, world):
    return accounts.principal_for(session, world.officer, world.ours.id)


@pytest.fixture
def schools(session, world):
    return [factories.make_school(session, world.ours, name=f"School {n}") for n in range(8)]


@pytest.fixture
def collaborative(session, world, schools):
    return factories.make_collaborative(session, world.ours, schools[:6], name="City primary")


def visit_record(session, triad, school) -> None:
    """A visit record of the triad (the visits' own factories belong to that work; a row is enough here)."""
    from datetime import date as day

    from app.models.visit import TriadVisit

    with all_tenants(session):
        session.add(TriadVisit(partnership_id=triad.partnership_id, kind="triad_review", triad_id=triad.id,
                               school_id=school.id, visit_date=day(2025, 10, 15), academic_year=triad.academic_year))
        session.flush()


def refusal(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def new(collaborative, schools, name="Triad A", **values) -> TriadCreate:
    return TriadCreate(name=name, collaborative_id=collaborative.id, schools=[s.urn for s in schools], **values)


def urns(session, triad) -> list[str]:
    return [s.urn for s in triads.view(session, triad).schools]


class TestMembers:
    def test_created_in_its_collaboratives_year(self, session, world, officer, collaborative, schools):
        triad = triads.create(session, new(collaborative, schools[:3]), by=officer)
        assert (triad.academic_year, triad.version, triad.updated_by) == ("2025/26", 1, world.officer.name)
        assert urns(session, triad) == sorted(s.urn for s in schools[:3])

    def test_members_must_be_schools_of_the_collaborative(self, session, world, officer, collaborative, schools):
        with pytest.raises(ValidationFailed) as exc:
            triads.create(session, new(collaborative, [schools[0], schools[1], schools[6]]), by=officer)
        assert set(refusal(exc)) == {"schools.2"} and "City primary" in refusal(exc)["schools.2"]

    def test_a_school_of_the_collaborative_in_another_year_does_not_count(self, session, world, officer, schools):
        old = factories.make_collaborative(session, world.ours, schools[:3], academic_year="2024/25")
        current = factories.make_collaborative(session, world.ours, schools[1:3])
        with pytest.raises(ValidationFailed) as exc:
            triads.create(session, new(current, schools[:3]), by=officer)
        assert set(refusal(exc)) == {"schools.0"}
        triads.create(session, new(old, schools[:3]), by=officer)

    def test_urns_outside_the_partnership_are_refused_on_their_field(self, session, world, officer, collaborative,
                                                                     schools):
        data = TriadCreate(name="A", collaborative_id=collaborative.id,
                           schools=[schools[0].urn, schools[1].urn, world.their_school.urn])
        with pytest.raises(ValidationFailed) as exc:
            triads.create(session, data, by=officer)
        assert set(refusal(exc)) == {"schools.2"}

    def test_a_school_is_in_one_triad_a_year(self, session, world, officer, collaborative, schools):
        triads.create(session, new(collaborative, schools[:3]), by=officer)
        with pytest.raises(Conflict) as exc:
            triads.create(session, new(collaborative, [schools[3], schools[2]], "Triad B"), by=officer)
        assert set(refusal(exc)) == {"schools.1"} and "Triad A" in refusal(exc)["schools.1"]

    def test_the_database_keeps_a_school_to_one_triad_a_year(self, session, world, collaborative, schools):
        factories.make_triad(session, collaborative, schools[:2])
        other = factories.make_triad(session, collaborative, schools[2:4])
        with all_tenants(session), pytest.raises(Exception, match="(?i)unique"), session.begin_nested():
            session.add(TriadSchool(partnership_id=world.ours.id, triad_id=other.id, school_id=schools[0].id,
                                    academic_year=collaborative.academic_year))
            session.flush()

    def test_the_collaborative_must_be_ours_and_the_year_its_own(self, session, world, officer, collaborative,
                                                                 schools):
        theirs = factories.make_collaborative(session, world.theirs, [world.their_school])
        with pytest.raises(ValidationFailed) as exc:
            triads.create(session, TriadCreate(name="A", collaborative_id=theirs.id,
                                               schools=[s.urn for s in schools[:2]]), by=officer)
        assert set(refusal(exc)) == {"collaborative_id"}
        with pytest.raises(ValidationFailed) as exc:
            triads.create(session, new(collaborative, schools[:3], academic_year="2024/25"), by=officer)
        assert set(refusal(exc)) == {"academic_year"}

    def test_names_are_one_per_collaborative(self, session, world, officer, collaborative, schools):
        triads.create(session, new(collaborative, schools[:3]), by=officer)
        with pytest.raises(Conflict) as exc:
            triads.create(session, new(collaborative, schools[3:6]), by=officer)
        assert set(refusal(exc)) == {"name"}

    def test_two_to_four_schools_and_a_warning_unless_three(self):
        assert triads.warnings_for(3) == []
        assert "three is usual" in triads.warnings_for(2)[0] and triads.warnings_for(4)
        for count in (1, 5):
            with pytest.raises(ValueError, match="schools"):
                TriadCreate(name="A", collaborative_id=1, schools=[f"{100000 + n}" for n in range(count)])


class TestChanges:
    def test_replacing_the_schools(self, session, world, officer, collaborative, schools):
        triad = triads.create(session, new(collaborative, schools[:3]), by=officer)
        other = triads.create(session, new(collaborative, schools[3:5], "Triad B"), by=officer)
        changed = triads.update(session, triad.id, TriadUpdate(schools=[schools[0].urn, schools[5].urn]),
                                if_match='"1"', by=officer)
        assert changed.version == 2 and urns(session, changed) == sorted([schools[0].urn, schools[5].urn])
        # A school freed by the change can join another triad.
        triads.update(session, other.id, TriadUpdate(schools=[schools[1].urn, schools[3].urn, schools[4].urn]),
                      if_match='"1"', by=officer)
        with pytest.raises(Conflict) as exc:
            triads.update(session, other.id, TriadUpdate(schools=[schools[0].urn, schools[3].urn]),
                          if_match='"2"', by=officer)
        assert set(refusal(exc)) == {"schools.0"}

    def test_an_unchanged_body_keeps_the_version(self, session, world, officer, collaborative, schools):
        triad = triads.create(session, new(collaborative, schools[:3]), by=officer)
        same = triads.update(session, triad.id, TriadUpdate(name="Triad A", schools=[s.urn for s in schools[:3]]),
                             if_match='"1"', by=officer)
        assert same.version == 1

    def test_a_change_needs_the_current_etag(self, session, world, officer, collaborative, schools):
        triad = triads.create(session, new(collaborative, schools[:3]), by=officer)
        with pytest.raises(PreconditionRequired):
            triads.update(session, triad.id, TriadUpdate(name="B"), if_match=None, by=officer)
        with pytest.raises(PreconditionRequired):
            triads.delete(session, triad.id, if_match=None, by=officer)
        triads.update(session, triad.id, TriadUpdate(name="B"), if_match='"1"', by=officer)
        with pytest.raises(PreconditionFailed):
            triads.update(session, triad.id, TriadUpdate(name="C"), if_match='"1"', by=officer)
        with pytest.raises(PreconditionFailed):
            triads.delete(session, triad.id, if_match='"1"', by=officer)
        triads.delete(session, triad.id, if_match='"2"', by=officer)
        with all_tenants(session):
            assert session.scalars(select(TriadSchool).where(TriadSchool.triad_id == triad.id)).all() == []

    def test_a_triad_with_visit_records_is_not_deleted(self, session, world, officer, collaborative, schools):
        triad = factories.make_triad(session, collaborative, schools[:3])
        visit_record(session, triad, schools[0])
        with pytest.raises(Conflict):
            triads.delete(session, triad.id, if_match='"1"', by=officer)


class TestBatch:
    def test_all_made_at_once(self, session, world, officer, collaborative, schools):
        data = ProposalAccept(triads=[{"name": "One", "schools": [s.urn for s in schools[:3]]},
                                      {"name": "Two", "schools": [s.urn for s in schools[3:6]]}])
        made = triads.create_many(session, collaborative, data, by=officer)
        assert [t.name for t in made] == ["One", "Two"] and urns(session, made[1]) == [s.urn for s in schools[3:6]]

    def test_one_bad_triad_refuses_them_all_naming_it(self, session, world, officer, collaborative, schools):
        data = ProposalAccept(triads=[{"name": "One", "schools": [s.urn for s in schools[:3]]},
                                      {"name": "Two", "schools": [schools[3].urn, schools[2].urn]},
                                      {"name": "One", "schools": [schools[4].urn, schools[6].urn]}])
        with pytest.raises(ValidationFailed) as exc:
            triads.create_many(session, collaborative, data, by=officer)
        assert set(refusal(exc)) == {"triads.1.schools.1", "triads.2.schools.1", "triads.2.name"}
        assert "triads.0" in refusal(exc)["triads.1.schools.1"]
        with all_tenants(session):
            assert session.scalars(select(Triad).where(Triad.collaborative_id == collaborative.id)).all() == []


class TestPermissions:
    def test_a_lead_changes_their_collaboratives_triads_only(self, session, world, schools, collaborative):
        lead = factories.make_user(session, world.ours, Role.viewer.value)
        mine = factories.make_collaborative(session, world.ours, schools[6:], lead=lead)
        by = accounts.principal_for(session, lead, world.ours.id)
        triad = triads.create(session, new(mine, schools[6:]), by=by)
        triads.update(session, triad.id, TriadUpdate(name="Renamed"), if_match='"1"', by=by)
        others = factories.make_triad(session, collaborative, schools[:3])
        with pytest.raises(Forbidden):
            triads.create(session, new(collaborative, schools[3:6]), by=by)
        with pytest.raises(Forbidden):
            triads.update(session, others.id, TriadUpdate(name="Mine now"), if_match='"1"', by=by)
        with pytest.raises(Forbidden):
            triads.delete(session, others.id, if_match='"1"', by=by)
        with pytest.raises(Forbidden):
            triads.create_many(session, collaborative, ProposalAccept(
                triads=[{"name": "X", "schools": [s.urn for s in schools[3:6]]}]), by=by)
        triads.delete(session, triad.id, if_match='"2"', by=by)

    @pytest.mark.parametrize("who", ["viewer", "headteacher", "read token"])
    def test_readers_cannot_change_triads(self, session, world, schools, collaborative, who):
        if who == "viewer":
            by = accounts.principal_for(session, world.viewer, world.ours.id)
        elif who == "headteacher":
            head = factories.make_user(session, world.ours, Role.viewer.value)
            with all_tenants(session):
                accounts.grant(session, head, world.ours, Role.headteacher.value, scope_kind="school",
                               scope_id=schools[0].id)
            by = accounts.principal_for(session, head, world.ours.id)
        else:
            from app.services import tokens

            by, _ = tokens.authenticate(session, world.read_token)
        triad = factories.make_triad(session, collaborative, schools[:3])
        with pytest.raises(Forbidden):
            triads.create(session, new(collaborative, schools[3:6]), by=by)
        with pytest.raises(Forbidden):
            triads.update(session, triad.id, TriadUpdate(name="B"), if_match='"1"', by=by)
        with pytest.raises(Forbidden):
            triads.delete(session, triad.id, if_match='"1"', by=by)
        assert triads.get(session, triad.id, by=by).id == triad.id
        assert triads.page(session, ListFilters(), by=by).total == 1

    def test_another_partnerships_triad_is_not_found(self, session, world, officer):
        theirs = factories.make_collaborative(session, world.theirs, [world.their_school])
        triad = factories.make_triad(session, theirs, [world.their_school])
        for call in (lambda: triads.get(session, triad.id, by=officer),
                     lambda: triads.update(session, triad.id, TriadUpdate(name="B"), if_match='"1"', by=officer),
                     lambda: triads.delete(session, triad.id, if_match='"1"', by=officer)):
            with pytest.raises(NotFound):
                call()
        assert triads.page(session, ListFilters(), by=officer).total == 0


class TestList:
    def test_filters_by_year_collaborative_and_urn(self, session, world, officer, schools):
        old = factories.make_collaborative(session, world.ours, academic_year="2024/25")
        new_ = factories.make_collaborative(session, world.ours)
        other = factories.make_collaborative(session, world.ours)
        a = factories.make_triad(session, old, schools[:3])
        b = factories.make_triad(session, new_, schools[:3])
        c = factories.make_triad(session, other, schools[3:6])

        def ids(**filters) -> list[int]:
            return [i.record.id for i in triads.page(session, ListFilters(**filters), by=officer).items]

        assert ids() == [a.id, b.id, c.id]
        assert ids(academic_year=["2025/26"]) == [b.id, c.id]
        assert ids(collaborative_id=[other.id, old.id]) == [a.id, c.id]
        assert ids(urn=[schools[0].urn]) == [a.id, b.id]
        assert ids(urn=[schools[0].urn], academic_year=["2025/26"], collaborative_id=[other.id]) == []

    def test_a_page_costs_the_same_for_2_and_30_rows(self, session, world, officer, count_statements):
        def cost(rows: int) -> int:
            collaborative = factories.make_collaborative(session, world.ours, academic_year=f"{1990 + rows}/"
                                                         f"{(1991 + rows) % 100:02d}")
            for _ in range(rows):
                factories.make_triad(session, collaborative, [factories.make_school(session, world.ours)
                                                              for _ in range(3)])
            with count_statements() as counted:
                page = triads.page(session, ListFilters(collaborative_id=[collaborative.id]), by=officer)
            assert len(page.items) == rows and all(len(i.schools) == 3 for i in page.items)
            return counted.count

        assert cost(2) == cost(30) == 3
