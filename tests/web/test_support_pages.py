"""The support pages: the list with its filters (a wrong one shown beside it) and pages, recording
support with what was typed kept on refusal, a deployment's page with its brokering timeline, the
conflict of interest suggested and the days warning, changing and removing it (a stale save shows
both versions), the data-quality page, roles, tenancy and CSRF; all without JavaScript."""

import re
from datetime import date

from sqlmodel import select

from app.db import all_tenants
from app.models.account import Role
from app.models.support import SupportDeployment
from tests import factories
from tests.forms import form_values
from tests.support_setup import make_deployment
from tests.web.conftest import csrf_from, sign_in

HTMX = {"HX-Request": "true"}


def record(client, **fields):
    page = client.get("/support/new")
    assert page.status_code == 200, page.text
    data = form_values(page.text, "/support") | fields
    return client.post("/support", data=data, follow_redirects=False)


def test_recording_support_and_reading_its_page(signed_in, session, world):
    provider = factories.make_school(session, world.ours, name="Cedar Teaching School",
                                     trust_name="Solent Academies Trust")
    world.our_school.trust_name = "Solent Academies Trust"
    session.flush()
    made = record(signed_in, urn=world.our_school.urn, provider_kind="sle", provider_urn=provider.urn,
                  objective="Improve phonics", days_planned="4", days_delivered="5.5", start_on="2025-10-01",
                  cost="1,250.50", contacted_on="2025-09-08", school_response="accepted", responded_on="2025-09-15")
    assert made.status_code == 303, made.text
    page = signed_in.get(made.headers["location"])
    assert page.status_code == 200
    assert "The support for Alder Primary School was recorded" in page.text
    assert 'id="days-warning"' in page.text and "More days delivered (5.5) than planned (4)" in page.text
    assert 'id="conflict-of-interest"' in page.text and "same trust (Solent Academies Trust)" in page.text
    assert "No check is recorded yet" in page.text
    assert "£1,250.50" in page.text
    responded = re.search(r'id="step-responded_on">(.*?)</li>', page.text, re.S).group(1)
    assert "15 September 2025" in responded and "Accepted" in responded
    assert "Not recorded" in re.search(r'id="step-matched_on">(.*?)</li>', page.text, re.S).group(1)
    with all_tenants(session):
        stored = session.scalars(select(SupportDeployment)).one()
    assert stored.cost_pence == 125050 and stored.academic_year == "2025/26"


def test_a_refused_form_keeps_what_was_typed_with_the_message_beside_the_field(signed_in, world):
    refused = record(signed_in, urn=world.our_school.urn, provider_kind="adviser", objective="Kept objective",
                     adviser_allocated_on="2025-10-20", adviser_visit_on="2025-10-10", origin_id="12")
    assert refused.status_code == 422
    assert 'id="adviser_visit_on-error"' in refused.text and 'id="adviser_allocated_on-error"' in refused.text
    assert 'id="origin_kind-error"' in refused.text
    values = form_values(refused.text, "/support")
    assert values["objective"] == "Kept objective" and values["adviser_visit_on"] == "2025-10-10"
    again = record(signed_in, urn=world.our_school.urn, provider_kind="sle", objective="Origin",
                   origin_kind="clinic_action", origin_id="9999")
    assert again.status_code == 422 and 'id="origin_id-error"' in again.text
    assert record(signed_in, urn="999999", provider_kind="sle", objective="x").status_code == 422


def test_changing_a_record_and_a_stale_save(signed_in, session, world):
    deployment = make_deployment(session, world.our_school)
    page = signed_in.get(f"/support/{deployment.id}")
    mine = form_values(page.text, f"/support/{deployment.id}")
    saved = signed_in.post(f"/support/{deployment.id}", data=mine | {"outcome": "green", "reviewed_on": "2026-07-01",
                                                                     "days_delivered": "6"},
                           follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with all_tenants(session):
        session.expire_all()
        assert session.get(SupportDeployment, deployment.id).outcome == "green"
    stale = signed_in.post(f"/support/{deployment.id}", data=mine | {"objective": "Mine, typed late"},
                           follow_redirects=False)
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text and "Mine, typed late" in stale.text
    refused = signed_in.post(f"/support/{deployment.id}",
                             data=form_values(signed_in.get(f"/support/{deployment.id}").text,
                                              f"/support/{deployment.id}") | {"matched_on": "2025-11-01"},
                             follow_redirects=False)
    assert refused.status_code == 422 and 'id="supporting_organisation-error"' in refused.text


def test_removing_a_record(signed_in, session, world):
    deployment = make_deployment(session, world.our_school)
    page = signed_in.get(f"/support/{deployment.id}")
    data = form_values(page.text, f"/support/{deployment.id}/delete")
    gone = signed_in.post(f"/support/{deployment.id}/delete", data=data, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/support"
    assert signed_in.get(f"/support/{deployment.id}").status_code == 404


def test_the_list_filters_and_pages(signed_in, session, world):
    old = make_deployment(session, world.our_school, academic_year="2017/18", outcome="green",
                          reviewed_on=date(2018, 7, 1))
    new = make_deployment(session, world.our_school, provider_kind="nle")
    page = signed_in.get("/support")
    assert page.status_code == 200 and "Showing 1–2 of 2 deployments" in page.text
    assert page.text.index(f"/support/{new.id}") < page.text.index(f"/support/{old.id}")
    by_year = signed_in.get("/support", params={"year": "2017/18"})
    assert f"/support/{old.id}\"" in by_year.text and f"/support/{new.id}\"" not in by_year.text
    by_kind = signed_in.get("/support", params={"kind": "nle"}, headers=HTMX)
    assert "<html" not in by_kind.text and f"/support/{new.id}\"" in by_kind.text
    assert f"/support/{old.id}\"" not in by_kind.text
    bad = signed_in.get("/support", params={"year": "2017-18", "urn": "12"})
    assert bad.status_code == 422 and 'id="year-error"' in bad.text
    assert 'value="2017-18"' in bad.text
    unknown = signed_in.get("/support", params={"urn": world.their_school.urn})
    assert unknown.status_code == 422 and 'id="urn-error"' in unknown.text
    for n in range(50):
        make_deployment(session, world.our_school, provider_name=f"P{n}")
    first = signed_in.get("/support")
    next_url = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = signed_in.get(next_url)
    assert second.status_code == 200 and "Showing 51–52 of 52 deployments" in second.text


def test_the_data_quality_page(signed_in, session, world):
    make_deployment(session, world.our_school)
    gappy = make_deployment(session, world.our_school, matched_on=date(2025, 11, 1), outcome="red")
    page = signed_in.get("/support/data-quality")
    assert page.status_code == 200 and "1 record to put right" in page.text
    assert f"/support/{gappy.id}" in page.text
    assert "Name the supporting organisation the school was matched with" in page.text
    assert "The outcome is red, but no review date is recorded" in page.text
    assert signed_in.get("/support/data-quality", params={"year": "nope"}).status_code == 422


def test_a_partnership_of_schools_only_shows_empty_pages(client, session):
    partnership = factories.make_partnership(session)
    factories.make_school(session, partnership)
    person = factories.make_user(session, partnership, Role.viewer.value)
    assert sign_in(client, person.email).status_code == 303
    assert "No support deployments match" in client.get("/support").text
    assert "Nothing to put right" in client.get("/support/data-quality").text


def test_a_viewer_reads_but_does_not_write(client, session, world):
    deployment = make_deployment(session, world.our_school)
    assert sign_in(client, world.viewer.email).status_code == 303
    page = client.get(f"/support/{deployment.id}")
    assert page.status_code == 200 and "Change this record" not in page.text
    assert "Record support" not in client.get("/support").text
    assert client.get("/support/new").status_code == 403
    token = csrf_from(page.text)
    assert client.post("/support", data={"csrf_token": token, "urn": world.our_school.urn}).status_code == 403
    assert client.post(f"/support/{deployment.id}", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/support/{deployment.id}/delete", data={"csrf_token": token}).status_code == 403


def test_another_partnerships_record_is_404_and_forms_need_csrf(signed_in, session, world):
    theirs = make_deployment(session, world.their_school)
    assert signed_in.get(f"/support/{theirs.id}").status_code == 404
    ours = make_deployment(session, world.our_school)
    data = form_values(signed_in.get(f"/support/{ours.id}").text, f"/support/{ours.id}")
    data.pop("csrf_token")
    assert signed_in.post(f"/support/{ours.id}", data=data, follow_redirects=False).status_code == 403
    assert 'href="/support" aria-current="page"' in signed_in.get("/support").text


def test_every_page_asks_to_sign_in_first(client, world):
    for url in ("/support", "/support/new", "/support/data-quality", "/support/1"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in"), url
