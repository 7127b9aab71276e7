"""Checking what the admin types in the setup wizard: the Okta domain and the app's Client ID.

Syntactic checks are pure functions; `probe_okta_origin` and `probe_client_id` go over the network,
through the caller's client. Pass one built on `webapp.netguard` (the app's `okta_services.http` is):
it refuses anything but public https addresses. The probes also keep to short timeouts and a small
response size, and run under the app's live-check limiter (per admin, and at most two at once).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from webapp.netguard import DestinationRefusedError, LiveCheckRefusedError, live_check_slot
from webapp.sources.okta.http import request_extensions

Severity = Literal["ok", "warning", "error"]
OKTA_SUFFIXES = ("okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com", "okta.mil", "trexcloud.com")
# dev-123-admin.okta.com is the admin console; the org (and its authorization server) is dev-123.okta.com.
ADMIN_CONSOLE_HOST = re.compile(
    r"^(?P<org>[a-z0-9-]+)-admin\.(?P<suffix>" + "|".join(re.escape(s) for s in OKTA_SUFFIXES) + r")$"
)
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Okta client ids are "0oa" + 17 base-62 characters (developer.okta.com/docs/reference/api/apps).
OKTA_CLIENT_ID = re.compile(r"^0oa[0-9A-Za-z]{17}$")
CLIENT_SECRET_LIKE = re.compile(r"^[0-9A-Za-z_\-]{40,}$")
# A live check waits at most 3 s to connect (DNS included) and 2 s for each read, and gives up once
# 5 s have passed in all; a discovery document is a few kilobytes.
LIVE_CHECK_TIMEOUT = httpx.Timeout(2.0, connect=3.0)
LIVE_CHECK_SECONDS = 5.0
LIVE_CHECK_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class DomainCheck:
    """The outcome of checking an Okta domain as typed."""

    severity: Severity
    message: str
    origin: str | None = None  # normalised, e.g. "https://dev-123.okta.com"
    suggestion: str | None = None  # a corrected domain to offer with one click
    code: str = "ok"

    @property
    def ok(self) -> bool:
        """Whether the domain can be used (warnings allowed)."""
        return self.severity != "error" and self.origin is not None


@dataclass(frozen=True)
class ClientIdCheck:
    """The outcome of checking a Client ID as typed."""

    severity: Severity
    message: str
    client_id: str | None = None
    code: str = "ok"

    @property
    def ok(self) -> bool:
        """Whether the value can be used (warnings allowed)."""
        return self.severity != "error" and self.client_id is not None


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (where plain http is allowed, for the sandbox)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_okta_domain(raw: str) -> DomainCheck:
    """Turn what the admin typed into an origin such as `https://dev-123.okta.com`, or say what is wrong.

    Accepts a bare host, a URL with or without a path, and custom domains; https is required except on
    loopback hosts (the local sandbox).
    """
    text = raw.strip()
    if not text:
        return DomainCheck("error", "Enter your Okta domain, e.g. dev-123456.okta.com.", code="empty")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:
        return DomainCheck("error", f"“{raw.strip()}” is not a domain name.", code="not_a_domain")
    if parts.scheme not in {"http", "https"}:
        return DomainCheck("error", "The Okta domain must be an https:// address.", code="bad_scheme")
    if parts.username or parts.password:
        return DomainCheck(
            "error", "Leave out any user name or password; just the domain.", code="not_a_domain"
        )
    if not _is_host_name(host):
        return DomainCheck("error", f"“{raw.strip()}” is not a domain name.", code="not_a_domain")
    loopback = is_loopback_host(host)
    if parts.scheme == "http" and not loopback:
        return DomainCheck(
            "error",
            "Okta is only reached over https. Use https:// (plain http is allowed only for a local sandbox).",
            suggestion=host,
            code="needs_https",
        )
    admin = ADMIN_CONSOLE_HOST.match(host)
    if admin:
        right = f"{admin['org']}.{admin['suffix']}"
        return DomainCheck(
            "error",
            f"{host} is the admin console's address. Your Okta domain is {right} (without “-admin”).",
            suggestion=right,
            code="admin_console",
        )
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host:  # IPv6 literal
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    origin = f"{parts.scheme}://{netloc}"
    notes = []
    if parts.path.strip("/") or parts.query:
        notes.append("Signet kept only the domain; the rest of the address isn't needed.")
    if not loopback and not host.endswith(OKTA_SUFFIXES):
        notes.append("This looks like a custom domain; that's fine if it points at your Okta org.")
    return DomainCheck(
        "warning" if notes else "ok",
        " ".join(notes) or "Looks like an Okta domain.",
        origin=origin,
        code="custom_domain" if notes else "ok",
    )


def _is_host_name(host: str) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) < 2 and host != "localhost":
        return False
    return all(HOST_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def check_client_id(raw: str) -> ClientIdCheck:
    """Trim and check a Client ID's shape; unusual shapes get a warning, not a refusal."""
    value = raw.strip()
    if not value:
        return ClientIdCheck("error", "Paste the Client ID from the app's General tab.", code="empty")
    if any(ch.isspace() for ch in value):
        return ClientIdCheck(
            "error",
            "A Client ID has no spaces. Copy it again with the copy button in Okta.",
            code="has_spaces",
        )
    if OKTA_CLIENT_ID.match(value):
        return ClientIdCheck("ok", "Looks like an Okta Client ID.", client_id=value)
    if CLIENT_SECRET_LIKE.match(value):
        return ClientIdCheck(
            "warning",
            "This looks like a client secret, not the Client ID. Signet never needs a secret "
            "(single-page apps have none); copy the Client ID, which starts with 0oa.",
            client_id=value,
            code="looks_like_secret",
        )
    return ClientIdCheck(
        "warning",
        "Okta Client IDs usually start with 0oa and are 20 characters long; "
        "check you copied the right value.",
        client_id=value,
        code="unusual_shape",
    )


@dataclass(frozen=True)
class OrgMetadata:
    """What Signet needs from the org authorization server's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str | None


def probe_okta_origin(origin: str, *, http: httpx.Client) -> tuple[DomainCheck, OrgMetadata | None]:
    """Fetch `{origin}/.well-known/openid-configuration` and check it is an Okta org's.

    Each failure gets its own message: DNS, timeout, TLS, refused, not an Okta org, issuer mismatch,
    an endpoint elsewhere than the domain. A non-public address gets one message whatever its port
    or state, so the check can't be used to map a private network.
    https://developer.okta.com/docs/reference/api/oidc/#well-known-openid-configuration
    """
    host = urlsplit(origin).hostname or origin
    fetched = _fetch_discovery(origin, host, http)
    if isinstance(fetched, DomainCheck):
        return fetched, None
    status, body = fetched
    if status == 429:
        return DomainCheck(
            "error", f"{host} asked Signet to slow down. Try again in a minute.", code="slow_down"
        ), None
    try:
        document: Any = json.loads(body) if status == 200 else None
    except ValueError:
        document = None
    return _read_discovery(document, origin=origin, host=host)


def _fetch_discovery(origin: str, host: str, http: httpx.Client) -> DomainCheck | tuple[int, bytes]:
    """The discovery document's status and body, or the check saying why it could not be fetched."""
    url = origin + "/.well-known/openid-configuration"
    try:
        with live_check_slot():
            return _fetch(http, "GET", url, headers={"Accept": "application/json"})
    except LiveCheckRefusedError as refused:
        return DomainCheck("error", refused.message, code="slow_down")
    except DestinationRefusedError:
        return DomainCheck("error", not_public_message(host), code="not_public")
    except httpx.TimeoutException:
        return DomainCheck(
            "error", f"{host} did not answer in time. Check the domain, or try again.", code="timeout"
        )
    except httpx.ConnectError as error:
        return _connect_failure(origin, host, error)
    except (httpx.HTTPError, _ResponseTooLargeError):
        return DomainCheck(
            "error", f"Signet could not talk to {host}. Try again in a moment.", code="unreachable"
        )


def _read_discovery(document: Any, *, origin: str, host: str) -> tuple[DomainCheck, OrgMetadata | None]:
    """Check a fetched discovery document (None when it was not JSON) belongs to the Okta org at `origin`."""
    not_okta = DomainCheck(
        "error",
        f"{host} answered, but not like an Okta org. Check you typed the Okta domain from the admin "
        "console's top-right menu (e.g. dev-123456.okta.com).",
        code="not_okta",
    )
    if not isinstance(document, dict):
        return not_okta, None
    issuer = document.get("issuer")
    endpoints = {k: document.get(k) for k in ("authorization_endpoint", "token_endpoint")}
    if not isinstance(issuer, str) or not all(isinstance(v, str) for v in endpoints.values()):
        return not_okta, None
    if issuer.rstrip("/") != origin:
        return DomainCheck(
            "error",
            f"{host} says its issuer is {issuer}, not {origin}. Use the org's own Okta domain "
            "(not a custom authorization server or another address for it).",
            code="issuer_mismatch",
        ), None
    foreign = _endpoint_elsewhere(document, origin)
    if foreign is not None:
        return DomainCheck(
            "error",
            f"{host}'s sign-in settings send {foreign} to another address than {origin}. Signet only "
            "talks to the Okta domain itself, so it won't use this one.",
            code="endpoint_elsewhere",
        ), None
    # The org authorization server (the only one that can grant okta.* scopes) lives at /oauth2/v1.
    if endpoints["authorization_endpoint"] != origin + "/oauth2/v1/authorize":
        return not_okta, None
    revocation = document.get("revocation_endpoint")
    metadata = OrgMetadata(
        issuer=issuer,
        authorization_endpoint=str(endpoints["authorization_endpoint"]),
        token_endpoint=str(endpoints["token_endpoint"]),
        revocation_endpoint=revocation if isinstance(revocation, str) else None,
    )
    return DomainCheck("ok", f"Found the Okta org at {host}.", origin=origin, code="verified"), metadata


def not_public_message(host: str) -> str:
    """The one answer for every address Signet refuses (private, loopback, link-local, plain http...)."""
    return (
        f"Signet only connects to Okta over https at a public internet address, and {host} is not one, "
        "so Signet did not contact it. Use your org's Okta domain (e.g. dev-123456.okta.com)."
    )


def _endpoint_elsewhere(document: dict[str, Any], origin: str) -> str | None:
    """The name of the first endpoint in the discovery document that is not on `origin`, if any."""
    for key, value in document.items():
        if not (key.endswith("_endpoint") or key == "jwks_uri") or not isinstance(value, str):
            continue
        if _origin_of(value) != _origin_of(origin):
            return key
    return None


def _origin_of(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    default = {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").rstrip(".").lower(), None if port == default else port


class _ResponseTooLargeError(Exception):
    """A live check's answer was larger than any Okta answer to it could be."""


def _fetch(http: httpx.Client, method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
    """Send one live-check request with short timeouts, an overall deadline and a size cap."""
    deadline = time.monotonic() + LIVE_CHECK_SECONDS
    # No retries and no waiting for rate limits (max_wait=0): the admin is watching the form.
    extensions = request_extensions(max_wait=0)
    with http.stream(method, url, timeout=LIVE_CHECK_TIMEOUT, extensions=extensions, **kwargs) as response:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > LIVE_CHECK_MAX_BYTES:
                raise _ResponseTooLargeError(url)
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("The live check took too long", request=response.request)
        return response.status_code, bytes(body)


def _connect_failure(origin: str, host: str, error: httpx.ConnectError) -> DomainCheck:
    causes = _exception_chain(error)
    text = " ".join(str(c) for c in causes).lower()
    if (
        any(isinstance(c, socket.gaierror) for c in causes)
        or "name or service not known" in text
        or ("temporary failure in name resolution" in text or "nodename nor servname" in text)
    ):
        return DomainCheck(
            "error", f"{host} does not exist (DNS lookup failed). Check the spelling.", code="dns"
        )
    if any(isinstance(c, ssl.SSLError) for c in causes) or "ssl" in text or "certificate" in text:
        parts = urlsplit(origin)
        if is_loopback_host(host) and parts.scheme == "https":
            # "127.0.0.1:9000" typed without a scheme became https://; a local sandbox speaks plain http.
            plain = f"http://{parts.netloc}"
            return DomainCheck(
                "error",
                f"{host} answered, but not over https. If this is a local test org (such as Signet's "
                f"Okta sandbox), type {plain} with the http:// in front.",
                suggestion=plain,
                code="tls",
            )
        return DomainCheck(
            "error",
            f"{host} answered, but its TLS certificate or handshake is not valid, so Signet won't send "
            "anything to it.",
            code="tls",
        )
    return DomainCheck(
        "error", f"Signet could not connect to {host}. Check the domain and your network.", code="unreachable"
    )


def _exception_chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def probe_client_id(
    client_id: str, *, token_endpoint: str, redirect_uri: str, http: httpx.Client
) -> ClientIdCheck | None:
    """Ask Okta's token endpoint whether it knows `client_id`, with a code that can't be valid.

    Okta checks the client before the code: an unknown client gets 401 `invalid_client`, a known one
    400 `invalid_grant` (developer.okta.com/docs/reference/api/oidc/#token, see FACTS §1). Returns an
    error check, or None when Okta knows the client or couldn't be asked.
    """
    try:
        with live_check_slot(counted=False):  # it follows a domain check, which was counted
            status, _ = _fetch(
                http,
                "POST",
                token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": "signet-client-id-probe",
                    "redirect_uri": redirect_uri,
                    "client_id": client_id,
                    "code_verifier": "signet-client-id-probe-" + "0" * 24,
                },
                headers={"Accept": "application/json"},
            )
    except (httpx.HTTPError, LiveCheckRefusedError, _ResponseTooLargeError):
        return None
    if status == 401:
        return ClientIdCheck(
            "error",
            "Okta doesn't know this Client ID. Copy it again from the app's General tab (step 7).",
            code="invalid_client",
        )
    return None
