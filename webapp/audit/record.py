"""Recording what an admin did from inside a request: who (the signed-in admin) and from which IP.

Kept apart from `audit.store`, which knows nothing about requests (the CLI and jobs record too).
"""

from __future__ import annotations

from flask_login import current_user
from sqlmodel import Session

from webapp.accounts.models import AdminUser
from webapp.audit.models import AuditEvent
from webapp.audit.store import record_event
from webapp.extensions import db
from webapp.security import client_ip

IP_ADDRESS_MAX_LENGTH = 64


def audit_request(
    action: str,
    summary: str,
    *,
    actor: AdminUser | None = None,
    actor_email: str | None = None,
    session: Session | None = None,
) -> AuditEvent:
    """Record `action` by `actor` (default: the signed-in admin) from the client's IP, and commit.

    The commit includes the change the event describes, so the trail and the change never part.
    `session` defaults to the request's session. Never pass secrets in `summary`.
    """
    session = session or db.session
    if actor is None and actor_email is None and current_user.is_authenticated:
        actor = current_user
    event = record_event(
        session=session,
        action=action,
        actor=actor,
        actor_email=actor_email[:254] if actor_email else None,
        summary=summary,
        ip_address=client_ip()[:IP_ADDRESS_MAX_LENGTH],
    )
    session.commit()
    return event
