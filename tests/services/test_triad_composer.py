"""The triad composer: deterministic, a good-or-better school in each triad, no pair of the last two
years again, outcomes, FSM and size mixed, explained; it writes nothing, and an accepted proposal
is made as proposed."""

import random
from datetime import date

import pytest
from sqlalchemy import func, select

from app.db import all_tenants
from app.errors import Forbidden
from app.models.account import Role
from app.models.collaborative import ProposalAccept, Triad
from app.services import accounts, triad_composer, triads
from app.services.standing import Standing
from app.services.triad_composer import Candidate, compose, group_sizes
from tests import factories


@pytest.fixture
def officer(session, world):
    return accounts.principal_for(session, world.officer, world.ours.id)


def school(session, world, grade: int | None, fsm: float, pupils: int, **values):
    made = factories.make_school(session, world.ours, fsm_percent=fsm, pupils=pupils, **values)
    if grade is not None:
        factories.make_inspection(session, made, overall_effectiveness=grade)
    return made


@pytest.fixture
def nine(session, world):
    """Nine schools: six good or better, three requiring improvement, FSM and size spread."""
    grades = [1, 2, 2, 2, 2, 2, 3, 3, 3]
    return [school(session, world, grade, fsm=5.0 + 5 * n, pupils=100 + 50 * n) for n, grade in enumerate(grades)]


def groups_of(proposal) -> list[set[str]]:
    return [{c.urn for c in g.members} for g in proposal.groups]


def test_group_sizes_are_threes_with_one_four_or_one_pair():
    assert [group_sizes(n) for n in range(10)] == [
        [], [], [2], [3], [4], [3, 2], [3, 3], [4, 3], [3, 3, 2], [3, 3, 3]]
    assert group_sizes(40) == [4] + [3] * 12


def test_same_input_same_proposal_in_any_order():
    rng = random.Random(7)
    standings = [Standing.good_or_better] * 5 + [Standing.below_good, Standing.not_judged]
    candidates = [Candidate(n, f"{300000 + n}", f"School {n}", None, rng.choice(standings),
                            rng.uniform(2, 50), rng.randint(50, 1500)) for n in range(40)]
    history = {frozenset((rng.randrange(40), rng.randrange(40))) for _ in range(60)}
    history = {pair for pair in history if len(pair) == 2}
    first = compose(candidates, history)
    shuffled = candidates[:]
    rng.shuffle(shuffled)
    again = compose(shuffled, history)
    assert [[c.urn for c in g.members] for g in first.groups] == [[c.urn for c in g.members] for g in again.groups]
    assert first.score == again.score and len(first.groups) == 13
    assert sum(g.pairs_repeated for g in first.groups) == 0
    placed = [c.id for g in first.groups for c in g.members]
    assert sorted(placed) == list(range(40))


def candidates(*values: tuple) -> list[Candidate]:
    return [Candidate(n, f"{200000 + n}", f"School {n}", None, standing, fsm, pupils)
            for n, (standing, fsm, pupils) in enumerate(values)]


GOOD, BELOW = Standing.good_or_better, Standing.below_good


def test_a_good_or_better_school_in_each_triad_outweighs_the_mixes():
    # Together, the two good schools would make one triad perfectly mixed in FSM and size.
    result = compose(candidates((GOOD, 0.0, 100), (GOOD, 50.0, 1000), *[(BELOW, None, None)] * 4), set())
    assert all(g.has_good_or_better for g in result.groups)
    assert result.groups[0].explanation.startswith("pairs repeated: 0; good or better: School 0 (not inspected)")


def test_outcomes_are_mixed_before_fsm_and_size():
    result = compose(candidates((GOOD, 10.0, 100), (GOOD, 50.0, 100), (GOOD, 30.0, 400), (GOOD, 10.0, 200),
                                (BELOW, 50.0, 200), (BELOW, 50.0, 800)), set())
    assert [sum(c.standing == BELOW for c in g.members) for g in result.groups] == [1, 1]


def test_each_triad_gets_a_good_school_and_one_below_good(session, world, officer, nine):
    collaborative = factories.make_collaborative(session, world.ours, nine)
    proposal = triad_composer.propose(session, collaborative.id, by=officer)
    assert [len(g.members) for g in proposal.groups] == [3, 3, 3]
    for group in proposal.groups:
        standings = sorted(c.standing for c in group.members)
        assert standings.count(Standing.below_good) == 1 and group.has_good_or_better
        fsm = [c.fsm_percent for c in group.members]
        assert max(fsm) - min(fsm) >= 15  # no triad of near neighbours in FSM
    assert proposal.explanation.startswith("pairs repeated: 0; each triad has a good-or-better school")
    assert proposal.groups[0].explanation.startswith("pairs repeated: 0; good or better: ")
    assert [g.name for g in proposal.groups] == ["Triad 1", "Triad 2", "Triad 3"]
    # Nothing was written.
    with all_tenants(session):
        assert session.scalar(select(func.count(Triad.id))) == 0


def test_the_same_collaborative_gives_the_same_proposal(session, world, officer, nine):
    collaborative = factories.make_collaborative(session, world.ours, nine)
    first = triad_composer.propose(session, collaborative.id, by=officer)
    second = triad_composer.propose(session, collaborative.id, by=officer)
    assert groups_of(first) == groups_of(second) and first.explanation == second.explanation


def test_pairs_of_the_last_two_years_are_avoided(session, world, officer):
    # All alike, so that only the history tells the triads apart.
    schools = [school(session, world, 2, fsm=20.0, pupils=200) for _ in range(6)]
    last = factories.make_collaborative(session, world.ours, academic_year="2024/25")
    before = factories.make_collaborative(session, world.ours, academic_year="2023/24")
    long_ago = factories.make_collaborative(session, world.ours, academic_year="2022/23")
    for pair in ((0, 1), (2, 3), (4, 5)):
        factories.make_triad(session, last, [schools[i] for i in pair])
    for pair in ((0, 2), (1, 4)):
        factories.make_triad(session, before, [schools[i] for i in pair])
    factories.make_triad(session, long_ago, [schools[3], schools[4]])  # three years back: allowed again
    current = factories.make_collaborative(session, world.ours, schools)

    proposal = triad_composer.propose(session, current.id, by=officer)
    # The one split of six into two threes that repeats none of the last two years' pairs.
    assert sorted(groups_of(proposal), key=min) == [{schools[i].urn for i in (0, 3, 4)},
                                                    {schools[i].urn for i in (1, 2, 5)}]
    assert all(g.pairs_repeated == 0 for g in proposal.groups)
    assert proposal.explanation.startswith("pairs repeated: 0")


def test_without_enough_good_schools_it_says_so(session, world, officer):
    schools = [school(session, world, grade, fsm=10.0 * n, pupils=100 * n + 50)
               for n, grade in enumerate([2, 3, 3, 4, 3, None])]
    collaborative = factories.make_collaborative(session, world.ours, schools)
    proposal = triad_composer.propose(session, collaborative.id, by=officer)
    assert sum(g.has_good_or_better for g in proposal.groups) == 1
    assert "1 triad(s) have no good-or-better school (there are 1 such schools for 2 triads)" in proposal.explanation
    assert "no good-or-better school" in next(g.explanation for g in proposal.groups if not g.has_good_or_better)


def test_ungraded_and_report_card_schools_are_read_on_their_own_scale(session, world, officer):
    ungraded = factories.make_school(session, world.ours)
    factories.make_inspection(session, ungraded, inspected_on=date(2025, 2, 1), overall_effectiveness=None,
                              grades={"quality_of_education": 2, "leadership_and_management": 1})
    card = factories.make_school(session, world.ours)
    factories.make_inspection(session, card, inspected_on=date(2025, 12, 1), overall_effectiveness=None,
                              grades={"inclusion": "needs_attention"})
    collaborative = factories.make_collaborative(session, world.ours, [ungraded, card])
    proposal = triad_composer.propose(session, collaborative.id, by=officer)
    standing = {c.urn: c.standing for c in proposal.groups[0].members}
    assert standing == {ungraded.urn: Standing.good_or_better, card.urn: Standing.below_good}


def test_only_schools_not_yet_in_a_triad_are_placed(session, world, officer, nine):
    collaborative = factories.make_collaborative(session, world.ours, nine)
    factories.make_triad(session, collaborative, nine[:3], name="Triad 1")
    proposal = triad_composer.propose(session, collaborative.id, by=officer)
    placed = set().union(*groups_of(proposal))
    assert placed == {s.urn for s in nine[3:]} and proposal.already_in_triads == sorted(s.urn for s in nine[:3])
    assert [g.name for g in proposal.groups] == ["Triad 2", "Triad 3"]  # names in use are skipped
    assert any("already in a triad" in w for w in proposal.warnings)


def test_a_school_left_alone_is_a_warning(session, world, officer):
    collaborative = factories.make_collaborative(session, world.ours, [school(session, world, 2, 10.0, 100)])
    proposal = triad_composer.propose(session, collaborative.id, by=officer)
    assert proposal.groups == [] and len(proposal.unplaced) == 1 and "could not be placed" in proposal.warnings[0]


def test_accepting_the_proposal_makes_its_triads(session, world, officer, nine):
    collaborative = factories.make_collaborative(session, world.ours, nine)
    proposal = triad_composer.propose(session, collaborative.id, by=officer)
    accept = ProposalAccept(triads=[{"name": g.name, "schools": [c.urn for c in g.members]} for g in proposal.groups])
    made = triads.create_many(session, collaborative, accept, by=officer)
    assert [{s.urn for s in triads.view(session, t).schools} for t in made] == groups_of(proposal)
    # Placed now: a second proposal has nothing left to place.
    assert triad_composer.propose(session, collaborative.id, by=officer).groups == []


def test_who_may_ask(session, world, nine):
    lead = factories.make_user(session, world.ours, Role.viewer.value)
    mine = factories.make_collaborative(session, world.ours, nine[:3], lead=lead)
    other = factories.make_collaborative(session, world.ours, nine[3:])
    by = accounts.principal_for(session, lead, world.ours.id)
    assert len(triad_composer.propose(session, mine.id, by=by).groups) == 1
    with pytest.raises(Forbidden):
        triad_composer.propose(session, other.id, by=by)
    with pytest.raises(Forbidden):
        triad_composer.propose(session, mine.id, by=accounts.principal_for(session, world.viewer, world.ours.id))
