"""The support review (app.services.reports): seed 000's headline from the demo's deployments, the
splits by school type and kind, an empty year, a malformed year, another partnership's deployments
never counted, and a constant number of statements however many deployments there are."""

from datetime import date

import pytest
from sqlalchemy import select

from app.db import all_tenants, as_tenant
from app.errors import ValidationFailed
from app.models.support import BROKERING_STEPS, SupportDeployment
from app.services import demo, reports
from app.services.flag_checks_context import maintained_type
from app.services.partnerships import academic_year_for, previous_year
from tests import factories
from tests.report_setup import deploy, reader


@pytest.fixture(scope="module")
def last_year() -> str:
    return previous_year(academic_year_for(date.today()))


@pytest.fixture
def built(session):
    return demo.build(session)


def counts(tally) -> tuple:  # noqa: ANN001
    return tally.projects, tally.green, tally.amber, tally.red, tally.not_yet_completed


def test_the_demo_reproduces_seed_000s_headline(session, built, last_year):
    review = reports.support_review(session, year=last_year, by=reader(built.partnership))
    assert review.academic_year == last_year
    assert counts(review.overall) == (92, 53, 12, 4, 23)
    maintained, academies = review.by_school_type
    assert (maintained.key, academies.key) == ("la_maintained", "academy")
    assert counts(maintained) == (58, 29, 12, 4, 13)
    assert counts(academies) == (34, 24, 0, 0, 10)
    assert maintained.schools + academies.schools == review.overall.schools
    # The finer types add up, and each is on the side the one rule puts it.
    assert sum(t.projects for t in review.by_establishment_type) == 92
    assert sum(t.projects for t in review.by_establishment_type if maintained_type(t.key)) == 58
    assert "Academy converter" in {t.key for t in review.by_establishment_type}


def test_the_demos_kinds_follow_the_seed(session, built, last_year):
    review = reports.support_review(session, year=last_year, by=reader(built.partnership))
    kinds = {t.key: t for t in review.by_kind}
    assert list(kinds) == ["sle", "lle", "nle", "nlg", "partner_school", "adviser", "peer_review", "funded_bid"]
    assert {k: t.projects for k, t in kinds.items()} == {
        "sle": 24, "lle": 3, "nle": 4, "nlg": 3, "partner_school": 6, "adviser": 5, "peer_review": 21,
        "funded_bid": 26}
    # Mostly SLEs for maintained schools, Challenge Partners' reviews for academies.
    assert kinds["sle"].by_school_type == {"la_maintained": 20, "academy": 4}
    assert kinds["peer_review"].by_school_type == {"la_maintained": 5, "academy": 16}
    # LLEs in 3 schools, NLEs in 4, NLGs in 3; the bids (the SEN review) most of what is not yet completed.
    assert (kinds["lle"].schools, kinds["nle"].schools, kinds["nlg"].schools) == (3, 4, 3)
    assert kinds["funded_bid"].not_yet_completed == 17 > 23 / 2
    assert sum(t.days_delivered for t in review.by_kind) == pytest.approx(review.overall.days_delivered)
    with all_tenants(session):
        rows = session.scalars(select(SupportDeployment).where(
            SupportDeployment.partnership_id == built.partnership.id)).all()
    sen = [r for r in rows if r.provider_name == "SEN review bid"]
    assert len(sen) == 15 and sum(r.outcome == "not_yet_completed" for r in sen) == 15
    # Over 16 maintained schools had SLE support, over 50 days of it.
    schools = {s.id: s for s in session.scalars(select(reports.School))}
    sles = [r for r in rows if r.provider_kind == "sle" and maintained_type(schools[r.school_id].establishment_type)]
    assert len({r.school_id for r in sles}) > 16 and sum(r.days_delivered for r in sles) > 50


def test_the_demos_deployments_keep_the_brokering_rules(session, built, last_year):
    with all_tenants(session):
        rows = session.scalars(select(SupportDeployment).where(
            SupportDeployment.partnership_id == built.partnership.id)).all()
    start, end = date(int(last_year[:4]), 9, 1), date(int(last_year[:4]) + 1, 8, 31)
    for row in rows:
        dates = [getattr(row, name) for name, _ in BROKERING_STEPS]
        assert None not in dates and dates == sorted(dates) and start <= dates[0] and dates[-1] <= end, row
        assert row.supporting_organisation and row.school_response == "accepted" and row.funding_source
        assert row.start_on == row.delivery_started_on
        assert (row.end_on is None) == (row.outcome == "not_yet_completed")
        assert row.end_on is None or row.start_on <= row.end_on < row.reviewed_on
        assert row.days_planned > 0 and row.days_delivered >= 0 and row.provider_school_id != row.school_id
    assert len({r.objective for r in rows}) > 20 and {r.academic_year for r in rows} == {last_year}


def test_the_most_supported_schools_and_their_outcomes(session, built, last_year):
    review = reports.support_review(session, year=last_year, by=reader(built.partnership))
    top = review.schools
    assert len(top) == reports.TOP_SCHOOLS
    assert [s.projects for s in top] == sorted((s.projects for s in top), reverse=True)
    struggling = next(s for s in top if s.red)
    assert (struggling.projects, struggling.red, struggling.amber, struggling.school_type) == (5, 4, 1, "la_maintained")
    assert sum(1 for s in top if s.green >= 4 and s.school_type == "la_maintained") >= 5


def test_the_default_is_the_current_year_and_an_empty_year_is_zeros(session, built, last_year):
    review = reports.support_review(session, by=reader(built.partnership))
    assert review.academic_year == built.partnership.current_academic_year != last_year
    assert counts(review.overall) == (0, 0, 0, 0, 0) and review.schools == [] and review.by_establishment_type == []
    assert [counts(t) for t in review.by_school_type] == [(0, 0, 0, 0, 0)] * 2
    assert len(review.by_kind) == 8 and all(t.projects == 0 and t.days_delivered == 0 for t in review.by_kind)
    assert review.years == [last_year]


@pytest.mark.parametrize("year", ["2025-26", "2025/27", "25/26", ""])
def test_a_year_not_like_2026_27_is_refused_on_year(session, world, year):
    with pytest.raises(ValidationFailed) as caught:
        reports.support_review(session, year=year, by=reader(world.ours))
    assert [(e.field, e.location) for e in caught.value.errors] == [("year", "query")]


def test_splits_days_and_another_partnerships_deployments(session, world):
    academy = factories.make_school(session, world.ours, name="Oak Academy", establishment_type="Academy converter")
    unknown = factories.make_school(session, world.ours, name="Ash School", establishment_type=None)
    deploy(session, world.our_school, outcome="green", days_planned=2.0, days_delivered=2.5)
    deploy(session, world.our_school, provider_kind="nlg", outcome="red", days_planned=None, days_delivered=None)
    deploy(session, academy, provider_kind="peer_review", outcome="not_yet_completed", days_delivered=0.0)
    deploy(session, unknown, outcome="amber", days_planned=1.5, days_delivered=1.0)
    deploy(session, world.our_school, academic_year="2024/25")
    deploy(session, world.their_school, outcome="red")
    review = reports.support_review(session, year="2025/26", by=reader(world.ours))
    assert counts(review.overall) == (4, 1, 1, 1, 1) and review.overall.schools == 3
    maintained, academies = review.by_school_type
    assert counts(maintained) == (3, 1, 1, 1, 0) and maintained.schools == 2  # an unknown type counts as maintained
    assert counts(academies) == (1, 0, 0, 0, 1) and academies.schools == 1
    assert [(t.label, t.projects) for t in review.by_establishment_type] == [
        ("Community school", 2), ("Academy converter", 1), ("Not recorded", 1)]
    kinds = {t.key: t for t in review.by_kind}
    assert (kinds["sle"].projects, kinds["sle"].days_planned, kinds["sle"].days_delivered) == (2, 3.5, 3.5)
    assert kinds["sle"].schools == 2 and kinds["nlg"].days_delivered == 0
    assert [(s.name, s.projects, s.red) for s in review.schools][0] == (world.our_school.name, 2, 1)
    assert review.years == ["2025/26", "2024/25"]
    with as_tenant(session, world.theirs.id):
        theirs = reports.support_review(session, year="2025/26", by=reader(world.theirs))
    assert counts(theirs.overall) == (1, 0, 0, 1, 0) and theirs.years == ["2025/26"]


def test_the_table_has_a_line_per_group(session, world):
    deploy(session, world.our_school)
    rows = reports.table_rows(reports.support_review(session, year="2025/26", by=reader(world.ours)))
    assert rows[0] == ("2025/26", "All schools", "All schools", None, 1, 1, 0, 0, 0, 1, 3.0, 3.0)
    assert [r[1] for r in rows].count("Kind of support") == 8
    assert rows[-1][1:5] == ("Most supported schools", world.our_school.name, world.our_school.urn, 1)
    assert all(len(r) == len(reports.TABLE_HEADER) for r in rows)


def test_the_statements_do_not_grow_with_deployments(session, world, count_statements):
    by = reader(world.ours)
    deploy(session, world.our_school, academic_year="2010/11")
    session.expire_all()
    with count_statements() as few:
        reports.support_review(session, year="2010/11", by=by)
    types = ["Community school", "Academy converter", "Foundation school", "Free schools", "Academy sponsor led"]
    for n in range(40):
        school = factories.make_school(session, world.ours, establishment_type=types[n % len(types)])
        for kind, outcome in (("sle", "green"), ("funded_bid", "amber"), ("peer_review", "not_yet_completed")):
            deploy(session, school, provider_kind=kind, outcome=outcome, academic_year="2010/11")
            deploy(session, school, provider_kind=kind, outcome=outcome, academic_year=f"20{11 + n % 5}/{12 + n % 5}")
    session.expire_all()
    with count_statements() as many:
        review = reports.support_review(session, year="2010/11", by=by)
    assert review.overall.projects == 121 and len(review.schools) == reports.TOP_SCHOOLS
    assert len(review.by_establishment_type) == 5 and len(review.years) == 6
    session.expire_all()
    with count_statements() as by_default:
        assert reports.support_review(session, by=by).overall.projects == 0  # the current year's
    # The counts, the schools reached, the most supported, the years; and the partnership for its year.
    assert few.count == many.count == by_default.count - 1 == 4, many.statements
