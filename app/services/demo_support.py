"""Northfield's school-to-school support last academic year, for the demo partnership
(app.services.demo): a year of support deployments whose review reads as seed 000's (Portsmouth's
review of 2017/18) headline does: 92 projects, 53 green, 12 amber, 4 red and 23 not yet completed
(mostly the SEN review bid), 58 of them in LA-maintained schools. As fictional as the rest of the
demo; the objectives and notes are written for it.

The year is the one before the partnership's current academic year: a review is written when the
year's support is over, so last year's is the one with outcomes (the report's page opens on the
current year and offers last year's; `/reports/support-review?year=<last year>`).

The seed's split for maintained schools (27 green, 12 amber, 5 red, 13 not yet completed) adds to 57
and has more red than its headline's 4, so it cannot be kept whole: the 12 amber and the 13 not yet
completed are, every red is in a maintained school, and green makes up the 58 (29). Academies then
have 24 green and 10 not yet completed.

The kinds follow the seed: most support for maintained schools from SLEs (over 16 schools, over 50
days) and the bids; most for academies from Challenge Partners peer reviews, paid by the school or
by the Challenge the Gap bid; LLEs reviewing pupil premium in 3 schools and senior leaders in 3
more; NLEs with leadership teams in 4 schools; headteachers supporting 3; NLGs in 3. Five
maintained schools had a lot of support that worked, and one (the neediest) had a lot that did not.

Each deployment has every brokering step's date, in order, and names its supporting organisation,
so the data-quality checks find nothing to question. The rows are written directly as the officer
(with the audit trail): deterministic for a given seed and set of schools."""

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.models.account import User
from app.models.partnership import Partnership
from app.models.school import School
from app.models.support import SchoolResponse, SupportDeployment
from app.services import accounts
from app.services.flag_checks_context import maintained_type
from app.services.partnerships import previous_year
from app.services.principal import bind


@dataclass(frozen=True)
class Programme:
    kind: str
    provider: str  # how the provider is named: "person" (a named leader of a school) or the name itself
    organisation: str | None  # the supporting organisation; None: the provider's school
    funding: tuple[str, ...]  # funding sources, the first most often
    days: tuple[float, float]  # days planned, least and most
    rate_pence: int | None  # cost a day (None: no charge to the school or the LA's budget)
    objectives: tuple[str, ...]


TSA = "Northfield Teaching School Alliance"
LA_GRANT = "LA school improvement grant"
PROGRAMMES = {
    "sle": Programme("sle", "person", TSA, ("Teaching school alliance: SLE deployment fund",), (1.5, 5), 35_000, (
        "Coach the new mathematics lead to plan a sequence on multiplication that Year 4 can follow before the "
        "times-tables check.",
        "Help the English lead tighten phonics catch-up in Years 2 and 3 so that it uses the school's own programme.",
        "Work with the early years lead on the quality of talk in Reception, modelling and then observing.",
        "Support the SENCo to write provision maps that teachers use, and review two pupils' plans with them.",
        "Model guided reading in Key Stage 2 and help teachers choose texts the weakest readers can manage.",
        "Help the science lead build a progression of practical skills from Year 1 to Year 6.",
        "Work alongside the assessment lead to moderate writing in Years 2 and 6 against the national standard.",
    )),
    "lle_pp": Programme("lle", "person", None, (LA_GRANT,), (1, 2), 40_000, (
        "Review how the pupil premium is spent, and whether disadvantaged pupils' attendance and reading improve "
        "as a result; agree a plan with the governors.",
        "A pupil premium review: follow six disadvantaged pupils through a day and test the strategy against "
        "what they receive.",
    )),
    "pp_senior": Programme("partner_school", "person", None, ("School-funded (pupil premium)",), (1, 2), 30_000, (
        "A senior leader from a partner school to review the pupil premium strategy and its evaluation.",
        "Review the use of the pupil premium on tutoring, with the deputy head who leads it.",
    )),
    "nle": Programme("nle", "person", None, (LA_GRANT,), (5, 10), 50_000, (
        "Work with the headteacher and senior team on an improvement plan with fewer priorities, and check "
        "termly that it is being done.",
        "Support a new senior team to set up monitoring of teaching that leads to action, not only to notes.",
        "Help leaders prepare for inspection after a requires-improvement judgement: the evidence of impact "
        "since then.",
    )),
    "head": Programme("partner_school", "person", None, (LA_GRANT,), (4, 8), 40_000, (
        "An experienced headteacher to mentor the acting head through the spring and summer terms.",
        "A headteacher from a partner school to help the head restructure staffing within a falling budget.",
    )),
    "nlg": Programme("nlg", "person", "National leaders of governance", ("NLG programme (DfE)",), (2, 4), None, (
        "Review governance with the chair: how the board holds leaders to account for standards and money.",
        "Help the governing body recruit to its vacancies and set up a committee for standards.",
    )),
    "ctg": Programme("funded_bid", "Challenge the Gap", "Challenge the Gap (Challenge Partners)",
                     ("Challenge the Gap bid",), (4, 6), 45_000, (
        "Challenge the Gap: a two-year programme for disadvantaged pupils, led by a trio of schools, in its "
        "first year here.",
        "Challenge the Gap: a lead practitioner trained to run small-group work in Year 5 reading.",
    )),
    "sen": Programme("funded_bid", "SEN review bid", "Northfield SEN Review Partnership", ("SEN review bid",),
                     (2, 3), 40_000, (
        "An external review of SEN provision: how needs are identified and met in class, and what the SENCo "
        "has time for.",
        "Review the school's support for pupils with communication needs, with a speech and language specialist.",
    )),
    "cp": Programme("peer_review", "Challenge Partners", "Challenge Partners",
                    ("School-funded", "School-funded", "Challenge the Gap bid", "SEN review bid"), (3, 3), 60_000, (
        "Challenge Partners quality assurance review: leaders and a visiting team test the school's evaluation "
        "of itself.",
        "A Challenge Partners review focused on the curriculum in the foundation subjects.",
    )),
    "adviser": Programme("adviser", "person", "Northfield School Improvement Service",
                         ("LA core school improvement service",), (2, 4), None, (
        "Adviser support for the headteacher on setting and checking the school's improvement priorities.",
        "Adviser to lead a review of teaching in Key Stage 1 with the deputy head, then follow it up in the "
        "summer term.",
    )),
}

# The year's projects: (school type, programme, green, amber, red, not yet completed).
MAINTAINED, ACADEMY = "maintained", "academy"
PLAN = [
    (MAINTAINED, "sle", 12, 5, 1, 2), (MAINTAINED, "lle_pp", 2, 1, 0, 0), (MAINTAINED, "pp_senior", 2, 0, 0, 0),
    (MAINTAINED, "nle", 2, 1, 1, 0), (MAINTAINED, "head", 1, 1, 1, 0), (MAINTAINED, "nlg", 2, 1, 0, 0),
    (MAINTAINED, "ctg", 3, 2, 0, 1), (MAINTAINED, "sen", 0, 0, 0, 9), (MAINTAINED, "cp", 3, 1, 0, 1),
    (MAINTAINED, "adviser", 2, 0, 1, 0),
    (ACADEMY, "cp", 14, 0, 0, 2), (ACADEMY, "ctg", 4, 0, 0, 1), (ACADEMY, "sen", 0, 0, 0, 6),
    (ACADEMY, "sle", 3, 0, 0, 1), (ACADEMY, "pp_senior", 1, 0, 0, 0), (ACADEMY, "adviser", 2, 0, 0, 0),
]
OUTCOMES = ("green", "amber", "red", "not_yet_completed")
SUCCESSES = 5  # maintained schools with a lot of support that worked (seed 000's Bramble Infant and others)

IMPACT = {
    "green": ("The review found the agreed changes in every class visited; leaders now check them themselves.",
              "Outcomes rose in the area supported and the school's own monitoring agrees.",
              "Objectives met: the lead is confident to carry on without support, and staff say so too."),
    "amber": ("Partly met: the changes are in place in some classes, not yet all; to continue next year.",
              "Some improvement, but the summer's results moved less than hoped; leaders have a plan for autumn."),
    "red": ("Not met: results fell in the areas supported, and the changes did not last; a target next year.",
            "Support delivered, but leadership changes meant it was not taken up; to be re-brokered."),
    "not_yet_completed": ("Started late in the year; delivery continues in the autumn term.",
                          "Matched in the summer term; the review is booked for the autumn."),
}
GIVEN = ["Aisha", "Bernard", "Chloe", "Declan", "Esther", "Gareth", "Hannah", "Isaac", "Joy", "Kieran", "Lucy",
         "Marcus", "Nadia", "Owen", "Ruth", "Simon", "Tessa", "Viktor"]
FAMILY = ["Ashdown", "Birchall", "Crane", "Delaney", "Ewart", "Fenwick", "Goddard", "Hartley", "Ingram",
          "Kershaw", "Lockwood", "Mansell", "Norris", "Oduya", "Pryce", "Rowntree", "Stroud", "Varley"]
ADVISERS = ["Fiona Gallacher", "Hugh Penberthy", "Joanna Whitlock"]
NEED = {"red": 0, "amber": 1}  # the LA's category: the neediest schools first


@dataclass
class SupportYear:
    academic_year: str
    deployments: int = 0

    @property
    def summary(self) -> str:
        return (f"support review {self.academic_year}: {self.deployments} deployments "
                f"(/reports/support-review?year={self.academic_year})")


def _dealt(projects: list[tuple[str, str]], schools: list[School]) -> list[tuple[School, str, str]]:
    """Each (programme, outcome) to a school, round the schools in turn: the projects come sorted by
    programme, so each programme is spread over different schools."""
    return [(schools[n % len(schools)], programme, outcome) for n, (programme, outcome) in enumerate(projects)]


def _assign(maintained: list[School], academies: list[School]) -> list[tuple[School, str, str]]:
    """Who gets what. The neediest maintained school has every red project and an amber SLE; the next
    five have four green projects each, an SLE among them; the rest go round the other schools."""
    projects: dict[str, list[tuple[str, str]]] = {MAINTAINED: [], ACADEMY: []}
    for school_type, programme, *counts in PLAN:
        for outcome, count in zip(OUTCOMES, counts, strict=True):
            projects[school_type] += [(programme, outcome)] * count
    pool = projects[MAINTAINED]

    def take(wanted: tuple[str, str]) -> tuple[str, str]:
        pool.remove(wanted)
        return wanted

    struggling, successes, others = maintained[0], maintained[1:1 + SUCCESSES], maintained[1 + SUCCESSES:]
    chosen = [(struggling, *take(p)) for p in [p for p in pool if p[1] == "red"] + [("sle", "amber")]]
    chosen += [(school, *take(("sle", "green"))) for school in successes]
    greens = [p for p in sorted(pool) if p[1] == "green" and p[0] not in ("sle", "sen")][:3 * SUCCESSES]
    chosen += [(successes[n % SUCCESSES], *take(p)) for n, p in enumerate(greens)]
    chosen += _dealt(sorted(pool), others or maintained)
    return chosen + _dealt(sorted(projects[ACADEMY]), academies or maintained)


def _dates(rng: random.Random, start_year: int, outcome: str, late: bool) -> dict[str, date]:
    """Every brokering step's date, in order, within the academic year; a late start for the bids
    approved in the spring and for what was not completed."""
    first = date(start_year + 1, 2, 1) if late or outcome == "not_yet_completed" else date(start_year, 9, 8)
    day = first + timedelta(days=rng.randrange(0, 60 if first.month == 2 else 140))
    steps = {}
    for name, most in (("contacted_on", 0), ("responded_on", 10), ("adviser_allocated_on", 7),
                       ("conflicts_checked_on", 5), ("adviser_visit_on", 14), ("matched_on", 10),
                       ("delivery_started_on", 21)):
        day += timedelta(days=rng.randint(1, most) if most else 0)
        steps[name] = day
    steps["reviewed_on"] = date(start_year + 1, 7, rng.randint(1, 15))
    return steps


def _deployment(rng: random.Random, year: str, school: School, programme_key: str, outcome: str,
                providers: list[School], turn: Iterator[int]) -> SupportDeployment:
    programme = PROGRAMMES[programme_key]
    planned = rng.randint(int(programme.days[0] * 2), int(programme.days[1] * 2)) / 2
    delivered = {"green": planned + (0.5 if rng.random() < 0.08 else 0.0),  # now and then more than planned
                 "amber": max(0.5, planned - rng.choice([0, 0.5, 1])),
                 "red": planned - rng.choice([0, 0.5]),
                 "not_yet_completed": rng.choice([0.0, 0.5, 1.0]) if planned > 1 else 0.0}[outcome]
    steps = _dates(rng, int(year[:4]), outcome, programme_key == "sen")
    end_on = None
    if outcome != "not_yet_completed":
        end_on = min(steps["delivery_started_on"] + timedelta(days=int(planned * 10) + rng.randint(7, 35)),
                     steps["reviewed_on"] - timedelta(days=7))
        end_on = max(end_on, steps["delivery_started_on"])
    provider_school, provider_name, conflict_note = None, programme.provider, None
    if programme.provider == "person":
        # The providers in turn, never the school itself.
        others = [p for p in providers if p.id != school.id]
        provider_school = others[next(turn) % len(others)]
        provider_name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)} ({provider_school.name})"
        if provider_school.trust_name and provider_school.trust_name == school.trust_name:
            conflict_note = (f"Both schools are in {school.trust_name}; the trust agreed to the deployment and the "
                             "review is by the LA adviser.")
    return SupportDeployment(
        school_id=school.id, academic_year=year, provider_kind=programme.kind, provider_name=provider_name,
        provider_school_id=provider_school.id if provider_school else None,
        objective=rng.choice(programme.objectives), days_planned=planned, days_delivered=delivered,
        start_on=steps["delivery_started_on"], end_on=end_on, funding_source=rng.choice(programme.funding),
        cost_pence=int(planned * programme.rate_pence) if programme.rate_pence else None, outcome=outcome,
        impact_note=rng.choice(IMPACT[outcome]), school_response=SchoolResponse.accepted.value,
        adviser_name=rng.choice(ADVISERS), conflict_note=conflict_note or "No conflict of interest found.",
        supporting_organisation=programme.organisation or (provider_school.name if provider_school else None),
        **steps)


def build(session: Session, partnership: Partnership, officer: User, *, seed: int = 2026) -> SupportYear:
    """Last academic year's support deployments for `partnership`, recorded by `officer`."""
    by = accounts.principal_for(session, officer, partnership.id)
    bind(session, by)
    rng = random.Random(seed)
    year = previous_year(partnership.current_academic_year)
    schools = list(session.scalars(select(School).where(School.status == "open").order_by(School.id)))

    def need(school: School) -> tuple[int, int]:
        return NEED.get(school.la_category or "", 2), school.id

    served = [s for s in schools if s.phase not in ("nursery", "post_16")]
    maintained = sorted((s for s in served if maintained_type(s.establishment_type)), key=need)
    academies = sorted((s for s in served if not maintained_type(s.establishment_type)), key=need)
    # Providers: schools the LA counts as green, the strongest first (those in a category are not asked).
    providers = [s for s in schools if s.la_category == "green"] or schools
    turn = itertools.count()
    result = SupportYear(year)
    for school, programme, outcome in _assign(maintained, academies):
        row = _deployment(rng, year, school, programme, outcome, providers, turn)
        row.touch(by.label)
        session.add(row)
        result.deployments += 1
    session.flush()
    return result
