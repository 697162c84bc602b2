"""The triad composer: proposes triads for a collaborative's schools that are not yet in one this
year. Each triad mixes Ofsted outcomes, free school meals and size, has a school whose head can
lead (good or better), and avoids pairs that were in a triad together in the last two years.

The proposal is a pure function of the schools (sorted by URN) and their history: the same input
always gives the same triads. How it is scored is in docs/triads.md; `compose` is the whole search.
"""

from dataclasses import dataclass, field
from itertools import combinations

from sqlalchemy import and_, select
from sqlmodel import Session

from app.models.collaborative import Collaborative, CollaborativeSchool, Triad, TriadSchool
from app.models.school import School
from app.services import collaboratives, permissions, triads
from app.services.principal import Principal
from app.services.standing import Standing, standings

# What one unit of each fault costs. A repeated pair or a triad with no good-or-better school is
# worth avoiding at almost any price; the mixes trade against one another.
WEIGHTS = {"repeated_pair": 100.0, "no_good_or_better": 50.0, "ofsted_alike": 3.0, "fsm_alike": 2.0,
           "size_alike": 2.0}
MAX_PASSES = 200
LOOKBACK_YEARS = 2


@dataclass(frozen=True)
class Candidate:
    id: int
    urn: str
    name: str
    latest_headline: str | None
    standing: Standing
    fsm_percent: float | None
    pupils: int | None


@dataclass
class Group:
    members: list[Candidate]
    pairs_repeated: int
    has_good_or_better: bool
    score: float
    explanation: str
    name: str = ""


@dataclass
class Composition:
    groups: list[Group]
    unplaced: list[Candidate]
    score: float


@dataclass
class Proposal:
    collaborative: Collaborative
    groups: list[Group]
    unplaced: list[Candidate]
    already_in_triads: list[str]
    score: float
    explanation: str
    warnings: list[str] = field(default_factory=list)


def group_sizes(count: int) -> list[int]:
    """Threes, with one four (or one pair) where the count does not divide by three."""
    if count < 2:
        return []
    threes, rest = divmod(count, 3)
    if rest == 0:
        return [3] * threes
    if rest == 1:
        return [4] + [3] * (threes - 1)
    return [3] * threes + [2]


class _Scorer:
    """The cost of a group of candidate indexes (lower is better), from precomputed values."""

    def __init__(self, candidates: list[Candidate], repeated: set[frozenset[int]]) -> None:
        index = {c.id: i for i, c in enumerate(candidates)}
        self.repeated = {frozenset(index[s] for s in pair) for pair in repeated if pair <= index.keys()}
        self.standing = [c.standing for c in candidates]
        self.leads = [c.standing == Standing.good_or_better for c in candidates]
        self.fsm = [c.fsm_percent for c in candidates]
        self.pupils = [c.pupils for c in candidates]
        self.fsm_range = self._range(self.fsm)
        self.pupils_range = self._range(self.pupils)
        self._costs: dict[tuple[int, ...], float] = {}

    @staticmethod
    def _range(values: list) -> float:
        known = [v for v in values if v is not None]
        return float(max(known) - min(known)) if len(known) >= 2 else 0.0

    @staticmethod
    def _alike(values: list, whole_range: float) -> float:
        """1 when the group's values are all the same (or unknown), 0 when they span the whole range."""
        if whole_range <= 0:
            return 0.0
        known = [v for v in values if v is not None]
        if len(known) < 2:
            return 1.0
        return 1.0 - (max(known) - min(known)) / whole_range

    def faults(self, group: tuple[int, ...]) -> dict[str, float]:
        return {
            "repeated_pair": float(sum(1 for pair in combinations(group, 2) if frozenset(pair) in self.repeated)),
            "no_good_or_better": 0.0 if any(self.leads[i] for i in group) else 1.0,
            "ofsted_alike": float(len(group) - len({self.standing[i] for i in group})),
            "fsm_alike": self._alike([self.fsm[i] for i in group], self.fsm_range),
            "size_alike": self._alike([self.pupils[i] for i in group], self.pupils_range),
        }

    def cost(self, group: tuple[int, ...]) -> float:
        # The search asks about the same groups pass after pass; a group's cost is its members'.
        key = tuple(sorted(group))
        found = self._costs.get(key)
        if found is None:
            found = self._costs[key] = sum(WEIGHTS[k] * v for k, v in self.faults(key).items())
        return found


def _first_deal(candidates: list[Candidate], sizes: list[int]) -> list[list[int]]:
    """A starting point: a good-or-better school in each group while they last, then the rest dealt
    back and forth by standing and FSM, so that like schools start apart."""
    groups: list[list[int]] = [[] for _ in sizes]
    order = sorted(range(len(candidates)), key=lambda i: (candidates[i].standing != Standing.good_or_better,
                                                          candidates[i].fsm_percent or 0.0, candidates[i].urn))
    leaders = [i for i in order if candidates[i].standing == Standing.good_or_better][:len(sizes)]
    for group, leader in zip(groups, leaders, strict=False):
        group.append(leader)
    rest = [i for i in order if i not in set(leaders)]
    rest.sort(key=lambda i: (list(Standing).index(candidates[i].standing), candidates[i].fsm_percent or 0.0,
                             candidates[i].urn))
    forward, g = True, 0
    for i in rest:
        while len(groups[g]) >= sizes[g]:
            g, forward = _step(g, forward, len(groups))
        groups[g].append(i)
        g, forward = _step(g, forward, len(groups))
    return groups


def _step(g: int, forward: bool, count: int) -> tuple[int, bool]:
    if forward:
        return (g + 1, True) if g + 1 < count else (g, False)
    return (g - 1, False) if g > 0 else (g, True)


def _improve(groups: list[list[int]], scorer: _Scorer) -> list[list[int]]:
    """Swap schools between groups while a swap lowers the total: the best swap each pass, the
    first found of equal ones, so the result depends on nothing but the input."""
    costs = [scorer.cost(tuple(g)) for g in groups]
    for _ in range(MAX_PASSES):
        best, move = -1e-9, None
        for a, b in combinations(range(len(groups)), 2):
            ga, gb, base = groups[a], groups[b], costs[a] + costs[b]
            for i in range(len(ga)):
                for j in range(len(gb)):
                    new_a = (*ga[:i], gb[j], *ga[i + 1:])
                    new_b = (*gb[:j], ga[i], *gb[j + 1:])
                    cost_a, cost_b = scorer.cost(new_a), scorer.cost(new_b)
                    delta = cost_a + cost_b - base
                    if delta < best:
                        best, move = delta, (a, i, b, j, cost_a, cost_b)
        if move is None:
            break
        a, i, b, j, cost_a, cost_b = move
        groups[a][i], groups[b][j] = groups[b][j], groups[a][i]
        costs[a], costs[b] = cost_a, cost_b
    return groups


def _words(headline: str | None) -> str:
    return headline.replace("_", " ") if headline else "not inspected"


def _explain(members: list[Candidate], repeated: int) -> str:
    leaders = [f"{c.name} ({_words(c.latest_headline)})" for c in members if c.standing == Standing.good_or_better]
    parts = [f"pairs repeated: {repeated}",
             f"good or better: {', '.join(leaders)}" if leaders else "no good-or-better school",
             f"Ofsted: {', '.join(_words(c.latest_headline) for c in members)}"]
    fsm = [c.fsm_percent for c in members if c.fsm_percent is not None]
    if fsm:
        parts.append(f"FSM {min(fsm):.1f}–{max(fsm):.1f}%")
    pupils = [c.pupils for c in members if c.pupils is not None]
    if pupils:
        parts.append(f"pupils {min(pupils)}–{max(pupils)}")
    return "; ".join(parts)


def compose(candidates: list[Candidate], repeated: set[frozenset[int]]) -> Composition:
    """Triads for these schools, avoiding the `repeated` pairs (of school ids): deterministic."""
    candidates = sorted(candidates, key=lambda c: c.urn)
    sizes = group_sizes(len(candidates))
    if not sizes:
        return Composition([], candidates, 0.0)
    scorer = _Scorer(candidates, repeated)
    found = _improve(_first_deal(candidates, sizes), scorer)
    groups = []
    for indexes in found:
        members = sorted((candidates[i] for i in indexes), key=lambda c: c.urn)
        faults = scorer.faults(tuple(indexes))
        repeats = int(faults["repeated_pair"])
        groups.append(Group(members, repeats, not faults["no_good_or_better"], round(scorer.cost(tuple(indexes)), 2),
                            _explain(members, repeats)))
    groups.sort(key=lambda g: g.members[0].urn)
    return Composition(groups, [], round(sum(g.score for g in groups), 2))


def _summary(groups: list[Group], candidates: list[Candidate]) -> str:
    repeated = sum(g.pairs_repeated for g in groups)
    lacking = sum(1 for g in groups if not g.has_good_or_better)
    if not groups:
        return "no triads proposed"
    if lacking:
        good = sum(1 for c in candidates if c.standing == Standing.good_or_better)
        leads = (f"{lacking} triad(s) have no good-or-better school (there are {good} such schools for "
                 f"{len(groups)} triads)")
    else:
        leads = "each triad has a good-or-better school"
    sizes = sorted(len(g.members) for g in groups)
    shape = f"{sizes.count(3)} triad(s) of three" + "".join(
        f", {sizes.count(n)} of {word}" for n, word in ((2, "two"), (4, "four")) if sizes.count(n))
    return f"pairs repeated: {repeated}; {leads}; {shape}"


def previous_years(year: str, count: int) -> list[str]:
    start = int(year[:4])
    return [f"{start - n}/{(start - n + 1) % 100:02d}" for n in range(1, count + 1)]


def propose(session: Session, collaborative_id: int, *, by: Principal) -> Proposal:
    """Proposed triads for the collaborative's schools not yet in one this year (writes nothing)."""
    collaborative = collaboratives.get(session, collaborative_id, by=by)
    permissions.require_triad_edit(by, collaborative.id)
    year = collaborative.academic_year
    rows = session.execute(
        select(School.id, School.urn, School.name, School.latest_headline, School.fsm_percent, School.pupils,
               TriadSchool.triad_id)
        .join(CollaborativeSchool, CollaborativeSchool.school_id == School.id)
        .outerjoin(TriadSchool, and_(TriadSchool.school_id == School.id, TriadSchool.academic_year == year))
        .where(CollaborativeSchool.collaborative_id == collaborative.id)).all()
    free = [r for r in rows if r.triad_id is None]
    placed = sorted(r.urn for r in rows if r.triad_id is not None)
    standing = standings(session, free)
    candidates = [Candidate(r.id, r.urn, r.name, r.latest_headline, standing[r.id], r.fsm_percent, r.pupils)
                  for r in free]
    history = triads.pairs_in(session, (c.id for c in candidates), previous_years(year, LOOKBACK_YEARS))
    composition = compose(candidates, history)

    used = set(session.scalars(select(Triad.name).where(Triad.collaborative_id == collaborative.id)))
    number = 0
    for group in composition.groups:
        number += 1
        while f"Triad {number}" in used:
            number += 1
        group.name = f"Triad {number}"

    warnings = []
    if composition.unplaced:
        warnings.append(f"{len(composition.unplaced)} school(s) could not be placed (a triad needs two or more): "
                        + ", ".join(c.urn for c in composition.unplaced))
    if placed:
        warnings.append(f"{len(placed)} school(s) already in a triad in {year} were left where they are")
    if not rows:
        warnings.append("the collaborative has no schools")
    return Proposal(collaborative, composition.groups, composition.unplaced, placed, composition.score,
                    _summary(composition.groups, candidates), warnings)
