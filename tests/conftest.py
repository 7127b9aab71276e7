"""Shared fixtures: `app` (fresh database per test, SQLite and, with TEST_DATABASE_URL, PostgreSQL),
`client`, `htmx_client`, `auth`, `live_server` and `browser`/`page` (Playwright + Debian chromium)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel
from werkzeug.serving import BaseWSGIServer, make_server

from tests import factories
from webapp import create_app
from webapp.extensions import db

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
TEST_SECRET_KEY = secrets.token_urlsafe(48)
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
DATABASE_BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
STATE_CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def reset_postgres_schema(url: str) -> None:
    """Empty the PostgreSQL test database (tables, types and alembic_version alike)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_url_for(backend: str, tmp_path: Path) -> str:
    """A fresh, empty database of the given backend for one test."""
    if backend == "postgresql":
        reset_postgres_schema(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'signet-test.db'}"


def make_test_app(database_url: str, instance_path: Path, **overrides: Any) -> Flask:
    """A Signet app with test settings and all tables created.

    Okta may be reached on loopback (the okta_sandbox runs on 127.0.0.1); tests of the address guard
    pass `OKTA_ALLOW_LOOPBACK=False`.
    """
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(instance_path),
            "OKTA_ALLOW_LOOPBACK": True,
            # Tests start syncs themselves; tests/sync/test_after_connect.py turns this back on.
            "SYNC_AFTER_CONNECT": False,
            **overrides,
        }
    )
    with app.app_context():
        SQLModel.metadata.create_all(db.engine)
    return app


@pytest.fixture(params=DATABASE_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set."""
    return database_url_for(request.param, tmp_path)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A fresh Signet app per test, its tables created."""
    app = make_test_app(database_url, tmp_path / "instance")
    yield app
    with app.app_context():
        db.dispose()


class SignetTestClient(FlaskClient):
    """A test client that sends the CSRF token on state-changing requests, as the pages do.

    Pass `csrf=False` to send a request without it (to test the refusal).
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        send_csrf = kwargs.pop("csrf", True)
        method = str(kwargs.get("method", "GET")).upper()
        if send_csrf and method in STATE_CHANGING_METHODS:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """The token the current session's pages carry (read from a page's meta tag)."""
        page = super().open("/__no-such-page__", method="GET")
        match = CSRF_META.search(page.get_data(as_text=True))
        assert match, "every page carries the csrf-token meta tag"
        return match.group(1)


class HtmxTestClient(SignetTestClient):
    """A test client whose requests look like htmx's (HX-Request: true)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("HX-Request", "true")
        kwargs["headers"] = headers
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like test client (cookies kept, CSRF token sent)."""
    app.test_client_class = SignetTestClient
    return app.test_client()


@pytest.fixture
def htmx_client(app: Flask, client: FlaskClient) -> FlaskClient:
    """A client sending htmx's request headers, sharing cookies with `client`."""
    app.test_client_class = HtmxTestClient
    htmx = app.test_client()
    htmx._cookies = client._cookies  # one browser, two kinds of request
    return htmx


class AuthActions:
    """Create admins and sign in or out through the real views."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self._app = app
        self._client = client

    def create_admin(
        self, email: str = factories.ADMIN_EMAIL, password: str = factories.ADMIN_PASSWORD
    ) -> int:
        """Create an admin directly in the database and return its id."""
        with self._app.app_context(), db.session_scope() as session:
            admin = factories.gen_admin(session, email=email, password=password)
            assert admin.id is not None
            return admin.id

    def login(self, email: str = factories.ADMIN_EMAIL, password: str = factories.ADMIN_PASSWORD) -> Any:
        """Sign in through the login form."""
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self) -> Any:
        """Sign out through the sign-out form."""
        return self._client.post("/logout")


@pytest.fixture
def auth(app: Flask, client: FlaskClient) -> AuthActions:
    """Helpers to create an admin and sign in as it."""
    return AuthActions(app, client)


@pytest.fixture
def signed_in(auth: AuthActions) -> AuthActions:
    """An admin exists and `client` is signed in as it."""
    auth.create_admin()
    response = auth.login()
    assert response.status_code == 303
    return auth


# --- Real servers and a real browser -------------------------------------------------------------


class LiveServer:
    """A WSGI app served over real HTTP on a free loopback port, in a thread."""

    def __init__(self, app: Flask, port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()


def free_port() -> int:
    """A loopback port that is free right now (the app's BASE_URL must name it before it serves)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Signet on SQLite, served on a free loopback port, its BASE_URL matching that port."""
    port = free_port()
    app = make_test_app(
        f"sqlite:///{tmp_path / 'live.db'}",
        tmp_path / "live-instance",
        BASE_URL=f"http://127.0.0.1:{port}",
        TESTING=False,
    )
    server = LiveServer(app, port).start()
    yield server
    server.stop()
    with app.app_context():
        db.dispose()


def _chromium_or_fail() -> str:
    if os.path.exists(CHROMIUM_PATH) and shutil.which(CHROMIUM_PATH):
        return CHROMIUM_PATH
    message = (
        f"Browser tests need Debian's chromium at {CHROMIUM_PATH}: "
        "`apt-get install chromium` (make test does it when run as root)."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)  # never skipped silently in CI
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the session, driven by Playwright."""
    executable = _chromium_or_fail()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page per test; a screenshot is kept when the test fails, and any
    script error or CSP violation on the page fails the test."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    # HTTP error statuses are logged as "Failed to load resource"; those are the app's expected
    # answers (401, 422...). Anything else (a CSP "Refused to ...", an exception) is a bug.
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    if problems:
        context.close()
        pytest.fail(f"Browser console errors: {problems}")
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        artifacts = Path("test-artifacts")
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item, so fixtures can see whether the test failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


# --- The local Okta org ----------------------------------------------------------------------------


# Real orgs may allow only 50 calls a minute on users list/get and schemas, 150 on the token
# endpoint (FACTS §8): Signet's tests run at those limits (the sandbox's "real-2026" preset).
SANDBOX_RATE_LIMIT_PRESET = "real-2026"


@pytest.fixture
def sandbox() -> Iterator[Any]:
    """A started okta_sandbox on a free loopback port (seed 1, 25 teammates + the sandbox admin),
    its Users and Schemas API limited to 50 calls a minute as in some real orgs (FACTS §8).

    Its default SPA app accepts `http://127.0.0.1:8000/callbacks/okta`, the redirect URI of the
    `app` fixture's default BASE_URL; `live_server` tests register their own.
    """
    from okta_sandbox import OktaSandbox, SandboxServer

    org = OktaSandbox(seed=1, users=25)
    org.apply_rate_limit_preset(SANDBOX_RATE_LIMIT_PRESET)
    server = SandboxServer(org).start()
    yield server
    server.stop()
