"""The visit record's workflow (draft -> submitted -> signed_off, reopened to submitted with a
reason), who may take each step for each kind of visit, and the agreed actions beside it."""

from datetime import date, timedelta

import pytest

from app.errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired
from app.errors import ValidationFailed as Invalid
from app.models.visit import VisitActionCreate, VisitActionUpdate, VisitUpdate
from app.services import visit_actions, visits
from tests import factories
from tests import visit_setup as vs


@pytest.fixture
def net(session, world) -> vs.Network:
    return vs.network(session, world)


@pytest.fixture
def officer(world):
    return vs.officer(world.ours)


@pytest.fixture
def north_visit(session, net):
    """A triad review hosted by Ash in the north triad, ready to submit."""
    return factories.make_visit(session, net.ash, kind="triad_review", triad_id=net.north_triad.id, grade=2)


def move(session, visit, status: str, by, **extra):
    return visits.update(session, visit.id, VisitUpdate.model_validate({"status": status} | extra),
                         if_match=f'"{visit.version}"', by=by)


def fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e.field for e in exc.value.errors}


class TestTheWorkflow:
    def test_draft_submitted_signed_off_reopened_and_signed_off_again(self, session, net, world, north_visit):
        head, lead = vs.head(session, world.ours, net.ash), vs.lead(session, world.ours, net.north)
        assert north_visit.status == "draft" and north_visit.submitted_at is None
        move(session, north_visit, "submitted", head)
        assert north_visit.status == "submitted" and north_visit.submitted_at is not None
        assert (north_visit.version, north_visit.updated_by) == (2, "Hana Head")
        move(session, north_visit, "signed_off", lead)
        assert (north_visit.status, north_visit.signed_off_by) == ("signed_off", "Leo Lead")
        assert north_visit.signed_off_at is not None
        move(session, north_visit, "submitted", lead, reason="The grade missed the phonics evidence")
        assert north_visit.status == "submitted" and north_visit.signed_off_at is None
        assert north_visit.signed_off_by is None
        assert north_visit.reopen_reason == "The grade missed the phonics evidence"
        visits.update(session, north_visit.id, VisitUpdate(grade=3), if_match='"4"', by=head)
        move(session, north_visit, "signed_off", lead)
        assert north_visit.status == "signed_off" and north_visit.version == 6

    @pytest.mark.parametrize(("start", "to"), [("draft", "signed_off"), ("submitted", "draft"),
                                               ("signed_off", "draft")])
    def test_no_other_step_exists(self, session, net, officer, start, to):
        visit = factories.make_visit(session, net.oak, status=start, grade=1)
        with pytest.raises(Conflict) as exc:
            move(session, visit, to, officer, **({"reason": "x"} if start == "signed_off" else {}))
        assert fields(exc) == {"status"} and visit.status == start and visit.version == 1

    def test_the_same_status_is_no_step(self, session, net, officer):
        visit = factories.make_visit(session, net.oak, status="submitted")
        view = move(session, visit, "submitted", officer)
        assert view.visit.version == 1 and view.visit.status == "submitted"

    def test_reopening_needs_a_reason(self, session, net, officer):
        visit = factories.make_visit(session, net.oak, status="signed_off", grade=1)
        with pytest.raises(Invalid) as exc:
            move(session, visit, "submitted", officer)
        assert fields(exc) == {"reason"} and visit.status == "signed_off"

    def test_a_reason_only_goes_with_reopening(self, session, net, officer):
        visit = factories.make_visit(session, net.oak)
        with pytest.raises(Invalid) as exc:
            move(session, visit, "submitted", officer, reason="Because")
        assert fields(exc) == {"reason"} and visit.status == "draft"

    def test_a_status_changes_on_its_own(self, session, net, officer):
        visit = factories.make_visit(session, net.oak)
        with pytest.raises(Invalid) as exc:
            move(session, visit, "submitted", officer, strengths="Snuck in")
        assert fields(exc) == {"status"} and visit.strengths is None and visit.status == "draft"

    def test_submitting_needs_who_came_what_they_saw_and_a_visit_that_happened(self, session, net, officer):
        bare = factories.make_visit(session, net.oak, visiting_heads=[], focus_areas=[],
                                    visit_date=date.today() + timedelta(days=3))
        with pytest.raises(Invalid) as exc:
            move(session, bare, "submitted", officer)
        assert fields(exc) == {"visiting_heads", "focus_areas", "visit_date"} and bare.status == "draft"

    def test_signing_off_needs_a_grade(self, session, net, officer):
        visit = factories.make_visit(session, net.oak, status="submitted")
        with pytest.raises(Invalid) as exc:
            move(session, visit, "signed_off", officer)
        assert fields(exc) == {"grade"}

    def test_a_step_needs_the_current_version(self, session, net, officer, north_visit):
        with pytest.raises(PreconditionRequired):
            visits.update(session, north_visit.id, VisitUpdate(status="submitted"), if_match=None, by=officer)
        with pytest.raises(PreconditionFailed):
            visits.update(session, north_visit.id, VisitUpdate(status="submitted"), if_match='"9"', by=officer)
        assert north_visit.status == "draft"


class TestASignedOffRecordIsReadOnly:
    @pytest.fixture
    def signed(self, session, north_visit):
        action = factories.make_visit_action(session, north_visit)
        north_visit.status = "signed_off"
        session.flush()
        return north_visit, action

    def test_for_those_who_may_sign_off_it_is_409(self, session, net, world, officer, signed):
        visit, action = signed
        for person in (officer, vs.lead(session, world.ours, net.north)):
            tag = f'"{visit.version}"'
            with pytest.raises(Conflict):
                visits.update(session, visit.id, VisitUpdate(strengths="Late"), if_match=tag, by=person)
            with pytest.raises(Conflict):
                visits.update(session, visit.id, VisitUpdate(), if_match=tag, by=person)
            with pytest.raises(Conflict):
                visits.delete(session, visit.id, if_match=tag, by=person)
            with pytest.raises(Conflict):
                visit_actions.add(session, visit.id, VisitActionCreate(text="More"), by=person)
            with pytest.raises(Conflict):
                visit_actions.update(session, visit.id, action.id, VisitActionUpdate(status="done"),
                                     if_match='"1"', by=person)
            with pytest.raises(Conflict):
                visit_actions.delete(session, visit.id, action.id, if_match='"1"', by=person)
        assert (visit.strengths, action.status, visit.version) == (None, "open", 2)

    def test_the_host_headteacher_may_no_longer_change_it(self, session, net, world, signed):
        visit, action = signed
        head = vs.head(session, world.ours, net.ash)
        assert visits.get(session, visit.id, by=head).visit is visit
        with pytest.raises(Forbidden):
            visits.update(session, visit.id, VisitUpdate(strengths="Late"), if_match='"2"', by=head)
        with pytest.raises(Forbidden):
            move(session, visit, "submitted", head, reason="I disagree")
        with pytest.raises(Forbidden):
            visit_actions.add(session, visit.id, VisitActionCreate(text="More"), by=head)


class TestWhoSignsOff:
    def test_not_the_host_headteacher(self, session, net, world):
        visit = factories.make_visit(session, net.ash, kind="triad_review", triad_id=net.north_triad.id,
                                     status="submitted", grade=1)
        with pytest.raises(Forbidden):
            move(session, visit, "signed_off", vs.head(session, world.ours, net.ash))
        assert visit.status == "submitted"

    def test_a_lead_not_outside_their_collaborative(self, session, net, world):
        south_cedar = factories.make_visit(session, net.cedar, kind="triad_review", triad_id=net.south_triad.id,
                                           status="submitted", grade=1)
        south_elm = factories.make_visit(session, net.elm, kind="triad_review", triad_id=net.south_triad.id,
                                         status="submitted", grade=1)
        # The north lead, who also heads Cedar in the south triad: reads the south triad's visits,
        # edits Cedar's own as its head, and signs off neither.
        north_lead = vs.lead(session, world.ours, net.north, net.cedar)
        for visit in (south_cedar, south_elm):
            assert visits.get(session, visit.id, by=north_lead).visit is visit
            with pytest.raises(Forbidden):
                move(session, visit, "signed_off", north_lead)
        # A lead of the north alone does not see the south's visits at all.
        with pytest.raises(NotFound):
            move(session, south_elm, "signed_off", vs.lead(session, world.ours, net.north))
        move(session, south_elm, "signed_off", vs.lead(session, world.ours, net.south))
        assert (south_cedar.status, south_elm.status) == ("submitted", "signed_off")

    @pytest.mark.parametrize("kind", ["support_partner", "governance_review"])
    def test_a_visit_outside_the_triads_is_signed_off_by_an_officer_only(self, session, net, world, officer, kind):
        visit = factories.make_visit(session, net.ash, kind=kind, grade=2)
        head = vs.head(session, world.ours, net.ash)
        move(session, visit, "submitted", head)
        # The north lead heads Ash: they may edit its visit, not sign it off (it has no lead).
        for person in (head, vs.lead(session, world.ours, net.north, net.ash)):
            with pytest.raises(Forbidden):
                move(session, visit, "signed_off", person)
        move(session, visit, "signed_off", officer)
        assert visit.signed_off_by == "command line"
        with pytest.raises(Forbidden):
            move(session, visit, "submitted", vs.lead(session, world.ours, net.north, net.ash), reason="Wrong")
        move(session, visit, "submitted", officer, reason="Wrong school")
        assert visit.status == "submitted"

    def test_a_viewer_takes_no_step(self, session, net, world, north_visit):
        with pytest.raises(Forbidden):
            move(session, north_visit, "submitted", vs.viewer(session, world.ours))


class TestActions:
    def test_add_change_and_remove(self, session, net, world, north_visit):
        head = vs.head(session, world.ours, net.ash)
        action = visit_actions.add(session, north_visit.id, VisitActionCreate.model_validate(
            {"text": " Share the reading spine ", "owner": "Ann Ash", "due_on": "2026-02-27"}), by=head)
        assert (action.text, action.status, action.version, action.updated_by) == (
            "Share the reading spine", "open", 1, "Hana Head")
        assert [a.id for a in visits.get(session, north_visit.id, by=head).actions] == [action.id]
        visit_actions.update(session, north_visit.id, action.id, VisitActionUpdate(status="done"),
                             if_match='"1"', by=head)
        assert (action.status, action.version, action.owner) == ("done", 2, "Ann Ash")
        assert north_visit.version == 1  # the record's own ETag stays good
        visit_actions.delete(session, north_visit.id, action.id, if_match='"2"', by=head)
        assert visits.get(session, north_visit.id, by=head).actions == []

    def test_changes_need_the_actions_own_version(self, session, net, officer, north_visit):
        action = factories.make_visit_action(session, north_visit)
        with pytest.raises(PreconditionRequired):
            visit_actions.update(session, north_visit.id, action.id, VisitActionUpdate(status="done"),
                                 if_match=None, by=officer)
        with pytest.raises(PreconditionFailed):
            visit_actions.delete(session, north_visit.id, action.id, if_match='"2"', by=officer)
        with pytest.raises(Invalid) as exc:
            visit_actions.update(session, north_visit.id, action.id, VisitActionUpdate(text=None, status=None),
                                 if_match='"1"', by=officer)
        assert fields(exc) == {"text", "status"}

    def test_an_action_of_another_visit_is_404(self, session, net, officer, north_visit):
        other = factories.make_visit_action(session, factories.make_visit(session, net.oak))
        with pytest.raises(NotFound):
            visit_actions.get(session, north_visit.id, other.id, by=officer)
        with pytest.raises(NotFound):
            visit_actions.update(session, north_visit.id, other.id, VisitActionUpdate(status="done"),
                                 if_match='"1"', by=officer)

    def test_only_those_who_edit_the_record_change_its_actions(self, session, net, world, north_visit):
        action = factories.make_visit_action(session, north_visit)
        beech_head = vs.head(session, world.ours, net.beech)  # same triad: reads, may not change
        assert visit_actions.get(session, north_visit.id, action.id, by=beech_head) is action
        for attempt in (
            lambda by: visit_actions.add(session, north_visit.id, VisitActionCreate(text="x"), by=by),
            lambda by: visit_actions.update(session, north_visit.id, action.id, VisitActionUpdate(status="done"),
                                            if_match='"1"', by=by),
            lambda by: visit_actions.delete(session, north_visit.id, action.id, if_match='"1"', by=by),
        ):
            for person in (beech_head, vs.viewer(session, world.ours)):
                with pytest.raises(Forbidden):
                    attempt(person)
            with pytest.raises(NotFound):
                attempt(vs.head(session, world.ours, net.cedar))  # another triad: hidden
        assert action.status == "open"
