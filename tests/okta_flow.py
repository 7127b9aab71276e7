"""Drive Okta's (the sandbox's) sign-in and consent pages over real HTTP, like a browser would."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from flask.testing import FlaskClient

from okta_sandbox import ADMIN_LOGIN, ADMIN_PASSWORD
from webapp.sources.okta.http import Clock

FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)">')
HIDDEN_TXN = re.compile(r'name="txn" value="([^"]+)"')


@dataclass
class OktaOutcome:
    """Where Okta's pages ended: a redirect back to Signet (`location`), or an Okta error page."""

    location: str | None
    error_page: str | None = None

    @property
    def params(self) -> dict[str, str]:
        """The query parameters of the redirect back."""
        assert self.location, self.error_page
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}

    @property
    def path_and_query(self) -> str:
        """The redirect back as a path for Flask's test client."""
        assert self.location, self.error_page
        parts = urlsplit(self.location)
        return f"{parts.path}?{parts.query}"


def drive_okta(
    authorize_url: str, *, login: str = ADMIN_LOGIN, password: str = ADMIN_PASSWORD, decision: str = "allow"
) -> OktaOutcome:
    """Open `authorize_url`, sign in, answer the consent page, and return where Okta sends us."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    with httpx.Client(follow_redirects=False, timeout=10) as http:
        response = http.get(authorize_url)
        for _ in range(10):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if not location.startswith(origin):
                    return OktaOutcome(location=location)
                response = http.get(location)
                continue
            if response.status_code >= 400 or 'name="txn"' not in response.text:
                return OktaOutcome(location=None, error_page=response.text)
            action = urljoin(origin, FORM_ACTION.search(response.text).group(1))  # type: ignore[union-attr]
            txn = HIDDEN_TXN.search(response.text).group(1)  # type: ignore[union-attr]
            if 'name="password"' in response.text:
                response = http.post(action, data={"txn": txn, "username": login, "password": password})
            else:
                response = http.post(action, data={"txn": txn, "consent": decision})
    raise AssertionError("Okta's pages did not finish")


def connect_okta(client: FlaskClient, **okta_kwargs: Any) -> Any:
    """Run "Connect Okta" from the already-filled wizard to the callback; returns the callback response."""
    start = client.get("/setup/okta/connect")
    assert start.status_code == 302, start.get_data(as_text=True)
    outcome = drive_okta(start.headers["Location"], **okta_kwargs)
    return client.get(outcome.path_and_query)


def fill_wizard(client: FlaskClient, *, domain: str, client_id: str) -> None:
    """Save the Client ID (step 7) and the Okta domain (step 8) through the wizard's forms."""
    assert client.post("/setup/okta/steps/7", data={"client_id": client_id}).status_code == 303
    response = client.post("/setup/okta/steps/8", data={"domain": domain})
    assert response.status_code == 303, response.get_data(as_text=True)


class SandboxTime:
    """A clock for Signet's Okta transport whose sleeps move the sandbox's clock forward instead of
    waiting, so rate-limit waits take no real time (and are recorded in `slept`)."""

    def __init__(self, org: Any) -> None:
        self.org = org
        self.slept: list[float] = []
        self._offset = 0.0

    def sleep(self, seconds: float) -> None:
        """Pretend to wait: advance the sandbox (and this clock)."""
        self.slept.append(seconds)
        self._offset += seconds
        self.org.clock.advance(seconds)

    def monotonic(self) -> float:
        """Real monotonic time plus what was slept."""
        return time.monotonic() + self._offset

    def wall(self) -> float:
        """Real time plus what was slept."""
        return time.time() + self._offset

    def clock(self) -> Clock:
        """The transport `Clock` (no jitter, so waits are exact)."""
        return Clock(sleep=self.sleep, monotonic=self.monotonic, wall=self.wall, jitter=lambda: 0.0)


def management_api_requests(org: Any) -> list[Any]:
    """The sandbox's log of Management API requests (`/api/v1/...`)."""
    return [record for record in org.request_log() if record.path.startswith("/api/v1/")]
