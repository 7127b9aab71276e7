"""Helpers for driving the sandbox like a browser in tests (authorization code + PKCE, DPoP).

Used by the sandbox's own tests and usable by any test that needs real tokens from the
real flow: ``AuthorizationFlow(http, org).tokens()`` signs in as the sandbox admin, clicks
Allow, and exchanges the code. With ``dpop=DPoPKey.generate()`` the token calls carry DPoP
proofs (retrying once on ``use_dpop_nonce``), and ``DPoPKey.api_headers`` signs API calls.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from okta_sandbox.clock import SandboxClock
from okta_sandbox.dpop import access_token_hash
from okta_sandbox.sandbox import DEFAULT_REDIRECT_URI, OktaSandbox

__all__ = [
    "AuthorizationFlow",
    "DPoPKey",
    "FormParser",
    "enable_dpop",
    "make_verifier",
    "parse_forms",
    "read_banner",
    "spawn_cli",
    "use_real_rate_limits",
]
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
_REMEMBERED = "remembered"


def enable_dpop(org: OktaSandbox, client_id: str | None = None) -> None:
    """Make ``client_id``'s app (default: the default SPA app) require DPoP, as Okta's setting does."""
    org.set_dpop_required(client_id, True)


def use_real_rate_limits(org: OktaSandbox) -> None:
    """The limits recorded from real 2026 orgs: users/schemas 50 per minute, token 150 (FACTS §8)."""
    org.apply_rate_limit_preset("real-2026")


@dataclass
class DPoPKey:
    """A client's DPoP key pair, building RFC 9449 proofs with joserfc.

    ``nonce`` is the last ``DPoP-Nonce`` seen (:meth:`remember_nonce`); proofs carry it unless
    told otherwise. ``clock`` (e.g. ``org.clock``) sets ``iat``, so proofs follow a frozen or
    advanced sandbox clock; without it ``iat`` is the real time.
    """

    key: ECKey | RSAKey
    alg: str = "ES256"
    nonce: str | None = None
    clock: SandboxClock | None = None

    @classmethod
    def generate(cls, alg: str = "ES256", *, clock: SandboxClock | None = None) -> DPoPKey:
        """A new key for ``alg`` (ES256/384/512 or RS256/384/512)."""
        if alg in _CURVES:
            return cls(ECKey.generate_key(_CURVES[alg], private=True), alg, clock=clock)
        if alg in ("RS256", "RS384", "RS512"):
            return cls(RSAKey.generate_key(2048, private=True), alg, clock=clock)
        raise ValueError(f"Unsupported DPoP algorithm {alg!r}")

    @property
    def jkt(self) -> str:
        """The key's RFC 7638 thumbprint: the ``cnf.jkt`` of tokens bound to it."""
        return str(self.key.thumbprint())

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public JWK sent in every proof's header."""
        return dict(self.key.as_dict(private=False))

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = _REMEMBERED,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """A signed proof for ``method`` ``url``; ``header``/``claims`` override (``None`` drops a key)."""
        now = self.clock.now().timestamp() if self.clock is not None else time.time()
        jose: dict[str, Any] = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.public_jwk}
        payload: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(now),
        }
        chosen = self.nonce if nonce == _REMEMBERED else nonce
        if chosen is not None:
            payload["nonce"] = chosen
        if access_token is not None:
            payload["ath"] = access_token_hash(access_token)
        jose = _merged(jose, header)
        payload = _merged(payload, claims)
        return jwt.encode(jose, payload, self.key, algorithms=[str(jose.get("alg", self.alg))])

    def api_headers(self, method: str, url: str, access_token: str) -> dict[str, str]:
        """``Authorization: DPoP <token>`` plus a proof with ``ath`` for a resource request."""
        return {
            "Authorization": f"DPoP {access_token}",
            "DPoP": self.proof(method, url, access_token=access_token),
        }

    def remember_nonce(self, response: httpx.Response) -> bool:
        """Keep the response's ``DPoP-Nonce``, if any; returns whether there was one."""
        nonce = response.headers.get("dpop-nonce")
        if nonce:
            self.nonce = nonce
        return bool(nonce)


def _merged(base: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(base)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


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
    dpop: DPoPKey | None = None

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
        return self.post_token({k: v for k, v in data.items() if v is not None})

    def post_token(self, data: dict[str, str]) -> httpx.Response:
        """POST /oauth2/v1/token; with :attr:`dpop`, add a proof and retry once on ``use_dpop_nonce``."""
        if self.dpop is None:
            return self.http.post("/oauth2/v1/token", data=data)
        url = str(self.http.base_url.join("/oauth2/v1/token"))
        response = self.http.post(
            "/oauth2/v1/token", data=data, headers={"DPoP": self.dpop.proof("POST", url)}
        )
        retry = response.status_code == 400 and '"use_dpop_nonce"' in response.text
        if self.dpop.remember_nonce(response) and retry:
            response = self.http.post(
                "/oauth2/v1/token", data=data, headers={"DPoP": self.dpop.proof("POST", url)}
            )
            self.dpop.remember_nonce(response)
        return response

    def refresh(self, refresh_token: str, **overrides: str | None) -> httpx.Response:
        """POST the refresh_token grant; ``None`` drops a field."""
        data: dict[str, str | None] = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.org.default_app.client_id,
        }
        data.update(overrides)
        return self.post_token({k: v for k, v in data.items() if v is not None})

    def tokens(self, **overrides: str | None) -> dict[str, Any]:
        """The whole flow: returns the token endpoint's JSON."""
        response = self.exchange(self.get_code(**overrides))
        if response.status_code != 200:
            raise AssertionError(f"token exchange failed: {response.status_code} {response.text}")
        body: dict[str, Any] = response.json()
        return body


def spawn_cli(*args: str) -> subprocess.Popen[str]:
    """Start ``python -m okta_sandbox --port 0 --no-access-log *args`` (read it with :func:`read_banner`)."""
    command = [sys.executable, "-m", "okta_sandbox", "--port", "0", "--no-access-log", *args]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def read_banner(process: subprocess.Popen[str]) -> str:
    """The CLI's start-up text, up to "Press Ctrl-C to stop." (``AssertionError`` if it exits first)."""
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or "Press Ctrl-C" not in lines[-1]:
        line = process.stdout.readline()
        if not line:
            raise AssertionError("the sandbox CLI exited: " + "".join(lines))
        lines.append(line)
    return "".join(lines)
