"""The reports API's shapes: the support review (app.services.reports)."""

from pydantic import BaseModel
from pydantic import Field as PydanticField


class OutcomeCounts(BaseModel):
    projects: int = PydanticField(description="Support deployments (projects) in the group")
    green: int
    amber: int
    red: int
    not_yet_completed: int


class SupportGroup(OutcomeCounts):
    key: str = PydanticField(description="The group: `all`, a school type (la_maintained, academy), an "
                                         "establishment type as the register spells it (`Not recorded` for "
                                         "schools without one), or a kind of support")
    label: str
    schools: int = PydanticField(description="Different schools supported")
    days_planned: float
    days_delivered: float


class SupportKindGroup(SupportGroup):
    la_maintained: int = PydanticField(description="Projects of this kind in LA-maintained schools")
    academy: int = PydanticField(description="Projects of this kind in academies")


class SupportedSchoolPublic(OutcomeCounts):
    urn: str
    name: str
    establishment_type: str | None
    school_type: str = PydanticField(description="la_maintained or academy")
    days_delivered: float


class SupportReviewPublic(BaseModel):
    academic_year: str
    overall: SupportGroup
    by_school_type: list[SupportGroup] = PydanticField(description="LA maintained, then academies")
    by_establishment_type: list[SupportGroup] = PydanticField(description="The finer types, most projects first")
    by_kind: list[SupportKindGroup] = PydanticField(description="Every kind of support, zeros included")
    schools: list[SupportedSchoolPublic] = PydanticField(
        description="The schools with the most projects (at most 10), then most days delivered")
    years: list[str] = PydanticField(description="The academic years with deployments, newest first")
