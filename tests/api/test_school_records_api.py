"""Inspections and indicators under /api/v1/schools/{urn}."""

from datetime import date

from tests import factories
from tests.api.test_schools_api import fields, problem


def url(world, what: str) -> str:
    return f"/api/v1/schools/{world.our_school.urn}/{what}"


class TestInspections:
    def test_record_on_each_framework(self, api, world):
        graded = api.post(url(world, "inspections"), json={
            "inspected_on": "2023-06-14", "overall_effectiveness": 3,
            "grades": {"quality_of_education": 3, "leadership_and_management": 2}})
        assert graded.status_code == 201, graded.text
        assert graded.json()["framework"] == "graded" and graded.json()["headline"] == "requires_improvement"

        ungraded = api.post(url(world, "inspections"), json={
            "inspected_on": "2025-02-04", "grades": {"quality_of_education": 2}})
        assert ungraded.json()["framework"] == "ungraded_2024"
        assert ungraded.json()["overall_effectiveness"] is None

        card = api.post(url(world, "inspections"), json={
            "inspected_on": "2026-03-03", "safeguarding": "met",
            "grades": {"achievement": "expected_standard", "inclusion": "strong_standard"}})
        assert card.json()["framework"] == "report_card" and card.json()["headline"] == "expected_standard"

        history = api.get(url(world, "inspections")).json()
        assert [i["inspected_on"] for i in history] == ["2026-03-03", "2025-02-04", "2023-06-14"]
        assert history[0]["grades"] == {"achievement": "expected_standard", "inclusion": "strong_standard"}
        latest = api.get(f"/api/v1/schools/{world.our_school.urn}").json()["latest_inspection"]
        assert latest == {"inspected_on": "2026-03-03", "framework": "report_card", "headline": "expected_standard"}

    def test_a_grade_off_its_framework_is_refused_by_field(self, api, world):
        body = problem(api.post(url(world, "inspections"), json={"inspected_on": "2025-02-04",
                                                                 "overall_effectiveness": 2}), 422)
        assert fields(body) == {"overall_effectiveness"}
        assert api.get(url(world, "inspections")).json() == []

    def test_replace_needs_current_etag(self, api, world, session):
        inspection = factories.make_inspection(session, world.our_school, inspected_on=date(2022, 5, 5))
        item = f"{url(world, 'inspections')}/{inspection.id}"
        change = {"inspected_on": "2022-05-05", "overall_effectiveness": 1}
        problem(api.put(item, json=change), 428)
        problem(api.put(item, json=change, headers={"If-Match": '"7"'}), 412)
        etag = api.get(item).headers["ETag"]
        response = api.put(item, json=change, headers={"If-Match": etag})
        assert response.status_code == 200 and response.json()["headline"] == "outstanding"
        assert api.delete(item, headers={"If-Match": response.headers["ETag"]}).status_code == 204
        problem(api.get(item), 404)

    def test_another_schools_inspection_is_404(self, api, world, session):
        theirs = factories.make_inspection(session, world.their_school)
        problem(api.get(f"{url(world, 'inspections')}/{theirs.id}"), 404)


class TestIndicators:
    FIGURE = {"measure": "persistent_absence", "academic_year": "2025/26", "value": 21.4, "source": "DfE"}

    def test_record_list_and_filter(self, api, world):
        created = api.post(url(world, "indicators"), json=self.FIGURE)
        assert created.status_code == 201, created.text
        assert created.json()["recorded_on"] == date.today().isoformat()
        api.post(url(world, "indicators"), json={**self.FIGURE, "measure": "absence", "value": 6.1})
        api.post(url(world, "indicators"), json={**self.FIGURE, "academic_year": "2024/25", "value": 19.0})
        assert len(api.get(url(world, "indicators")).json()) == 3
        only = api.get(url(world, "indicators"), params={"measure": "persistent_absence"}).json()
        assert [(i["academic_year"], i["value"]) for i in only] == [("2025/26", 21.4), ("2024/25", 19.0)]

    def test_duplicate_figure_is_409(self, api, world):
        api.post(url(world, "indicators"), json=self.FIGURE)
        body = problem(api.post(url(world, "indicators"), json=self.FIGURE), 409)
        assert fields(body) == {"measure"}

    def test_bad_values_are_named(self, api, world):
        for change, field in [({"academic_year": "2025-26"}, "academic_year"), ({"value": True}, "value"),
                              ({"value": "7"}, "value"), ({"measure": "Absence %"}, "measure"),
                              ({"unit": "%"}, "unit")]:
            body = problem(api.post(url(world, "indicators"), json={**self.FIGURE, **change}), 422)
            assert field in fields(body), (change, body)

    def test_update_with_etag(self, api, world, session):
        indicator = factories.make_indicator(session, world.our_school)
        item = f"{url(world, 'indicators')}/{indicator.id}"
        problem(api.patch(item, json={"value": 4.0}), 428)
        etag = api.get(item).headers["ETag"]
        updated = api.patch(item, json={"value": 4.0}, headers={"If-Match": etag})
        assert updated.status_code == 200 and updated.json()["value"] == 4.0
        problem(api.patch(item, json={"value": 3.0}, headers={"If-Match": etag}), 412)
        assert api.get(item).json()["value"] == 4.0
