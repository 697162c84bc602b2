"""The partnership board's service: schools grouped by this year's collaboratives and triads, then
those in none; each tile's flag severity (the red-flag list's, within the caller's flag scope), this
term's triad visit, active support; the filters, their refusals, and the summary of what is shown."""

from datetime import date, timedelta

import pytest

from app.errors import BadRequest
from app.models.account import Role
from app.services import board as boards
from app.services import flag_cache
from app.services.board import HIDDEN, BoardFilters
from tests import factories
from tests.flag_setup import principal
from tests.support_setup import make_deployment

TODAY = date(2026, 11, 26)  # autumn term 2026, academic year 2026/27
YEAR = "2026/27"


@pytest.fixture
def setting(session, world):
    """This year's collaborative of five (a triad of three with a visit submitted this term, a triad
    of two whose only visit was last term's), a school in last year's collaborative only, a closed
    school, and support deployments: one active, the others completed, ended, not begun, declined."""
    ours = world.ours
    names = ["Ash Primary", "Beech Primary", "Cedar Primary", "Damson Primary", "Elm Primary"]
    schools = [factories.make_school(session, ours, name=n) for n in names]
    factories.make_inspection(session, schools[0], overall_effectiveness=4)  # red
    factories.make_inspection(session, schools[1], overall_effectiveness=3)  # amber
    collaborative = factories.make_collaborative(session, ours, schools, name="North Primary", academic_year=YEAR)
    first = factories.make_triad(session, collaborative, schools[:3], name="Triad A")
    second = factories.make_triad(session, collaborative, schools[3:5], name="Triad B")
    factories.make_visit(session, schools[1], kind="triad_review", triad_id=first.id, status="submitted",
                         visit_date=TODAY - timedelta(days=20))
    factories.make_visit(session, schools[3], kind="triad_review", triad_id=second.id, status="signed_off",
                         visit_date=date(2026, 6, 1))  # last term's: this term's is still due
    # Last year's collaborative holds Gorse: this year it is in none.
    gorse = factories.make_school(session, ours, name="Gorse Secondary", phase="secondary", engaged=False,
                                  not_engaged_reason="Trust runs its own peer review", la_category="green")
    factories.make_collaborative(session, ours, [gorse], name="Old Group", academic_year="2025/26")
    closed = factories.make_school(session, ours, name="Hazel Closed", status="closed")
    make_deployment(session, gorse, start_on=TODAY - timedelta(days=30), end_on=TODAY + timedelta(days=30))
    make_deployment(session, schools[2], outcome="green")  # completed
    make_deployment(session, schools[3], end_on=TODAY - timedelta(days=1))  # ended
    make_deployment(session, schools[4], start_on=TODAY + timedelta(days=7))  # not begun
    make_deployment(session, world.our_school, school_response="declined")
    return {"schools": schools, "collaborative": collaborative, "first": first, "second": second, "gorse": gorse,
            "closed": closed}


def officer(session, world):
    return principal(session, world.ours)


def tiles_of(result) -> dict[str, boards.Tile]:
    found = {t.name: t for t in result.not_in_one}
    for group in result.collaboratives:
        found |= {t.name: t for t in group.unassigned}
        for triad in group.triads:
            found |= {t.name: t for t in triad.tiles}
    return found


def test_collaboratives_with_their_triads_then_the_schools_in_none(session, world, setting):
    result = boards.board(session, BoardFilters(), by=officer(session, world), today=TODAY)
    assert result.academic_year == YEAR and result.term.label == "Autumn term 2026"
    [group] = result.collaboratives
    assert group.name == "North Primary" and group.school_count == 5
    assert [(t.name, [s.name for s in t.tiles], t.visit) for t in group.triads] == [
        ("Triad A", ["Ash Primary", "Beech Primary", "Cedar Primary"], "done"),
        ("Triad B", ["Damson Primary", "Elm Primary"], "due")]
    assert [t.name for t in result.not_in_one] == ["Alder Primary School", "Gorse Secondary"]
    assert "Hazel Closed" not in tiles_of(result), "closed schools are left out"
    assert "Birch Academy" not in tiles_of(result), "another partnership's school"


def test_each_tile_carries_its_flags_visit_and_support(session, world, setting):
    tiles = tiles_of(boards.board(session, BoardFilters(), by=officer(session, world), today=TODAY))
    assert tiles["Ash Primary"].severity == "red" and tiles["Beech Primary"].severity == "amber"
    assert tiles["Cedar Primary"].severity is None
    assert tiles["Beech Primary"].visit == "done" and tiles["Beech Primary"].hosted
    assert tiles["Ash Primary"].visit == "done" and not tiles["Ash Primary"].hosted
    assert tiles["Damson Primary"].visit == "due" and not tiles["Damson Primary"].hosted
    assert tiles["Gorse Secondary"].visit == "no_triad"
    assert {name for name, t in tiles.items() if t.supported} == {"Gorse Secondary"}, \
        "completed, ended, not yet begun and declined support are not active"
    assert tiles["Ash Primary"].latest_headline == "inadequate"


def test_the_summary_counts_what_is_shown(session, world, setting):
    summary = boards.board(session, BoardFilters(), by=officer(session, world), today=TODAY).summary
    assert summary.schools == 7
    assert summary.ofsted == {"inadequate": 1, "requires_improvement": 1, "not_inspected": 5}
    assert summary.severity == {"red": 1, "amber": 1, "none": 5}
    assert summary.la_category == [("green", 1), ("none", 6)]
    assert (summary.visits_done, summary.visits_due) == (1, 2)
    assert summary.supported == 1 and summary.not_engaged == 1


@pytest.mark.parametrize(("filters", "expected"), [
    (BoardFilters(phase=["secondary"]), {"Gorse Secondary"}),
    (BoardFilters(severity=["red", "amber"]), {"Ash Primary", "Beech Primary"}),
    (BoardFilters(severity=["none"], phase=["secondary"]), {"Gorse Secondary"}),
    (BoardFilters(collaborative=["none"]), {"Alder Primary School", "Gorse Secondary"}),
    (BoardFilters(engaged="no"), {"Gorse Secondary"}),
    (BoardFilters(engaged="yes", severity=["amber"]), {"Beech Primary"}),
    (BoardFilters(closed="yes", collaborative=["none"]), {"Alder Primary School", "Gorse Secondary", "Hazel Closed"}),
])
def test_filters(session, world, setting, filters, expected):
    result = boards.board(session, filters, by=officer(session, world), today=TODAY)
    assert set(tiles_of(result)) == expected
    assert result.summary.schools == len(expected)


def test_the_collaborative_filter_by_id_keeps_its_triads(session, world, setting):
    wanted = BoardFilters(collaborative=[str(setting["collaborative"].id)])
    result = boards.board(session, wanted, by=officer(session, world), today=TODAY)
    assert len(tiles_of(result)) == 5 and result.not_in_one == []
    assert (result.summary.visits_done, result.summary.visits_due) == (1, 2)
    only_red = boards.board(session, BoardFilters(severity=["red"]), by=officer(session, world), today=TODAY)
    assert [t.name for t in only_red.collaboratives[0].triads] == ["Triad A"], "a triad with none shown is left out"
    assert only_red.summary.visits_due == 1


def test_bad_values_name_their_filter(session, world, setting):
    theirs = factories.make_collaborative(session, world.theirs, [world.their_school], academic_year=YEAR)
    with pytest.raises(BadRequest) as refused:
        boards.board(session, BoardFilters(phase=["primary", "college"], severity=["purple"],
                                           collaborative=[str(theirs.id)], engaged="maybe", closed="no"),
                     by=officer(session, world), today=TODAY)
    assert [e.field for e in refused.value.errors] == ["phase", "severity", "collaborative", "engaged", "closed"]
    assert "'college'" in refused.value.errors[0].message


def test_a_headteacher_sees_only_their_schools_flags(session, world, setting):
    head = principal(session, world.ours, Role.headteacher.value, school=setting["schools"][1])
    tiles = tiles_of(boards.board(session, BoardFilters(), by=head, today=TODAY))
    assert tiles["Beech Primary"].severity == "amber"
    assert tiles["Ash Primary"].severity == HIDDEN, "not theirs: not 'no flags' either"
    assert len(tiles) == 7, "every school is on the board"
    red = boards.board(session, BoardFilters(severity=["red", "none"]), by=head, today=TODAY)
    assert set(tiles_of(red)) == set(), "a school whose flags are hidden matches no severity"


def test_the_red_flag_lists_kept_results_are_used(session, world, setting, count_statements):
    """A read-only session keeps the list's results (app.services.flag_cache) and the next board
    reads them instead of working every school's flags out again."""
    by = officer(session, world)
    session.info["read_only"] = True
    flag_cache.clear()
    try:
        with count_statements() as first:
            worked = tiles_of(boards.board(session, BoardFilters(), by=by, today=TODAY))
        with count_statements() as second:
            kept = tiles_of(boards.board(session, BoardFilters(), by=by, today=TODAY))
        assert {n: t.severity for n, t in kept.items()} == {n: t.severity for n, t in worked.items()}
        assert second.count < first.count
    finally:
        session.info.pop("read_only")
        flag_cache.clear()


def test_a_partnership_of_gias_schools_only_sees_each_by_name(session, world):
    names = {f"Imported {n}" for n in range(4)}
    for name in names:
        factories.make_school(session, world.theirs, name=name, from_gias=True)
    result = boards.board(session, BoardFilters(), by=principal(session, world.theirs), today=TODAY)
    assert result.collaboratives == []
    assert {t.name for t in result.not_in_one} == names | {"Birch Academy"}
