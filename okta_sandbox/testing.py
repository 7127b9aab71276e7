"""Helpers for driving the sandbox like a browser in tests (authorization code + PKCE).

Used by the sandbox's own tests and usable by any test that needs real tokens from the
real flow: ``AuthorizationFlow(http, org).tokens()`` signs in as the sandbox admin, clicks
Allow, and exchanges the code.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from okta_sandbox.sandbox import DEFAULT_REDIRECT_URI, OktaSandbox

__all__ = ["AuthorizationFlow", "FormParser", "make_verifier", "parse_forms"]


class FormParser(HTMLParser):
    """Collects each <form>'s action and named inputs/buttons (enough for the sandbox pages)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.buttons: list[tuple[str, str, str]] = []
        self._in_button: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value", "")
        elif tag == "button":
            self._in_button = (attributes.get("name", ""), attributes.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._in_button is not None and data.strip():
            self.buttons.append((data.strip(), *self._in_button))

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._in_button = None


def parse_forms(html: str) -> FormParser:
    """Parse the forms of a sandbox page."""
    parser = FormParser()
    parser.feed(html)
    return parser


def make_verifier() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge, computed independently of the sandbox."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class AuthorizationFlow:
    """Drives /authorize -> sign-in -> consent -> redirect like a browser, then the token call."""

    http: httpx.Client
    org: OktaSandbox
    redirect_uri: str = DEFAULT_REDIRECT_URI
    verifier: str = ""
    challenge: str = ""
    state: str = field(default_factory=lambda: secrets.token_urlsafe(8))

    def __post_init__(self) -> None:
        self.verifier, self.challenge = make_verifier()

    def authorize_params(self, **overrides: str | None) -> dict[str, str]:
        """The /authorize query: the recommended scopes, S256 PKCE, a state; ``None`` drops a key."""
        params: dict[str, str | None] = {
            "client_id": self.org.default_app.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": "openid offline_access okta.users.read okta.schemas.read",
            "state": self.state,
            "nonce": "nonce-123",
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {key: value for key, value in params.items() if value is not None}

    def authorize(self, **overrides: str | None) -> httpx.Response:
        """GET /oauth2/v1/authorize with :meth:`authorize_params`."""
        return self.http.get("/oauth2/v1/authorize", params=self.authorize_params(**overrides))

    def submit(self, page: httpx.Response, button_text: str, **fields: str) -> httpx.Response:
        """Submit the page's form with ``fields`` by clicking the button labelled ``button_text``."""
        parsed = parse_forms(page.text)
        if not parsed.forms:
            raise AssertionError(f"no form on page: {page.text[:300]}")
        form = parsed.forms[0]
        data = dict(form["fields"])
        data.update(fields)
        matches = [button for button in parsed.buttons if button[0] == button_text]
        if not matches:
            raise AssertionError(f"no button {button_text!r} among {parsed.buttons}")
        _, name, value = matches[0]
        if name:
            data[name] = value
        return self.http.post(form["action"], data=data)

    def sign_in(
        self, page: httpx.Response, username: str | None = None, password: str | None = None
    ) -> httpx.Response:
        """Fill and submit the sign-in form (default: the sandbox admin)."""
        return self.submit(
            page,
            "Sign in",
            username=username or self.org.admin_login,
            password=password or self.org.admin_password,
        )

    def redirect_params(self, response: httpx.Response) -> dict[str, str]:
        """The query of a redirect back to the app (asserting it targets the redirect URI)."""
        location = response.headers.get("location", "")
        if response.status_code != 302 or not location.startswith(self.redirect_uri + "?"):
            raise AssertionError(
                f"not a redirect to the app: {response.status_code} {location or response.text[:300]}"
            )
        return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}

    def get_code(self, **overrides: str | None) -> str:
        """Run sign-in and consent (Allow) and return the authorization code."""
        page = self.authorize(**overrides)
        if page.status_code == 200 and "Sign in" in page.text:
            page = self.sign_in(page)
        redirect = self.submit(page, "Allow") if page.status_code == 200 else page
        params = self.redirect_params(redirect)
        if params.get("state") != self.state or "code" not in params:
            raise AssertionError(f"unexpected redirect parameters: {params}")
        return params["code"]

    def exchange(self, code: str, **overrides: str | None) -> httpx.Response:
        """POST the authorization_code grant with this flow's verifier; ``None`` drops a field."""
        data: dict[str, str | None] = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": self.org.default_app.client_id,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.verifier,
        }
        data.update(overrides)
        return self.http.post("/oauth2/v1/token", data={k: v for k, v in data.items() if v is not None})

    def refresh(self, refresh_token: str, **overrides: str | None) -> httpx.Response:
        """POST the refresh_token grant; ``None`` drops a field."""
        data: dict[str, str | None] = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.org.default_app.client_id,
        }
        data.update(overrides)
        return self.http.post("/oauth2/v1/token", data={k: v for k, v in data.items() if v is not None})

    def tokens(self, **overrides: str | None) -> dict[str, Any]:
        """The whole flow: returns the token endpoint's JSON."""
        response = self.exchange(self.get_code(**overrides))
        if response.status_code != 200:
            raise AssertionError(f"token exchange failed: {response.status_code} {response.text}")
        body: dict[str, Any] = response.json()
        return body
