"""The partnership: the tenant that owns every other record."""

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.action_plan import DEFAULT_IMPROVEMENT_AREAS, plan_roles_default
from app.models.base import Versioned

DEFAULT_CATEGORY_SCHEME = ["red", "amber", "green"]
# What a visit may look at, and the network's grade scale (Peterborough assessed each school on a
# three-point scale; 1 is best). Both are the partnership's to edit.
DEFAULT_FOCUS_AREAS = ["achievement", "teaching", "behaviour", "leadership", "early years", "phonics", "reading",
                       "SEND", "attendance", "governance"]
DEFAULT_GRADE_LABELS = ["Strong", "Secure, with areas to develop", "Needs support"]
# When clinics meet and what each looks at. Peterborough's termly School Performance Clinic (seed
# 003) is the default; Southend's School Review Group (seed 002) meets in September, January, April
# and July, each meeting with its own purpose. `month` is when it is usually held.
TERMLY_CLINICS = [
    {"meeting": "autumn", "month": 9, "focus": "Provision data"},
    {"meeting": "spring", "month": 1, "focus": "Predictions and census"},
    {"meeting": "summer", "month": 6, "focus": "Ofsted position"},
]
REVIEW_GROUP_MEETINGS = [
    {"meeting": "september", "month": 9, "focus": "Review judgements for the year and published results"},
    {"meeting": "january", "month": 1, "focus": "Progress against targets and the census"},
    {"meeting": "april", "month": 4, "focus": "Predictions and support for the summer"},
    {"meeting": "july", "month": 7, "focus": "The year reviewed and support planned for the next"},
]
# The cadences a partnership chooses between, by name.
CADENCES = {"termly": TERMLY_CLINICS, "review_group": REVIEW_GROUP_MEETINGS}
CADENCE_WORDS = {"termly": "A School Performance Clinic each term (autumn, spring, summer)",
                 "review_group": "School Review Group meetings in September, January, April and July"}


def cadence_name(meetings: list[dict]) -> str | None:
    """Which named cadence `meetings` is (None for one of the partnership's own)."""
    names = [m.get("meeting") for m in meetings]
    return next((key for key, known in CADENCES.items() if names == [m["meeting"] for m in known]), None)


# The strands a school is judged on at the year's first review (seed 002): Ofsted's key judgements.
DEFAULT_JUDGEMENT_STRANDS = ["overall_effectiveness", "quality_of_education", "behaviour_and_attitudes",
                             "personal_development", "leadership_and_management"]


class Partnership(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True, index=True)
    name: str = Field(max_length=200)
    la_code: str | None = Field(default=None, max_length=3)
    # The partnership's own LA category scheme, in order from most to least support needed,
    # e.g. ["red", "amber", "green"] or ["priority 1", "priority 2", "priority 3"].
    category_scheme: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CATEGORY_SCHEME), sa_column=Column(JSON, nullable=False)
    )
    current_academic_year: str = Field(max_length=7)
    focus_areas: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FOCUS_AREAS), sa_column=Column(JSON, nullable=False)
    )
    grade_labels: list[str] = Field(
        default_factory=lambda: list(DEFAULT_GRADE_LABELS), sa_column=Column(JSON, nullable=False)
    )
    meeting_cadence: list[dict] = Field(
        default_factory=lambda: [dict(m) for m in TERMLY_CLINICS], sa_column=Column(JSON, nullable=False)
    )
    judgement_strands: list[str] = Field(
        default_factory=lambda: list(DEFAULT_JUDGEMENT_STRANDS), sa_column=Column(JSON, nullable=False)
    )
    # Action plans: the glossary of lead role codes ([{"code": "HSI", "title": "Head of School
    # Improvement"}]) and the areas for improvement a priority may answer.
    plan_roles: list[dict] = Field(default_factory=plan_roles_default, sa_column=Column(JSON, nullable=False))
    improvement_areas: list[str] = Field(
        default_factory=lambda: list(DEFAULT_IMPROVEMENT_AREAS), sa_column=Column(JSON, nullable=False)
    )


class PartnershipPublic(SQLModel):
    slug: str
    name: str
    la_code: str | None
    category_scheme: list[str]
    current_academic_year: str
