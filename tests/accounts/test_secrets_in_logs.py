"""No secret reaches a log: a real gunicorn, logging like `make run`, through first admin, invitation,
sign-in, a wrong password and "Connect Okta" (with a signed-out callback), then every log line is
searched for every secret (PITFALLS 7.3)."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest

from scripts.serve import ACCESS_LOG_FORMAT
from tests.conftest import free_port
from tests.okta_flow import drive_okta

ROOT = Path(__file__).resolve().parents[2]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
INVITE_LINK = re.compile(r'id="invite-link" type="text" readonly value="([^"]+)"')
ADMIN_PASSWORD = "Admin-" + secrets.token_urlsafe(12)
INVITEE_PASSWORD = "Invitee-" + secrets.token_urlsafe(12)
WRONG_PASSWORD = "Wrong-" + secrets.token_urlsafe(12)


@dataclass
class Gunicorn:
    """A gunicorn serving Signet, its logs in files."""

    url: str
    logs: Path

    def log_lines(self) -> list[str]:
        """Every line of the access log, the error log and the process's own output."""
        return [line for path in sorted(self.logs.glob("*.log")) for line in path.read_text().splitlines()]


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    """Signet under gunicorn on a free loopback port: `make run`'s access log format, plus gunicorn's
    error log at debug level with the app's output captured into it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'signet.db'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "BASE_URL": url,
        "OKTA_ALLOW_LOOPBACK": "true",
        "LOG_LEVEL": "DEBUG",
    }
    migrate = [sys.executable, "-m", "flask", "--app", "wsgi", "migrate"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    logs = tmp_path / "logs"
    logs.mkdir()
    command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--threads", "4"]
    command += ["--bind", f"127.0.0.1:{port}", "--access-logfile", str(logs / "access.log")]
    command += ["--access-logformat", ACCESS_LOG_FORMAT, "--error-logfile", str(logs / "error.log")]
    command += ["--log-level", "debug", "--capture-output", "--no-control-socket", "wsgi:app"]
    with (logs / "process.log").open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            _wait_until_up(url, process)
            yield Gunicorn(url=url, logs=logs)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited during start-up"
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


class Browser(httpx.Client):
    """A cookie-keeping client that sends the page's CSRF token, as Signet's pages do."""

    def csrf_post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """POST with the CSRF token of the current session (read from a page's meta tag)."""
        match = CSRF_META.search(self.get("/__no-such-page__").text)
        assert match
        return self.post(path, data={"csrf_token": match.group(1), **(data or {})}, **kwargs)


def _browser(url: str) -> Browser:
    return Browser(base_url=url, follow_redirects=False, timeout=15)


def _sign_in(browser: Browser, email: str, password: str) -> httpx.Response:
    return browser.csrf_post("/login", {"email": email, "password": password})


def _connect_okta(admin: Browser, anonymous: Browser, sandbox: Any, url: str) -> dict[str, str]:
    """Run the wizard and "Connect Okta"; Okta's redirect back is also opened signed out first.

    Returns the secrets seen on the way (state, authorization code, nonce, PKCE challenge).
    """
    org = sandbox.sandbox
    org.update_app(org.default_app.client_id, redirect_uris=[url + "/callbacks/okta"])
    assert admin.csrf_post("/setup/okta/steps/7", {"client_id": org.default_app.client_id}).status_code == 303
    assert admin.csrf_post("/setup/okta/steps/8", {"domain": sandbox.origin}).status_code == 303
    start = admin.get("/setup/okta/connect", headers={"Sec-Fetch-Site": "same-origin"})
    assert start.status_code == 302, start.text
    authorize = dict(parse_qsl(urlsplit(start.headers["Location"]).query))
    outcome = drive_okta(start.headers["Location"])
    back = urlsplit(outcome.location or "")
    callback = f"{back.path}?{back.query}"
    signed_out = anonymous.get(callback)
    assert signed_out.status_code == 303
    assert signed_out.headers["Location"] == "/login?next=/callbacks/okta"
    connected = admin.get(callback)
    assert connected.status_code == 200, connected.text
    return {
        "authorization code": outcome.params["code"],
        "state": outcome.params["state"],
        "nonce": authorize["nonce"],
        "PKCE challenge": authorize["code_challenge"],
    }


def test_no_secret_reaches_any_log(gunicorn: Gunicorn, sandbox: Any) -> None:
    """Invitation token, authorization code, state, nonce and every password: in no line of the access
    log, gunicorn's error log or the app's output, raw or URL-encoded."""
    url = gunicorn.url
    with _browser(url) as admin, _browser(url) as invitee, _browser(url) as anonymous:
        admin_form = {
            "email": "alice@acme.example",
            "password": ADMIN_PASSWORD,
            "password_confirm": ADMIN_PASSWORD,
        }
        assert admin.csrf_post("/setup/admin", admin_form).status_code == 303
        invited = admin.csrf_post("/settings/invites", {"email": "bob@acme.example"})
        link = INVITE_LINK.search(invited.text)
        assert link
        token = urlsplit(link.group(1)).fragment
        found = _connect_okta(admin, anonymous, sandbox, url)

        assert invitee.get("/invite").status_code == 200  # what the link opens: the #token stays behind
        assert invitee.csrf_post("/invite", {"token": token}).headers["Location"] == "/invite/accept"
        joined = {"password": INVITEE_PASSWORD, "password_confirm": INVITEE_PASSWORD}
        assert invitee.csrf_post("/invite/accept", joined).status_code == 303
        assert invitee.csrf_post("/logout").status_code == 303
        assert _sign_in(invitee, "bob@acme.example", WRONG_PASSWORD).status_code == 401
        assert _sign_in(invitee, "bob@acme.example", INVITEE_PASSWORD).status_code == 303

    lines = gunicorn.log_lines()
    for expected in ("POST /invite ", "GET /callbacks/okta ", "POST /login ", "POST /invite/accept "):
        assert any(expected in line for line in lines), f"the access log has no {expected!r}: {lines[:5]}"
    hidden = {
        "invitation token": token,
        "admin password": ADMIN_PASSWORD,
        "invitee password": INVITEE_PASSWORD,
        "wrong password": WRONG_PASSWORD,
        **found,
    }
    for name, secret in hidden.items():
        assert len(secret) >= 16, name
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            leaks = [line for line in lines if form in line]
            assert leaks == [], f"the {name} is in the logs: {leaks[:3]}"
