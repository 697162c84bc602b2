"""The plans of the API lists that had no EXPLAIN test of their own, on the engine under test (the
style of tests/services/test_query_plans.py): clinics, national figures, audit events by each
filter, visits by kind or status, schools by LA category, the red flags' page by each filter, and
the short lists under one record (a school's review judgements; a clinic's agenda, actions and
targets). No statement scans a table whole; a list's page under its default sort, and under a
filter whose index holds that order, is read in index order, unsorted.

Two partnerships' rows are made so that the planner has other tenants' rows to pass over. On
PostgreSQL scans and sorts are priced out (`plans`), so one left in means that no index could
serve the query. The lists tested elsewhere: schools (tests/services/test_query_plans.py),
collaboratives and triads (test_query_plans_triads.py, tests/test_explain_peer_review.py), visits
and a triad's visits (test_query_plans_visits.py, test_explain_peer_review.py), action plans and
milestones (tests/test_explain_plans.py), support deployments (tests/test_explain_support.py),
groups (tests/test_explain_groups.py)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from app.models.audit import AuditEvent
from app.models.clinic import Clinic, ClinicAction, ClinicAgendaItem, ClinicTarget
from app.services import (
    audit,
    clinic_actions,
    clinic_agenda,
    clinics,
    flags,
    national_figures,
    review_judgements,
    visits,
)
from app.services import schools as schools_service
from app.services.audit import AuditFilters
from app.services.flags import FlagFilters
from app.services.schools import SchoolFilters
from app.services.visits import VisitFilters
from tests import factories
from tests import visit_setup as vs
from tests.flag_setup import TODAY, add, judgement, manual, national, troubled_school
from tests.services.test_query_plans import plans

TABLES = ("clinic", "clinic_action", "clinic_agenda_item", "clinic_target", "national_figure", "audit_event",
          "triad_visit", "visit_action", "school", "review_judgement", "manual_flag", "inspection", "indicator",
          "partnership")
_SQLITE_SCAN = re.compile(rf"^SCAN ({'|'.join(TABLES)})\b")
_PG_SCAN = re.compile(rf"^Seq Scan on ({'|'.join(TABLES)})$")
_PAGE = re.compile(r"\bORDER BY\b.*\bLIMIT\b", re.S)
ACTORS = ("Ann Officer", "token sp_abc123", "command line")


def assert_indexed(found, *, ordered: bool = False) -> None:
    """No step scans a table; with `ordered`, each page (ORDER BY ... LIMIT) is read unsorted."""
    for statement, steps in found:
        for step in steps:
            assert not _SQLITE_SCAN.match(step) and not _PG_SCAN.match(step), f"full scan: {step}\n{statement}"
            if ordered and _PAGE.search(statement):
                assert "TEMP B-TREE FOR ORDER BY" not in step and step not in ("Sort", "Incremental Sort"), \
                    f"sorted instead of read in index order: {step}\n{statement}"


def both_pages(session, engine, page, **kwargs) -> None:  # noqa: ANN001
    """The first page and the next, each read through indexes (in index order with `ordered`)."""
    first = page(None)
    assert first.next_cursor is not None, "too few rows for a second page"
    for cursor in (None, first.next_cursor):
        assert_indexed(plans(session, engine, lambda c=cursor: page(c)), **kwargs)


# --- clinics ----------------------------------------------------------------------------------------

CLINIC_STATUSES = ("planned", "in_session", "minutes_draft", "minutes_approved")


@pytest.fixture
def clinic_rows(session, world):
    """Twelve clinics over three years in each partnership, each with an agenda item, an action and a target."""
    made = {}
    for partnership in (world.ours, world.theirs):
        school = factories.make_school(session, partnership)
        for n in range(12):
            held = date(2023, 10, 1) + timedelta(days=91 * n)
            year = f"{held.year if held.month >= 9 else held.year - 1}/{(held.year + (held.month >= 9)) % 100:02d}"
            clinic = add(session, Clinic(partnership_id=partnership.id, held_on=held, academic_year=year,
                                         meeting="termly", status=CLINIC_STATUSES[n % 4]))
            add(session, ClinicAgendaItem(partnership_id=partnership.id, clinic_id=clinic.id, school_id=school.id,
                                          position=1, kind="flagged", severity="red"))
            add(session, ClinicAction(partnership_id=partnership.id, clinic_id=clinic.id, school_id=school.id,
                                      text="Agree a reading plan", due_on=held + timedelta(days=60),
                                      status=("open", "done")[n % 2]))
            add(session, ClinicTarget(partnership_id=partnership.id, clinic_id=clinic.id, school_id=school.id,
                                      outcome="Attendance above 94%", target_date=held + timedelta(days=120)))
            made.setdefault(partnership.id, []).append(clinic)
    return made[world.ours.id]


CLINIC_FILTERS = {
    "none": ({}, True),
    "year": ({"academic_year": ["2024/25"]}, True),
    "status": ({"status": ["planned"]}, True),
    "years and statuses": ({"academic_year": ["2023/24", "2024/25"], "status": ["planned", "in_session"]}, False),
}


@pytest.mark.parametrize("name", CLINIC_FILTERS)
def test_the_clinics_list(session, engine, world, clinic_rows, name):
    filters, ordered = CLINIC_FILTERS[name]
    officer = vs.officer(world.ours)
    both_pages(session, engine, lambda c: clinics.page(session, limit=1, cursor=c, by=officer, **filters),
               ordered=ordered)


def test_a_clinics_agenda_actions_and_targets(session, engine, world, clinic_rows):
    officer = vs.officer(world.ours)
    clinic = clinic_rows[-1]

    def work() -> None:
        found = clinics.get(session, clinic.id, by=officer)
        clinic_agenda.items_of(session, [found.id])
        clinic_actions.agreed_at(session, found)

    assert clinic_actions.agreed_at(session, clinics.get(session, clinic.id, by=officer))[1], "none carried forward"
    assert_indexed(plans(session, engine, work))


# --- national figures ---------------------------------------------------------------------------------

MEASURES = ("absence", "attainment", "persistent_absence", "progress", "roll")


@pytest.fixture
def figures(session, world):
    for partnership in (world.ours, world.theirs):
        for measure in MEASURES:
            for start in range(2019, 2026):
                national(session, partnership, measure, 5.0, academic_year=f"{start}/{(start + 1) % 100:02d}")


FIGURE_FILTERS = {
    "none": ({}, True),
    "measure": ({"measure": "roll"}, True),
    "year": ({"academic_year": "2024/25"}, True),
    "measure and year": ({"measure": "roll", "academic_year": "2024/25"}, False),
}


@pytest.mark.parametrize("name", FIGURE_FILTERS)
def test_the_national_figures_list(session, engine, world, figures, name):
    filters, ordered = FIGURE_FILTERS[name]
    by = vs.officer(world.ours)
    page = lambda c: national_figures.page(session, limit=2 if name != "measure and year" else 1,  # noqa: E731
                                          cursor=c, by=by, **filters)
    if name == "measure and year":  # one row: no second page
        assert page(None).total == 1
        assert_indexed(plans(session, engine, lambda: page(None)))
        return
    both_pages(session, engine, page, ordered=ordered)


# --- audit events ------------------------------------------------------------------------------------

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def trail(session, world):
    """Events of three tables by three actors over 60 days, in each partnership."""
    for partnership in (world.ours, world.theirs):
        for n in range(60):
            add(session, AuditEvent(partnership_id=partnership.id, occurred_at=START + timedelta(hours=24 * n),
                                    actor=ACTORS[n % 3], table_name=("school", "triad_visit", "clinic")[n % 3],
                                    record_id=1 + n % 7, action="update", changes={"name": ["a", "b"]}))


AUDIT_FILTERS = {
    "none": (AuditFilters(), True),
    "table": (AuditFilters(table="triad_visit"), True),
    "record": (AuditFilters(table="school", record_id=1), True),
    "actor": (AuditFilters(actor="command line"), True),
    "since": (AuditFilters(since=START + timedelta(days=20)), False),
    "until": (AuditFilters(until=START + timedelta(days=20)), False),
    "between": (AuditFilters(since=START + timedelta(days=5), until=START + timedelta(days=40)), False),
    "table and actor": (AuditFilters(table="clinic", actor="command line"), False),
}


@pytest.mark.parametrize("name", AUDIT_FILTERS)
def test_the_audit_events_list(session, engine, world, trail, name):
    filters, ordered = AUDIT_FILTERS[name]
    officer = vs.officer(world.ours)
    both_pages(session, engine, lambda c: audit.page(session, filters, limit=2, cursor=c, by=officer),
               ordered=ordered)


# --- visits by kind and by status, schools by LA category --------------------------------------------------


@pytest.fixture
def visit_rows(session, world):
    net = vs.network(session, world)
    for n in range(30):
        day = date(2024, 9, 2) + timedelta(days=11 * n)
        host = (net.ash, net.cedar, net.oak)[n % 3]
        triad = {net.ash.id: net.north_triad.id, net.cedar.id: net.south_triad.id}.get(host.id)
        factories.make_visit(session, host, kind="triad_review" if triad else "support_partner", triad_id=triad,
                             visit_date=day, status=("draft", "submitted")[n % 2])
        factories.make_visit(session, world.their_school, visit_date=day, status=("draft", "submitted")[n % 2])
    return net


@pytest.mark.parametrize("filters", [
    VisitFilters(kind=["support_partner"]),
    VisitFilters(status=["submitted"]),
], ids=["kind", "status"])
def test_the_visits_list_by_kind_or_status_is_read_in_index_order(session, engine, world, visit_rows, filters):
    officer = vs.officer(world.ours)
    both_pages(session, engine, lambda c: visits.page(session, filters, limit=3, cursor=c, by=officer),
               ordered=True)


def test_the_schools_list_by_la_category(session, engine, world):
    for n in range(30):
        for partnership in (world.ours, world.theirs):
            factories.make_school(session, partnership, la_category=("red", "amber", None)[n % 3])
    officer = vs.officer(world.ours)
    for categories in (["red"], ["amber", "none"]):
        both_pages(session, engine, lambda c, cs=categories: schools_service.page(
            session, SchoolFilters(la_category=cs), sort="urn", limit=3, cursor=c, by=officer))


# --- the red flags' page, a school's review judgements ----------------------------------------------------


@pytest.fixture
def flagged(session, world):
    made = []
    for partnership in (world.ours, world.theirs):
        for n in range(4):
            school = troubled_school(session, partnership, name=f"School {n}")
            manual(session, school)
            judgement(session, school, "overall_effectiveness", 4)
            made.append(school)
        national(session, partnership, "absence", 5.0)
    return made[:4]


@pytest.mark.parametrize("name", ["none", "severity", "category", "urn"])
def test_the_red_flags_page(session, engine, world, flagged, name):
    filters = {"none": FlagFilters(), "severity": FlagFilters(severity=["red"]),
               "category": FlagFilters(category=["governance"]),
               "urn": FlagFilters(urn=[flagged[0].urn, flagged[1].urn])}[name]
    officer = vs.officer(world.ours)
    first = flags.page(session, filters, limit=1, by=officer, today=TODAY)
    assert first.items and first.next_cursor is not None
    for cursor in (None, first.next_cursor):
        assert_indexed(plans(session, engine, lambda c=cursor: flags.page(session, filters, limit=1, cursor=c,
                                                                          by=officer, today=TODAY)))


def test_a_schools_review_judgements(session, engine, world, flagged):
    officer = vs.officer(world.ours)
    school = flagged[0]
    for year in ("2024/25", None):
        assert review_judgements.of_school(session, school, academic_year=year, by=officer) or year
        assert_indexed(plans(session, engine, lambda y=year: review_judgements.of_school(
            session, school, academic_year=y, by=officer)))


# --- the indexes of issue 11's migration (list_filter_indexes) serve the filters they were made for ---

@pytest.mark.parametrize(("name", "index"), [
    ("table", "ix_audit_event_table"), ("actor", "ix_audit_event_actor"),
])
def test_an_audit_filter_seeks_its_own_index(session, engine, world, trail, name, index):
    """Not a walk of the partnership's whole trail keeping the table's or actor's events (SQLite's
    plan names the index; PostgreSQL's choice rests on its statistics, and the order is checked above)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses between the indexes by its statistics")
    filters = AUDIT_FILTERS[name][0]
    officer = vs.officer(world.ours)
    found = plans(session, engine, lambda: audit.page(session, filters, limit=2, by=officer))
    page = [steps for statement, steps in found if _PAGE.search(statement)]
    assert len(page) == 1 and any(f"USING INDEX {index} " in step for step in page[0]), page


def test_the_la_category_filter_seeks_its_own_index(session, engine, world):
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses between the indexes by its statistics")
    for n in range(12):
        factories.make_school(session, world.ours, la_category=("red", "amber", None)[n % 3])
    officer = vs.officer(world.ours)
    found = plans(session, engine, lambda: schools_service.page(session, SchoolFilters(la_category=["red"]),
                                                                 limit=3, by=officer))
    count = [steps for statement, steps in found if "count(" in statement]
    assert len(count) == 1 and any("ix_school_partnership_la_category" in step for step in count[0]), count
