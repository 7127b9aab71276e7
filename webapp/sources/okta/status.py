"""One source of truth for how the Okta connection is shown: the wizard, the dashboard and the
page-wide banner all read `connection_summary()`, so they can never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, url_for
from sqlmodel import Session

from webapp.extensions import db
from webapp.rendering import Banner, register_banner
from webapp.sources.okta import oauth, store, wizard
from webapp.sources.okta.models import ConnectionStatus, OktaConnection


@dataclass(frozen=True)
class ConnectionSummary:
    """The connection as the admin sees it; `status` is DISCONNECTED when Signet was never connected."""

    status: ConnectionStatus
    connection: OktaConnection | None

    @property
    def host(self) -> str | None:
        """The org's host, e.g. dev-123.okta.com."""
        return urlsplit(self.connection.okta_origin).netloc if self.connection else None

    @property
    def is_connected(self) -> bool:
        """Signet can read from Okta (as far as it last knew)."""
        return self.status == ConnectionStatus.CONNECTED

    @property
    def needs_reconnect(self) -> bool:
        """Signet was connected but its grant no longer works."""
        return self.status == ConnectionStatus.NEEDS_RECONNECT

    @property
    def reason(self) -> str:
        """Why the connection needs reconnecting, in the admin's words."""
        stored = self.connection.status_reason if self.connection else None
        return stored or "Okta access was lost."


def connection_summary(*, session: Session) -> ConnectionSummary:
    """Read the connection once and say how to show it."""
    connection = store.get_connection(session=session)
    status = ConnectionStatus(connection.status) if connection else ConnectionStatus.DISCONNECTED
    return ConnectionSummary(status=status, connection=connection)


def reconnect_banner() -> Banner | None:
    """The banner on every page while Okta needs reconnecting."""
    summary = connection_summary(session=db.session)
    if not summary.needs_reconnect:
        return None
    return Banner(
        id="okta-reconnect-banner",
        title="Okta needs reconnecting.",
        message=summary.reason,
        link_url=url_for("setup.okta"),
        link_text="Reconnect Okta",
    )


def init_app(app: Flask) -> None:
    """Give templates the Okta constants they test (never retyped as literals) and the banner."""
    app.jinja_env.globals.update(
        OktaStatus=ConnectionStatus, WizardStep=wizard.WizardStep, OKTA_SCOPES=oauth.REQUESTED_SCOPES
    )
    register_banner(app, reconnect_banner)
