"""Collaboratives, their boards, roll-forward, proposals and triad pages in the browser: what each
role sees and may do, refusals that keep what was typed, another partnership's records as 404, and
a statement count that does not grow with the schools."""

import re
from datetime import date

import pytest
from sqlmodel import select

from app.db import all_tenants
from app.models.collaborative import Collaborative, CollaborativeSchool, Triad
from app.models.visit import TriadVisit
from app.services import accounts
from tests import factories
from tests.web.conftest import csrf_from, sign_in


@pytest.fixture
def group(session, world):
    """A 2025/26 collaborative of seven schools: a triad of three with a submitted visit, a triad of
    two with a draft, and two schools in no triad."""
    lead = factories.make_user(session, world.ours, name="Lena Lead")
    schools = [world.our_school] + [factories.make_school(session, world.ours, name=f"{n} Primary School",
                                                          la_category="amber")
                                    for n in ("Ash", "Beech", "Cedar", "Elm", "Fir", "Gorse")]
    factories.make_inspection(session, schools[1], overall_effectiveness=4)
    collaborative = factories.make_collaborative(session, world.ours, schools, lead=lead, name="North Primary",
                                                 budget_pounds=12000)
    first = factories.make_triad(session, collaborative, schools[:3], name="Triad A")
    second = factories.make_triad(session, collaborative, schools[3:5], name="Triad B")
    done = factories.make_visit(session, schools[1], kind="triad_review", triad_id=first.id, status="submitted")
    factories.make_visit(session, schools[3], kind="triad_review", triad_id=second.id)
    return {"collaborative": collaborative, "first": first, "second": second, "schools": schools, "lead": lead,
            "done": done}


def person(client, session, world, role: str, scope_kind: str, scope_id: int | None):
    user = factories.make_user(session, name="Someone Scoped")
    with all_tenants(session):
        accounts.grant(session, user, world.ours, role, scope_kind=scope_kind, scope_id=scope_id)
    assert sign_in(client, user.email).status_code == 303
    return client


class TestList:
    def test_the_years_collaboratives_with_their_lead_and_size(self, signed_in, group):
        page = signed_in.get("/collaboratives", params={"academic_year": "2025/26"})
        assert page.status_code == 200
        assert f'href="/collaboratives/{group["collaborative"].id}">North Primary</a>' in page.text
        assert "Lena Lead" in page.text and "£12,000" in page.text
        assert '<option value="2025/26" selected>' in page.text
        assert 'aria-current="page"' in page.text.split("Collaboratives</a>")[0].rsplit("<li>", 1)[1]

    def test_another_year_is_empty_and_a_bad_year_is_400(self, signed_in, group):
        assert "No collaboratives in 2019/20 yet" in signed_in.get("/collaboratives?academic_year=2019/20").text
        bad = signed_in.get("/collaboratives", params={"academic_year": "2025/27"})
        assert bad.status_code == 400 and 'id="academic_year-error"' in bad.text
        assert "Choose a year from the list" in bad.text

    def test_htmx_gets_only_the_results(self, signed_in, group):
        part = signed_in.get("/collaboratives?academic_year=2025/26", headers={"HX-Request": "true"})
        assert part.text.lstrip().startswith('<div id="results"')

    def test_another_partnerships_collaborative_is_hidden(self, signed_in, session, world):
        theirs = factories.make_collaborative(session, world.theirs, [world.their_school], name="Their Group")
        assert "Their Group" not in signed_in.get("/collaboratives?academic_year=2025/26").text
        assert signed_in.get(f"/collaboratives/{theirs.id}").status_code == 404


class TestBoard:
    def test_triads_as_cards_with_tags_and_this_terms_visits(self, signed_in, group):
        page = signed_in.get(f"/collaboratives/{group['collaborative'].id}")
        assert page.status_code == 200
        text = page.text
        assert "Autumn term 2025" in text and "1 of 2 triads have a visit recorded" in text
        card_a = text.split('href="/triads/')[1]
        assert "Triad A" in card_a and "Visit done this term" in card_a
        assert "Visit in progress" in text
        assert "Inadequate" in text, "the Ofsted outcome tag"
        assert "Amber" in text, "the LA category tag"
        assert "Not in a triad" in text and "Fir Primary School" in text
        assert f'href="/visits/{group["done"].id}"' in text
        assert "Roll forward into the next year" in text

    def test_a_headteacher_sees_the_board_but_links_only_their_triads_visits(self, client, session, world, group):
        person(client, session, world, "headteacher", "school", group["schools"][3].id)
        page = client.get(f"/collaboratives/{group['collaborative'].id}")
        assert page.status_code == 200
        assert f'href="/visits/{group["done"].id}"' not in page.text, "not their triad's visit"
        assert "Roll forward" not in page.text and "Propose triads" not in page.text

    def test_the_statement_count_does_not_grow_with_the_schools(self, signed_in, session, world, group,
                                                                  count_statements):
        small = factories.make_collaborative(session, world.ours, [factories.make_school(session, world.ours)
                                                                   for _ in range(2)], name="Small")
        factories.make_triad(session, small, [], name="Empty")
        signed_in.get(f"/collaboratives/{small.id}")
        with count_statements() as few:
            assert signed_in.get(f"/collaboratives/{small.id}").status_code == 200
        schools = [factories.make_school(session, world.ours) for _ in range(30)]
        big = factories.make_collaborative(session, world.ours, schools, name="Big")
        for n in range(10):
            triad = factories.make_triad(session, big, schools[n * 3:n * 3 + 3], name=f"T{n}")
            factories.make_visit(session, schools[n * 3], kind="triad_review", triad_id=triad.id)
        with count_statements() as many:
            assert signed_in.get(f"/collaboratives/{big.id}").status_code == 200
        assert many.count == few.count


    def test_the_boards_visits_are_found_by_the_triads_index(self, session, engine, world, group):
        from datetime import date

        from app.services import collaborative_board
        from tests.services.test_query_plans import plans

        officer = accounts.principal_for(session, world.officer, world.ours.id)
        found = plans(session, engine, lambda: collaborative_board.board(
            session, group["collaborative"].id, by=officer, today=date(2025, 11, 1)))
        visits = [steps for statement, steps in found if "FROM triad_visit" in statement]
        assert visits, [statement for statement, _ in found]
        for steps in visits:  # SQLite names the index; PostgreSQL's nodes must not scan the table
            if engine.dialect.name == "sqlite":
                assert any("ix_triad_visit_triad" in step for step in steps), steps
            assert not any("ix_triad_visit_partnership_date" in step or step.startswith("Seq Scan")
                           for step in steps), steps


class TestRollForward:
    def test_an_officer_rolls_forward_once(self, signed_in, session, group):
        board = signed_in.get(f"/collaboratives/{group['collaborative'].id}")
        url = f"/collaboratives/{group['collaborative'].id}/roll-forward"
        done = signed_in.post(url, data={"csrf_token": csrf_from(board.text)}, follow_redirects=False)
        assert done.status_code == 303, done.text
        with all_tenants(session):
            copy = session.exec(select(Collaborative).where(Collaborative.academic_year == "2026/27")).one()
            assert len(session.exec(select(Triad).where(Triad.collaborative_id == copy.id)).all()) == 2
        assert done.headers["location"] == f"/collaboratives/{copy.id}"
        assert "was rolled forward into 2026/27 with 2 triad(s)" in signed_in.get(done.headers["location"]).text
        again = signed_in.post(url, data={"csrf_token": csrf_from(board.text)}, follow_redirects=False)
        assert again.status_code == 409 and "Already rolled forward to 2026/27" in again.text

    def test_a_lead_below_good_needs_a_reason_which_is_asked_for_and_kept(self, signed_in, session, world, group):
        # The lead heads Ash (graded 4).
        with all_tenants(session):
            accounts.grant(session, group["lead"], world.ours, "headteacher", scope_kind="school",
                           scope_id=group["schools"][1].id)
        url = f"/collaboratives/{group['collaborative'].id}/roll-forward"
        token = csrf_from(signed_in.get(f"/collaboratives/{group['collaborative'].id}").text)
        refused = signed_in.post(url, data={"csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 422
        assert 'name="lead_override_reason"' in refused.text and "Say why they lead" in refused.text
        kept = signed_in.post(url, data={"csrf_token": token, "lead_override_reason": "Interim, agreed by the board"},
                              follow_redirects=False)
        assert kept.status_code == 303
        assert "Interim, agreed by the board" in signed_in.get(kept.headers["location"]).text

    def test_a_viewer_may_not(self, client, session, world, group):
        assert sign_in(client, world.viewer.email).status_code == 303
        board = client.get(f"/collaboratives/{group['collaborative'].id}")
        assert "Roll forward" not in board.text
        refused = client.post(f"/collaboratives/{group['collaborative'].id}/roll-forward",
                              data={"csrf_token": csrf_from(board.text)})
        assert refused.status_code == 403


class TestProposals:
    def test_the_lead_sees_proposals_and_forms_them(self, client, session, world, group):
        extra = [factories.make_school(session, world.ours, name=f"Extra {n}") for n in range(4)]
        factories.make_inspection(session, extra[0], overall_effectiveness=1)
        with all_tenants(session):
            for school in extra:
                session.add(CollaborativeSchool(partnership_id=world.ours.id, school_id=school.id,
                                                collaborative_id=group["collaborative"].id, academic_year="2025/26"))
            session.flush()
        person(client, session, world, "lead_headteacher", "collaborative", group["collaborative"].id)
        page = client.get(f"/collaboratives/{group['collaborative'].id}/triad-proposals")
        assert page.status_code == 200, page.text
        names = re.findall(r'name="triad\.(\d+)\.name"', page.text)
        assert names, "at least one triad proposed"
        data = {"csrf_token": csrf_from(page.text)}
        for i in names:
            data[f"triad.{i}.name"] = re.search(rf'name="triad\.{i}\.name" type="text" value="([^"]*)"', page.text)[1]
            data[f"triad.{i}.schools"] = re.search(rf'name="triad\.{i}\.schools" value="([^"]*)"', page.text)[1]
        data["triad.0.name"] = "Triad A"  # taken: nothing is formed
        refused = client.post(f"/collaboratives/{group['collaborative'].id}/triad-proposals", data=data)
        assert refused.status_code in (409, 422) and "Nothing was saved" in refused.text
        data["triad.0.name"] = "Renamed on the page"
        formed = client.post(f"/collaboratives/{group['collaborative'].id}/triad-proposals", data=data,
                             follow_redirects=False)
        assert formed.status_code == 303, formed.text
        with all_tenants(session):
            assert session.exec(select(Triad).where(Triad.name == "Renamed on the page")).one()

    def test_a_headteacher_may_not_propose(self, client, session, world, group):
        person(client, session, world, "headteacher", "school", group["schools"][0].id)
        assert client.get(f"/collaboratives/{group['collaborative'].id}/triad-proposals").status_code == 403


class TestTriadPage:
    def test_the_triad_its_schools_and_visits(self, signed_in, group):
        page = signed_in.get(f"/triads/{group['first'].id}")
        assert page.status_code == 200
        assert "Ash Primary School" in page.text and f'href="/visits/{group["done"].id}"' in page.text
        assert "Record a visit" in page.text
        assert signed_in.get(f"/triads/{group['second'].id}").text.count("govuk-warning-text__text") == 1

    def test_a_headteacher_records_a_visit_to_their_own_school_only(self, client, session, world, group):
        ash = group["schools"][1]
        person(client, session, world, "headteacher", "school", ash.id)
        page = client.get(f"/triads/{group['first'].id}")
        assert re.findall(r'name="urn" type="radio" value="(\d+)"', page.text) == [ash.urn]
        token = csrf_from(page.text)
        refused = client.post(f"/triads/{group['first'].id}/visits",
                              data={"csrf_token": token, "urn": ash.urn, "visit_date": "2024-01-10"})
        assert refused.status_code == 422 and 'value="2024-01-10"' in refused.text
        assert 'id="visit_date-error"' in refused.text
        made = client.post(f"/triads/{group['first'].id}/visits", follow_redirects=False,
                           data={"csrf_token": token, "urn": ash.urn, "visit_date": "2025-11-20"})
        assert made.status_code == 303, made.text
        with all_tenants(session):
            visit = session.exec(select(TriadVisit).where(TriadVisit.visit_date == date(2025, 11, 20))).one()
        assert made.headers["location"] == f"/visits/{visit.id}"
        other = client.post(f"/triads/{group['first'].id}/visits", follow_redirects=False,
                            data={"csrf_token": token, "urn": world.our_school.urn, "visit_date": "2025-11-21"})
        assert other.status_code == 403

    def test_another_partnerships_triad_is_404(self, signed_in, session, world):
        theirs = factories.make_collaborative(session, world.theirs, [world.their_school])
        triad = factories.make_triad(session, theirs, [world.their_school])
        assert signed_in.get(f"/triads/{triad.id}").status_code == 404

    def test_the_statement_count_does_not_grow(self, signed_in, session, world, group, count_statements):
        signed_in.get(f"/triads/{group['second'].id}")
        with count_statements() as few:
            signed_in.get(f"/triads/{group['second'].id}")
        for n in range(20):
            factories.make_visit(session, group["schools"][0], kind="triad_review", triad_id=group["first"].id,
                                 visit_date=date(2025, 10, 1 + n))
        with count_statements() as many:
            signed_in.get(f"/triads/{group['first'].id}")
        assert many.count == few.count



def test_the_list_statement_count_does_not_grow(signed_in, session, world, count_statements):
    for n in range(2):
        factories.make_collaborative(session, world.ours, [factories.make_school(session, world.ours)],
                                     name=f"Few {n}", academic_year="2023/24")
    for n in range(30):
        factories.make_collaborative(session, world.ours, [factories.make_school(session, world.ours)],
                                     name=f"Many {n}", academic_year="2024/25")
    signed_in.get("/collaboratives?academic_year=2023/24")
    with count_statements() as few:
        assert signed_in.get("/collaboratives?academic_year=2023/24").text.count('href="/collaboratives/') == 2
    with count_statements() as many:
        assert signed_in.get("/collaboratives?academic_year=2024/25").text.count('href="/collaboratives/') == 30
    assert many.count == few.count
