"""What the red-flag tests share: rows the rules read (clinic actions, national figures, review
judgements) made straight from their tables, a school that trips one rule of each kind, and
people acting in a role."""

from datetime import date

from sqlmodel import Session

from app.db import all_tenants
from app.models.account import Role
from app.models.clinic import Clinic, ClinicAction
from app.models.flag import ManualFlag, NationalFigure, ReviewJudgement
from app.models.partnership import Partnership
from app.models.school import School
from app.services import accounts
from app.services.principal import Principal
from tests import factories

TODAY = date(2026, 11, 26)


def principal(session: Session, partnership: Partnership, role: str = Role.officer.value, *,
              school: School | None = None) -> Principal:
    """Someone acting in `partnership` in `role` (a headteacher: of `school`)."""
    if school is None:
        user = factories.make_user(session, partnership, role)
    else:
        user = factories.make_user(session)
        with all_tenants(session):
            accounts.grant(session, user, partnership, role, scope_kind="school", scope_id=school.id)
            session.flush()
    return accounts.principal_for(session, user, partnership.id)


def add(session: Session, row):  # noqa: ANN001, ANN201
    with all_tenants(session):
        session.add(row)
        session.flush()
    return row


def clinic_action(session: Session, school: School, *, due_on: date = date(2026, 9, 1), status: str = "open",
                  text: str = "Agree a reading plan with the trust") -> ClinicAction:
    clinic = add(session, Clinic(partnership_id=school.partnership_id, held_on=date(2026, 6, 10),
                                 academic_year="2025/26", meeting="summer"))
    return add(session, ClinicAction(partnership_id=school.partnership_id, clinic_id=clinic.id, school_id=school.id,
                                     text=text, due_on=due_on, status=status))


def national(session: Session, partnership: Partnership, measure: str, value: float,
             academic_year: str = "2025/26") -> NationalFigure:
    return add(session, NationalFigure(partnership_id=partnership.id, measure=measure, academic_year=academic_year,
                                       value=value, source="DfE national statistics"))


def judgement(session: Session, school: School, strand: str, grade: int,
              academic_year: str = "2026/27") -> ReviewJudgement:
    return add(session, ReviewJudgement(partnership_id=school.partnership_id, school_id=school.id,
                                        academic_year=academic_year, strand=strand, partner_grade=grade,
                                        self_grade=2))


def manual(session: Session, school: School, **values) -> ManualFlag:
    values = {"kind": "add", "rule": "manual", "severity": "amber", "category": "governance",
              "reason": "Chair of governors resigned"} | values
    return add(session, ManualFlag(partnership_id=school.partnership_id, school_id=school.id, **values))


def troubled_school(session: Session, partnership: Partnership, **overrides) -> School:
    """A school that trips a rule of each kind the database holds: two inspections below good,
    attainment below the floor, a deficit, a falling roll, a triad review at the worst grade, an
    overdue clinic action, a review judgement of 4 and the LA's worst category."""
    school = factories.make_school(session, partnership, **({"la_category": "red"} | overrides))
    factories.make_inspection(session, school, inspected_on=date(2021, 5, 3), overall_effectiveness=3)
    factories.make_inspection(session, school, inspected_on=date(2024, 3, 12), overall_effectiveness=3,
                              grades={"leadership_and_management": 3})
    for year, roll in (("2023/24", 300), ("2024/25", 290), ("2025/26", 280)):
        factories.make_indicator(session, school, measure="roll", academic_year=year, value=roll)
    factories.make_indicator(session, school, measure="attainment", academic_year="2025/26", value=41.0)
    factories.make_indicator(session, school, measure="budget_balance", academic_year="2025/26", value=-45000.0)
    factories.make_visit(session, school, kind="triad_review", visit_date=date(2026, 10, 1), status="signed_off",
                         grade=3)
    clinic_action(session, school)
    judgement(session, school, "leadership_and_management", 4)
    return school
