"""Every area's tables, imported in one place so Alembic (and `tests/test_db.py`) see them all.

Each table lives in its area's `models.py`; every change there comes with an Alembic migration in
`migrations/versions/`.
"""

from __future__ import annotations

from webapp.accounts.models import AdminInvite, AdminUser, LoginAttempt
from webapp.audit.models import AuditEvent
from webapp.delivery.models import ApiToken, PrivateLink
from webapp.fields.models import SmartField, SmartFieldDefault, SmartFieldValue
from webapp.rules.models import AssignmentDefault, AssignmentRule, ManualAssignment
from webapp.scheduling.models import SchedulerLease
from webapp.signature_templates.models import ImageAsset, SignatureTemplate, TemplateVersion
from webapp.signatures.models import Signature, SignatureChange, SignatureRenderError
from webapp.sources.okta.models import OAuthAttempt, OktaConnection, OktaSetupProgress
from webapp.sync.models import SyncHold, SyncHoldItem, SyncRun, SyncState
from webapp.teammates.models import SourceAttribute, SourceRecord, Teammate, TeammateChange

__all__ = [
    "AdminInvite",
    "AdminUser",
    "ApiToken",
    "AssignmentDefault",
    "AssignmentRule",
    "AuditEvent",
    "ImageAsset",
    "LoginAttempt",
    "ManualAssignment",
    "OAuthAttempt",
    "OktaConnection",
    "OktaSetupProgress",
    "PrivateLink",
    "SchedulerLease",
    "SignatureTemplate",
    "SmartField",
    "SmartFieldDefault",
    "SmartFieldValue",
    "Signature",
    "SignatureChange",
    "SignatureRenderError",
    "SourceAttribute",
    "SourceRecord",
    "SyncHold",
    "SyncHoldItem",
    "SyncRun",
    "SyncState",
    "Teammate",
    "TeammateChange",
    "TemplateVersion",
]
