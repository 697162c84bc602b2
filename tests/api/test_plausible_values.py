"""Plausible values through the API: academic years are two consecutive years, and each kind of date
lies in its own span (app/models/types.py), refused with 422 naming the field and the rule."""

import re
from datetime import date, timedelta

import pytest

from tests import factories
from tests.api.test_schools_api import fields, problem

TODAY = date.today()


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


A_YEAR_AHEAD = years_after(TODAY, 1)
FIVE_YEARS_AHEAD = years_after(TODAY, 5)
ONE_DAY = timedelta(days=1)

INSPECTION_RULE = "an inspection date must be between 1900-01-01 and today"
RECORDED_RULE = "the date a figure was recorded must be between 1900-01-01 and today"
HEAD_RULE = "a headteacher's start date must be between 1900-01-01 and a year from today"
OPENING_RULE = "a school's opening date must be between 1800-01-01 and five years from today"
CLOSING_RULE = "a school's closing date must be between 1800-01-01 and five years from today"
YEAR_RULE = "an academic year is two consecutive years written like 2024/25, the first from 1900 to 2099"


def under(world, what: str) -> str:
    return f"/api/v1/schools/{world.our_school.urn}/{what}"


def refused(response, field: str, rule: str) -> None:
    """422, naming the field and the rule in plain words, in `errors` and in `detail`."""
    body = problem(response, 422)
    assert fields(body) == {field}, body
    assert body["errors"][0]["message"] == rule
    assert body["detail"] == f"{field}: {rule}"


class TestAcademicYear:
    FIGURE = {"measure": "absence", "value": 5.5, "source": "DfE"}

    @pytest.mark.parametrize("year", ["2024/25", "1999/00", "1900/01", "2099/00"])
    def test_two_consecutive_years_are_accepted(self, api, world, year):
        response = api.post(under(world, "indicators"), json={**self.FIGURE, "academic_year": year})
        assert response.status_code == 201, response.text
        assert response.json()["academic_year"] == year

    @pytest.mark.parametrize("year", ["2024/99", "0000/01", "1899/00", "2100/01", "2024/24", "2024/2025",
                                      "24/25", "2024-25", "２０２４/２５", " 2024/25", 2024])
    def test_anything_else_is_refused_with_the_rule(self, api, world, year):
        refused(api.post(under(world, "indicators"), json={**self.FIGURE, "academic_year": year}),
                "academic_year", YEAR_RULE if isinstance(year, str) else "Input should be a valid string")
        assert api.get(under(world, "indicators")).json() == []

    def test_the_filter_on_a_year_keeps_the_rule(self, api, world):
        assert api.get(under(world, "indicators"), params={"academic_year": "2024/25"}).status_code == 200
        body = problem(api.get(under(world, "indicators"), params={"academic_year": "2024/99"}), 422)
        assert body["errors"] == [{"field": "academic_year", "location": "query", "message": YEAR_RULE}]

    def test_the_schema_pattern_accepts_exactly_what_the_api_accepts(self, api):
        schema = api.get("/openapi.json").json()["components"]["schemas"]["IndicatorCreate"]
        pattern = re.compile(schema["properties"]["academic_year"]["pattern"])
        accepted = {f"{first:04d}/{second:02d}" for first in range(10000) for second in range(100)
                    if pattern.search(f"{first:04d}/{second:02d}")}
        assert accepted == {f"{first}/{(first + 1) % 100:02d}" for first in range(1900, 2100)}


class TestRecordedOn:
    FIGURE = {"measure": "absence", "academic_year": "2025/26", "value": 5.5, "source": "DfE"}

    @pytest.mark.parametrize("day", [TODAY, date(1900, 1, 1)])
    def test_a_day_up_to_today_is_accepted(self, api, world, day):
        response = api.post(under(world, "indicators"), json={**self.FIGURE, "recorded_on": day.isoformat()})
        assert response.status_code == 201, response.text

    @pytest.mark.parametrize("day", [TODAY + ONE_DAY, date(2099, 1, 1), date(1899, 12, 31), date(1, 1, 1)])
    def test_a_day_outside_is_refused_on_create_and_change(self, api, world, session, day):
        refused(api.post(under(world, "indicators"), json={**self.FIGURE, "recorded_on": day.isoformat()}),
                "recorded_on", RECORDED_RULE)
        indicator = factories.make_indicator(session, world.our_school)
        item = f"{under(world, 'indicators')}/{indicator.id}"
        etag = api.get(item).headers["ETag"]
        refused(api.patch(item, json={"recorded_on": day.isoformat()}, headers={"If-Match": etag}),
                "recorded_on", RECORDED_RULE)


class TestInspectedOn:
    @pytest.mark.parametrize("day", [TODAY, date(1900, 1, 1), date(2023, 5, 10)])
    def test_a_day_up_to_today_is_accepted(self, api, world, day):
        response = api.post(under(world, "inspections"), json={"inspected_on": day.isoformat()})
        assert response.status_code == 201, response.text

    @pytest.mark.parametrize("day", [TODAY + ONE_DAY, date(2099, 1, 1), date(1899, 12, 31), date(1, 1, 1)])
    def test_a_day_outside_is_refused_on_record_and_replace(self, api, world, session, day):
        refused(api.post(under(world, "inspections"), json={"inspected_on": day.isoformat()}),
                "inspected_on", INSPECTION_RULE)
        inspection = factories.make_inspection(session, world.our_school)
        item = f"{under(world, 'inspections')}/{inspection.id}"
        etag = api.get(item).headers["ETag"]
        refused(api.put(item, json={"inspected_on": day.isoformat()}, headers={"If-Match": etag}),
                "inspected_on", INSPECTION_RULE)
        assert [i["inspected_on"] for i in api.get(under(world, "inspections")).json()] == ["2023-05-10"]


NEW_SCHOOL = {"urn": "654322", "name": "Hazel Primary School", "phase": "primary"}

# (field, the last day before its span, its first day, its last day, the first day after, the rule)
SCHOOL_DATES = [
    ("headteacher_started_on", date(1899, 12, 31), date(1900, 1, 1), A_YEAR_AHEAD, A_YEAR_AHEAD + ONE_DAY,
     HEAD_RULE),
    ("opened_on", date(1799, 12, 31), date(1800, 1, 1), FIVE_YEARS_AHEAD, FIVE_YEARS_AHEAD + ONE_DAY,
     OPENING_RULE),
    ("closed_on", date(1799, 12, 31), date(1800, 1, 1), FIVE_YEARS_AHEAD, FIVE_YEARS_AHEAD + ONE_DAY,
     CLOSING_RULE),
]


@pytest.mark.parametrize(("field", "before", "first", "last", "after", "rule"), SCHOOL_DATES,
                         ids=[d[0] for d in SCHOOL_DATES])
class TestSchoolDates:
    def test_the_span_is_accepted_on_create(self, api, world, field, before, first, last, after, rule):
        for n, day in enumerate((first, last, date(1974, 9, 1))):
            response = api.post("/api/v1/schools", json=NEW_SCHOOL | {"urn": f"65432{n}", field: day.isoformat()})
            assert response.status_code == 201, response.text
            assert response.json()[field] == day.isoformat()

    def test_outside_is_refused_on_create_and_change(self, api, world, field, before, first, last, after, rule):
        url = f"/api/v1/schools/{world.our_school.urn}"
        for day in (before, after, date(2099, 1, 1), date(1, 1, 1)):
            refused(api.post("/api/v1/schools", json=NEW_SCHOOL | {field: day.isoformat()}), field, rule)
            etag = api.get(url).headers["ETag"]
            refused(api.patch(url, json={field: day.isoformat()}, headers={"If-Match": etag}), field, rule)
        assert api.get("/api/v1/schools/654322").status_code == 404


def test_the_schema_says_each_date_rule(api):
    schemas = api.get("/openapi.json").json()["components"]["schemas"]

    def described(model: str, field: str) -> str:
        prop = schemas[model]["properties"][field]
        options = prop.get("anyOf", [prop])
        return next(o["description"] for o in options if o.get("format") == "date")

    assert described("SchoolCreate", "headteacher_started_on") == HEAD_RULE[0].upper() + HEAD_RULE[1:] + "."
    assert described("SchoolUpdate", "opened_on") == OPENING_RULE[0].upper() + OPENING_RULE[1:] + "."
    assert described("InspectionWrite", "inspected_on") == INSPECTION_RULE[0].upper() + INSPECTION_RULE[1:] + "."
