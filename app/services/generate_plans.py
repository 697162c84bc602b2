"""Action plans and support deployments for each generated partnership (`python -m app generate`,
after its schools and network), written with bulk Core statements that each name the row's
partnership, as app/services/generate_triads.py writes the network.

For every partnership:

- its own improvement plan, active, over this academic year and the next: eight priorities of five
  actions, each action led by one or two of the glossary's codes, with three milestones each (120);
- a Raising Achievement Plan (seed 002) for about one in five of its open schools (those below good
  first): three priorities of two actions with three milestones each (18). Mostly active; some draft,
  some closed;
- support deployments over the two academic years (about 0.4 per open school): kinds weighted as
  seed 000 found them (SLEs for maintained schools, peer reviews for academies), outcomes green, amber,
  red or not yet completed (this year's mostly not yet), the brokering steps' dates in order.

In proportion: about four milestones per open school, so the 150 LA-sized partnerships of the
national scale hold about 100,000 milestones between them (issue 11), and the national partnership
as many again on its own. Milestones are due across the plan's period; those due before today are
mostly complete, a share of them not (overdue), those ahead on track, at risk or not started.

No audit events: the plans' 200,000 rows at national scale would double the audit trail's writing
for nothing a list measures (the network's actions are left out for the same reason)."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection, select

from app.models.action_plan import (
    DEFAULT_IMPROVEMENT_AREAS,
    DEFAULT_PLAN_ROLES,
    ActionPlan,
    MilestoneStatus,
    PlanAction,
    PlanActionLead,
    PlanMilestone,
    PlanPriority,
    PlanStatus,
)
from app.models.base import utcnow
from app.models.partnership import Partnership
from app.models.support import PROVIDER_KIND_WORDS, ProviderKind, SchoolResponse, SupportDeployment, SupportOutcome
from app.services.flag_checks_context import maintained_type
from app.services.generate_rows import Progress, Weighted, chunks, insert
from app.services.partnerships import academic_year_for, previous_year
from app.services.standing import BELOW_GOOD

PARTNERSHIP_SHAPE = (8, 5, 3)  # priorities, actions each, milestones each
SCHOOL_SHAPE = (3, 2, 3)
SCHOOL_PLAN_SHARE = 0.2
SUPPORT_PER_SCHOOL = 0.4  # deployments per open school over the two years
CODES = [role["code"] for role in DEFAULT_PLAN_ROLES]
PRIORITY_TITLES = [
    "Leadership of school improvement across the partnership",
    "Challenge and support for schools causing concern",
    "Outcomes for disadvantaged pupils",
    "Reading and writing at key stage 2",
    "Mathematics at key stage 4",
    "Attendance and persistent absence",
    "Governance that holds leaders to account",
    "Data shared early enough to act on",
]
SCHOOL_PRIORITY_TITLES = ["Quality of teaching in English and mathematics", "Leadership at every level",
                          "Attendance and behaviour", "Provision for pupils with SEND"]
ACTION_WORDS = ["Agree", "Run", "Review", "Train", "Publish", "Broker", "Evaluate", "Set up"]
ACTION_OBJECTS = ["a peer review for each school below good", "termly data conversations with headteachers",
                  "a network of subject leaders", "governor training on challenge", "an attendance campaign",
                  "support from a national leader", "a phonics programme in key stage 1",
                  "moderation of writing across schools"]
MILESTONE_WORDS = ["Plan agreed with headteachers", "First round complete", "Interim review to the board",
                   "Evidence of impact gathered", "Report to the advisory panel", "Training delivered"]
TIME_FRAMES = ["Termly", "From September", "By Easter", "Annual", "Ongoing", "Half termly"]
# Seed 000: most LA schools' support came from SLEs and bids, most academies' from peer reviews.
MAINTAINED_KINDS = {ProviderKind.sle: 40, ProviderKind.funded_bid: 20, ProviderKind.lle: 10, ProviderKind.nle: 8,
                    ProviderKind.partner_school: 10, ProviderKind.adviser: 8, ProviderKind.nlg: 4}
ACADEMY_KINDS = {ProviderKind.peer_review: 55, ProviderKind.funded_bid: 20, ProviderKind.sle: 15,
                 ProviderKind.lle: 5, ProviderKind.partner_school: 5}
LAST_YEAR_OUTCOMES = {SupportOutcome.green: 58, SupportOutcome.amber: 13, SupportOutcome.red: 5,
                      SupportOutcome.not_yet_completed: 24}
THIS_YEAR_OUTCOMES = {SupportOutcome.green: 10, SupportOutcome.amber: 5, SupportOutcome.red: 1,
                      SupportOutcome.not_yet_completed: 84}
OBJECTIVES = ["Improve the teaching of early reading", "Strengthen middle leadership in mathematics",
              "Review the use of the pupil premium", "Support the new headteacher's first year",
              "Prepare governors for inspection", "Improve attendance of disadvantaged pupils",
              "SEN review and action plan"]
FUNDING = ["LA school improvement budget", "Teaching school alliance", "School's own budget", "Challenge the Gap bid",
           "SEN review bid"]


@dataclass
class PlanCounts:
    plans: int = 0
    milestones: int = 0
    deployments: int = 0


_PLAN_STATUS = Weighted({PlanStatus.active: 85, PlanStatus.draft: 10, PlanStatus.closed: 5})
_OVERDUE = Weighted({MilestoneStatus.off_track: 2, MilestoneStatus.at_risk: 2, MilestoneStatus.on_track: 1})
_AHEAD = Weighted({MilestoneStatus.on_track: 5, MilestoneStatus.at_risk: 2, MilestoneStatus.not_started: 3,
                   MilestoneStatus.off_track: 1})
_KINDS = {True: Weighted(MAINTAINED_KINDS), False: Weighted(ACADEMY_KINDS)}
_OUTCOMES = {True: Weighted(LAST_YEAR_OUTCOMES), False: Weighted(THIS_YEAR_OUTCOMES)}


def _read_schools(connection: Connection, partnership_ids: list[int]) -> dict[int, list[dict]]:
    school = sa.table("school", *(sa.column(n) for n in (
        "id", "partnership_id", "status", "establishment_type", "trust_name", "latest_headline")))
    found: dict[int, list[dict]] = {p: [] for p in partnership_ids}
    for chunk in chunks(partnership_ids, 500):
        stmt = (select(school.c.id, school.c.partnership_id, school.c.establishment_type,
                       school.c.latest_headline)
                .where(school.c.partnership_id.in_(chunk), school.c.status == "open").order_by(school.c.id))
        for row in connection.execute(stmt).mappings():
            found[row["partnership_id"]].append(dict(row))
    return found


class _Builder:
    def __init__(self, rng: random.Random, partnership: Partnership, schools: list[dict], today: date) -> None:
        self.rng, self.p, self.schools, self.today = rng, partnership, schools, today
        self.this_year = academic_year_for(today)
        self.last_year = previous_year(self.this_year)
        self.year_start = date(int(self.this_year[:4]), 9, 1)
        self.now = utcnow()
        self.plans: list[dict] = []
        self.priorities: list[dict] = []
        self.actions: list[dict] = []
        self.leads: list[dict] = []
        self.milestones: list[dict] = []

    def _row(self, **values) -> dict:  # noqa: ANN003
        return {"partnership_id": self.p.id, "version": 1, "created_at": self.now, "updated_at": self.now,
                "updated_by": "command line", **values}

    def plan(self, title: str, school_id: int | None, status: str, shape: tuple[int, int, int],
             titles: list[str]) -> None:
        start = self.year_start if school_id is None else self.year_start + timedelta(days=31 * self.rng.randint(0, 3))
        start = start.replace(day=1)
        end = date(start.year + (2 if school_id is None else 1), 7, 1)
        plan = self._row(title=title, period_start=start, period_end=end, owner_user_id=None, school_id=school_id,
                         status=status, _priorities=[])
        self.plans.append(plan)
        count, per_priority, per_action = shape
        span = (end - start).days
        for number in range(1, count + 1):
            priority = self._row(number=number, title=titles[(number - 1) % len(titles)],
                                 success_criteria=[f"Measure {number}.{n} met" for n in range(1, 3)],
                                 areas=[self.rng.choice(DEFAULT_IMPROVEMENT_AREAS)], _plan=plan, _actions=[])
            plan["_priorities"].append(priority)
            for action_number in range(1, per_priority + 1):
                action = self._row(number=action_number, time_frame=self.rng.choice(TIME_FRAMES),
                                   description=f"{self.rng.choice(ACTION_WORDS)} {self.rng.choice(ACTION_OBJECTS)}",
                                   start_on=None, end_on=None, _priority=priority, _codes=[], _milestones=[])
                action["_codes"] = self.rng.sample(CODES, self.rng.choice((1, 1, 2)))
                priority["_actions"].append(action)
                for _ in range(per_action):
                    due = None if self.rng.random() < 0.08 else start + timedelta(days=self.rng.randint(30, span))
                    action["_milestones"].append(self._row(
                        description=self.rng.choice(MILESTONE_WORDS), due_on=due,
                        status=self._status(due, status), evidence=None, evidence_links=[]))

    def _status(self, due: date | None, plan_status: str) -> str:
        if plan_status == PlanStatus.draft.value:
            return MilestoneStatus.not_started.value
        if due is not None and due < self.today:
            return (MilestoneStatus.complete if self.rng.random() < 0.75 else _OVERDUE.pick(self.rng)).value
        return _AHEAD.pick(self.rng).value

    def build_plans(self) -> None:
        self.plan(f"{self.p.name}: improvement plan {self.this_year}", None, PlanStatus.active.value,
                  PARTNERSHIP_SHAPE, PRIORITY_TITLES)
        weak = [s for s in self.schools if s["latest_headline"] in BELOW_GOOD]
        others = [s for s in self.schools if s["latest_headline"] not in BELOW_GOOD]
        wanted = int(len(self.schools) * SCHOOL_PLAN_SHARE)
        chosen = weak[:wanted] + self.rng.sample(others, max(0, min(len(others), wanted - len(weak))))
        for school in chosen:
            status = _PLAN_STATUS.pick(self.rng).value
            self.plan("Raising achievement plan", school["id"], status, SCHOOL_SHAPE, SCHOOL_PRIORITY_TITLES)

    def deployments(self) -> list[dict]:
        rows = []
        if len(self.schools) < 2:
            return rows
        for _ in range(int(len(self.schools) * SUPPORT_PER_SCHOOL)):
            school = self.rng.choice(self.schools)
            last = self.rng.random() < 0.55
            year = self.last_year if last else self.this_year
            first = date(int(year[:4]), 9, 1)
            latest = min(self.today, first + timedelta(days=300)) if not last else first + timedelta(days=300)
            contacted = first + timedelta(days=self.rng.randint(0, max(1, (latest - first).days - 60)))
            steps = [contacted + timedelta(days=d) for d in sorted(self.rng.sample(range(1, 60), 7))]
            maintained = maintained_type(school["establishment_type"])
            kind = _KINDS[bool(maintained)].pick(self.rng).value
            outcome = _OUTCOMES[last].pick(self.rng).value
            reviewed = outcome != SupportOutcome.not_yet_completed.value
            planned = float(self.rng.choice((2, 3, 4, 5, 6, 8, 10)))
            provider = self.rng.choice(self.schools)
            rows.append(self._row(
                school_id=school["id"], academic_year=year, provider_kind=kind,
                provider_name=f"{PROVIDER_KIND_WORDS[kind].split(' (')[0]} {provider['id']}",
                provider_school_id=provider["id"] if kind in ("sle", "lle", "nle", "partner_school") else None,
                objective=self.rng.choice(OBJECTIVES), days_planned=planned,
                days_delivered=planned if reviewed else round(planned * self.rng.random() * 2) / 2,
                start_on=steps[5], end_on=steps[5] + timedelta(days=120), funding_source=self.rng.choice(FUNDING),
                cost_pence=int(planned * 45_000), origin_kind=None, origin_visit_id=None,
                origin_clinic_action_id=None, origin_plan_action_id=None, outcome=outcome,
                impact_note="Reviewed with the headteacher" if reviewed else None, contacted_on=contacted,
                school_response=SchoolResponse.accepted.value, responded_on=steps[0], adviser_name="Adviser",
                adviser_allocated_on=steps[1], conflicts_checked_on=steps[2], conflict_note=None,
                adviser_visit_on=steps[3], matched_on=steps[4], supporting_organisation="Teaching school alliance",
                delivery_started_on=steps[5], reviewed_on=steps[6] + timedelta(days=150) if reviewed else None))
        return rows


def _clean(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def write_plans(connection: Connection, rng: random.Random, partnerships: list[Partnership], report: Progress, *,
                today: date | None = None) -> dict[int, PlanCounts]:
    """Plans, their trees and support deployments for each partnership (see the module's docstring);
    how many were written, by partnership id."""
    today = today or date.today()
    report("planning action plans and support", 0, None)
    schools = _read_schools(connection, [p.id for p in partnerships])
    builders = [_Builder(rng, p, schools[p.id], today) for p in partnerships]
    deployments: list[dict] = []
    counts: dict[int, PlanCounts] = {}
    for b in builders:
        b.build_plans()
        rows = b.deployments()
        deployments += rows
        counts[b.p.id] = PlanCounts(len(b.plans), sum(len(a["_milestones"]) for plan in b.plans
                                                      for pr in plan["_priorities"] for a in pr["_actions"]), len(rows))
    plans = [plan for b in builders for plan in b.plans]
    for plan, plan_id in zip(plans, insert(connection, ActionPlan.__table__, [_clean(p) for p in plans],
                                           "action plans", report, with_ids=True), strict=True):
        plan["id"] = plan_id
    priorities = [pr | {"plan_id": plan["id"]} for plan in plans for pr in plan["_priorities"]]
    for priority, priority_id in zip(priorities, insert(connection, PlanPriority.__table__,
                                                        [_clean(p) for p in priorities], "plan priorities", report,
                                                        with_ids=True), strict=True):
        for action in priority["_actions"]:
            action["plan_id"], action["priority_id"] = priority["plan_id"], priority_id
    actions = [a for pr in priorities for a in pr["_actions"]]
    action_ids = insert(connection, PlanAction.__table__, [_clean(a) for a in actions], "plan actions", report,
                        with_ids=True)
    leads, milestones = [], []
    for action, action_id in zip(actions, action_ids, strict=True):
        for position, code in enumerate(action["_codes"]):
            leads.append({"partnership_id": action["partnership_id"], "plan_id": action["plan_id"],
                          "action_id": action_id, "code": code, "position": position})
        for milestone in action["_milestones"]:
            milestones.append(milestone | {"plan_id": action["plan_id"], "action_id": action_id})
    insert(connection, PlanActionLead.__table__, leads, "actions' leads", report)
    insert(connection, PlanMilestone.__table__, milestones, "milestones", report)
    insert(connection, SupportDeployment.__table__, deployments, "support deployments", report)
    return counts
