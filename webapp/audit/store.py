"""The audit trail: who did what, when, and from which IP."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from webapp.accounts.models import AdminUser
from webapp.audit.models import AuditEvent

SUMMARY_MAX_LENGTH = 500


def record_event(
    *,
    session: Session,
    action: str,
    actor: AdminUser | None = None,
    actor_email: str | None = None,
    summary: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """Append an event to the trail; the caller commits with the change it describes.

    Never pass secrets in `summary`: the trail is shown to every admin.
    """
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else actor_email,
        action=action,
        summary=summary[:SUMMARY_MAX_LENGTH],
        ip_address=ip_address,
    )
    session.add(event)
    return event


def recent_events(*, session: Session, limit: int = 50) -> Sequence[AuditEvent]:
    """The newest events first."""
    statement = select(AuditEvent).order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id).desc())
    return session.exec(statement.limit(limit)).all()
