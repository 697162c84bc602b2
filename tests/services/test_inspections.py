"""Inspections keep their own framework's scale; the headline never converts between them."""

from datetime import date

import pytest
from pydantic import ValidationError

from app.models.inspection import Framework, InspectionWrite
from app.services.inspections import headline


@pytest.mark.parametrize(("day", "framework"), [
    (date(2024, 8, 31), Framework.graded),
    (date(2024, 9, 1), Framework.ungraded_2024),
    (date(2025, 11, 7), Framework.ungraded_2024),
    (date(2025, 11, 10), Framework.report_card),
])
def test_framework_follows_the_date(day, framework):
    assert InspectionWrite(inspected_on=day).framework == framework


@pytest.mark.parametrize(("data", "expected"), [
    ({"inspected_on": date(2022, 1, 5), "overall_effectiveness": 1}, "outstanding"),
    ({"inspected_on": date(2022, 1, 5), "overall_effectiveness": 3}, "requires_improvement"),
    ({"inspected_on": date(2022, 1, 5), "overall_effectiveness": 4, "category_of_concern": "serious_weaknesses"},
     "serious_weaknesses"),
    ({"inspected_on": date(2022, 1, 5)}, "no_overall_grade"),
    ({"inspected_on": date(2025, 3, 5), "grades": {"quality_of_education": 2}}, "no_overall_grade"),
    ({"inspected_on": date(2026, 1, 5), "safeguarding": "met",
      "grades": {"inclusion": "strong_standard", "achievement": "needs_attention"}}, "needs_attention"),
    ({"inspected_on": date(2026, 1, 5), "safeguarding": "not_met", "grades": {"inclusion": "exceptional"}},
     "safeguarding_not_met"),
])
def test_headline(data, expected):
    assert headline(InspectionWrite(**data)).value == expected


@pytest.mark.parametrize(("data", "field"), [
    ({"inspected_on": date(2025, 3, 5), "overall_effectiveness": 2}, "overall_effectiveness"),
    ({"inspected_on": date(2022, 3, 5), "framework": "report_card"}, "framework"),
    ({"inspected_on": date(2022, 3, 5), "safeguarding": "met"}, "safeguarding"),
    ({"inspected_on": date(2026, 3, 5), "grades": {"inclusion": 2}}, "grades.inclusion"),
    ({"inspected_on": date(2022, 3, 5), "grades": {"inclusion": 2}}, "grades.inclusion"),
    ({"inspected_on": date(2022, 3, 5), "grades": {"quality_of_education": 5}}, "grades.quality_of_education"),
    ({"inspected_on": date(2022, 3, 5), "overall_effectiveness": True}, "overall_effectiveness"),
])
def test_grades_must_fit_the_framework(data, field):
    with pytest.raises(ValidationError) as caught:
        InspectionWrite(**data)
    assert field in str(caught.value)


def test_an_inspection_cannot_be_in_the_future():
    from datetime import timedelta

    with pytest.raises(ValidationError, match="inspected_on"):
        InspectionWrite(inspected_on=date.today() + timedelta(days=1))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "ftp://x.example/r.pdf"])
def test_report_url_must_be_http(url):
    with pytest.raises(ValidationError, match="report_url"):
        InspectionWrite(inspected_on=date(2022, 1, 5), report_url=url)
    assert InspectionWrite(inspected_on=date(2022, 1, 5), report_url="https://reports.example/1").report_url
