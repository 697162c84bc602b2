"""The collaboratives and triads of each generated partnership, planned in memory (see
app/services/generate_triads.py, which writes them with their visit records): a third of the
engaged open schools, grouped by phase into collaboratives led by a lead headteacher of one of their
schools, recomposed into triads each of the two academic years."""

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from app.models.account import Role, ScopeKind
from app.models.partnership import Partnership
from app.services.generate_rows import Weighted
from app.services.generate_visits import VisitPlanner
from app.services.partnerships import academic_year_for, previous_year
from app.services.standing import GOOD_OR_BETTER

# Generated people (the lead headteachers) are known by their address, so that `--force` removes them.
PEOPLE_DOMAIN = "generated.bench.invalid"
PARTICIPATION = 0.34  # of a partnership's engaged open schools
COLLABORATIVE_SIZES = {6: 36, 9: 30, 7: 9, 8: 9, 10: 6, 4: 4, 5: 4, 11: 2}  # size: weight
TRIAD = 3
_SIZE = Weighted(COLLABORATIVE_SIZES)

PHASE_GROUPS = {
    "nursery": "primary",
    "primary": "primary",
    "infant": "primary",
    "junior": "primary",
    "middle": "primary",
    "secondary": "secondary",
    "all_through": "secondary",
    "post_16": "secondary",
    "special": "special",
    "alternative_provision": "special",
}
FIRST_NAMES = [
    "Amina", "Ben", "Carys", "Dev", "Ellen", "Farid", "Grace", "Hugh", "Isla", "Jonah", "Kiran", "Lena", "Marcus",
    "Niamh", "Owen", "Priya", "Rosa", "Sam", "Tariq", "Una", "Victor", "Wen", "Yusuf", "Zoe"
]
LAST_NAMES = [
    "Adeyemi", "Brooks", "Chowdhury", "Davies", "Evans", "Fletcher", "Green", "Hussain", "Iqbal", "Jones", "Kowalski",
    "Lewis", "Morgan", "Nowak", "O'Brien", "Patel", "Quinn", "Roberts", "Singh", "Taylor", "Walsh", "Young"
]


@dataclass
class NetworkCounts:
    collaboratives: int = 0
    triads: int = 0
    visits: int = 0
    visit_actions: int = 0
    audit_events: int = 0



def _years(today: date) -> tuple[str, str]:
    this_year = academic_year_for(today)
    return previous_year(this_year), this_year


def _split(members: list[dict]) -> list[list[dict]]:
    """Triads of three, as far as the numbers allow: round(n / 3) groups as even as can be (2-4 each)."""
    count = max(1, round(len(members) / TRIAD))
    size, extra = divmod(len(members), count)
    groups, start = [], 0
    for n in range(count):
        end = start + size + (1 if n < extra else 0)
        groups.append(members[start:end])
        start = end
    return groups



class NetworkBuilder(VisitPlanner):
    """Builds one partnership's rows in memory; ids come from the database as each table is written."""

    def __init__(
        self, rng: random.Random, partnership: Partnership, schools: list[dict], today: date, now: datetime
    ) -> None:
        self.rng, self.p, self.schools, self.today, self.now = rng, partnership, schools, today, now
        self.last_year, self.this_year = _years(today)
        self.groups: list[dict] = []  # {"phase", "name", "members", "lead": school, "lead_name"}

    def plan_groups(self) -> None:
        engaged = [s for s in self.schools if s["engaged"] and s["phase"] in PHASE_GROUPS]
        taking_part = self.rng.sample(engaged, round(len(engaged) * PARTICIPATION))
        by_phase: dict[str, list[dict]] = {}
        for school in sorted(taking_part, key=lambda s: s["id"]):
            by_phase.setdefault(PHASE_GROUPS[school["phase"]], []).append(school)
        for phase, pool in by_phase.items():
            self.rng.shuffle(pool)
            number = 0
            while len(pool) >= 4:
                size = min(len(pool), _SIZE.pick(self.rng))
                if len(pool) - size < 4:
                    size = len(pool) if len(pool) <= 11 else size
                members, pool = pool[:size], pool[size:]
                number += 1
                good = [s for s in members if s["latest_headline"] in GOOD_OR_BETTER]
                lead = self.rng.choice(good or members)
                name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                self.groups.append(
                    {
                        "phase": phase,
                        "name": f"{phase.capitalize()} Collaborative {number}",
                        "members": members,
                        "lead": lead,
                        "lead_name": name,
                        "override": None
                        if good
                        else "No member school is yet judged good; the "
                        "lead has a record of leading improvement in the triad",
                    }
                )

    def people(self) -> list[dict]:
        return [
            {
                "email": f"lead-{n + 1}.{self.p.slug}@{PEOPLE_DOMAIN}",
                "name": g["lead_name"],
                "password_hash": "!" + secrets.token_hex(16),
                "is_active": True,
                "created_at": self.now,
            }
            for n, g in enumerate(self.groups)
        ]

    def collaboratives(self, lead_ids: list[int]) -> list[dict]:
        rows = []
        for group, lead_id in zip(self.groups, lead_ids, strict=True):
            group["lead_id"] = lead_id
            budget = self.rng.randrange(5, 31) * 1000
            for year in (self.last_year, self.this_year):
                rows.append(
                    {
                        "partnership_id": self.p.id,
                        "name": group["name"],
                        "phase": group["phase"],
                        "academic_year": year,
                        "lead_user_id": lead_id,
                        "budget_pounds": budget,
                        "lead_override_reason": group["override"],
                        "version": 1,
                        "created_at": self.now,
                        "updated_at": self.now,
                        "updated_by": None,
                    }
                )
        return rows

    def memberships(self, collaborative_ids: list[int]) -> tuple[list[dict], list[dict]]:
        """The leads' memberships, and each school's place in its collaborative, both years."""
        memberships, places = [], []
        ids = iter(collaborative_ids)
        for group in self.groups:
            group["collaborative_ids"] = {self.last_year: next(ids), self.this_year: next(ids)}
            memberships.append(
                {
                    "partnership_id": self.p.id,
                    "user_id": group["lead_id"],
                    "role": Role.headteacher.value,
                    "scope_kind": ScopeKind.school.value,
                    "scope_id": group["lead"]["id"],
                    "created_at": self.now,
                }
            )
            for year, collaborative_id in group["collaborative_ids"].items():
                memberships.append(
                    {
                        "partnership_id": self.p.id,
                        "user_id": group["lead_id"],
                        "role": Role.lead_headteacher.value,
                        "scope_kind": ScopeKind.collaborative.value,
                        "scope_id": collaborative_id,
                        "created_at": self.now,
                    }
                )
                places.extend(
                    {
                        "partnership_id": self.p.id,
                        "collaborative_id": collaborative_id,
                        "school_id": s["id"],
                        "academic_year": year,
                    }
                    for s in group["members"]
                )
        return memberships, places

    def triads(self) -> list[dict]:
        rows = []
        for group in self.groups:
            group["triads"] = {}
            for year, collaborative_id in group["collaborative_ids"].items():
                members = list(group["members"])
                self.rng.shuffle(members)
                teams = _split(members)
                group["triads"][year] = teams
                for n, team in enumerate(teams):
                    rows.append(
                        {
                            "partnership_id": self.p.id,
                            "name": f"Triad {chr(ord('A') + n)}",
                            "collaborative_id": collaborative_id,
                            "academic_year": year,
                            "version": 1,
                            "created_at": self.now,
                            "updated_at": self.now,
                            "updated_by": None,
                            "_team": team,
                            "_group": group,
                        }
                    )
        return rows
