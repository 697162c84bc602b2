"""Every table, imported here so that Alembic and the tenant guard see them all."""

from app.models.account import (
    ApiToken,
    Membership,
    PasswordLink,
    SecurityEvent,
    SignInAttempt,
    User,
    WebSession,
)
from app.models.action_plan import (
    ActionPlan,
    PlanAction,
    PlanActionLead,
    PlanMilestone,
    PlanPriority,
    PlanRoleHolder,
    SuccessMeasure,
)
from app.models.audit import AuditEvent
from app.models.base import TenantScoped
from app.models.clinic import Clinic, ClinicAction, ClinicAgendaItem, ClinicTarget
from app.models.collaborative import Collaborative, CollaborativeSchool, Triad, TriadSchool
from app.models.flag import FlagRuleSetting, FlagStamp, FlagStampPending, ManualFlag, NationalFigure, ReviewJudgement
from app.models.group import GroupStage, GroupTarget, RouteMap, SchoolGroup, SchoolGroupMember
from app.models.import_job import ImportJob, ImportUpload
from app.models.indicator import Indicator
from app.models.inspection import Inspection
from app.models.partnership import Partnership
from app.models.school import School
from app.models.support import SupportDeployment
from app.models.visit import TriadVisit, VisitAction

__all__ = [
    "ActionPlan",
    "ApiToken",
    "AuditEvent",
    "Clinic",
    "ClinicAction",
    "ClinicAgendaItem",
    "ClinicTarget",
    "Collaborative",
    "CollaborativeSchool",
    "FlagRuleSetting",
    "FlagStamp",
    "FlagStampPending",
    "GroupStage",
    "GroupTarget",
    "ImportJob",
    "ImportUpload",
    "Indicator",
    "Inspection",
    "ManualFlag",
    "Membership",
    "NationalFigure",
    "Partnership",
    "PasswordLink",
    "PlanAction",
    "PlanActionLead",
    "PlanMilestone",
    "PlanPriority",
    "PlanRoleHolder",
    "ReviewJudgement",
    "RouteMap",
    "School",
    "SchoolGroup",
    "SchoolGroupMember",
    "SecurityEvent",
    "SignInAttempt",
    "SuccessMeasure",
    "SupportDeployment",
    "TenantScoped",
    "Triad",
    "TriadSchool",
    "TriadVisit",
    "User",
    "VisitAction",
    "WebSession",
]
