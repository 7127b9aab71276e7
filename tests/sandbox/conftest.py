"""Fixtures for the okta_sandbox tests: a live sandbox on a free loopback port, an httpx client,
the official spec validator, and a browser-like driver for the authorization-code + PKCE flow."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from okta_sandbox import OktaSandbox, SandboxServer
from okta_sandbox.specs import SpecValidator
from okta_sandbox.testing import AuthorizationFlow


@pytest.fixture(scope="session")
def okta_spec() -> SpecValidator:
    """Okta's management + OAuth specs, loaded once per session (~2 s)."""
    return SpecValidator.load()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A started sandbox (seed 1, 25 teammates + the admin) on a free 127.0.0.1 port."""
    server = SandboxServer(OktaSandbox(seed=1, users=25)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def org(sandbox: SandboxServer) -> OktaSandbox:
    """The sandbox's in-process control object."""
    return sandbox.sandbox


@pytest.fixture
def http(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """A real HTTP client bound to the sandbox origin; cookies persist like a browser's."""
    with httpx.Client(base_url=sandbox.origin, follow_redirects=False, timeout=10) as client:
        yield client


@pytest.fixture
def admin_headers(org: OktaSandbox) -> dict[str, str]:
    """Authorization header with an admin access token holding both okta.* scopes."""
    tokens = org.issue_tokens_for_tests()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
def flow(http: httpx.Client, org: OktaSandbox) -> AuthorizationFlow:
    """A browser-like driver of the authorization-code + PKCE flow over real HTTP."""
    return AuthorizationFlow(http=http, org=org)
