"""Ofsted inspections: a history per school, each kept on the scale of its own framework.

Three frameworks, never converted into one another:

- ``graded`` (inspections before 1 September 2024): overall effectiveness and key judgements
  graded 1-4 (1 outstanding ... 4 inadequate), plus a category of concern.
- ``ungraded_2024`` (1 September 2024 until report cards began): key judgements 1-4 only; no
  overall effectiveness grade.
- ``report_card`` (from 10 November 2025): each evaluation area on a five-point scale, and
  safeguarding met / not met.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import TenantScoped, Versioned
from app.models.types import InspectionDate, Int, described, text

UNGRADED_FROM = date(2024, 9, 1)
REPORT_CARDS_FROM = date(2025, 11, 10)


class Framework(StrEnum):
    graded = "graded"
    ungraded_2024 = "ungraded_2024"
    report_card = "report_card"

    @classmethod
    def for_date(cls, inspected_on: date) -> "Framework":
        if inspected_on >= REPORT_CARDS_FROM:
            return cls.report_card
        if inspected_on >= UNGRADED_FROM:
            return cls.ungraded_2024
        return cls.graded


class CategoryOfConcern(StrEnum):
    special_measures = "special_measures"
    serious_weaknesses = "serious_weaknesses"


class Safeguarding(StrEnum):
    met = "met"
    not_met = "not_met"


class ReportCardGrade(StrEnum):
    exceptional = "exceptional"
    strong_standard = "strong_standard"
    expected_standard = "expected_standard"
    needs_attention = "needs_attention"
    urgent_improvement = "urgent_improvement"


# Ordered best to worst; the worst area is the report card's headline.
REPORT_CARD_SCALE = list(ReportCardGrade)

OVERALL_GRADE_NAMES = {1: "outstanding", 2: "good", 3: "requires_improvement", 4: "inadequate"}

KEY_JUDGEMENTS = (
    "quality_of_education",
    "behaviour_and_attitudes",
    "personal_development",
    "leadership_and_management",
    "early_years_provision",
    "sixth_form_provision",
)

REPORT_CARD_AREAS = (
    "inclusion",
    "curriculum_and_teaching",
    "achievement",
    "attendance_and_behaviour",
    "personal_development_and_wellbeing",
    "leadership_and_governance",
    "early_years",
    "sixth_form",
)


class Headline(StrEnum):
    """One word for an inspection's outcome, on its own framework's scale (for filtering)."""

    outstanding = "outstanding"
    good = "good"
    requires_improvement = "requires_improvement"
    inadequate = "inadequate"
    special_measures = "special_measures"
    serious_weaknesses = "serious_weaknesses"
    no_overall_grade = "no_overall_grade"
    exceptional = "exceptional"
    strong_standard = "strong_standard"
    expected_standard = "expected_standard"
    needs_attention = "needs_attention"
    urgent_improvement = "urgent_improvement"
    safeguarding_not_met = "safeguarding_not_met"


# A link to the published report: http(s) only, never a javascript: or data: URL. Never NUL either
# (PostgreSQL text cannot hold it); U+0085 and U+FEFF are named because `\s` covers one of them in
# the schema's regex dialect (ECMA-262) and the other in pydantic's (Rust).
ReportUrl = Annotated[str, StringConstraints(max_length=500, pattern=described(
    r"^https?://[^\s\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]+$",
    "a web address starting https:// (or http://), with no spaces"))]
SourceText = text(100)

class Inspection(TenantScoped, Versioned, table=True):
    # One inspection of a school a day; the unique index also finds a school's latest inspection.
    __table_args__ = (UniqueConstraint("school_id", "inspected_on"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", ondelete="CASCADE")
    inspected_on: date = Field(index=True)
    framework: str = Field(max_length=20)
    overall_effectiveness: int | None = None
    category_of_concern: str | None = Field(default=None, max_length=30)
    safeguarding: str | None = Field(default=None, max_length=10)
    grades: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    headline: str = Field(max_length=30, index=True)
    report_url: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, max_length=100)


class InspectionWrite(SQLModel):
    """An inspection as sent by a caller; checked against its framework's own scale."""

    model_config = ConfigDict(extra="forbid")

    inspected_on: InspectionDate
    framework: Framework | None = Field(
        default=None, description="Defaults to the framework in force on inspected_on."
    )
    overall_effectiveness: Int | None = Field(default=None, ge=1, le=4)
    category_of_concern: CategoryOfConcern | None = None
    safeguarding: Safeguarding | None = None
    grades: dict[str, Int | ReportCardGrade] = Field(
        default_factory=dict,
        description="Key judgements graded 1-4 (graded, ungraded_2024) or evaluation areas on "
        "the report-card scale (report_card).",
    )
    report_url: ReportUrl | None = None
    source: SourceText | None = None

    @model_validator(mode="after")
    def _fits_framework(self) -> "InspectionWrite":
        expected = Framework.for_date(self.inspected_on)
        if self.framework is None:
            self.framework = expected
        elif self.framework != expected:
            raise ValueError(
                f"framework: an inspection on {self.inspected_on.isoformat()} is on the "
                f"{expected.value} framework, not {self.framework.value}"
            )
        fw = self.framework
        if self.overall_effectiveness is not None and fw != Framework.graded:
            raise ValueError(
                "overall_effectiveness: only inspections before September 2024 have an overall grade"
            )
        if self.safeguarding is not None and fw != Framework.report_card:
            raise ValueError("safeguarding: met / not met is recorded on report cards only")
        allowed = REPORT_CARD_AREAS if fw == Framework.report_card else KEY_JUDGEMENTS
        for area, grade in self.grades.items():
            if area not in allowed:
                raise ValueError(f"grades.{area}: not an area of the {fw.value} framework")
            if fw == Framework.report_card:
                if not isinstance(grade, ReportCardGrade):
                    raise ValueError(f"grades.{area}: report-card areas use the five-point scale")
            elif isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 4:
                raise ValueError(f"grades.{area}: key judgements are graded 1 to 4")
        return self


class InspectionSummary(BaseModel):
    inspected_on: date
    framework: Framework
    headline: Headline


class InspectionPublic(BaseModel):
    id: int
    inspected_on: date
    framework: Framework
    overall_effectiveness: int | None
    category_of_concern: CategoryOfConcern | None
    safeguarding: Safeguarding | None
    grades: dict[str, int | ReportCardGrade]
    headline: Headline
    report_url: str | None
    source: str | None
    version: int
