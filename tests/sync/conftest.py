"""Fixtures for sync tests: a Signet app connected to a sandbox org, its waits moving the sandbox
clock instead of sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from okta_sandbox import OktaSandbox, SandboxServer
from tests.conftest import SANDBOX_RATE_LIMIT_PRESET, AuthActions
from tests.helpers import page_text
from tests.okta_flow import SandboxTime, connect_okta, fill_wizard
from webapp.sources.okta.service import okta_services


@dataclass
class Connected:
    """A Signet app connected to a running sandbox org."""

    app: Flask
    server: SandboxServer
    time: SandboxTime

    @property
    def org(self) -> OktaSandbox:
        """The sandbox org (Python API: users, faults, clock, request log)."""
        org: OktaSandbox = self.server.sandbox
        return org


def connect(app: Flask, client: FlaskClient, auth: AuthActions, server: SandboxServer) -> Connected:
    """Sign in, fill the wizard and connect Okta; Signet's Okta waits then move the sandbox clock."""
    auth.create_admin()
    assert auth.login().status_code == 303
    fill_wizard(client, domain=server.origin, client_id=server.sandbox.default_app.client_id)
    callback = connect_okta(client)
    assert callback.status_code == 200, page_text(callback)  # the popup page names the problem
    fake = SandboxTime(server.sandbox)
    with app.app_context():
        okta_services.state.transport.clock = fake.clock()
    return Connected(app=app, server=server, time=fake)


@pytest.fixture
def connected(app: Flask, client: FlaskClient, auth: AuthActions, sandbox: Any) -> Connected:
    """Signet connected to the `sandbox` org (26 users, 50 calls a minute on users and schemas)."""
    return connect(app, client, auth, sandbox)


@pytest.fixture
def big_sandbox() -> Iterator[SandboxServer]:
    """A sandbox org of 1,200 teammates (real 2026 rate limits)."""
    org = OktaSandbox(seed=7, users=1200)
    org.apply_rate_limit_preset(SANDBOX_RATE_LIMIT_PRESET)
    server = SandboxServer(org).start()
    yield server
    server.stop()
