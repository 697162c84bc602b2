"""The rules of a support deployment's fields (app.services.support_rules), and the data-quality
report's SQL held to agreement with them (app.services.support_quality)."""

from datetime import date

import pytest
from sqlalchemy import select

from app.errors import ValidationFailed
from app.models.support import SupportDeployment
from app.models.support_api import SupportDeploymentCreate
from app.services import support, support_quality, support_rules
from tests import factories
from tests import visit_setup as vs
from tests.support_setup import make_deployment

TODAY = date(2026, 3, 1)


def keys(values: dict) -> set[str]:
    return {key for key, _ in support_rules.problems(values)}


def fields_of(values: dict) -> set[str]:
    return {error.field for error in support_rules.errors_of(support_rules.problems(values))}


class TestRules:
    def test_a_plain_deployment_keeps_every_rule(self):
        assert support_rules.problems({"start_on": date(2025, 10, 1), "days_planned": 6}) == []

    @pytest.mark.parametrize("earlier", ["adviser_allocated_on", "conflicts_checked_on"])
    def test_an_adviser_visit_before_an_earlier_step_names_both_fields(self, earlier):
        values = {earlier: date(2025, 10, 20), "adviser_visit_on": date(2025, 10, 10)}
        assert fields_of(values) == {earlier, "adviser_visit_on"}

    def test_the_same_day_is_in_order(self):
        assert fields_of({"adviser_allocated_on": date(2025, 10, 1), "conflicts_checked_on": date(2025, 10, 1),
                          "adviser_visit_on": date(2025, 10, 1)}) == set()

    def test_every_pair_counts_not_only_neighbours(self):
        # contacted after the review: the steps between are blank.
        assert fields_of({"contacted_on": date(2026, 1, 1), "reviewed_on": date(2025, 7, 1)}) \
            == {"contacted_on", "reviewed_on"}

    def test_days_and_dates(self):
        assert fields_of({"days_planned": -0.5}) == {"days_planned"}
        assert fields_of({"start_on": date(2026, 1, 2), "end_on": date(2026, 1, 1)}) == {"end_on"}
        assert fields_of({"start_on": date(2026, 1, 1), "end_on": date(2026, 1, 1)}) == set()

    def test_declined_stops_the_later_steps(self):
        declined = {"school_response": "declined", "responded_on": date(2025, 9, 10)}
        assert fields_of(declined) == set()
        assert fields_of(declined | {"contacted_on": date(2025, 9, 1)}) == set()
        assert fields_of(declined | {"matched_on": date(2025, 9, 20), "supporting_organisation": "Hub"}) \
            == {"matched_on"}
        assert fields_of({"school_response": "accepted", "responded_on": date(2025, 9, 10),
                          "adviser_allocated_on": date(2025, 9, 12)}) == set()

    def test_matched_names_its_organisation_and_a_response_its_date(self):
        assert fields_of({"matched_on": date(2025, 9, 20)}) == {"supporting_organisation"}
        assert fields_of({"matched_on": date(2025, 9, 20), "supporting_organisation": ""}) \
            == {"supporting_organisation"}
        assert fields_of({"school_response": "accepted"}) == {"responded_on"}
        assert fields_of({"responded_on": date(2025, 9, 10)}) == {"school_response"}

    def test_one_origin_matching_its_kind(self):
        assert fields_of({"origin_kind": "triad_visit", "origin_visit_id": 3}) == set()
        assert fields_of({"origin_kind": "plan_action", "origin_visit_id": 3}) == {"origin_kind"}
        assert fields_of({"origin_kind": "triad_visit", "origin_visit_id": 3, "origin_plan_action_id": 4}) \
            == {"origin_plan_action_id"}
        assert fields_of({"origin_kind": "clinic_action"}) == set()  # the record need not be in the app

    def test_warnings_are_not_problems(self):
        over = {"days_planned": 4.0, "days_delivered": 5.5}
        assert support_rules.problems(over) == []
        assert support_rules.warnings(over) == ["More days delivered (5.5) than planned (4)"]
        assert support_rules.warnings({"days_planned": 4.0, "days_delivered": 4.0}) == []
        assert support_rules.warnings({"days_delivered": 4.0}) == []

    def test_gaps(self):
        def gap_keys(values: dict, conflict: str | None = None) -> set[str]:
            return {key for key, _ in support_rules.gaps(values, conflict=conflict, today=TODAY)}

        assert gap_keys({"outcome": "not_yet_completed"}) == set()
        assert gap_keys({"outcome": "not_yet_completed", "days_delivered": 2.0}) == {"delivered_no_start"}
        assert gap_keys({"outcome": "not_yet_completed", "days_delivered": 0.0}) == set()
        assert gap_keys({"outcome": "amber"}) == {"outcome_no_review"}
        assert gap_keys({"outcome": "not_yet_completed", "reviewed_on": date(2026, 1, 1), "days_delivered": 3.0,
                         "delivery_started_on": date(2025, 10, 1)}) == {"reviewed_not_completed"}
        assert gap_keys({"outcome": "green", "reviewed_on": date(2026, 1, 1)}) == {"reviewed_no_days"}
        assert gap_keys({"outcome": "not_yet_completed"}, conflict="same trust") == {"conflict_unchecked"}
        assert gap_keys({"outcome": "not_yet_completed", "conflicts_checked_on": date(2025, 9, 1)},
                        conflict="same trust") == set()
        assert gap_keys({"outcome": "not_yet_completed", "adviser_visit_on": date(2025, 9, 1)}) == {"step_missing"}
        assert gap_keys({"outcome": "not_yet_completed", "end_on": date(2026, 2, 28)}) == {"ended_not_reviewed"}
        assert gap_keys({"outcome": "not_yet_completed", "end_on": TODAY}) == set()

    def test_a_missing_step_is_said_in_words(self):
        words = dict(support_rules.gaps({"contacted_on": date(2025, 9, 1), "adviser_visit_on": date(2025, 9, 9)},
                                        conflict=None, today=TODAY))["step_missing"]
        assert words == ("Adviser visit is recorded, but not when: school responded, adviser allocated, "
                         "conflicts of interest checked")


class TestTheService:
    def test_a_refused_create_writes_nothing(self, session, world):
        officer = vs.officer(world.ours)
        data = SupportDeploymentCreate(urn=world.our_school.urn, provider_kind="adviser", objective="Leadership",
                                       adviser_allocated_on=date(2025, 10, 2), adviser_visit_on=date(2025, 10, 1))
        with pytest.raises(ValidationFailed) as refused:
            support.create(session, data, by=officer)
        assert {e.field for e in refused.value.errors} == {"adviser_allocated_on", "adviser_visit_on"}
        assert session.scalars(select(SupportDeployment)).all() == []

    def test_a_viewer_reads_but_cannot_record(self, session, world):
        from app.errors import Forbidden

        make_deployment(session, world.our_school)
        viewer = vs.viewer(session, world.ours)
        assert support.page(session, support.SupportFilters(), by=viewer).total == 1
        with pytest.raises(Forbidden):
            support.create(session, SupportDeploymentCreate(urn=world.our_school.urn, provider_kind="sle",
                                                            objective="Maths"), by=viewer)


# Deployments each breaking one rule or lacking one step (by the finding's key), and one clean.
CASES = {
    "clean": {},
    "end_before_start": {"start_on": date(2026, 6, 2), "end_on": date(2026, 6, 1)},
    "order": {"adviser_allocated_on": date(2025, 10, 20), "adviser_visit_on": date(2025, 10, 10),
              "contacted_on": date(2025, 10, 1), "school_response": "accepted", "responded_on": date(2025, 10, 2),
              "conflicts_checked_on": date(2025, 10, 5)},
    "response_pair": {"contacted_on": date(2025, 9, 1), "school_response": "accepted"},
    "declined_then_steps": {"contacted_on": date(2025, 9, 1), "school_response": "declined",
                            "responded_on": date(2025, 9, 2), "delivery_started_on": date(2025, 9, 9)},
    "matched_no_organisation": {"contacted_on": date(2025, 9, 1), "school_response": "accepted",
                                "responded_on": date(2025, 9, 2), "adviser_allocated_on": date(2025, 9, 3),
                                "conflicts_checked_on": date(2025, 9, 4), "adviser_visit_on": date(2025, 9, 5),
                                "matched_on": date(2025, 9, 6)},
    "origin": {"origin_kind": "clinic_action", "origin_visit_id": "visit"},
    "provider_self": {"provider_school_id": "self", "conflicts_checked_on": date(2025, 9, 1)},
    "delivered_no_start": {"days_delivered": 3.0},
    "outcome_no_review": {"outcome": "red", "days_delivered": 1.0, "delivery_started_on": date(2025, 10, 1)},
    "reviewed_not_completed": {"reviewed_on": date(2026, 1, 5), "days_delivered": 1.0,
                               "delivery_started_on": date(2025, 10, 1)},
    "reviewed_no_days": {"reviewed_on": date(2026, 1, 5), "outcome": "green"},
    "conflict_unchecked": {"provider_school_id": "trust"},
    "step_missing": {"adviser_allocated_on": date(2025, 9, 3)},
    "ended_not_reviewed": {"end_on": date(2026, 1, 31)},
}


def test_the_reports_sql_agrees_with_the_rules(session, world):
    """Each deployment is listed by exactly the SQL conditions of the findings the rules give it."""
    world.our_school.trust_name = "Solent Academies Trust"
    sibling = factories.make_school(session, world.ours, name="Oak Academy", trust_name="Solent Academies Trust")
    visit = factories.make_visit(session, world.our_school)
    made = {}
    for name, values in CASES.items():
        values = dict(values)
        if values.get("provider_school_id") == "self":
            values["provider_school_id"] = world.our_school.id
        elif values.get("provider_school_id") == "trust":
            values["provider_school_id"] = sibling.id
        if values.get("origin_visit_id") == "visit":
            values["origin_visit_id"] = visit.id
        made[name] = make_deployment(session, world.our_school, **values)
    officer = vs.officer(world.ours)
    support.page(session, support.SupportFilters(), by=officer)  # binds the session to the partnership
    rows = [(d, world.our_school.trust_name) for d in made.values()]
    _, said = support_quality.providers(session, [support_quality.Pair(d.school_id, d.provider_school_id,
                                                                       d.academic_year, trust) for d, trust in rows])
    by_rules = {d.id: {key for key, _ in support_rules.findings(d, conflict=conflict, today=TODAY)}
                for (d, _), conflict in zip(rows, said, strict=True)}
    for name, deployment in made.items():
        expected = set() if name == "clean" else {name}
        assert by_rules[deployment.id] == expected, (name, by_rules[deployment.id])
    for key, condition in support_quality.conditions(TODAY).items():
        listed = set(session.scalars(select(SupportDeployment.id).where(condition)))
        assert listed == {i for i, found in by_rules.items() if key in found}, key
    listed = support_quality.page(session, by=officer, today=TODAY)
    assert {row.deployment.id for row in listed.rows} == {d.id for n, d in made.items() if n != "clean"}
    assert listed.total == len(CASES) - 1 and all(row.problems for row in listed.rows)
