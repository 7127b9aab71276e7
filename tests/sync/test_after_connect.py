"""Connecting Okta starts the first full sync by itself: the admin never has to press a button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from jobs import sync as sync_jobs
from tests import factories
from tests.conftest import DATABASE_BACKENDS, SignetTestClient, database_url_for, make_test_app
from tests.okta_flow import connect_okta, fill_wizard
from tests.sync.helpers import all_records, okta_users, runs
from webapp.extensions import db
from webapp.sync.models import SyncKind, SyncRunStatus, SyncTrigger


@pytest.mark.parametrize("backend", DATABASE_BACKENDS)
def test_a_successful_connect_starts_a_full_sync(tmp_path: Path, sandbox: Any, backend: str) -> None:
    """After the callback, a full sync (trigger: connect) runs in the background and brings everyone in."""
    app = make_test_app(database_url_for(backend, tmp_path), tmp_path / "instance", SYNC_AFTER_CONNECT=True)
    app.test_client_class = SignetTestClient
    client: FlaskClient = app.test_client()
    with app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
    client.post("/login", data={"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD})
    fill_wizard(client, domain=sandbox.origin, client_id=sandbox.sandbox.default_app.client_id)
    assert connect_okta(client).status_code == 200
    thread = sync_jobs.background_sync_thread()
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive()
    [run] = runs(app)
    assert (run.kind, run.trigger, run.status) == (
        SyncKind.FULL,
        SyncTrigger.CONNECT,
        SyncRunStatus.SUCCEEDED,
    )
    assert set(all_records(app)) == {user["id"] for user in okta_users(sandbox.sandbox)}
    with app.app_context():
        db.dispose()
