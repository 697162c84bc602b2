"""The year-end review of school-to-school support (seed 000: Portsmouth's review of 2017/18): for
an academic year, the projects (support deployments) by outcome at review, split by the supported
school's type (LA maintained or academy, and the finer establishment types) and by kind of support;
the days planned and delivered by kind; and the schools with the most support, with their outcomes.

It reads the deployments table directly, in a constant number of grouped queries whatever the
number of deployments: one for the counts and days by (establishment type, kind, outcome), from
which every split is summed; one for how many schools each establishment type and each kind of
support reached; one for the most-supported schools; one for the years that have deployments (the
page's year chooser); and the partnership, for its current year, when no year is asked for.

Whether a school is LA maintained is the one rule of app.services.flag_checks_context
(maintained_type: an academy, free school, UTC, studio school or CTC is not; an unknown type is)."""

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Float, case, func, literal, select, union_all
from sqlalchemy import cast as sql_cast
from sqlmodel import Session

from app.errors import FieldError, ValidationFailed
from app.models.school import School
from app.models.support import PROVIDER_KIND_WORDS, ProviderKind, SupportDeployment, SupportOutcome
from app.models.types import academic_year_problem
from app.services import partnerships
from app.services.flag_checks_context import maintained_type
from app.services.principal import Principal, bind

OUTCOMES = tuple(o.value for o in SupportOutcome)
OUTCOME_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "not_yet_completed": "Not yet completed"}
LA_MAINTAINED, ACADEMY = "la_maintained", "academy"
SCHOOL_TYPE_WORDS = {LA_MAINTAINED: "LA maintained", ACADEMY: "Academy"}
NOT_RECORDED = "Not recorded"
TOP_SCHOOLS = 10


def school_type(establishment_type: str | None) -> str:
    """la_maintained or academy, by the one rule (app.services.flag_checks_context.maintained_type)."""
    return LA_MAINTAINED if maintained_type(establishment_type) else ACADEMY


@dataclass
class Tally:
    """Projects of a group by outcome at review, with the days planned and delivered and the number
    of different schools supported (where the report can say it)."""

    key: str
    label: str
    green: int = 0
    amber: int = 0
    red: int = 0
    not_yet_completed: int = 0
    projects: int = 0
    days_planned: float = 0.0
    days_delivered: float = 0.0
    schools: int = 0
    # For a kind of support: its projects in LA-maintained schools and in academies.
    by_school_type: dict[str, int] = field(default_factory=lambda: {LA_MAINTAINED: 0, ACADEMY: 0})

    def add(self, outcome: str, projects: int, planned: float, delivered: float, kind_of_school: str) -> None:
        if outcome in OUTCOMES:
            setattr(self, outcome, getattr(self, outcome) + projects)
        self.projects += projects
        self.days_planned += planned
        self.days_delivered += delivered
        self.by_school_type[kind_of_school] += projects

    def outcomes(self) -> list[tuple[str, int]]:
        return [(o, getattr(self, o)) for o in OUTCOMES]


@dataclass
class SupportedSchool:
    urn: str
    name: str
    establishment_type: str | None
    school_type: str
    projects: int
    green: int
    amber: int
    red: int
    not_yet_completed: int
    days_delivered: float

    def outcomes(self) -> list[tuple[str, int]]:
        return [(o, getattr(self, o)) for o in OUTCOMES]


@dataclass
class SupportReview:
    academic_year: str
    overall: Tally
    by_school_type: list[Tally]  # LA maintained, then academies (both always, with zeros)
    by_establishment_type: list[Tally]  # the finer types present, most projects first
    by_kind: list[Tally]  # every kind of support, in ProviderKind's order (zeros included)
    schools: list[SupportedSchool]  # the most supported, most projects first
    years: list[str]  # the years with deployments, newest first


def check_year(year: str | None) -> None:
    if year is not None and (problem := academic_year_problem(year)) is not None:
        raise ValidationFailed([FieldError("year", problem, "query")])


def _days(column) -> ColumnElement[float]:  # noqa: ANN001 (a column)
    return func.coalesce(func.sum(sql_cast(column, Float)), 0.0)


def support_review(session: Session, *, year: str | None = None, by: Principal) -> SupportReview:
    """The review of `year` (default: the partnership's current academic year). A year not like
    2026/27 is refused with 422 on `year`; a year without deployments answers zeros."""
    bind(session, by)
    by.require_read()
    check_year(year)
    if year is None:
        year = partnerships.current(session, by=by).current_academic_year
    of_year = (SupportDeployment.partnership_id == by.partnership_id, SupportDeployment.academic_year == year)
    joined = SupportDeployment.school_id == School.id

    overall = Tally("all", "All schools")
    types = {t: Tally(t, SCHOOL_TYPE_WORDS[t]) for t in (LA_MAINTAINED, ACADEMY)}
    finer: dict[str, Tally] = {}
    kinds = {k.value: Tally(k.value, PROVIDER_KIND_WORDS[k.value]) for k in ProviderKind}
    counts = session.execute(
        select(School.establishment_type, SupportDeployment.provider_kind, SupportDeployment.outcome,
               func.count(SupportDeployment.id), _days(SupportDeployment.days_planned),
               _days(SupportDeployment.days_delivered))
        .select_from(SupportDeployment).join(School, joined).where(*of_year)
        .group_by(School.establishment_type, SupportDeployment.provider_kind, SupportDeployment.outcome)
    ).all()
    for etype, kind, outcome, projects, planned, delivered in counts:
        kind_of_school = school_type(etype)
        label = etype or NOT_RECORDED
        finer.setdefault(label, Tally(label, label))
        kinds.setdefault(kind, Tally(kind, kind))
        for tally in (overall, types[kind_of_school], finer[label], kinds[kind]):
            tally.add(outcome, projects, float(planned), float(delivered), kind_of_school)

    # How many different schools: per establishment type (so per school type and overall, a school
    # having one type) and per kind of support, in one statement.
    by_type = (select(literal("type"), School.establishment_type, func.count(func.distinct(School.id)))
               .select_from(SupportDeployment).join(School, joined).where(*of_year).group_by(School.establishment_type))
    by_kind = (select(literal("kind"), SupportDeployment.provider_kind,
                      func.count(func.distinct(SupportDeployment.school_id)))
               .where(*of_year).group_by(SupportDeployment.provider_kind))
    for what, key, schools in session.execute(union_all(by_type, by_kind)).all():
        if what == "kind":
            kinds[key].schools = schools
            continue
        finer[key or NOT_RECORDED].schools = schools
        types[school_type(key)].schools += schools
        overall.schools += schools

    return SupportReview(
        academic_year=year, overall=overall, by_school_type=list(types.values()),
        by_establishment_type=sorted(finer.values(), key=lambda t: (-t.projects, t.label)),
        by_kind=list(kinds.values()), schools=_most_supported(session, of_year, joined),
        years=list(session.scalars(
            select(SupportDeployment.academic_year).distinct()
            .where(SupportDeployment.partnership_id == by.partnership_id)
            .order_by(SupportDeployment.academic_year.desc()))),
    )


def _most_supported(session: Session, of_year: tuple, joined) -> list[SupportedSchool]:  # noqa: ANN001
    """The schools with the most projects this year (then the most days delivered, then by name)."""
    projects = func.count(SupportDeployment.id)
    delivered = _days(SupportDeployment.days_delivered)
    per_outcome = [func.sum(case((SupportDeployment.outcome == o, 1), else_=0)) for o in OUTCOMES]
    rows = session.execute(
        select(School.urn, School.name, School.establishment_type, projects, *per_outcome, delivered)
        .select_from(SupportDeployment).join(School, joined).where(*of_year)
        .group_by(School.id, School.urn, School.name, School.establishment_type)
        .order_by(projects.desc(), delivered.desc(), School.name, School.urn)
        .limit(TOP_SCHOOLS)
    ).all()
    return [SupportedSchool(urn=urn, name=name, establishment_type=etype, school_type=school_type(etype),
                            projects=n, green=int(g), amber=int(a), red=int(r), not_yet_completed=int(nyc),
                            days_delivered=float(days))
            for urn, name, etype, n, g, a, r, nyc, days in rows]


def table_rows(review: SupportReview) -> list[tuple]:
    """The review as one table (the page's, the CSV's and the workbook's): a line per group, each
    section named in its first column."""
    def line(section: str, tally: Tally) -> tuple:
        return (review.academic_year, section, tally.label, None, tally.projects, tally.green, tally.amber,
                tally.red, tally.not_yet_completed, tally.schools, tally.days_planned, tally.days_delivered)

    rows = [line("All schools", review.overall)]
    rows += [line("School type", t) for t in review.by_school_type]
    rows += [line("Establishment type", t) for t in review.by_establishment_type]
    rows += [line("Kind of support", t) for t in review.by_kind]
    rows += [(review.academic_year, "Most supported schools", s.name, s.urn, s.projects, s.green, s.amber, s.red,
              s.not_yet_completed, None, None, s.days_delivered) for s in review.schools]
    return rows


TABLE_HEADER = ("academic_year", "section", "group", "urn", "projects", "green", "amber", "red",
                "not_yet_completed", "schools", "days_planned", "days_delivered")
