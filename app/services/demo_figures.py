"""The demo partnership's figures for the red-flag rules (app.services.demo_clinics builds the rest
of its clinic year): every school's results, attendance, exclusions, rolls, budgets, governors,
staffing, buildings and interventions, and England's figures, drawn for each school from what is
known of it already (its Ofsted history, its head, its triad review: the flags those raise before
any figure exists), so that they agree with the rest of its record; and the LA's categories,
reviewed by the officer from the same record. The rules then raise a believable mix: some schools
red, more amber, most none.
"""

import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Row, select
from sqlmodel import Session

from app.models.indicator_bulk import IndicatorItem
from app.models.school import School, SchoolUpdate
from app.services import flags, indicators_bulk
from app.services import schools as school_register
from app.services.concurrency import etag
from app.services.flag_checks_context import maintained_type
from app.services.flag_types import worst
from app.services.principal import Principal

SOURCE = "Demo data"
# England's figures for the two years of results, as the demo has them (rounded as published).
NATIONAL = {
    "absence": (7.0, 6.8),
    "persistent_absence": (18.2, 17.4),
    "attainment": (61.0, 62.0),
    "progress": (-0.03, -0.02),
}
KS2 = ("primary", "junior")
SECONDARY = ("secondary", "all_through")
NO_ABSENCE = ("nursery", "post_16")  # not of compulsory school age, or not in the school absence figures
EXCLUDING = ("secondary", "all_through", "special", "alternative_provision")

# What can be wrong with a school's figures, and how often each is what is wrong.
RED_ISSUES = {"attainment_low": 4, "progress_low": 4, "deficit": 3, "governors": 2, "absence_far": 1, "pa_far": 2}
AMBER_ISSUES = {"attainment_fall": 3, "progress_fall": 3, "absence_above": 3, "pa_above": 3, "exclusions": 2,
                "surplus": 2, "falling_roll": 3, "staff_changes": 2, "buildings": 2}


@dataclass
class _Plan:
    """One school's figures to draw: what is wrong with them (nothing, for most)."""

    school: Row
    red: list[str] = field(default_factory=list)
    amber: list[str] = field(default_factory=list)
    acting_head: bool = False
    ieb: bool = False
    warning_notice: bool = False

    @property
    def issues(self) -> set[str]:
        return {*self.red, *self.amber}



def _possible(issues: dict[str, int], school: Row) -> dict[str, int]:
    """The issues a school's figures can have: no results for phases without them, no excess
    surplus for an academy (the rule reads maintained schools only), and so on."""
    maintained = maintained_type(school.establishment_type)
    ruled_out = set()
    if school.phase not in KS2:
        ruled_out |= {"attainment_low", "attainment_fall"}
    if school.phase not in SECONDARY:
        ruled_out |= {"progress_low", "progress_fall"}
    if school.phase in NO_ABSENCE:
        ruled_out |= {"absence_far", "pa_far", "absence_above", "pa_above"}
    if school.phase not in EXCLUDING:
        ruled_out.add("exclusions")
    if not maintained:
        ruled_out.add("surplus")
    return {name: weight for name, weight in issues.items() if name not in ruled_out}


def _pick(rng: random.Random, issues: dict[str, int], k: int) -> list[str]:
    """`k` different issues, drawn by weight."""
    left, chosen = dict(issues), []
    for _ in range(min(k, len(left))):
        name = rng.choices(list(left), weights=list(left.values()))[0]
        chosen.append(name)
        del left[name]
    return chosen


def _plan(rng: random.Random, school: Row, severity: str | None) -> _Plan:
    """A school already red (Ofsted, its LA category) has figures to match, as a rule; one amber (a
    school requiring improvement, a new head) sometimes a weak figure or two; most others none."""
    plan = _Plan(school)
    if severity == "red":
        red_k, amber_k = rng.choices([0, 1, 2], [30, 50, 20])[0], rng.choices([0, 1, 2], [35, 45, 20])[0]
    elif severity == "amber":
        red_k, amber_k = 0, rng.choices([0, 1, 2], [40, 40, 20])[0]
    else:
        draw = rng.random()
        red_k, amber_k = int(draw < 0.035), int(0.035 <= draw < 0.12)
    plan.red = _pick(rng, _possible(RED_ISSUES, school), red_k)
    plan.amber = _pick(rng, _possible(AMBER_ISSUES, school), amber_k)
    return plan


def _recorded(day: date, today: date) -> date:
    return min(day, today)


def _figures(rng: random.Random, plan: _Plan, years: tuple[str, str, str], today: date) -> list[IndicatorItem]:
    """A school's figures: results, attendance and exclusions for the last two academic years;
    its roll at the last three censuses; budget balances (two outturns and this year's forecast);
    governors, staffing, buildings and any intervention as they stand this year."""
    school, issues = plan.school, plan.issues
    y2, y1, now = years
    ends = {y: int(y[:4]) + 1 for y in years}
    items: list[IndicatorItem] = []

    def put(measure: str, year: str, value: float, recorded_on: date) -> None:
        items.append(IndicatorItem(urn=school.urn, measure=measure, academic_year=year, value=value, source=SOURCE,
                                   recorded_on=_recorded(recorded_on, today)))

    def census(year: str) -> date:
        return date(int(year[:4]), 10, 2)

    def year_end(year: str) -> date:
        return date(ends[year], 7, 24)

    # The roll at the October census: the register's number of pupils is this year's.
    roll_now = max(10, school.pupils or 0)
    if "falling_roll" in issues:
        steps = [1 + rng.uniform(0.03, 0.08), 1 + rng.uniform(0.03, 0.08)]
    else:
        steps = [rng.uniform(0.95, 1.05), rng.uniform(0.95, 1.05)]
        if steps[0] > 1 and steps[1] > 1:  # a roll lower each year is what "falling roll" flags
            steps[rng.randrange(2)] = rng.uniform(0.96, 1.0)
    roll = {now: roll_now, y1: round(roll_now * steps[1])}
    roll[y2] = round(roll[y1] * steps[0])
    for year in years:
        put("roll", year, roll[year], census(year))

    # Results: Key Stage 2 (% meeting the expected standard in reading, writing and maths) or Progress 8.
    if school.phase in KS2:
        if "attainment_low" in issues:
            latest = rng.uniform(38, 48.5)
            before = latest + rng.uniform(-3, 9)
        elif "attainment_fall" in issues:
            latest = rng.uniform(52, 66)
            before = latest + rng.uniform(6.5, 14)
        else:
            latest = rng.uniform(56, 81)
            before = latest + rng.uniform(-4.5, 4.5)
        put("attainment", y2, round(min(100.0, before)), date(ends[y2], 9, 10))
        put("attainment", y1, round(latest), date(ends[y1], 9, 10))
    if school.phase in SECONDARY:
        if "progress_low" in issues:
            latest = rng.uniform(-0.85, -0.56)
            before = latest + rng.uniform(-0.1, 0.28)
        elif "progress_fall" in issues:
            latest = rng.uniform(-0.44, 0.2)
            before = latest + rng.uniform(0.33, 0.6)
        else:
            latest = rng.uniform(-0.34, 0.55)
            before = latest + rng.uniform(-0.25, 0.25)
        put("progress", y2, round(before, 2), date(ends[y2], 10, 15))
        put("progress", y1, round(latest, 2), date(ends[y1], 10, 15))

    # Attendance: overall absence and persistent absence (% of pupils missing 10% or more of sessions).
    if school.phase not in NO_ABSENCE:
        primary = school.phase not in (*SECONDARY, "special", "alternative_provision")
        for n, year in enumerate((y2, y1)):
            national_absence, national_pa = NATIONAL["absence"][n], NATIONAL["persistent_absence"][n]
            latest = year == y1
            if latest and "absence_far" in issues:
                absence = national_absence + rng.uniform(2.3, 4.5)
            elif latest and ({"absence_above", "pa_far"} & issues):
                absence = national_absence + rng.uniform(0.2, 1.8)
            else:
                absence = national_absence - (rng.uniform(0.4, 2.3) if primary else rng.uniform(0.1, 1.1))
            if latest and "pa_far" in issues:
                pa = national_pa + rng.uniform(10.6, 15)
            elif latest and ({"pa_above", "absence_far"} & issues):
                pa = national_pa + rng.uniform(0.6, 8.5)
            else:
                pa = national_pa - (rng.uniform(2, 8.5) if primary else rng.uniform(0.3, 4))
            put("absence", year, round(absence, 1), year_end(year))
            put("persistent_absence", year, round(pa, 1), year_end(year))

    # Suspensions and exclusions in the year, and the same per 100 pupils in the latest year.
    steady_rate = {"secondary": (2, 8), "all_through": (2, 7), "special": (1, 6), "alternative_provision": (3, 9),
                   "post_16": (0, 1)}.get(school.phase, (0, 1.5))
    for year in (y2, y1):
        high = year == y1 and "exclusions" in issues
        count = round(rng.uniform(10.6, 16) * roll[year] / 100) if high else \
            round(rng.uniform(*steady_rate) * roll[year] / 100)
        while high and count * 100 / roll[year] <= 10:
            count += 1
        while not high and count and count * 100 / roll[year] > 10:
            count -= 1
        put("exclusions", year, count, year_end(year))
        if year == y1:
            put("exclusions_per_100", year, round(count * 100 / roll[year], 2), year_end(year))

    # Budget balance: the outturn of each of the last two years, this year's forecast (pounds).
    for year in years:
        pupils = roll[year]
        if "deficit" in issues:
            per_pupil = {y2: rng.uniform(0, 120), y1: -rng.uniform(20, 150), now: -rng.uniform(60, 320)}[year]
        elif "surplus" in issues:
            per_pupil = rng.uniform(560, 950)
        else:
            per_pupil = rng.uniform(40, 420)
        put("budget_balance", year, round(per_pupil * pupils), date(ends[year], 5, 31) if year != now else census(now))

    # Governors, staffing, buildings and interventions, as they stand.
    for year in (y1, now):
        if "governors" in issues:
            vacancies = rng.randint(3, 5) if year == now else rng.randint(1, 3)
        else:
            vacancies = rng.choices([0, 1, 2], [55, 30, 15])[0]
        put("governor_vacancies", year, 0 if plan.ieb else vacancies, census(year))
    changes = rng.randint(2, 4) if "staff_changes" in issues else rng.choices([0, 1], [70, 30])[0]
    put("senior_staff_changes", now, changes, census(now))
    put("building_condition", now, rng.choice([3, 3, 3, 4]) if "buildings" in issues else rng.choice([1, 2, 2]),
        census(now))
    put("acting_head", now, int(plan.acting_head), census(now))
    put("ieb", now, int(plan.ieb), census(now))
    put("warning_notice", now, int(plan.warning_notice), census(now))
    return items


def _national(years: tuple[str, str, str]) -> list[IndicatorItem]:
    y2, y1, _ = years
    return [IndicatorItem(national=True, measure=measure, academic_year=year, value=values[n], source=SOURCE)
            for measure, values in NATIONAL.items() for n, year in enumerate((y2, y1))]


FLAGSHIP_RULES = ("ofsted_inadequate", "ofsted_report_card", "ofsted_below_good_again")


def _interventions(plans: list[_Plan], before: dict[int, list]) -> None:
    """The school in most trouble has an interim executive board and an interim executive head; another
    red school (one the LA maintains, if there is one) a warning notice."""
    red = [p for p in plans if worst(before.get(p.school.id, [])) == "red"] or plans[:1]

    def ofsted_rank(plan: _Plan) -> int:
        rules = {f.rule for f in before.get(plan.school.id, []) if f.severity == "red"}
        return next((n for n, rule in enumerate(FLAGSHIP_RULES) if rule in rules), len(FLAGSHIP_RULES))

    flagship = min(red, key=lambda p: (ofsted_rank(p), p.school.urn))
    flagship.ieb = flagship.acting_head = True
    flagship.red = [issue for issue in flagship.red if issue != "governors"]  # an IEB has replaced the governors
    flagship.amber = [issue for issue in flagship.amber if issue != "surplus"]
    others = [p for p in red if p is not flagship]
    maintained = [p for p in others if maintained_type(p.school.establishment_type)]
    if maintained or others:
        (maintained or others)[0].warning_notice = True


def _categorise(session: Session, rng: random.Random, plans: list[_Plan], before: dict[int, list],
                scheme: list[str], *, by: Principal) -> None:
    """The LA's categories for the year, reviewed by the officer from each school's record (seed 003:
    red and amber are the schools causing concern): red or amber for a school Ofsted found
    inadequate or below good again, or under an intervention; amber for one whose figures are
    poor, or some of those requiring improvement; the best category for the rest (a few, as
    before, uncategorised)."""
    if len(scheme) < 2:
        return
    worst_one, middle, best = scheme[0], scheme[1] if len(scheme) > 2 else scheme[0], scheme[-1]
    for plan in plans:
        school = plan.school
        ofsted = worst(f for f in before.get(school.id, []) if f.category == "ofsted")
        draw = rng.random()
        if plan.ieb or plan.warning_notice:
            category = worst_one
        elif ofsted == "red":
            category = worst_one if draw < 0.5 else middle
        elif plan.red or (ofsted == "amber" and draw < 0.5):
            category = middle
        else:
            category = None if school.la_category is None else best
        if category != school.la_category:
            school_register.update(session, school.urn, SchoolUpdate(la_category=category),
                                   if_match=etag(school.version), by=by)


@dataclass
class Drawn:
    """What `draw` made: the schools as read (their record before the figures), and the counts."""

    schools: list[Row]
    figures: int
    national_figures: int


def draw(session: Session, rng: random.Random, scheme: list[str], years: tuple[str, str, str], today: date, *,
         by: Principal) -> Drawn:
    """Every school's figures and England's, loaded by the officer `by` through the bulk upload, and
    the LA's categories reviewed; `years` the three academic years drawn, oldest first."""
    # What the record says before any figure, apart from last year's LA category (reviewed below).
    before = {school_id: [f for f in raised if f.rule != "la_category"]
              for school_id, raised in flags.current(session, by=by).items()}
    found = list(session.execute(select(School.id, School.urn, School.name, School.phase, School.establishment_type,
                                        School.pupils, School.la_category, School.version).order_by(School.urn)))
    plans = [_plan(rng, school, worst(before.get(school.id, []))) for school in found]
    _interventions(plans, before)
    _categorise(session, rng, plans, before, scheme, by=by)
    items = _national(years) + [item for plan in plans for item in _figures(rng, plan, years, today)]
    loaded = indicators_bulk.upsert(session, items, by=by)
    return Drawn(found, loaded.indicators.created, loaded.national_figures.created)
