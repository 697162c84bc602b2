"""The visit records of each generated partnership's network and their agreed actions, planned in
memory (see app/services/generate_triads.py, which writes them): each triad school's peer review,
support partners' visits to the schools that cause concern, and some governing bodies' reviews."""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from app.models.partnership import DEFAULT_FOCUS_AREAS, Partnership
from app.models.visit import ActionStatus, VisitKind, VisitStatus
from app.services.generate_rows import Weighted
from app.services.partnerships import academic_year_for
from app.services.standing import BELOW_GOOD

# Of last year's visits: signed off, submitted, draft.
LAST_YEAR_STATUSES = {VisitStatus.signed_off: 86, VisitStatus.submitted: 9, VisitStatus.draft: 5}
THIS_YEAR_STATUSES = {VisitStatus.signed_off: 35, VisitStatus.submitted: 35, VisitStatus.draft: 30}
VISITED_SO_FAR = 0.34  # of this year's triad schools, by today
PLANNED_AHEAD = 0.2  # of this year's triad schools: a draft dated ahead of today
SUPPORT_SHARE = 0.3  # of the schools that cause concern, each year: one or two support partner visits
GOVERNANCE_SHARE = 0.05  # of all open schools, each year
ACTIONS_PER_VISIT = (0, 1, 1, 2, 2, 2, 3, 3, 4)
GRADES = {1: 30, 2: 50, 3: 20}
SELF_EVALUATIONS = [
    "Good", "Good, and improving in key stage 2", "Requires improvement, with a clear plan",
    "Outstanding in the early years, good elsewhere", "Secure, with pockets of weaker practice"
]
PEER_VIEWS = [
    "Agreed: the evidence supports the judgement", "Good, with gaps in consistency between classes",
    "Stronger than the school judges", "Not yet good: books show uneven progress", "Secure, with clear next steps",
    "Agreed, though the monitoring is thin"
]
STRENGTHS = [
    "Calm, purposeful classrooms and warm relationships.",
    "Leaders know the school well; self-evaluation is accurate.", "Early reading is taught systematically and well.",
    "A broad curriculum, well sequenced in most subjects.",
    "Pupils with SEND are identified early and supported well."
]
AREAS = [
    "Consistency of feedback across year groups.", "Attendance of disadvantaged pupils.",
    "Challenge for the most able in mathematics.", "Subject leadership in the foundation subjects.",
    "Writing in key stage 2 lags behind reading."
]
PRIORITIES = [
    "Support from an SLE for mathematics.", "A reading lead from the triad to coach new staff.",
    "Governor training on holding leaders to account.", "Peer moderation of writing with the triad.",
    "An attendance officer's review of persistent absence."
]
ACTIONS = [
    ("Share the phonics tracker with the triad", "Head of English"),
    ("Book a joint moderation of year 6 writing", "Deputy headteacher"),
    ("Review the attendance of disadvantaged pupils each half term", "Attendance lead"),
    ("Visit the host's maths lessons with the subject lead", "Maths lead"),
    ("Report the curriculum review to governors", "Headteacher"),
    ("Arrange SLE support for early years", "EYFS lead"),
    ("Audit the SEND register against the new criteria", "SENCo"),
]
SUPPORT_PARTNERS = ["Ann Adviser", "Tom Reed (SLE)", "Priya Nair (NLE)", "Jo Carter (LLE)", "Challenge Partners"]
GOVERNANCE_REVIEWERS = ["Sue Marsh (NLG)", "Ravi Shah (NLG)", "Chair of governors, partner school"]
ACTION_STATUSES_LAST_YEAR = {ActionStatus.done: 70, ActionStatus.open: 20, ActionStatus.dropped: 10}
ACTION_STATUSES_THIS_YEAR = {ActionStatus.open: 80, ActionStatus.done: 17, ActionStatus.dropped: 3}

_LAST_YEAR, _THIS_YEAR = Weighted(LAST_YEAR_STATUSES), Weighted(THIS_YEAR_STATUSES)
_GRADE = Weighted(GRADES)
_ACTION_STATUS = {False: Weighted(ACTION_STATUSES_THIS_YEAR), True: Weighted(ACTION_STATUSES_LAST_YEAR)}


@dataclass
class _Visit:
    row: dict
    actions: list[dict] = field(default_factory=list)


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randrange(8, 18), rng.randrange(60)), UTC)


class VisitPlanner:
    """A partnership's visit records (the network's builder in app/services/generate_network.py is one)."""

    rng: random.Random
    p: Partnership
    schools: list[dict]
    today: date
    now: datetime
    last_year: str
    this_year: str

    def visits(self, triads: list[dict]) -> list[_Visit]:
        found = []
        for triad in triads:
            year, team, group = triad["academic_year"], triad["_team"], triad["_group"]
            start = date(int(year[:4]), 9, 1)
            for host in team:
                if year == self.last_year:
                    day = start + timedelta(days=self.rng.randrange(14, 315))
                    status = _LAST_YEAR.pick(self.rng)
                else:
                    chance = self.rng.random()
                    if chance < VISITED_SO_FAR:
                        day = start + timedelta(days=self.rng.randrange(7, max(8, (self.today - start).days)))
                        status = _THIS_YEAR.pick(self.rng)
                    elif chance < VISITED_SO_FAR + PLANNED_AHEAD:
                        day = self.today + timedelta(days=self.rng.randrange(7, 200))
                        status = VisitStatus.draft
                    else:
                        continue
                heads = [
                    {"name": s["headteacher_name"] or f"Headteacher, {s['name']}", "urn": s["urn"]}
                    for s in team
                    if s is not host
                ]
                found.append(
                    self._visit(VisitKind.triad_review, host, day, status, heads, triad["id"], group["lead_name"])
                )
        for school in self.schools:
            concern = school["latest_headline"] in BELOW_GOOD or school["la_category"] == self.p.category_scheme[0]
            for year in (self.last_year, self.this_year):
                start = date(int(year[:4]), 9, 1)
                latest = (start + timedelta(days=330)) if year == self.last_year else self.today
                visits = []
                if concern and self.rng.random() < SUPPORT_SHARE:
                    visits += [VisitKind.support_partner] * self.rng.choice((1, 1, 2))
                if self.rng.random() < GOVERNANCE_SHARE:
                    visits.append(VisitKind.governance_review)
                for kind in visits:
                    day = start + timedelta(days=self.rng.randrange(10, max(11, (latest - start).days)))
                    statuses = _LAST_YEAR if year == self.last_year else _THIS_YEAR
                    who = SUPPORT_PARTNERS if kind == VisitKind.support_partner else GOVERNANCE_REVIEWERS
                    found.append(
                        self._visit(
                            kind,
                            school,
                            day,
                            statuses.pick(self.rng),
                            [{"name": self.rng.choice(who), "urn": None}],
                            None,
                            "command line",
                        )
                    )
        return found

    def _visit(
        self,
        kind: VisitKind,
        host: dict,
        day: date,
        status: VisitStatus,
        heads: list[dict],
        triad_id: int | None,
        signer: str,
    ) -> _Visit:
        rng = self.rng
        happened = day <= self.today
        if kind == VisitKind.governance_review:
            areas = ["governance"]
        else:
            areas = rng.sample(DEFAULT_FOCUS_AREAS[:-1], rng.choice((1, 2, 2, 3)))
        written = happened and (status != VisitStatus.draft or rng.random() < 0.5)
        focus = [
            {
                "area": area,
                "self_evaluation": rng.choice(SELF_EVALUATIONS) if written else None,
                "peer_view": rng.choice(PEER_VIEWS) if written else None,
            }
            for area in areas
        ]
        submitted = status in (VisitStatus.submitted, VisitStatus.signed_off)
        submitted_at = _moment(min(day + timedelta(days=rng.randrange(1, 10)), self.today), rng) if submitted else None
        signed = status == VisitStatus.signed_off
        signed_at = (
            max(submitted_at, _moment(min(day + timedelta(days=rng.randrange(7, 30)), self.today), rng))
            if signed
            else None
        )
        row = {
            "partnership_id": self.p.id,
            "kind": kind.value,
            "triad_id": triad_id,
            "school_id": host["id"],
            "visit_date": day,
            "academic_year": academic_year_for(day),
            "visiting_heads": heads,
            "focus_areas": focus,
            "strengths": rng.choice(STRENGTHS) if written else None,
            "areas_for_development": rng.choice(AREAS) if written else None,
            "priorities_for_support": rng.choice(PRIORITIES) if written else None,
            "grade": _GRADE.pick(rng) if signed or (written and rng.random() < 0.5) else None,
            "status": status.value,
            "submitted_at": submitted_at,
            "signed_off_at": signed_at,
            "signed_off_by": signer if signed else None,
            "reopen_reason": "The grade was reconsidered after the data came in"
            if signed and rng.random() < 0.02
            else None,
            "version": 1 + int(submitted) + int(signed),
            "created_at": self.now,
            "updated_at": self.now,
            "updated_by": None,
        }
        visit = _Visit(row)
        if happened and written:
            statuses = _ACTION_STATUS[row["academic_year"] == self.last_year]
            for text, owner in rng.sample(ACTIONS, rng.choice(ACTIONS_PER_VISIT)):
                visit.actions.append(
                    {
                        "partnership_id": self.p.id,
                        "text": text,
                        "owner": owner,
                        "due_on": day + timedelta(days=rng.randrange(30, 180)),
                        "status": statuses.pick(rng).value,
                        "version": 1,
                        "created_at": self.now,
                        "updated_at": self.now,
                        "updated_by": None,
                    }
                )
        return visit

