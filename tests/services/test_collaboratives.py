"""Collaboratives: a school in one a year, the lead check on the lead's own school, the lead's role
moving with the lead, roll-forward, deletion, permissions and tenancy, and a list page's cost."""

from datetime import date

import pytest
from sqlalchemy import select

from app.db import all_tenants
from app.errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
from app.models.account import Membership, Role
from app.models.collaborative import (
    Collaborative,
    CollaborativeCreate,
    CollaborativeSchool,
    CollaborativeUpdate,
    Triad,
    TriadSchool,
)
from app.services import accounts, collaboratives, rollover
from app.services.collaboratives import ListFilters
from tests import factories


@pytest.fixture
def officer(session, world):
    return accounts.principal_for(session, world.officer, world.ours.id)


@pytest.fixture
def schools(session, world):
    return [factories.make_school(session, world.ours, name=f"School {n}") for n in range(4)]


REPORT_CARD = {"inspected_on": date(2025, 12, 1), "overall_effectiveness": None}
UNGRADED = {"inspected_on": date(2025, 1, 15), "overall_effectiveness": None}


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


def new(name="North primary", year="2025/26", **values) -> CollaborativeCreate:
    return CollaborativeCreate(name=name, phase="primary", academic_year=year, **values)


def lead_grants(session, collaborative_id: int) -> set[int]:
    """Users holding the lead headteacher role over the collaborative."""
    with all_tenants(session):
        return set(session.scalars(select(Membership.user_id).where(
            Membership.role == Role.lead_headteacher.value, Membership.scope_kind == "collaborative",
            Membership.scope_id == collaborative_id)))


def head_of(session, world, school, **inspection):
    """A member who is the headteacher of `school`, whose latest inspection is `inspection` (if any)."""
    user = factories.make_user(session, world.ours, Role.viewer.value)
    with all_tenants(session):
        accounts.grant(session, user, world.ours, Role.headteacher.value, scope_kind="school", scope_id=school.id)
    if inspection:
        factories.make_inspection(session, school, **inspection)
    return user


class TestMembers:
    def test_created_with_its_schools_budget_and_lead(self, session, world, officer, schools):
        lead = head_of(session, world, schools[0], overall_effectiveness=1)
        made = collaboratives.create(session, new(schools=[s.urn for s in schools[:3]], lead_user_id=lead.id,
                                                  budget_pounds=12000), by=officer)
        shown = collaboratives.view(session, made)
        assert [s.urn for s in shown.schools] == sorted(s.urn for s in schools[:3])
        assert (made.budget_pounds, made.lead_user_id, shown.lead_name) == (12000, lead.id, lead.name)
        assert made.version == 1 and made.updated_by == world.officer.name

    def test_a_school_is_in_one_collaborative_a_year(self, session, world, officer, schools):
        collaboratives.create(session, new(schools=[schools[0].urn]), by=officer)
        with pytest.raises(Conflict) as exc:
            collaboratives.create(session, new("South primary", schools=[schools[1].urn, schools[0].urn]),
                                  by=officer)
        assert "schools.1" in refusal(exc) and "North primary" in refusal(exc)["schools.1"]
        # Another year is another matter.
        collaboratives.create(session, new("South primary", "2026/27", schools=[schools[0].urn]), by=officer)

    def test_adding_a_school_of_another_collaborative_by_update_is_refused(self, session, world, officer, schools):
        collaboratives.create(session, new(schools=[schools[0].urn]), by=officer)
        other = collaboratives.create(session, new("South", schools=[schools[1].urn]), by=officer)
        with pytest.raises(Conflict) as exc:
            collaboratives.update(session, other.id, CollaborativeUpdate(schools=[schools[1].urn, schools[0].urn]),
                                  if_match='"1"', by=officer)
        assert "schools.1" in refusal(exc)

    def test_the_database_keeps_a_school_to_one_collaborative_a_year(self, session, world, schools):
        a = factories.make_collaborative(session, world.ours, [schools[0]])
        b = factories.make_collaborative(session, world.ours)
        with all_tenants(session), pytest.raises(Exception, match="(?i)unique"), session.begin_nested():
            session.add(CollaborativeSchool(partnership_id=world.ours.id, collaborative_id=b.id,
                                            school_id=schools[0].id, academic_year=a.academic_year))
            session.flush()

    def test_urns_outside_the_partnership_are_refused_on_their_field(self, session, world, officer, schools):
        with pytest.raises(ValidationFailed) as exc:
            collaboratives.create(session, new(schools=[schools[0].urn, schools[1].urn, world.their_school.urn,
                                                        schools[0].urn]), by=officer)
        assert set(refusal(exc)) == {"schools.2", "schools.3"}
        assert "in this partnership" in refusal(exc)["schools.2"] and "twice" in refusal(exc)["schools.3"]

    def test_a_closed_school_cannot_join(self, session, world, officer):
        closed = factories.make_school(session, world.ours, status="closed")
        with pytest.raises(ValidationFailed) as exc:
            collaboratives.create(session, new(schools=[closed.urn]), by=officer)
        assert "closed" in refusal(exc)["schools.0"]

    def test_the_name_is_one_a_year(self, session, world, officer):
        collaboratives.create(session, new(), by=officer)
        with pytest.raises(Conflict) as exc:
            collaboratives.create(session, new(), by=officer)
        assert "name" in refusal(exc)

    def test_a_school_in_one_of_its_triads_cannot_leave(self, session, world, officer, schools):
        made = factories.make_collaborative(session, world.ours, schools[:3])
        factories.make_triad(session, made, schools[:2], name="Triad A")
        with pytest.raises(Conflict) as exc:
            collaboratives.update(session, made.id, CollaborativeUpdate(schools=[schools[2].urn]),
                                  if_match=f'"{made.version}"', by=officer)
        assert "Triad A" in exc.value.detail
        changed = collaboratives.update(session, made.id, CollaborativeUpdate(
            schools=[schools[0].urn, schools[1].urn, schools[3].urn]), if_match=f'"{made.version}"', by=officer)
        assert changed.version == 2  # the members are part of it: its ETag moves on
        assert [s.urn for s in collaboratives.view(session, changed).schools] == \
            sorted(s.urn for s in (schools[0], schools[1], schools[3]))


class TestLeadCheck:
    @pytest.mark.parametrize("inspection", [
        {"overall_effectiveness": 3},
        {"overall_effectiveness": 2, "category_of_concern": "serious_weaknesses"},
        REPORT_CARD | {"grades": {"achievement": "needs_attention", "inclusion": "exceptional"}},
        REPORT_CARD | {"safeguarding": "not_met", "grades": {"inclusion": "strong_standard"}},
        UNGRADED | {"grades": {"quality_of_education": 3, "behaviour_and_attitudes": 2}},
    ], ids=["graded-ri", "category", "report-card-needs-attention", "safeguarding-not-met", "ungraded-ri-judgement"])
    def test_a_lead_whose_school_is_below_good_needs_a_reason(self, session, world, officer, schools, inspection):
        lead = head_of(session, world, schools[0], **inspection)
        with pytest.raises(ValidationFailed) as exc:
            collaboratives.create(session, new(lead_user_id=lead.id), by=officer)
        assert set(refusal(exc)) == {"lead_override_reason"}
        assert schools[0].urn in refusal(exc)["lead_override_reason"]
        made = collaboratives.create(session, new(lead_user_id=lead.id, lead_override_reason="NLE, interim head"),
                                     by=officer)
        assert made.lead_override_reason == "NLE, interim head"
        assert lead_grants(session, made.id) == {lead.id}

    @pytest.mark.parametrize("inspection", [
        {"overall_effectiveness": 2},
        {"overall_effectiveness": 1},
        REPORT_CARD | {"grades": {"achievement": "expected_standard", "inclusion": "exceptional"},
         "safeguarding": "met"},
        UNGRADED | {"grades": {"quality_of_education": 2, "behaviour_and_attitudes": 1}},
        UNGRADED,
        {},
    ], ids=["good", "outstanding", "report-card-expected", "ungraded-good-judgements", "ungraded-no-judgements",
            "not-inspected"])
    def test_good_or_better_or_not_judged_passes(self, session, world, officer, schools, inspection):
        lead = head_of(session, world, schools[0], **inspection)
        made = collaboratives.create(session, new(lead_user_id=lead.id), by=officer)
        assert made.lead_override_reason is None

    def test_the_latest_inspection_counts(self, session, world, officer, schools):
        lead = head_of(session, world, schools[0], inspected_on=date(2019, 3, 1), overall_effectiveness=4)
        factories.make_inspection(session, schools[0], inspected_on=date(2023, 3, 1), overall_effectiveness=2)
        collaboratives.create(session, new(lead_user_id=lead.id), by=officer)

    def test_a_lead_who_heads_no_school_passes(self, session, world, officer):
        collaboratives.create(session, new(lead_user_id=world.viewer.id), by=officer)

    def test_the_lead_must_be_a_member_of_the_partnership(self, session, world, officer):
        with pytest.raises(ValidationFailed) as exc:
            collaboratives.create(session, new(lead_user_id=world.outsider.id), by=officer)
        assert set(refusal(exc)) == {"lead_user_id"}

    def test_a_new_lead_below_good_needs_their_own_reason(self, session, world, officer, schools):
        good = head_of(session, world, schools[0], overall_effectiveness=2)
        weak = head_of(session, world, schools[1], overall_effectiveness=3)
        made = collaboratives.create(session, new(lead_user_id=good.id, lead_override_reason="not needed"),
                                     by=officer)
        with pytest.raises(ValidationFailed) as exc:
            collaboratives.update(session, made.id, CollaborativeUpdate(lead_user_id=weak.id), if_match='"1"',
                                  by=officer)
        assert set(refusal(exc)) == {"lead_override_reason"}
        with pytest.raises(ValidationFailed):  # a blank reason is no reason
            collaboratives.update(session, made.id, CollaborativeUpdate(lead_user_id=weak.id, lead_override_reason=" "),
                                  if_match='"1"', by=officer)
        changed = collaboratives.update(session, made.id, CollaborativeUpdate(
            lead_user_id=weak.id, lead_override_reason="the best head for SEND"), if_match='"1"', by=officer)
        assert changed.lead_override_reason == "the best head for SEND"
        # Clearing the reason of a lead who needs one is refused too.
        with pytest.raises(ValidationFailed):
            collaboratives.update(session, made.id, CollaborativeUpdate(lead_override_reason=None),
                                  if_match=f'"{changed.version}"', by=officer)


class TestLeadRole:
    def test_setting_the_lead_moves_the_scoped_role(self, session, world, officer):
        first = factories.make_user(session, world.ours, Role.viewer.value)
        second = factories.make_user(session, world.ours, Role.viewer.value)
        made = collaboratives.create(session, new(lead_user_id=first.id), by=officer)
        assert lead_grants(session, made.id) == {first.id}
        assert made.id in accounts.principal_for(session, first, world.ours.id).scoped(Role.lead_headteacher.value)

        changed = collaboratives.update(session, made.id, CollaborativeUpdate(lead_user_id=second.id),
                                        if_match='"1"', by=officer)
        assert lead_grants(session, made.id) == {second.id}
        assert made.id not in accounts.principal_for(session, first, world.ours.id).scoped("lead_headteacher")
        # The first lead stays a member with their own role.
        assert accounts.principal_for(session, first, world.ours.id).roles == {"viewer"}

        collaboratives.update(session, made.id, CollaborativeUpdate(lead_user_id=None),
                              if_match=f'"{changed.version}"', by=officer)
        assert lead_grants(session, made.id) == set()

    def test_a_refused_change_grants_nothing(self, session, world, officer, schools):
        weak = head_of(session, world, schools[0], overall_effectiveness=4)
        made = collaboratives.create(session, new(), by=officer)
        with pytest.raises(ValidationFailed):
            collaboratives.update(session, made.id, CollaborativeUpdate(lead_user_id=weak.id), if_match='"1"',
                                  by=officer)
        assert lead_grants(session, made.id) == set()


class TestChanges:
    def test_a_change_needs_the_current_etag(self, session, world, officer):
        made = collaboratives.create(session, new(), by=officer)
        with pytest.raises(PreconditionRequired):
            collaboratives.update(session, made.id, CollaborativeUpdate(budget_pounds=5), if_match=None, by=officer)
        collaboratives.update(session, made.id, CollaborativeUpdate(budget_pounds=5), if_match='"1"', by=officer)
        with pytest.raises(PreconditionFailed):
            collaboratives.update(session, made.id, CollaborativeUpdate(budget_pounds=6), if_match='"1"', by=officer)
        with pytest.raises(PreconditionFailed):
            collaboratives.delete(session, made.id, if_match='"1"', by=officer)

    def test_required_fields_cannot_be_emptied(self, session, world, officer):
        made = collaboratives.create(session, new(), by=officer)
        with pytest.raises(ValidationFailed) as exc:
            collaboratives.update(session, made.id, CollaborativeUpdate(name=None, schools=None), if_match='"1"',
                                  by=officer)
        assert set(refusal(exc)) == {"name", "schools"}

    def test_delete_takes_its_triads_members_and_lead_role(self, session, world, officer, schools):
        lead = factories.make_user(session, world.ours, Role.viewer.value)
        made = factories.make_collaborative(session, world.ours, schools[:3], lead=lead)
        factories.make_triad(session, made, schools[:3])
        collaboratives.delete(session, made.id, if_match=f'"{made.version}"', by=officer)
        with all_tenants(session):
            for model in (Collaborative, CollaborativeSchool, Triad, TriadSchool):
                assert session.scalars(select(model).where(model.partnership_id == world.ours.id)).all() == []
        assert lead_grants(session, made.id) == set()

    def test_delete_is_refused_once_a_triad_has_visit_records(self, session, world, officer, schools):
        made = factories.make_collaborative(session, world.ours, schools[:3])
        triad = factories.make_triad(session, made, schools[:3])
        visit_record(session, triad, schools[0])
        with pytest.raises(Conflict):
            collaboratives.delete(session, made.id, if_match=f'"{made.version}"', by=officer)


class TestPermissions:
    def test_only_officers_and_write_tokens_set_up_collaboratives(self, session, world, schools):
        lead = factories.make_user(session, world.ours, Role.viewer.value)
        made = factories.make_collaborative(session, world.ours, schools[:2], lead=lead)
        for user in (world.viewer, lead):
            by = accounts.principal_for(session, user, world.ours.id)
            with pytest.raises(Forbidden):
                collaboratives.create(session, new("Other"), by=by)
            with pytest.raises(Forbidden):
                collaboratives.update(session, made.id, CollaborativeUpdate(budget_pounds=1), if_match='"1"', by=by)
            with pytest.raises(Forbidden):
                collaboratives.delete(session, made.id, if_match='"1"', by=by)
            with pytest.raises(Forbidden):
                rollover.roll_forward(session, made.id, by=by)
            # ... but every member reads them.
            assert collaboratives.get(session, made.id, by=by).id == made.id
            assert collaboratives.page(session, ListFilters(), by=by).total == 1

    def test_another_partnerships_collaborative_is_not_found(self, session, world, officer):
        theirs = factories.make_collaborative(session, world.theirs, [world.their_school])
        for call in (lambda: collaboratives.get(session, theirs.id, by=officer),
                     lambda: collaboratives.update(session, theirs.id, CollaborativeUpdate(budget_pounds=1),
                                                   if_match='"1"', by=officer),
                     lambda: collaboratives.delete(session, theirs.id, if_match='"1"', by=officer),
                     lambda: rollover.roll_forward(session, theirs.id, by=officer)):
            with pytest.raises(NotFound):
                call()
        assert collaboratives.page(session, ListFilters(), by=officer).total == 0


class TestRollForward:
    def test_copies_the_collaborative_its_schools_and_triads_into_next_year(self, session, world, officer, schools):
        lead = factories.make_user(session, world.ours, Role.viewer.value)
        closed = factories.make_school(session, world.ours, status="closed", name="Old School")
        source = factories.make_collaborative(session, world.ours, [*schools, closed], lead=lead, budget_pounds=900,
                                              name="City primary")
        factories.make_triad(session, source, schools[:3], name="Triad A")
        factories.make_triad(session, source, [schools[3], closed], name="Triad B")

        result = rollover.roll_forward(session, source.id, by=officer)
        copy = result.collaborative
        assert (copy.name, copy.academic_year, copy.budget_pounds, copy.lead_user_id) == \
            ("City primary", "2026/27", 900, lead.id)
        assert [s.urn for s in collaboratives.view(session, copy).schools] == sorted(s.urn for s in schools)
        assert [t.name for t in result.triads] == ["Triad A"] and result.triads[0].academic_year == "2026/27"
        assert any("Old School" in w for w in result.warnings) and any("Triad B" in w for w in result.warnings)
        assert lead_grants(session, copy.id) == {lead.id} and lead_grants(session, source.id) == {lead.id}

        with pytest.raises(Conflict) as exc:
            rollover.roll_forward(session, source.id, by=officer)
        assert "2026/27" in exc.value.detail

    def test_the_lead_check_is_asked_again(self, session, world, officer, schools):
        lead = head_of(session, world, schools[0], overall_effectiveness=3)
        source = factories.make_collaborative(session, world.ours, schools[1:3], lead=lead)
        with pytest.raises(ValidationFailed) as exc:
            rollover.roll_forward(session, source.id, by=officer)
        assert set(refusal(exc)) == {"lead_override_reason"}
        copy = rollover.roll_forward(session, source.id, lead_override_reason="interim", by=officer)
        assert copy.collaborative.lead_override_reason == "interim"

    def test_a_school_already_placed_next_year_is_left_out(self, session, world, officer, schools):
        source = factories.make_collaborative(session, world.ours, schools[:2])
        factories.make_collaborative(session, world.ours, [schools[0]], academic_year="2026/27", name="Elsewhere")
        result = rollover.roll_forward(session, source.id, by=officer)
        assert [s.urn for s in collaboratives.view(session, result.collaborative).schools] == [schools[1].urn]
        assert any("Elsewhere" in w for w in result.warnings)


class TestList:
    def test_filters_by_year_id_and_urn(self, session, world, officer, schools):
        a = factories.make_collaborative(session, world.ours, schools[:2], academic_year="2024/25")
        b = factories.make_collaborative(session, world.ours, schools[2:], academic_year="2025/26")
        c = factories.make_collaborative(session, world.ours, schools[:2], academic_year="2025/26")

        def ids(**filters) -> list[int]:
            return [i.record.id for i in collaboratives.page(session, ListFilters(**filters), by=officer).items]

        assert ids() == [a.id, b.id, c.id]
        assert ids(academic_year=["2025/26"]) == [b.id, c.id]
        assert ids(collaborative_id=[c.id, a.id]) == [a.id, c.id]
        assert ids(urn=[schools[0].urn]) == [a.id, c.id]
        assert ids(urn=[schools[3].urn], academic_year=["2024/25"]) == []

    def test_pages_follow_the_cursor(self, session, world, officer):
        made = [factories.make_collaborative(session, world.ours, academic_year=year).id
                for year in ("2025/26", "2024/25", "2025/26", "2023/24", "2024/25")]
        seen, cursor = [], None
        while True:
            page = collaboratives.page(session, ListFilters(), limit=2, cursor=cursor, by=officer)
            assert page.total == 5
            seen += [i.record.id for i in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [made[3], made[1], made[4], made[0], made[2]]

    def test_a_page_costs_the_same_for_2_and_30_rows(self, session, world, officer, count_statements):
        def cost(rows: int) -> int:
            year = f"{2000 + rows}/{(2001 + rows) % 100:02d}"
            lead = factories.make_user(session, world.ours, Role.viewer.value)
            for _ in range(rows):
                factories.make_collaborative(session, world.ours, [factories.make_school(session, world.ours)
                                                                   for _ in range(3)], lead=lead, academic_year=year)
            with count_statements() as counted:
                page = collaboratives.page(session, ListFilters(academic_year=[year]), by=officer)
            assert len(page.items) == rows and all(len(i.schools) == 3 and i.lead_name for i in page.items)
            return counted.count

        assert cost(2) == cost(30) == 3


def test_a_blank_reason_is_stored_as_none(session, world, officer):
    made = collaboratives.create(session, new(lead_override_reason="  "), by=officer)
    assert made.lead_override_reason is None
    changed = collaboratives.update(session, made.id, CollaborativeUpdate(lead_override_reason=""), if_match='"1"',
                                    by=officer)
    assert changed.lead_override_reason is None and changed.version == 1
