"""A school's page: its details, its Ofsted history on each framework's own scale, its indicators."""

from datetime import date

import pytest

from app.db import all_tenants
from tests import factories


@pytest.fixture
def school(session, world):
    school = factories.make_school(
        session, world.ours, name="Hazel Park Primary School", la_category="amber", pupils=1234, fsm_percent=31.25,
        headteacher_name="Priya Okafor", headteacher_started_on=date(2021, 9, 1), trust_name="Meadowlark Trust",
        engaged=False, not_engaged_reason="New headteacher settling in; will join in the spring term",
        opened_on=date(1998, 9, 1), postcode="PE1 1AA",
    )
    factories.make_inspection(session, school, inspected_on=date(2011, 6, 14), overall_effectiveness=3)
    factories.make_inspection(session, school, inspected_on=date(2019, 3, 5), overall_effectiveness=2,
                              grades={"quality_of_education": 2, "behaviour_and_attitudes": 1})
    factories.make_inspection(session, school, inspected_on=date(2024, 11, 20), overall_effectiveness=None,
                              grades={"quality_of_education": 3, "leadership_and_management": 2})
    factories.make_inspection(session, school, inspected_on=date(2025, 12, 2), overall_effectiveness=None,
                              safeguarding="met", grades={"inclusion": "strong_standard",
                                                          "achievement": "needs_attention"})
    factories.make_indicator(session, school, measure="persistent_absence", academic_year="2025/26", value=17.5,
                             source="DfE", recorded_on=date(2026, 10, 1))
    factories.make_indicator(session, school, measure="budget_balance", academic_year="2024/25", value=-125000,
                             source="LA finance", recorded_on=date(2025, 6, 30))
    return school


def page(client, urn: str) -> str:
    response = client.get(f"/schools/{urn}")
    assert response.status_code == 200, response.text
    return response.text


def test_the_details(signed_in, school):
    html = page(signed_in, school.urn)
    assert f"<title>{school.name} – School partnerships</title>" in html
    assert '<a class="govuk-link app-nav__link" href="/schools" aria-current="page">' in html
    assert 'class="govuk-back-link' in html
    for text in [f"URN {school.urn}", "Primary", "Community school", "Meadowlark Trust", "Peterborough (874)",
                 "1 September 1998", "1,234", "31.2%", "Priya Okafor, since 1 September 2021", "PE1 1AA",
                 'govuk-tag--orange">Amber',
                 "No – New headteacher settling in; will join in the spring term"]:
        assert text in html, text


def test_an_engaged_school_says_yes(signed_in, world):
    html = page(signed_in, world.our_school.urn)
    assert "Engaged in the network</dt>" in html
    assert "No inspections recorded." in html
    assert "No figures recorded yet." in html
    assert 'govuk-tag--grey">Not inspected' in html


def test_each_inspection_keeps_its_own_scale(signed_in, school):
    html = page(signed_in, school.urn)
    rows = html[html.index('id="inspections"'):html.index('id="indicators"')]
    # newest first
    assert rows.index("2 December 2025") < rows.index("20 November 2024") < rows.index("5 March 2019")
    assert rows.index("5 March 2019") < rows.index("14 June 2011")
    # report card: each area on its five-point scale, and safeguarding met / not met
    assert "Report card" in rows
    assert "Inclusion: Strong standard" in rows and "Achievement: Needs attention" in rows
    assert "Safeguarding met" in rows
    # ungraded (2024): key judgements only
    assert "Ungraded key judgements" in rows
    assert 'govuk-tag--grey">No overall grade' in rows
    assert "Quality of education: 3 – Requires improvement" in rows
    assert "Leadership and management: 2 – Good" in rows
    # graded: the overall grade with its words; grade 3 was "Satisfactory" before September 2012
    assert "2 – Good</strong>" in rows
    assert "Behaviour and attitudes: 1 – Outstanding" in rows
    assert "3 – Satisfactory</strong>" in rows
    assert "govuk-warning-text" not in html
    assert "(report card: its weakest area)" in html


def test_a_category_of_concern_is_shown_prominently(signed_in, session, school):
    factories.make_inspection(session, school, inspected_on=date(2024, 6, 3), overall_effectiveness=4,
                              category_of_concern="special_measures")
    factories.make_inspection(session, school, inspected_on=date(2026, 1, 15), overall_effectiveness=None,
                              category_of_concern="serious_weaknesses", safeguarding="not_met",
                              grades={"inclusion": "urgent_improvement"})
    html = page(signed_in, school.urn)
    warning = html[html.index("govuk-warning-text"):html.index('id="inspections"')]
    assert "In a category of concern: serious weaknesses" in warning
    assert "15 January 2026" in warning
    rows = html[html.index('id="inspections"'):]
    assert 'govuk-tag--red">Special measures' in rows
    assert 'govuk-tag--red">Serious weaknesses' in rows
    assert "4 – Inadequate</strong>" in rows
    assert "Safeguarding not met" in rows


def test_safeguarding_not_met_is_a_warning_too(signed_in, session, world):
    school = factories.make_school(session, world.ours, name="Larch School")
    factories.make_inspection(session, school, inspected_on=date(2026, 2, 2), overall_effectiveness=None,
                              safeguarding="not_met", grades={})
    html = page(signed_in, school.urn)
    assert "Safeguarding was judged not met at the inspection on 2 February 2026" in html


def test_the_indicators(signed_in, school):
    html = page(signed_in, school.urn)
    table = html[html.index('id="indicators"'):]
    assert table.index("Persistent absence (%)") < table.index("Budget balance")
    for text in ["2025/26", "17.5", "DfE", "1 October 2026", "2024/25", "−£125,000", "LA finance", "30 June 2025"]:
        assert text in table, text


def test_only_http_report_links_become_links(signed_in, session, world):
    school = factories.make_school(session, world.ours, name="Rowan School")
    risky = factories.make_inspection(session, school, inspected_on=date(2023, 1, 10))
    real = factories.make_inspection(session, school, inspected_on=date(2022, 1, 10))
    with all_tenants(session):
        risky.report_url = "javascript:alert(1)"
        real.report_url, real.source = "https://reports.ofsted.example/1", "Ofsted"
        session.flush()
    html = page(signed_in, school.urn)
    assert "javascript:" not in html
    assert 'href="https://reports.ofsted.example/1"' in html


@pytest.mark.parametrize("urn", ["999999", "abc", "1000011"])
def test_an_unknown_urn_is_the_not_found_page(signed_in, urn):
    response = signed_in.get(f"/schools/{urn}")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "<!DOCTYPE html>" in response.text


def test_another_partnerships_school_is_not_found(signed_in, world):
    response = signed_in.get(f"/schools/{world.their_school.urn}")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert world.their_school.name not in response.text


def test_the_school_page_needs_a_session(client, world):
    response = client.get(f"/schools/{world.our_school.urn}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/sign-in?next=%2Fschools%2F{world.our_school.urn}"
