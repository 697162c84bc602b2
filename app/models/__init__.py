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
from app.models.base import TenantScoped
from app.models.import_job import ImportJob, ImportUpload
from app.models.indicator import Indicator
from app.models.inspection import Inspection
from app.models.partnership import Partnership
from app.models.school import School

__all__ = [
    "ApiToken",
    "ImportJob",
    "ImportUpload",
    "Indicator",
    "Inspection",
    "Membership",
    "Partnership",
    "PasswordLink",
    "School",
    "SecurityEvent",
    "SignInAttempt",
    "TenantScoped",
    "User",
    "WebSession",
]
