"""Recording and correcting inspections and figures from the school's page."""

import re
from datetime import date

import pytest
from sqlmodel import select

from app.db import all_tenants
from app.models.indicator import Indicator
from app.models.inspection import Inspection
from tests import factories
from tests.web.conftest import csrf_from, sign_in


@pytest.fixture
def school(session, world):
    return factories.make_school(session, world.ours, name="Hazel Park Primary School")


def inspections_of(session, school) -> list[Inspection]:
    with all_tenants(session):
        session.expire_all()
        return list(session.exec(select(Inspection).where(Inspection.school_id == school.id)))


def test_record_a_graded_inspection(signed_in, session, world, school):
    page = signed_in.get(f"/schools/{school.urn}/inspections/new")
    assert page.status_code == 200
    response = signed_in.post(f"/schools/{school.urn}/inspections", follow_redirects=False, data={
        "csrf_token": csrf_from(page.text), "inspected_on": "2019-03-05", "overall_effectiveness": "2",
        "grades.quality_of_education": "2", "grades.leadership_and_management": "1", "source": "Ofsted report"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/schools/{school.urn}#inspections"
    [saved] = inspections_of(session, school)
    assert (saved.framework, saved.overall_effectiveness, saved.headline) == ("graded", 2, "good")
    assert saved.grades == {"quality_of_education": 2, "leadership_and_management": 1}
    assert saved.updated_by == world.officer.name
    shown = signed_in.get(f"/schools/{school.urn}").text
    assert "The inspection was recorded" in shown
    assert f"/schools/{school.urn}/inspections/{saved.id}/edit" in shown


def test_a_grade_on_the_wrong_framework_is_refused_beside_it_and_kept(signed_in, session, school):
    page = signed_in.get(f"/schools/{school.urn}/inspections/new")
    response = signed_in.post(f"/schools/{school.urn}/inspections", data={
        "csrf_token": csrf_from(page.text), "inspected_on": "2025-12-02", "overall_effectiveness": "2",
        "grades.inclusion": "strong_standard", "source": "Typed by hand"})
    assert response.status_code == 422
    html = response.text
    assert re.search(r'id="overall_effectiveness-error"[^>]*>.*?Only inspections before September 2024', html, re.S)
    assert 'value="2025-12-02"' in html and 'value="Typed by hand"' in html
    assert '<option value="strong_standard" selected>' in html
    assert inspections_of(session, school) == []


def test_the_same_day_twice_is_refused_with_the_api_s_words(signed_in, session, school):
    factories.make_inspection(session, school, inspected_on=date(2019, 3, 5), overall_effectiveness=2)
    page = signed_in.get(f"/schools/{school.urn}/inspections/new")
    response = signed_in.post(f"/schools/{school.urn}/inspections", data={
        "csrf_token": csrf_from(page.text), "inspected_on": "2019-03-05", "overall_effectiveness": "3"})
    assert response.status_code == 422
    assert re.search(r'id="inspected_on-error"[^>]*>.*?This school already has an inspection on 2019-03-05',
                     response.text, re.S)


def test_correct_an_inspection_and_meet_a_conflict(signed_in, api, session, school):
    inspection = factories.make_inspection(session, school, inspected_on=date(2019, 3, 5), overall_effectiveness=2)
    page = signed_in.get(f"/schools/{school.urn}/inspections/{inspection.id}/edit").text
    assert '<option value="2" selected>' in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    form = {"csrf_token": csrf_from(page), "version": version, "inspected_on": "2019-03-05",
            "overall_effectiveness": "3", "source": "Corrected from the report"}

    etag = api.get(f"/api/v1/schools/{school.urn}/inspections/{inspection.id}").headers["ETag"]
    assert api.put(f"/api/v1/schools/{school.urn}/inspections/{inspection.id}", headers={"If-Match": etag},
                   json={"inspected_on": "2019-03-05", "overall_effectiveness": 4}).status_code == 200

    stale = signed_in.post(f"/schools/{school.urn}/inspections/{inspection.id}/edit", data=form)
    assert stale.status_code == 409
    assert "Corrected from the report" in stale.text
    assert inspections_of(session, school)[0].overall_effectiveness == 4

    again = form | {"version": re.search(r'name="version" value="(\d+)"', stale.text).group(1)}
    ok = signed_in.post(f"/schools/{school.urn}/inspections/{inspection.id}/edit", data=again, follow_redirects=False)
    assert ok.status_code == 303
    assert inspections_of(session, school)[0].overall_effectiveness == 3


def test_record_and_correct_a_figure(signed_in, session, school):
    page = signed_in.get(f"/schools/{school.urn}/indicators/new")
    response = signed_in.post(f"/schools/{school.urn}/indicators", follow_redirects=False, data={
        "csrf_token": csrf_from(page.text), "measure": "persistent_absence", "academic_year": "2025/26",
        "value": "17.5", "source": "DfE", "recorded_on": ""})
    assert response.status_code == 303, response.text
    with all_tenants(session):
        [figure] = session.exec(select(Indicator).where(Indicator.school_id == school.id)).all()
    assert (figure.value, figure.recorded_on) == (17.5, date.today())

    edit = signed_in.get(f"/schools/{school.urn}/indicators/{figure.id}/edit").text
    refused = signed_in.post(f"/schools/{school.urn}/indicators/{figure.id}/edit", data={
        "csrf_token": csrf_from(edit), "version": str(figure.version), "value": "seventeen", "recorded_on": ""})
    assert refused.status_code == 422
    assert 'value="seventeen"' in refused.text
    assert 'id="value-error"' in refused.text

    ok = signed_in.post(f"/schools/{school.urn}/indicators/{figure.id}/edit", follow_redirects=False, data={
        "csrf_token": csrf_from(edit), "version": str(figure.version), "value": "16.25",
        "recorded_on": "2026-10-01"})
    assert ok.status_code == 303
    session.expire_all()
    with all_tenants(session):
        assert session.get(Indicator, figure.id).value == 16.25


def test_a_bad_academic_year_is_refused_beside_it(signed_in, school):
    page = signed_in.get(f"/schools/{school.urn}/indicators/new")
    response = signed_in.post(f"/schools/{school.urn}/indicators", data={
        "csrf_token": csrf_from(page.text), "measure": "attainment", "academic_year": "2025/27",
        "value": "61", "source": "DfE"})
    assert response.status_code == 422
    assert 'id="academic_year-error"' in response.text
    assert 'value="2025/27"' in response.text


@pytest.mark.parametrize("path", ["/inspections/new", "/indicators/new"])
def test_viewers_are_refused(client, world, school, path):
    assert sign_in(client, world.viewer.email).status_code == 303
    assert client.get(f"/schools/{school.urn}{path}").status_code == 403
    page = client.get(f"/schools/{school.urn}")
    assert "Record an inspection" not in page.text
    target = f"/schools/{school.urn}{path.removesuffix('/new')}"
    response = client.post(target, data={"csrf_token": csrf_from(page.text), "inspected_on": "2019-03-05"})
    assert response.status_code == 403


def test_another_partnership_s_records_are_not_found(signed_in, session, world):
    theirs = factories.make_inspection(session, world.their_school, inspected_on=date(2019, 3, 5),
                                       overall_effectiveness=2)
    assert signed_in.get(f"/schools/{world.their_school.urn}/inspections/new").status_code == 404
    ours = world.our_school.urn
    assert signed_in.get(f"/schools/{ours}/inspections/{theirs.id}/edit").status_code == 404


def test_the_forms_need_a_constant_number_of_statements(signed_in, session, school, count_statements):
    inspection = factories.make_inspection(session, school, inspected_on=date(2019, 3, 5), overall_effectiveness=2)
    with count_statements() as counted:
        assert signed_in.get(f"/schools/{school.urn}/inspections/{inspection.id}/edit").status_code == 200
    assert len(counted.statements) <= 8, counted.statements


@pytest.mark.parametrize("typed", ["1_000", "\u0661\u0662\u0663", "1e308", "1e13"])
def test_figures_are_numbers_as_people_write_them(signed_in, school, typed):
    page = signed_in.get(f"/schools/{school.urn}/indicators/new")
    response = signed_in.post(f"/schools/{school.urn}/indicators", data={
        "csrf_token": csrf_from(page.text), "measure": "attainment", "academic_year": "2025/26",
        "value": typed, "source": "DfE"})
    assert response.status_code == 422
    assert 'id="value-error"' in response.text


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "99999999999999999999999", "\u0661"])
def test_an_address_that_names_no_record_is_the_not_found_page(signed_in, school, bad):
    assert signed_in.get(f"/schools/{school.urn}/inspections/{bad}/edit").status_code == 404
    assert signed_in.get(f"/schools/{school.urn}/indicators/{bad}/edit").status_code == 404
