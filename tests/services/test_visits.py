"""Visit records in the service: creating each kind, the rules on their fields, who may read and
change which, paging and filtering, and deleting."""

from datetime import date

import pytest

from app.errors import BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired
from app.errors import ValidationFailed as Invalid
from app.models.visit import FocusArea, SchoolVisitCreate, TriadVisitCreate, VisitingHead, VisitUpdate
from app.services import partnerships, visits
from app.services.visits import VisitFilters
from tests import factories
from tests import visit_setup as vs


def fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e.field for e in exc.value.errors}


@pytest.fixture
def net(session, world) -> vs.Network:
    return vs.network(session, world)


@pytest.fixture
def officer(world):
    return vs.officer(world.ours)


def triad_visit(**overrides) -> TriadVisitCreate:
    values = {"urn": "", "visit_date": date(2025, 11, 12), "visiting_heads": [{"name": "Ann Ash"}],
              "focus_areas": [{"area": "reading", "self_evaluation": "Secure", "peer_view": "Secure in KS1"}]}
    return TriadVisitCreate.model_validate(values | overrides)


def school_visit(kind: str = "support_partner", **overrides) -> SchoolVisitCreate:
    return SchoolVisitCreate.model_validate({"kind": kind, "visit_date": "2025-11-20"} | overrides)


def edit(**changes) -> VisitUpdate:
    return VisitUpdate.model_validate(changes)


class TestCreating:
    def test_a_triad_review_hosted_by_a_member(self, session, net, officer):
        data = triad_visit(urn=net.ash.urn, strengths="Reading culture", grade=2,
                           visiting_heads=[{"name": "Ann Alder", "urn": net.alder.urn}, {"name": " Bo Beech "}],
                           focus_areas=[{"area": "READING", "self_evaluation": "Good", "peer_view": "Good"},
                                        {"area": "send"}])
        view = visits.create_for_triad(session, net.north_triad.id, data, by=officer)
        visit = view.visit
        assert (visit.kind, visit.status, visit.triad_id, visit.school_id) == (
            "triad_review", "draft", net.north_triad.id, net.ash.id)
        assert visit.academic_year == "2025/26" and visit.version == 1 and visit.updated_by == "command line"
        assert visit.visiting_heads == [{"name": "Ann Alder", "urn": net.alder.urn}, {"name": "Bo Beech", "urn": None}]
        # Named as the partnership spells them, whatever the case sent.
        assert [a["area"] for a in visit.focus_areas] == ["reading", "SEND"]
        assert visit.focus_areas[1] == {"area": "SEND", "self_evaluation": None, "peer_view": None}
        assert (view.urn, view.grade_label) == (net.ash.urn, "Secure, with areas to develop")

    def test_the_host_must_be_a_member_of_the_triad(self, session, net, officer, world):
        for urn in (net.cedar.urn, net.oak.urn, world.their_school.urn, "999999"):
            with pytest.raises(Invalid) as exc:
                visits.create_for_triad(session, net.north_triad.id, triad_visit(urn=urn), by=officer)
            assert fields(exc) == {"urn"}, urn

    def test_another_partnerships_triad_is_404(self, session, world, officer):
        theirs = vs.triad(session, vs.collaborative(session, world.theirs), [world.their_school])
        with pytest.raises(NotFound):
            visits.create_for_triad(session, theirs.id, triad_visit(urn=world.their_school.urn), by=officer)
        with pytest.raises(NotFound):
            visits.get_triad(session, theirs.id, by=officer)

    def test_a_triad_visit_falls_in_the_triads_year(self, session, net, officer):
        with pytest.raises(Invalid) as exc:
            visits.create_for_triad(session, net.north_triad.id,
                                    triad_visit(urn=net.ash.urn, visit_date=date(2026, 9, 2)), by=officer)
        assert fields(exc) == {"visit_date"} and "2025/26" in exc.value.errors[0].message

    def test_a_governing_bodys_review_looks_at_governance_unless_told(self, session, net, officer):
        view = visits.create_for_school(session, net.oak, school_visit("governance_review"), by=officer)
        assert view.visit.focus_areas == [{"area": "governance", "self_evaluation": None, "peer_view": None}]
        assert view.visit.triad_id is None and view.visit.kind == "governance_review"
        chosen = visits.create_for_school(session, net.oak, school_visit(
            "governance_review", focus_areas=[{"area": "attendance"}]), by=officer)
        assert [a["area"] for a in chosen.visit.focus_areas] == ["attendance"]
        support = visits.create_for_school(session, net.oak, school_visit(), by=officer)
        assert support.visit.focus_areas == [] and support.visit.kind == "support_partner"

    def test_governance_stays_open_to_a_governance_review_when_the_list_drops_it(self, session, net, officer, world):
        partnerships.current(session, by=officer).focus_areas = ["reading", "phonics"]
        view = visits.create_for_school(session, net.oak, school_visit("governance_review"), by=officer)
        assert [a["area"] for a in view.visit.focus_areas] == ["governance"]
        with pytest.raises(Invalid) as exc:
            visits.create_for_school(session, net.oak, school_visit(focus_areas=[{"area": "governance"}]), by=officer)
        assert fields(exc) == {"focus_areas.0.area"}

    def test_focus_areas_come_from_the_partnerships_list_once_each(self, session, net, officer):
        data = school_visit(focus_areas=[{"area": "reading"}, {"area": "astrology"}, {"area": "Reading"}])
        with pytest.raises(Invalid) as exc:
            visits.create_for_school(session, net.oak, data, by=officer)
        assert fields(exc) == {"focus_areas.1.area", "focus_areas.2.area"}
        assert "phonics" in exc.value.errors[0].message

    def test_visiting_heads_schools_are_in_the_partnership(self, session, net, officer, world):
        data = school_visit(visiting_heads=[{"name": "Ann", "urn": net.ash.urn}, {"name": "Bo", "urn": "999999"},
                                            {"name": "Cy", "urn": world.their_school.urn}])
        with pytest.raises(Invalid) as exc:
            visits.create_for_school(session, net.oak, data, by=officer)
        assert fields(exc) == {"visiting_heads.1.urn", "visiting_heads.2.urn"}

    def test_the_grade_is_on_the_partnerships_scale(self, session, net, officer):
        with pytest.raises(Invalid) as exc:
            visits.create_for_school(session, net.oak, school_visit(grade=4), by=officer)
        assert fields(exc) == {"grade"} and "1 to 3" in exc.value.errors[0].message
        partnerships.current(session, by=officer).grade_labels = ["Leading", "Strong", "Secure", "Support"]
        view = visits.create_for_school(session, net.oak, school_visit(grade=4), by=officer)
        assert view.grade_label == "Support"


class TestWhoMayDoWhat:
    def test_a_headteacher_records_visits_their_school_hosts_only(self, session, net, world):
        ash_head = vs.head(session, world.ours, net.ash)
        view = visits.create_for_triad(session, net.north_triad.id, triad_visit(urn=net.ash.urn), by=ash_head)
        assert view.visit.updated_by == "Hana Head"
        with pytest.raises(Forbidden):
            visits.create_for_triad(session, net.north_triad.id, triad_visit(urn=net.beech.urn), by=ash_head)
        with pytest.raises(Forbidden):
            visits.create_for_school(session, net.oak, school_visit(), by=ash_head)

    def test_a_headteacher_cannot_change_another_schools_visit(self, session, net, world):
        ash_head = vs.head(session, world.ours, net.ash)
        beech_visit = factories.make_visit(session, net.beech, kind="triad_review", triad_id=net.north_triad.id)
        south_visit = factories.make_visit(session, net.cedar, kind="triad_review", triad_id=net.south_triad.id)
        # Their own triad's visit: readable, not theirs to change.
        assert visits.get(session, beech_visit.id, by=ash_head).visit is beech_visit
        with pytest.raises(Forbidden):
            visits.update(session, beech_visit.id, edit(strengths="Mine now"), if_match='"1"', by=ash_head)
        with pytest.raises(Forbidden):
            visits.delete(session, beech_visit.id, if_match='"1"', by=ash_head)
        # Another triad's visit: not even there.
        for attempt in (lambda: visits.get(session, south_visit.id, by=ash_head),
                        lambda: visits.update(session, south_visit.id, edit(strengths="x"), if_match='"1"',
                                              by=ash_head)):
            with pytest.raises(NotFound):
                attempt()
        assert beech_visit.strengths is None and beech_visit.version == 1

    def test_a_headteacher_edits_their_schools_visit(self, session, net, world):
        ash_visit = factories.make_visit(session, net.ash, kind="triad_review", triad_id=net.north_triad.id)
        view = visits.update(session, ash_visit.id, edit(strengths="Phonics"), if_match='"1"',
                             by=vs.head(session, world.ours, net.ash))
        assert view.visit.strengths == "Phonics" and view.visit.version == 2 and view.visit.updated_by == "Hana Head"

    def test_a_viewer_reads_everything_and_changes_nothing(self, session, net, world):
        viewer = vs.viewer(session, world.ours)
        visit = factories.make_visit(session, net.cedar, kind="triad_review", triad_id=net.south_triad.id)
        assert visits.get(session, visit.id, by=viewer).visit is visit
        with pytest.raises(Forbidden):
            visits.update(session, visit.id, edit(strengths="x"), if_match='"1"', by=viewer)
        with pytest.raises(Forbidden):
            visits.delete(session, visit.id, if_match='"1"', by=viewer)
        with pytest.raises(Forbidden):
            visits.create_for_school(session, net.oak, school_visit(), by=viewer)
        with pytest.raises(Forbidden):
            visits.create_for_triad(session, net.south_triad.id, triad_visit(urn=net.cedar.urn), by=viewer)

    def test_a_lead_sees_and_edits_their_collaboratives_visits_only(self, session, net, world):
        north_lead = vs.lead(session, world.ours, net.north)
        north = factories.make_visit(session, net.beech, kind="triad_review", triad_id=net.north_triad.id)
        south = factories.make_visit(session, net.elm, kind="triad_review", triad_id=net.south_triad.id)
        support = factories.make_visit(session, net.ash)
        view = visits.update(session, north.id, edit(grade=1), if_match='"1"', by=north_lead)
        assert view.grade_label == "Strong"
        for hidden in (south, support):
            with pytest.raises(NotFound):
                visits.get(session, hidden.id, by=north_lead)
        listed = visits.page(session, VisitFilters(), by=north_lead)
        assert [v.visit.id for v in listed.views] == [north.id] and listed.total == 1
        created = visits.create_for_triad(session, net.north_triad.id, triad_visit(urn=net.alder.urn), by=north_lead)
        assert created.collaborative_id == net.north.id
        with pytest.raises(Forbidden):
            visits.create_for_triad(session, net.south_triad.id, triad_visit(urn=net.cedar.urn), by=north_lead)

    def test_what_a_headteacher_lists(self, session, net, world):
        mine = factories.make_visit(session, net.ash)  # a support partner's visit to their school
        triad_mate = factories.make_visit(session, net.beech, kind="triad_review", triad_id=net.north_triad.id)
        factories.make_visit(session, net.cedar, kind="triad_review", triad_id=net.south_triad.id)
        factories.make_visit(session, net.beech)  # a support visit to a triad mate: not theirs
        listed = visits.page(session, VisitFilters(), by=vs.head(session, world.ours, net.ash))
        assert {v.visit.id for v in listed.views} == {mine.id, triad_mate.id} and listed.total == 2
        assert visits.page(session, VisitFilters(), by=vs.head(session, world.ours, net.oak)).views == []

    def test_another_partnerships_visit_is_404(self, session, world, officer):
        theirs = factories.make_visit(session, world.their_school)
        with pytest.raises(NotFound):
            visits.get(session, theirs.id, by=officer)
        with pytest.raises(NotFound):
            visits.delete(session, theirs.id, if_match='"1"', by=officer)
        assert visits.page(session, VisitFilters(), by=officer).total == 0


class TestChanging:
    def test_changes_need_the_current_version(self, session, net, officer):
        visit = factories.make_visit(session, net.oak)
        with pytest.raises(PreconditionRequired):
            visits.update(session, visit.id, edit(strengths="x"), if_match=None, by=officer)
        with pytest.raises(PreconditionFailed):
            visits.update(session, visit.id, edit(strengths="x"), if_match='"2"', by=officer)
        with pytest.raises(PreconditionFailed):
            visits.delete(session, visit.id, if_match='"2"', by=officer)
        assert visit.version == 1

    def test_only_the_fields_sent_change_and_nothing_sent_changes_nothing(self, session, net, officer):
        visit = factories.make_visit(session, net.oak, strengths="Kept")
        view = visits.update(session, visit.id, edit(areas_for_development="Maths"), if_match='"1"', by=officer)
        assert (visit.strengths, visit.areas_for_development, view.visit.version) == ("Kept", "Maths", 2)
        visits.update(session, visit.id, edit(areas_for_development="Maths"), if_match='"2"', by=officer)
        assert visit.version == 2

    def test_required_fields_cannot_be_emptied(self, session, net, officer):
        visit = factories.make_visit(session, net.oak)
        with pytest.raises(Invalid) as exc:
            visits.update(session, visit.id, edit(visit_date=None, focus_areas=None, visiting_heads=None),
                          if_match='"1"', by=officer)
        assert fields(exc) == {"visit_date", "focus_areas", "visiting_heads"}

    def test_an_area_the_record_has_stays_allowed_after_the_list_drops_it(self, session, net, officer):
        visit = factories.make_visit(session, net.oak)  # focus area: reading
        partnerships.current(session, by=officer).focus_areas = ["phonics"]
        view = visits.update(session, visit.id, edit(focus_areas=[
            FocusArea(area="reading", peer_view="Better"), FocusArea(area="phonics")]), if_match='"1"', by=officer)
        assert [a["area"] for a in view.visit.focus_areas] == ["reading", "phonics"]

    def test_moving_a_triad_visit_out_of_the_triads_year_is_refused(self, session, net, officer):
        visit = factories.make_visit(session, net.ash, kind="triad_review", triad_id=net.north_triad.id)
        with pytest.raises(Invalid) as exc:
            visits.update(session, visit.id, edit(visit_date="2024-10-01"), if_match='"1"', by=officer)
        assert fields(exc) == {"visit_date"}
        view = visits.update(session, visit.id, edit(visit_date="2026-06-30"), if_match='"1"', by=officer)
        assert view.visit.academic_year == "2025/26"

    def test_a_reason_belongs_to_reopening(self, session, net, officer):
        visit = factories.make_visit(session, net.oak)
        with pytest.raises(Invalid) as exc:
            visits.update(session, visit.id, edit(reason="Because"), if_match='"1"', by=officer)
        assert fields(exc) == {"reason"}

    def test_heads_are_checked_on_change_too(self, session, net, officer, world):
        visit = factories.make_visit(session, net.oak)
        with pytest.raises(Invalid) as exc:
            visits.update(session, visit.id, edit(visiting_heads=[VisitingHead(name="X", urn=world.their_school.urn)]),
                          if_match='"1"', by=officer)
        assert fields(exc) == {"visiting_heads.0.urn"}


class TestDeleting:
    def test_whoever_edits_a_draft_may_delete_it_with_its_actions(self, session, net, world):
        visit = factories.make_visit(session, net.ash, kind="triad_review", triad_id=net.north_triad.id)
        factories.make_visit_action(session, visit)
        visits.delete(session, visit.id, if_match='"1"', by=vs.head(session, world.ours, net.ash))
        with pytest.raises(NotFound):
            visits.get(session, visit.id, by=vs.officer(world.ours))

    def test_once_submitted_only_an_officer_deletes(self, session, net, world, officer):
        visit = factories.make_visit(session, net.ash, kind="triad_review", triad_id=net.north_triad.id,
                                     status="submitted")
        for person in (vs.head(session, world.ours, net.ash), vs.lead(session, world.ours, net.north)):
            with pytest.raises(Forbidden):
                visits.delete(session, visit.id, if_match='"1"', by=person)
        visits.delete(session, visit.id, if_match='"1"', by=officer)

    def test_a_signed_off_record_is_not_deleted(self, session, net, officer):
        visit = factories.make_visit(session, net.oak, status="signed_off", grade=1)
        with pytest.raises(Conflict):
            visits.delete(session, visit.id, if_match='"1"', by=officer)


class TestListing:
    @pytest.fixture
    def spread(self, session, net):
        return {
            "a": factories.make_visit(session, net.ash, kind="triad_review", triad_id=net.north_triad.id,
                                      visit_date=date(2025, 10, 1)),
            "b": factories.make_visit(session, net.cedar, kind="triad_review", triad_id=net.south_triad.id,
                                      visit_date=date(2026, 3, 5), status="submitted"),
            "c": factories.make_visit(session, net.oak, kind="governance_review", visit_date=date(2024, 11, 1)),
            "d": factories.make_visit(session, net.oak, visit_date=date(2026, 3, 5), status="signed_off"),
        }

    def ids(self, session, officer, **filters) -> list[int]:
        return [v.visit.id for v in visits.page(session, VisitFilters(**filters), by=officer).views]

    def test_newest_first_then_by_filter(self, session, officer, net, spread):
        a, b, c, d = (spread[k].id for k in "abcd")
        assert self.ids(session, officer) == [d, b, a, c]
        assert self.ids(session, officer, kind=["triad_review"]) == [b, a]
        assert self.ids(session, officer, kind=["governance_review", "support_partner"]) == [d, c]
        assert self.ids(session, officer, urn=[net.oak.urn]) == [d, c]
        assert self.ids(session, officer, academic_year=["2025/26"]) == [d, b, a]
        assert self.ids(session, officer, academic_year=["2024/25", "2019/20"]) == [c]
        assert self.ids(session, officer, status=["submitted", "signed_off"]) == [d, b]
        assert self.ids(session, officer, triad_id=[net.north_triad.id]) == [a]
        assert self.ids(session, officer, urn=["999999"]) == []

    def test_pages_follow_the_cursor(self, session, officer, spread):
        seen, cursor, totals = [], None, set()
        while True:
            result = visits.page(session, VisitFilters(), limit=1, cursor=cursor, by=officer)
            seen += [v.visit.id for v in result.views]
            totals.add(result.total)
            cursor = result.next_cursor
            if cursor is None:
                break
        assert seen == self.ids(session, officer) and totals == {4}

    def test_each_visit_carries_its_actions_and_grade_label(self, session, officer, spread):
        first = factories.make_visit_action(session, spread["a"], text="First")
        second = factories.make_visit_action(session, spread["a"], text="Second")
        spread["a"].grade = 3
        by_id = {v.visit.id: v for v in visits.page(session, VisitFilters(), by=officer).views}
        assert by_id[spread["a"].id].actions == [first, second] and by_id[spread["b"].id].actions == []
        assert by_id[spread["a"].id].grade_label == "Needs support"

    @pytest.mark.parametrize("cursor", ["nonsense", "WyItdmlzaXRfZGF0ZSIsIm5vdCBhIGRhdGUiLDFd"])
    def test_a_cursor_not_issued_here_is_400(self, session, officer, cursor):
        with pytest.raises(BadRequest) as exc:
            visits.page(session, VisitFilters(), cursor=cursor, by=officer)
        assert fields(exc) == {"cursor"}

    def test_an_unknown_kind_is_400(self, session, officer):
        with pytest.raises(BadRequest):
            visits.page(session, VisitFilters(kind=["picnic"]), by=officer)
