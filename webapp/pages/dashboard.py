"""The dashboard: where an admin lands after signing in."""

from __future__ import annotations

from flask import Blueprint, Response

from webapp.extensions import db
from webapp.pages.checklist import getting_started
from webapp.rendering import render
from webapp.signatures.queries import signature_summary
from webapp.signatures.views import missing_data_url
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.sources.okta.status import connection_summary
from webapp.sync.queries import sync_summary

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index() -> Response:
    """Show what to do next ('Connect Okta to get started', 'Reconnect Okta', or the connection and
    the next steps, ticked off as they are done) and how syncing goes: teammates synced, the last
    sync, failures and holds; then signatures: how many are current, with missing data or missing,
    the latest changes."""
    sync = sync_summary(session=db.session, source=OKTA)
    return render(
        "pages/dashboard.html",
        okta=connection_summary(session=db.session),
        sync=sync,
        checklist=getting_started(session=db.session, sync=sync),
        signatures=signature_summary(session=db.session),
        missing_data_url=missing_data_url(),
    )
