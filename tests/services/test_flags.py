"""Red flags from the database: each kind of data the rules read, the rules' settings (versioned),
manual flags and overrides (audited), who sees whose flags, the list worst first with its cursor,
and a partnership's flags in the same number of statements for 2 schools as for 60."""

from datetime import date

import pytest
from sqlalchemy import select

from app.db import all_tenants, as_tenant
from app.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from app.models.account import Role
from app.models.audit import AuditEvent
from app.models.flag import ManualFlag
from app.models.flag_api import FlagRuleUpdate, ManualFlagCreate
from app.services import flag_settings, flags
from app.services.flags import FlagFilters
from tests import factories
from tests.flag_setup import TODAY, clinic_action, judgement, manual, national, principal, troubled_school


@pytest.fixture
def officer(session, world):
    return principal(session, world.ours)


def rules_of(session, officer, school) -> dict[str, str]:
    return {f.rule: f.severity for f in flags.for_school(session, school, by=officer, today=TODAY)}


def refusal(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


class TestFromTheDatabase:
    def test_a_troubled_school_trips_a_rule_of_each_kind(self, session, world, officer):
        school = troubled_school(session, world.ours)
        assert rules_of(session, officer, school) == {
            "ofsted_requires_improvement": "amber", "ofsted_below_good_again": "red", "attainment_below_floor": "red",
            "budget_deficit": "red", "falling_roll": "amber", "triad_grade": "amber", "overdue_clinic_action": "amber",
            "review_judgement": "red", "la_category": "red", "no_improvement_plan": "amber"}
        found = flags.for_school(session, school, by=officer, today=TODAY)
        assert [f.severity for f in found] == ["red"] * 5 + ["amber"] * 5  # worst first
        deficit = next(f for f in found if f.rule == "budget_deficit")
        assert deficit.reason == "A budget deficit of £45,000 in 2025/26"
        assert deficit.evidence["source"] == "DfE" and deficit.evidence["as_of"] == "2026-10-01"

    def test_a_school_with_only_its_register_entry_has_no_flags(self, session, world, officer):
        assert flags.current(session, by=officer, today=TODAY) == {}

    def test_closed_schools_have_none(self, session, world, officer):
        school = troubled_school(session, world.ours, status="closed")
        assert flags.for_school(session, school, by=officer, today=TODAY) == []

    def test_a_change_to_the_data_changes_the_flags_at_once(self, session, world, officer):
        school = factories.make_school(session, world.ours)
        figure = factories.make_indicator(session, school, measure="attainment", value=49.0)
        assert rules_of(session, officer, school) == {"attainment_below_floor": "red"}
        figure.value = 55.0
        session.flush()
        assert rules_of(session, officer, school) == {}

    def test_the_latest_figure_of_several_sources_stands(self, session, world, officer):
        school = factories.make_school(session, world.ours)
        factories.make_indicator(session, school, measure="attainment", value=40.0, source="LA estimate",
                                 recorded_on=date(2026, 7, 1))
        factories.make_indicator(session, school, measure="attainment", value=60.0, source="DfE",
                                 recorded_on=date(2026, 10, 1))
        assert rules_of(session, officer, school) == {}

    def test_rules_that_read_earlier_years_or_that_years_roll_get_them(self, session, world, officer):
        school = factories.make_school(session, world.ours, pupils=100)
        for measure, before, latest in (("attainment", 70.0, 60.0), ("progress", -0.1, -0.5)):
            factories.make_indicator(session, school, measure=measure, academic_year="2024/25", value=before)
            factories.make_indicator(session, school, measure=measure, academic_year="2025/26", value=latest)
        for measure, value in (("roll", 400), ("budget_balance", 210_000.0), ("exclusions", 41)):
            factories.make_indicator(session, school, measure=measure, academic_year="2025/26", value=value)
        found = {f.rule: f for f in flags.for_school(session, school, by=officer, today=TODAY)}
        assert {rule: f.severity for rule, f in found.items()} == {
            "attainment_falling": "amber", "progress_falling": "amber", "excess_surplus": "amber",
            "exclusions_high": "amber"}
        assert found["excess_surplus"].evidence["pupils"] == 400  # the year's roll, not the register's 100
        assert found["exclusions_high"].evidence["per_100_pupils"] == 10.25

    def test_national_figures_are_compared_with(self, session, world, officer):
        school = factories.make_school(session, world.ours)
        factories.make_indicator(session, school, measure="persistent_absence", value=19.0)
        assert rules_of(session, officer, school) == {}  # under the partnership's 20%
        national(session, world.ours, "persistent_absence", 17.5)
        flag = flags.for_school(session, school, by=officer, today=TODAY)[0]
        assert flag.reason == "Persistent absence 19% in 2025/26, above the national figure of 17.5%"
        assert flag.evidence["national_source"] == "DfE national statistics"

    def test_only_the_latest_two_inspections_count(self, session, world, officer):
        school = factories.make_school(session, world.ours)
        for year in (2012, 2015, 2018):
            factories.make_inspection(session, school, inspected_on=date(year, 1, 10), overall_effectiveness=3)
        factories.make_inspection(session, school, inspected_on=date(2022, 1, 10), overall_effectiveness=2)
        assert rules_of(session, officer, school) == {}

    def test_draft_visits_closed_actions_and_older_judgements_do_not_count(self, session, world, officer):
        school = factories.make_school(session, world.ours)
        factories.make_visit(session, school, kind="triad_review", visit_date=date(2026, 10, 1), status="submitted",
                             grade=3)
        clinic_action(session, school, status="done")
        clinic_action(session, school, due_on=date(2026, 12, 1))
        judgement(session, school, "overall_effectiveness", 4, academic_year="2025/26")
        judgement(session, school, "overall_effectiveness", 2, academic_year="2026/27")
        assert rules_of(session, officer, school) == {}


class TestRuleSettings:
    def test_every_rule_with_its_defaults_at_version_0(self, session, officer):
        rules = flag_settings.list_rules(session, by=officer)
        assert len(rules) == 24 and all(r.enabled and r.version == 0 for r in rules)
        assert flag_settings.get(session, "attainment_below_floor", by=officer).thresholds == {"floor": 50.0}

    def test_a_change_is_versioned_and_changes_the_flags(self, session, world, officer):
        school = factories.make_school(session, world.ours)
        factories.make_indicator(session, school, measure="attainment", value=55.0)
        saved = flag_settings.update(session, "attainment_below_floor", FlagRuleUpdate(thresholds={"floor": 60}),
                                     if_match='"0"', by=officer)
        assert (saved.version, saved.thresholds, saved.updated_by) == (1, {"floor": 60.0}, officer.user_name)
        assert rules_of(session, officer, school) == {"attainment_below_floor": "red"}
        off = flag_settings.update(session, "attainment_below_floor", FlagRuleUpdate(enabled=False), if_match='"1"',
                                   by=officer)
        assert (off.version, off.enabled, off.thresholds) == (2, False, {"floor": 60.0})
        assert rules_of(session, officer, school) == {}
        back = flag_settings.update(session, "attainment_below_floor", FlagRuleUpdate(
            enabled=True, thresholds={"floor": None}), if_match='"2"', by=officer)
        assert (back.version, back.thresholds) == (3, {"floor": 50.0})
        with all_tenants(session):
            events = session.scalars(select(AuditEvent).where(AuditEvent.table_name == "flag_rule_setting")
                                     .order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["create", "update", "update"]
        assert events[1].changes == {"enabled": [True, False]}

    def test_if_match_is_required_and_must_be_current(self, session, officer):
        with pytest.raises(PreconditionRequired):
            flag_settings.update(session, "budget_deficit", FlagRuleUpdate(enabled=False), if_match=None, by=officer)
        with pytest.raises(PreconditionFailed):
            flag_settings.update(session, "budget_deficit", FlagRuleUpdate(enabled=False), if_match='"3"', by=officer)

    def test_an_unknown_rule_is_404(self, session, officer):
        with pytest.raises(NotFound):
            flag_settings.update(session, "no_such_rule", FlagRuleUpdate(enabled=False), if_match='"0"', by=officer)
        with pytest.raises(NotFound):
            flag_settings.get(session, "no_such_rule", by=officer)

    @pytest.mark.parametrize(("rule", "thresholds", "field", "message"), [
        ("attainment_below_floor", {"floor": "high"}, "thresholds.floor", "must be a number"),
        ("attainment_below_floor", {"floor": True}, "thresholds.floor", "must be a number"),
        ("governor_vacancies", {"over": 2.5}, "thresholds.over", "must be a whole number"),
        ("governor_vacancies", {"over": -1}, "thresholds.over", "must be at least 0"),
        ("excess_surplus", {"maintained_only": 1}, "thresholds.maintained_only", "must be true or false"),
        ("budget_deficit", {"margin": 1}, "thresholds.margin", "the rule budget_deficit has no such threshold "
                                                               "(its thresholds: deficit_over)"),
    ])
    def test_a_threshold_of_the_wrong_type_is_named(self, session, officer, rule, thresholds, field, message):
        with pytest.raises(ValidationFailed) as refused:
            flag_settings.update(session, rule, FlagRuleUpdate(thresholds=thresholds), if_match='"0"', by=officer)
        assert refusal(refused) == {field: message}

    def test_a_whole_number_is_a_number_and_3_0_a_whole_number(self, session, officer):
        saved = flag_settings.update(session, "governor_vacancies", FlagRuleUpdate(thresholds={"over": 3.0}),
                                     if_match='"0"', by=officer)
        assert saved.thresholds == {"over": 3} and isinstance(saved.thresholds["over"], int)

    def test_only_officers_change_rules(self, session, world):
        viewer = principal(session, world.ours, Role.viewer.value)
        with pytest.raises(Forbidden):
            flag_settings.update(session, "budget_deficit", FlagRuleUpdate(enabled=False), if_match='"0"', by=viewer)


class TestManualFlags:
    def test_an_officer_adds_a_flag_with_a_reason_audited(self, session, world, officer):
        school = factories.make_school(session, world.ours)
        row = flags.add_manual(session, school, ManualFlagCreate(severity="red", category="governance",
                                                                 reason="Chair of governors resigned"), by=officer)
        found = flags.for_school(session, school, by=officer, today=TODAY)
        assert [(f.rule, f.severity, f.category, f.reason, f.manual_id) for f in found] == [
            ("manual", "red", "governance", "Chair of governors resigned", row.id)]
        assert found[0].evidence["manual"]["set_by"] == officer.user_name
        with all_tenants(session):
            event = session.scalars(select(AuditEvent).where(AuditEvent.table_name == "manual_flag")).one()
        assert (event.action, event.record_id, event.actor) == ("create", row.id, officer.user_name)
        assert event.changes["reason"] == [None, "Chair of governors resigned"]

    @pytest.mark.parametrize(("body", "errors"), [
        ({"reason": "x"}, {"severity": "say red or amber", "category": "say what the concern is about"}),
        ({"kind": "override", "severity": "amber", "reason": "x"}, {"rule": "say which rule's flag to override"}),
        ({"kind": "override", "rule": "nonsense", "severity": "amber", "reason": "x"},
         {"rule": "there is no flag rule called 'nonsense'"}),
        ({"kind": "override", "rule": "la_category", "reason": "x"},
         {"severity": "say red or amber, or set the flag aside (severity null)"}),
        ({"kind": "override", "rule": "la_category", "severity": "amber", "reason": "x"},
         {"rule": "the rule la_category does not flag this school now; add a flag of your own instead"}),
    ])
    def test_what_is_refused(self, session, world, officer, body, errors):
        school = factories.make_school(session, world.ours)
        with pytest.raises(ValidationFailed) as refused:
            flags.add_manual(session, school, ManualFlagCreate(**body), by=officer, today=TODAY)
        assert refusal(refused) == errors

    def test_an_override_changes_the_severity_and_the_latest_replaces_the_earlier(self, session, world, officer):
        school = factories.make_school(session, world.ours, la_category="red")
        first = flags.add_manual(session, school, ManualFlagCreate(kind="override", rule="la_category",
                                                                   severity="amber", reason="New head in post"),
                                 by=officer, today=TODAY)
        flag = flags.for_school(session, school, by=officer, today=TODAY)[0]
        assert (flag.severity, flag.manual_id) == ("amber", first.id)
        assert flag.reason == ("In the LA's ‘red’ category (most support needed) (set to amber by hand: New head in "
                               "post)")
        assert flag.evidence["manual"] | {"set_on": None} == {
            "id": first.id, "kind": "override", "reason": "New head in post", "set_by": officer.user_name,
            "set_on": None, "severity_was": "red"}
        second = flags.add_manual(session, school, ManualFlagCreate(kind="override", rule="la_category", severity=None,
                                                                    reason="Category review due"),
                                  by=officer, today=TODAY)
        assert flags.for_school(session, school, by=officer, today=TODAY) == []  # set aside
        assert first.withdrawn_at == TODAY and second.withdrawn_at is None
        assert [m.id for m in flags.manual_flags(session, school, by=officer)] == [second.id, first.id]

    def test_withdrawing_needs_if_match_and_happens_once(self, session, world, officer):
        school = factories.make_school(session, world.ours)
        row = manual(session, school)
        with pytest.raises(PreconditionRequired):
            flags.withdraw(session, school, row.id, if_match=None, by=officer)
        with pytest.raises(PreconditionFailed):
            flags.withdraw(session, school, row.id, if_match='"9"', by=officer)
        flags.withdraw(session, school, row.id, if_match='"1"', by=officer, today=TODAY)
        assert (row.withdrawn_at, row.version) == (TODAY, 2)
        assert flags.for_school(session, school, by=officer, today=TODAY) == []
        with pytest.raises(Conflict):
            flags.withdraw(session, school, row.id, if_match='"2"', by=officer)

    def test_another_schools_flag_is_404(self, session, world, officer):
        school, other = factories.make_school(session, world.ours), factories.make_school(session, world.ours)
        row = manual(session, other)
        with pytest.raises(NotFound):
            flags.withdraw(session, school, row.id, if_match='"1"', by=officer)

    def test_only_officers_add_flags(self, session, world):
        school = factories.make_school(session, world.ours)
        chair = principal(session, world.ours, Role.clinic_chair.value)
        with pytest.raises(Forbidden):
            flags.add_manual(session, school, ManualFlagCreate(severity="red", category="finance", reason="x"),
                             by=chair)


class TestWhoSeesWhat:
    def test_a_headteacher_sees_their_own_schools_flags_only(self, session, world):
        own, other = troubled_school(session, world.ours), troubled_school(session, world.ours)
        head = principal(session, world.ours, Role.headteacher.value, school=own)
        assert set(flags.current(session, by=head, today=TODAY)) == {own.id}
        assert flags.school_for_flags(session, own.urn, by=head).id == own.id
        with pytest.raises(NotFound):
            flags.school_for_flags(session, other.urn, by=head)
        assert [s.urn for s in flags.listing(session, FlagFilters(), by=head, today=TODAY)] == [own.urn]

    def test_a_lead_sees_their_collaboratives_schools(self, session, world):
        member, other = troubled_school(session, world.ours), troubled_school(session, world.ours)
        lead_user = factories.make_user(session)
        factories.make_collaborative(session, world.ours, [member], lead=lead_user)
        from app.services import accounts

        lead = accounts.principal_for(session, lead_user, world.ours.id)
        assert set(flags.current(session, by=lead, today=TODAY)) == {member.id}
        assert other.id in flags.current(session, by=principal(session, world.ours, Role.clinic_member.value),
                                         today=TODAY)

    def test_another_partnerships_school_is_404(self, session, world, officer):
        troubled_school(session, world.theirs)
        with pytest.raises(NotFound):
            flags.school_for_flags(session, world.their_school.urn, by=officer)
        assert flags.current(session, by=officer, today=TODAY) == {}


class TestTheList:
    @pytest.fixture
    def flagged(self, session, world):
        """Schools with 0 reds 1 amber, 1 red, 2 reds, 1 red 1 amber, and none."""
        make = factories.make_school
        one_amber = make(session, world.ours, name="Elm Primary", la_category="amber")
        one_red = make(session, world.ours, name="Ash Primary", la_category="red")
        two_red = make(session, world.ours, name="Yew Primary", la_category="red")
        factories.make_indicator(session, two_red, measure="attainment", value=30.0)
        red_amber = make(session, world.ours, name="Oak Primary", la_category="red")
        factories.make_indicator(session, red_amber, measure="governor_vacancies", value=1)
        manual(session, red_amber, severity="amber", category="finance")
        make(session, world.ours, name="Fir Primary")
        return [two_red, red_amber, one_red, one_amber]

    def test_worst_first(self, session, officer, flagged):
        listed = flags.listing(session, FlagFilters(), by=officer, today=TODAY)
        assert [s.urn for s in listed] == [s.urn for s in flagged]

    def test_filters_choose_flags_and_the_schools_that_have_them(self, session, officer, flagged):
        amber = flags.listing(session, FlagFilters(severity=["amber"]), by=officer, today=TODAY)
        assert [(s.name, [f.rule for f in s.flags]) for s in amber] == [("Elm Primary", ["la_category"]),
                                                                        ("Oak Primary", ["manual"])]
        finance = flags.listing(session, FlagFilters(category=["finance"]), by=officer, today=TODAY)
        assert [s.name for s in finance] == ["Oak Primary"]
        one = flags.listing(session, FlagFilters(urn=[flagged[2].urn]), by=officer, today=TODAY)
        assert [s.name for s in one] == ["Ash Primary"]

    def test_pages_follow_the_cursor_without_repeats(self, session, officer, flagged):
        seen, cursor = [], None
        while True:
            result = flags.page(session, FlagFilters(), limit=1, cursor=cursor, by=officer, today=TODAY)
            assert (result.total, result.limit) == (4, 1)
            seen += [s.urn for s in result.items]
            cursor = result.next_cursor
            if cursor is None:
                break
        assert seen == [s.urn for s in flagged]

    @pytest.mark.parametrize(("filters", "cursor", "field"), [
        (FlagFilters(severity=["purple"]), None, "severity"), (FlagFilters(category=["weather"]), None, "category"),
        (FlagFilters(), "bm9uc2Vuc2U", "cursor"), (FlagFilters(), "WyJ3b3JzdCIsIngiLDFd", "cursor"),
    ])
    def test_bad_values_are_400(self, session, officer, filters, cursor, field):
        with pytest.raises(BadRequest) as refused:
            flags.page(session, filters, cursor=cursor, by=officer)
        assert [e.field for e in refused.value.errors] == [field]


def populate(session, partnership, count: int) -> None:
    """`count` schools, each with every kind of row the rules read."""
    for n in range(count):
        school = troubled_school(session, partnership, name=f"School {n:03d}")
        national(session, partnership, "absence", 5.0, academic_year=f"{1950 + n}/{(51 + n) % 100:02d}")
        factories.make_indicator(session, school, measure="absence", value=8.0)
        manual(session, school)


def test_a_partnerships_flags_take_the_same_statements_for_2_and_60_schools(session, world, officer,
                                                                            count_statements):
    counts = []
    for size in (2, 60):
        partnership = factories.make_partnership(session)
        populate(session, partnership, size)
        by = principal(session, partnership)
        session.expire_all()
        with as_tenant(session, partnership.id), count_statements() as counter:
            found = flags.current(session, by=by, today=TODAY)
        assert len(found) == size and all(len(f) == 12 for f in found.values())
        counts.append(counter.count)
    # the rules' settings, the schools, inspections, figures, national figures, triad reviews, clinic
    # actions, review judgements, active school plans, manual flags (and the partnership, when the
    # session has not read it)
    assert counts[0] == counts[1] <= 11, counts


def test_manual_flag_rows_are_tenant_scoped(session, world, officer):
    row = manual(session, world.their_school)
    assert session.scalars(select(ManualFlag).where(ManualFlag.id == row.id)).first() is None
