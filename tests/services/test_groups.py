"""Groups of schools and their dashboards: members from a list, a trust or a collaborative; targets
and their progress; stages on the route map; the weighted figures on known data, with every school
left out named; permissions, tenancy, the audit trail and a constant number of statements."""

from datetime import date

import pytest
from sqlalchemy import select

from app.db import all_tenants
from app.errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
from app.models.account import Role
from app.models.audit import AuditEvent
from app.models.flag import FlagStamp
from app.models.group import GroupTarget, SchoolGroup
from app.models.group_api import GroupCreate, GroupUpdate, RouteMapUpdate
from app.services import group_dashboard, group_route_map, groups
from app.services.group_dashboard import weighted
from tests import factories, flag_setup
from tests.support_setup import make_deployment

YEAR = "2025/26"


@pytest.fixture
def officer(session, world):
    return flag_setup.principal(session, world.ours)


@pytest.fixture
def viewer(session, world):
    return flag_setup.principal(session, world.ours, Role.viewer.value)


def errors_of(exc) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def make(session, officer, schools=(), **fields):
    data = {"name": "Rother Alliance", "kind": "alliance", "schools": [s.urn for s in schools]} | fields
    return groups.create(session, GroupCreate.model_validate(data), by=officer)


class TestWeighting:
    def test_two_schools_weighted_by_their_pupils(self):
        assert weighted([(50.0, 100), (70.0, 300)]) == (65.0, 2, 400)

    def test_schools_without_pupils_carry_no_weight_and_none_is_null(self):
        assert weighted([(50.0, 100), (90.0, None), (10.0, 0)]) == (50.0, 1, 100)
        assert weighted([(90.0, None)]) == (None, 0, 0)
        assert weighted([]) == (None, 0, 0)


class TestDashboard:
    def test_known_data_weighted_and_the_school_left_out_named(self, session, world, officer):
        a = factories.make_school(session, world.ours, name="Ashdown Primary", pupils=100)
        b = factories.make_school(session, world.ours, name="Bexhill Primary", pupils=300)
        c = factories.make_school(session, world.ours, name="Camber Primary", pupils=None)
        d = factories.make_school(session, world.ours, name="Ditchling Primary", pupils=250)
        for school, value in ((a, 50.0), (b, 70.0), (c, 99.0)):
            factories.make_indicator(session, school, measure="attainment", academic_year=YEAR, value=value)
        # A second source for Bexhill, recorded earlier: the later one stands.
        factories.make_indicator(session, b, measure="attainment", academic_year=YEAR, value=10.0, source="LA",
                                 recorded_on=date(2026, 1, 1))
        flag_setup.national(session, world.ours, "attainment", 61.0, YEAR)
        group = make(session, officer, [a, b, c, d])
        board = group_dashboard.dashboard(session, group.group.id, year=YEAR, by=officer)
        row = next(r for r in board.figures if r.measure == "attainment")
        assert (row.group, row.schools_counted, row.pupils_counted) == (65.0, 2, 400)
        assert {(x.name, x.reason) for x in row.left_out} == {("Camber Primary", "no_pupils"),
                                                               ("Ditchling Primary", "no_figure")}
        assert row.national == 61.0
        # The partnership: these four and the world's school (no attainment figure): the same 65,
        # Camber counted as left out for want of pupils.
        assert (row.partnership, row.partnership_schools_counted, row.partnership_schools_left_out) == (65.0, 2, 1)

    def test_the_partnership_figure_counts_schools_outside_the_group(self, session, world, officer):
        a = factories.make_school(session, world.ours, pupils=100)
        outside = factories.make_school(session, world.ours, pupils=100)
        factories.make_indicator(session, a, measure="absence", academic_year=YEAR, value=4.0)
        factories.make_indicator(session, outside, measure="absence", academic_year=YEAR, value=8.0)
        factories.make_indicator(session, world.their_school, measure="absence", academic_year=YEAR, value=90.0)
        group = make(session, officer, [a])
        row = next(r for r in group_dashboard.dashboard(session, group.group.id, year=YEAR, by=officer).figures
                   if r.measure == "absence")
        assert (row.group, row.partnership) == (4.0, 6.0)

    def test_an_empty_group_is_a_dashboard_of_nulls(self, session, world, officer):
        factories.make_indicator(session, world.our_school, measure="absence", academic_year=YEAR, value=5.0)
        group = make(session, officer, [], kind="named", name="Nobody yet")
        board = group_dashboard.dashboard(session, group.group.id, year=YEAR, by=officer)
        assert board.members == [] and board.flags == [] and board.support == []
        row = board.figures[0]
        assert (row.measure, row.group, row.schools_counted, row.left_out, row.partnership) == \
            ("absence", None, 0, [], 5.0)

    def test_without_a_year_the_latest_with_its_schools_figures(self, session, world, officer):
        current = world.ours.current_academic_year
        a = factories.make_school(session, world.ours, pupils=100)
        factories.make_indicator(session, a, measure="absence", academic_year="2023/24", value=6.0)
        factories.make_indicator(session, a, measure="absence", academic_year=YEAR, value=5.0)
        factories.make_indicator(session, a, measure="absence", academic_year="2031/32", value=1.0)  # not yet
        factories.make_indicator(session, a, measure="acting_head", academic_year="2030/31", value=1.0)  # a marker
        assert YEAR < current < "2030/31"
        other = factories.make_school(session, world.ours, pupils=100)
        factories.make_indicator(session, other, measure="absence", academic_year=current, value=3.0)  # not a member
        board = group_dashboard.dashboard(session, make(session, officer, [a]).group.id, by=officer)
        assert board.academic_year == YEAR
        assert next(r.group for r in board.figures if r.measure == "absence") == 5.0
        empty = make(session, officer, [], kind="named", name="Nobody yet")
        assert group_dashboard.dashboard(session, empty.group.id, by=officer).academic_year == current

    def test_the_partnership_figure_is_kept_until_its_schools_figures_change(self, session, world, officer,
                                                                              monkeypatch):
        """A read-only session keeps the partnership's figure by the flag stamp; a new figure moves the
        stamp (a database trigger, at commit on PostgreSQL), and the next read works it out again."""
        a = factories.make_school(session, world.ours, pupils=100)
        factories.make_indicator(session, a, measure="absence", academic_year=YEAR, value=4.0)
        group = make(session, officer, [a])
        worked = []
        real = group_dashboard._partnership_figures
        monkeypatch.setattr(group_dashboard, "_partnership_figures",
                            lambda s, y: worked.append(y) or real(s, y))

        def partnership_absence() -> float:
            board = group_dashboard.dashboard(session, group.group.id, year=YEAR, by=officer)
            return next(r.partnership for r in board.figures if r.measure == "absence")

        session.info["read_only"] = True
        group_dashboard.clear_kept()
        try:
            assert partnership_absence() == 4.0 and partnership_absence() == 4.0
            assert worked == [YEAR], "worked out once, then kept"
            b = factories.make_school(session, world.ours, pupils=100)
            factories.make_indicator(session, b, measure="absence", academic_year=YEAR, value=8.0)
            # What the commit does on PostgreSQL (SQLite's trigger has moved it already): the stamp moves.
            stamp = session.get(FlagStamp, world.ours.id) or FlagStamp(partnership_id=world.ours.id)
            stamp.changed += 1
            session.add(stamp)
            session.flush()
            assert partnership_absence() == 6.0
            assert worked == [YEAR, YEAR]
        finally:
            session.info.pop("read_only")
            group_dashboard.clear_kept()

    def test_markers_are_not_weighted(self, session, world, officer):
        factories.make_indicator(session, world.our_school, measure="acting_head", academic_year=YEAR, value=1.0)
        group = make(session, officer, [world.our_school])
        board = group_dashboard.dashboard(session, group.group.id, year=YEAR, by=officer)
        assert [r.measure for r in board.figures] == []

    def test_flags_and_support_of_the_year(self, session, world, officer):
        a = factories.make_school(session, world.ours, name="Ashdown Primary")
        flag_setup.manual(session, a, severity="red", reason="Head resigned")
        make_deployment(session, a, academic_year=YEAR)
        make_deployment(session, a, academic_year="2024/25", objective="Last year's")
        make_deployment(session, world.our_school, academic_year=YEAR)  # not in the group
        group = make(session, officer, [a])
        board = group_dashboard.dashboard(session, group.group.id, year=YEAR, by=officer)
        assert [(f.member.name, f.flag.severity, f.flag.reason) for f in board.flags] == \
            [("Ashdown Primary", "red", "Head resigned")]
        assert [s.name for s in board.support] == ["Ashdown Primary"] and board.flag_count("red") == 1

    def test_a_headteacher_sees_only_their_own_schools_flags(self, session, world):
        a = factories.make_school(session, world.ours)
        b = factories.make_school(session, world.ours)
        for school in (a, b):
            flag_setup.manual(session, school)
        group = make(session, flag_setup.principal(session, world.ours), [a, b])
        head = flag_setup.principal(session, world.ours, Role.headteacher.value, school=a)
        board = group_dashboard.dashboard(session, group.group.id, year=YEAR, by=head)
        assert [f.member.id for f in board.flags] == [a.id] and board.flags_of_every_school is False

    def test_a_bad_year_is_refused(self, session, world, officer):
        group = make(session, officer, [])
        with pytest.raises(Exception) as exc:
            group_dashboard.dashboard(session, group.group.id, year="2025/27", by=officer)
        assert exc.value.status_code == 400

    def test_the_same_statements_for_3_and_30_schools(self, session, world, officer, count_statements):
        counts = []
        for size in (3, 30):
            schools = [factories.make_school(session, world.ours, pupils=100 + n) for n in range(size)]
            for school in schools:
                factories.make_indicator(session, school, measure="attainment", academic_year=YEAR, value=60.0)
                flag_setup.manual(session, school)
                make_deployment(session, school, academic_year=YEAR)
            group = make(session, officer, schools, name=f"Group of {size}",
                         targets=[{"measure": "m", "baseline": 1, "target": 2, "target_on": "2027-07-31"}])
            session.expire_all()
            with count_statements() as counter:
                board = group_dashboard.dashboard(session, group.group.id, year=YEAR, by=officer)
            assert len(board.members) == size and len(board.flags) == size
            counts.append(counter.count)
        assert counts[0] == counts[1] and counts[0] <= 24, counts  # 22 today: half of them the flags' reads


class TestGroups:
    def test_made_from_a_trust_takes_its_open_schools(self, session, world, officer):
        a = factories.make_school(session, world.ours, trust_name="Downs Learning Trust")
        factories.make_school(session, world.ours, trust_name="Downs Learning Trust", status="closed")
        factories.make_school(session, world.theirs, trust_name="Downs Learning Trust")
        view = groups.create(session, GroupCreate(name="Downs", kind="trust", trust_name="Downs Learning Trust"),
                             by=officer)
        assert [s.urn for s in view.schools] == [a.urn]
        assert [t.trust_name for t in groups.trust_names(session, by=officer)] == ["Downs Learning Trust"]

    def test_a_trust_with_no_open_school_is_422_on_trust_name(self, session, world, officer):
        with pytest.raises(ValidationFailed) as exc:
            groups.create(session, GroupCreate(name="X", kind="trust", trust_name="Nobody's Trust"), by=officer)
        assert "trust_name" in errors_of(exc)

    def test_made_from_a_collaborative(self, session, world, officer):
        a, b = (factories.make_school(session, world.ours) for _ in range(2))
        collaborative = factories.make_collaborative(session, world.ours, [a, b])
        view = groups.create(session, GroupCreate(name="C", kind="collaborative", collaborative_id=collaborative.id),
                             by=officer)
        assert sorted(s.urn for s in view.schools) == sorted([a.urn, b.urn])
        their = factories.make_collaborative(session, world.theirs, [world.their_school])
        with pytest.raises(ValidationFailed) as exc:
            groups.create(session, GroupCreate(name="D", kind="collaborative", collaborative_id=their.id), by=officer)
        assert "collaborative_id" in errors_of(exc)

    def test_a_urn_outside_the_partnership_is_named(self, session, world, officer):
        with pytest.raises(ValidationFailed) as exc:
            make(session, officer, [world.our_school, world.their_school])
        assert list(errors_of(exc)) == ["schools.1"]

    def test_a_taken_name_is_a_conflict(self, session, world, officer):
        make(session, officer, [])
        with pytest.raises(Conflict):
            make(session, officer, [])

    def test_targets_progress_and_replacement(self, session, world, officer):
        view = make(session, officer, [], targets=[
            {"measure": "Reading at the expected standard (%)", "baseline": 60, "target": 80,
             "target_on": "2027-07-31", "latest_value": 70, "latest_on": "2026-07-15"},
            {"measure": "Persistent absence (%)", "baseline": 20, "target": 15, "target_on": "2024-07-31",
             "latest_value": 22, "latest_on": "2024-07-15"}])
        reading, absence = view.targets
        assert groups.progress(reading, date(2026, 11, 26)) == groups.Progress(50.0, "in_progress", False)
        assert groups.progress(absence, date(2026, 11, 26)) == groups.Progress(-40.0, "moved_away", True)
        changed = groups.update(session, view.group.id, GroupUpdate.model_validate({"targets": [
            {"id": reading.id, "measure": reading.measure, "baseline": 60, "target": 80, "target_on": "2027-07-31",
             "latest_value": 81, "latest_on": "2026-11-01"}]}), if_match='"1"', by=officer)
        assert [(t.id, t.latest_value) for t in changed.targets] == [(reading.id, 81.0)]
        assert groups.progress(changed.targets[0]).status == "met" and changed.group.version == 2
        with all_tenants(session):
            assert session.scalars(select(GroupTarget.id)).all() == [reading.id]

    def test_target_rules(self, session, world, officer):
        with pytest.raises(ValidationFailed) as exc:
            make(session, officer, [], targets=[{"measure": "m", "baseline": 5, "target": 5, "target_on": "2027-01-01"},
                                                 {"id": 7, "measure": "m", "baseline": 5, "target": 6,
                                                  "target_on": "2027-01-01", "latest_value": 5}])
        assert set(errors_of(exc)) == {"targets.0.target", "targets.1.id", "targets.1.latest_on"}

    def test_stages_kept_with_their_dates(self, session, world, officer):
        view = make(session, officer, [], stage={"stage": "emerging", "reached_on": "2024-09-01"})
        view = groups.update(session, view.group.id, GroupUpdate.model_validate(
            {"stage": {"stage": "developing", "reached_on": "2026-03-01", "note": "Joint CPD"}}),
            if_match='"1"', by=officer)
        assert [(s.stage, s.reached_on) for s in view.stages] == [("emerging", date(2024, 9, 1)),
                                                                  ("developing", date(2026, 3, 1))]
        assert view.current_stage.stage == "developing"
        with pytest.raises(ValidationFailed) as exc:
            groups.update(session, view.group.id, GroupUpdate.model_validate(
                {"stage": {"stage": "thriving", "reached_on": "2026-04-01"}}), if_match='"2"', by=officer)
        assert "stage.stage" in errors_of(exc)

    def test_only_an_alliance_has_a_stage(self, session, world, officer):
        with pytest.raises(ValidationFailed) as exc:
            make(session, officer, [], kind="named", stage={"stage": "emerging", "reached_on": "2024-09-01"})
        assert "stage" in errors_of(exc)

    def test_the_route_map_is_the_partnerships_to_edit(self, session, world, officer):
        assert group_route_map.route_map(session) == ["emerging", "developing", "established", "leading"]
        make(session, officer, [], stage={"stage": "emerging", "reached_on": "2024-09-01"})
        with pytest.raises(ValidationFailed) as exc:
            group_route_map.set_route_map(session, RouteMapUpdate(stages=["forming", "forming"]), if_match=None,
                                          by=officer)
        assert set(errors_of(exc)) == {"stages.1", "stages"}  # listed twice; emerging is in use
        group_route_map.set_route_map(session, RouteMapUpdate(stages=["emerging", "sustaining"]), if_match=None,
                                      by=officer)
        assert group_route_map.route_map(session) == ["emerging", "sustaining"]
        with pytest.raises(PreconditionRequired):
            group_route_map.set_route_map(session, RouteMapUpdate(stages=["emerging"]), if_match=None, by=officer)

    def test_members_replaced_and_the_version_moves(self, session, world, officer):
        a, b = (factories.make_school(session, world.ours) for _ in range(2))
        view = make(session, officer, [a])
        view = groups.update(session, view.group.id, GroupUpdate(schools=[b.urn]), if_match='"1"', by=officer)
        assert [s.urn for s in view.schools] == [b.urn] and view.group.version == 2
        with pytest.raises(PreconditionFailed):
            groups.update(session, view.group.id, GroupUpdate(name="Stale"), if_match='"1"', by=officer)

    def test_a_viewer_reads_but_does_not_change(self, session, world, officer, viewer):
        view = make(session, officer, [])
        assert groups.view(session, view.group.id, by=viewer).group.name == "Rother Alliance"
        with pytest.raises(Forbidden):
            groups.update(session, view.group.id, GroupUpdate(name="New"), if_match='"1"', by=viewer)
        with pytest.raises(Forbidden):
            groups.create(session, GroupCreate(name="N", kind="named"), by=viewer)

    def test_another_partnerships_group_is_not_found(self, session, world, officer):
        with all_tenants(session):
            theirs = SchoolGroup(partnership_id=world.theirs.id, name="Theirs", kind="named")
            session.add(theirs)
            session.flush()
        with pytest.raises(NotFound):
            groups.get(session, theirs.id, by=officer)
        with pytest.raises(NotFound):
            group_dashboard.dashboard(session, theirs.id, by=officer)

    def test_deleted_with_its_rows_and_audited(self, session, world, officer):
        view = make(session, officer, [world.our_school], stage={"stage": "emerging", "reached_on": "2024-09-01"},
                    targets=[{"measure": "m", "baseline": 1, "target": 2, "target_on": "2027-01-01"}])
        groups.delete(session, view.group.id, if_match='"1"', by=officer)
        with all_tenants(session):
            tables = session.scalars(select(AuditEvent.table_name).where(AuditEvent.action == "delete")).all()
        assert {"school_group", "school_group_member", "group_target", "group_stage"} <= set(tables)
        with pytest.raises(NotFound):
            groups.get(session, view.group.id, by=officer)

    def test_a_page_by_name_with_a_cursor(self, session, world, officer):
        for name in ("Charlie", "Alpha", "Bravo"):
            make(session, officer, [], name=name)
        first = groups.page(session, limit=2, by=officer)
        assert [v.group.name for v in first.items] == ["Alpha", "Bravo"] and first.total == 3
        second = groups.page(session, limit=2, cursor=first.next_cursor, by=officer)
        assert [v.group.name for v in second.items] == ["Charlie"] and second.next_cursor is None
