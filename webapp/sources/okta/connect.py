"""Connecting, verifying and disconnecting Okta: the use cases behind the setup wizard."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

import httpx
from sqlmodel import Session

from webapp.accounts.models import AdminUser
from webapp.audit.store import record_event
from webapp.crypto import SecretBox, SecretUnreadableError
from webapp.db import utcnow
from webapp.sources.okta import oauth, store
from webapp.sources.okta.api import OktaApi
from webapp.sources.okta.directory import OktaDirectory
from webapp.sources.okta.errors import (
    InsufficientScopeError,
    OktaApiError,
    OktaError,
    OktaOAuthError,
    OktaRateLimitedError,
    OktaUnreachableError,
)
from webapp.sources.okta.inputs import (
    check_client_id,
    normalise_okta_domain,
    probe_client_id,
    probe_okta_origin,
)
from webapp.sources.okta.models import OAuthAttempt, OktaConnection
from webapp.sources.okta.tokens import DISCONNECTED, NEEDS_RECONNECT, TokenService
from webapp.sources.okta.wizard import (
    STEP_ASSIGNMENTS,
    STEP_CLIENT_ID,
    STEP_CONNECT,
    STEP_DOMAIN,
    STEP_SCOPES,
)

logger = logging.getLogger(__name__)
CALLBACK_PATH = "/callbacks/okta"


class ConnectProblem(Exception):
    """A failure of the connect flow, with the wizard step that fixes it."""

    def __init__(self, code: str, message: str, *, step: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.step = step


def redirect_uri_for(base_url: str) -> str:
    """Signet's sign-in redirect URI, the one the admin registers in Okta (step 5)."""
    return base_url.rstrip("/") + CALLBACK_PATH


@dataclass(frozen=True)
class ConnectStart:
    """Where to send the browser to start the authorization."""

    authorize_url: str


def start_connect(
    *,
    session: Session,
    admin: AdminUser,
    base_url: str,
    http: httpx.Client,
    box: SecretBox,
) -> ConnectStart:
    """Check the typed domain and Client ID with Okta, record an attempt, build the authorize URL."""
    progress = store.get_progress(session=session)
    domain = normalise_okta_domain(progress.domain_input)
    client = check_client_id(progress.client_id_input)
    # No transaction stays open across the calls to Okta below (see Database.ensure_request_session_idle).
    session.commit()
    if not domain.ok or domain.origin is None:
        raise ConnectProblem("domain_invalid", domain.message, step=STEP_DOMAIN)
    if not client.ok or client.client_id is None:
        raise ConnectProblem("client_id_invalid", client.message, step=STEP_CLIENT_ID)
    live, metadata = probe_okta_origin(domain.origin, http=http)
    if metadata is None:
        code = (
            "okta_unreachable" if live.code in {"dns", "timeout", "unreachable", "tls"} else "domain_invalid"
        )
        raise ConnectProblem(code, live.message, step=STEP_DOMAIN)
    redirect_uri = redirect_uri_for(base_url)
    unknown_client = probe_client_id(
        client.client_id, token_endpoint=metadata.token_endpoint, redirect_uri=redirect_uri, http=http
    )
    if unknown_client is not None:
        raise ConnectProblem("invalid_client", unknown_client.message, step=STEP_CLIENT_ID)
    secrets = oauth.PkceSecrets.generate()
    assert admin.id is not None
    store.create_attempt(
        session=session,
        state=secrets.state,
        admin_id=admin.id,
        okta_origin=domain.origin,
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        code_verifier_ciphertext=box.encrypt(secrets.code_verifier),
        nonce=secrets.nonce,
    )
    progress.okta_origin = domain.origin
    store.save_progress(session=session, progress=progress)
    store.clear_connect_problem(session=session)
    url = oauth.authorization_url(
        authorization_endpoint=metadata.authorization_endpoint,
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        secrets=secrets,
    )
    return ConnectStart(authorize_url=url)


def problem_from_authorize_error(error: str, description: str) -> ConnectProblem:
    """Map Okta's `error` on the callback to a message and the step that fixes it."""
    detail = f" (Okta said: “{description[:200]}”)" if description else ""
    lowered = description.lower()
    if error == "access_denied" and "assigned" in lowered:
        return ConnectProblem(
            "not_assigned",
            "Okta refused because your Okta user is not assigned to the Signet app. In step 6, choose "
            "“Allow everyone in your organization to access” and Save, then connect again." + detail,
            step=STEP_ASSIGNMENTS,
        )
    if error == "access_denied":
        return ConnectProblem(
            "access_denied",
            "Okta reported that access was denied: Deny was clicked, or your user is not assigned to the "
            "app (step 6). Connect again and click Allow." + detail,
            step=STEP_ASSIGNMENTS,
        )
    if error == "invalid_scope":
        return ConnectProblem(
            "invalid_scope",
            "Okta refused the requested scopes: grant okta.users.read and okta.schemas.read on the app's "
            "Okta API Scopes tab (step 9), then connect again." + detail,
            step=STEP_SCOPES,
        )
    if error in {"invalid_client", "unauthorized_client"}:
        return ConnectProblem(
            "invalid_client", "Okta doesn't recognise the Client ID (step 7)." + detail, step=STEP_CLIENT_ID
        )
    return ConnectProblem(
        error[:64] or "okta_error",
        f"Okta stopped the sign-in with “{error}”{detail}. Try connecting again.",
        step=STEP_CONNECT,
    )


def complete_connect(
    *,
    session: Session,
    admin: AdminUser,
    params: dict[str, str],
    http: httpx.Client,
    box: SecretBox,
    tokens: TokenService,
    api_for: OktaApiFactory,
) -> OktaConnection:
    """Handle `/callbacks/okta`: check state, exchange the code, check scopes, store and verify."""
    assert admin.id is not None
    attempt = store.claim_attempt(session=session, state=params.get("state", ""), admin_id=admin.id)
    # The attempt is now used for good (a replayed callback finds nothing to claim); end the
    # transaction before talking to Okta.
    session.commit()
    if attempt is None:
        raise ConnectProblem(
            "state_mismatch",
            "This sign-in reply doesn't match a connection Signet started (it may have been used "
            "already or come from another browser). Click Connect Okta to start again.",
            step=STEP_CONNECT,
        )
    if attempt.expires_at <= utcnow():
        raise ConnectProblem(
            "attempt_expired",
            "This connection attempt expired (attempts last 10 minutes). Click Connect Okta to start again.",
            step=STEP_CONNECT,
        )
    if params.get("error"):
        raise problem_from_authorize_error(params["error"], params.get("error_description", ""))
    code = params.get("code", "")
    if not code:
        raise ConnectProblem(
            "no_code", "Okta's reply carried no authorization code. Try again.", step=STEP_CONNECT
        )
    token_set = _exchange(attempt=attempt, code=code, http=http, box=box)
    login = oauth.unverified_claims(token_set.access_token).get("sub")
    connection = store.get_connection(session=session) or OktaConnection(
        okta_origin=attempt.okta_origin, client_id=attempt.client_id
    )
    connection.okta_origin = attempt.okta_origin
    connection.client_id = attempt.client_id
    connection.connected_by_login = str(login)[:254] if login else admin.email
    connection.connected_by_admin_id = admin.id
    connection.connected_at = utcnow()
    tokens.store_new_grant(session=session, connection=connection, tokens=token_set)
    # Commit the grant before verifying: the rotating refresh token must be stored before any
    # refresh could happen, and a failed check below must not lose it.
    session.commit()
    try:
        verify_connection(session=session, api=api_for(connection.okta_origin))
    except ConnectProblem as problem:
        _mark_unverified(session=session, reason=problem.message)
        raise
    record_event(
        session=session,
        action="okta.connected",
        actor=admin,
        summary=f"Connected to {connection.okta_origin} as {connection.connected_by_login}",
    )
    return connection


def _exchange(*, attempt: OAuthAttempt, code: str, http: httpx.Client, box: SecretBox) -> oauth.TokenSet:
    """Trade the code for tokens and check what Okta granted (scopes, refresh token, nonce)."""
    try:
        token_set = oauth.exchange_code(
            http=http,
            origin=attempt.okta_origin,
            client_id=attempt.client_id,
            redirect_uri=attempt.redirect_uri,
            code=code,
            code_verifier=box.decrypt(attempt.code_verifier_ciphertext),
        )
    except OktaOAuthError as error:
        if error.error == "invalid_client":
            raise problem_from_authorize_error("invalid_client", error.description) from error
        raise ConnectProblem(
            error.error[:64],
            f"Okta would not exchange the sign-in for tokens (“{error.description or error.error}”). "
            "Click Connect Okta to try again.",
            step=STEP_CONNECT,
        ) from error
    except (OktaUnreachableError, OktaRateLimitedError) as error:
        raise ConnectProblem(
            "okta_unreachable", f"{error} Try connecting again.", step=STEP_CONNECT
        ) from error
    missing = [scope for scope in oauth.REQUIRED_API_SCOPES if scope not in token_set.scopes]
    if missing:
        raise ConnectProblem(
            "scope_not_granted",
            f"Okta did not grant {', '.join(missing)}. Grant it on the app's Okta API Scopes tab (step 9), "
            "then connect again.",
            step=STEP_SCOPES,
        )
    if "offline_access" not in token_set.scopes or not token_set.refresh_token:
        raise ConnectProblem(
            "no_refresh_token",
            "Okta did not issue a refresh token, so Signet could not keep syncing. Tick the Refresh Token "
            "grant type on the app's General tab (step 4), then connect again.",
            step=4,
        )
    # `openid` is always requested, so an id_token must come back carrying this attempt's nonce.
    claims = oauth.unverified_claims(token_set.id_token or "")
    if not hmac.compare_digest(str(claims.get("nonce", "")), attempt.nonce):
        raise ConnectProblem(
            "nonce_mismatch",
            "Okta's reply did not match this attempt. Click Connect Okta to start again.",
            step=STEP_CONNECT,
        )
    return token_set


def _mark_unverified(*, session: Session, reason: str) -> None:
    """A grant that fails its first check is not a working connection: drop it and say why."""
    connection = store.get_connection(session=session)
    if connection is None:
        return
    # A first connection that fails its check was never working; a reconnect that fails leaves the
    # instance needing one.
    connection.drop_grant(
        status=NEEDS_RECONNECT if connection.last_verified_at else DISCONNECTED, reason=reason
    )
    session.add(connection)
    session.commit()


class OktaApiFactory:
    """Builds an `OktaApi` for an origin (a seam so views and jobs share one construction)."""

    def __init__(self, *, tokens: TokenService, http: httpx.Client) -> None:
        self._tokens = tokens
        self._http = http

    def __call__(self, origin: str) -> OktaApi:
        """An API client for `origin`."""
        return OktaApi(origin=origin, tokens=self._tokens, http=self._http)


def verify_connection(*, session: Session, api: OktaApi) -> OktaConnection:
    """Prove the stored grant works: list users, read the schema, count users. Raises ConnectProblem."""
    session.commit()  # no transaction across the calls to Okta (the token service writes)
    try:
        check = OktaDirectory(origin=api.origin, api=api).check()
    except InsufficientScopeError as error:
        raise ConnectProblem(
            "scope_not_granted",
            f"Okta refused to let Signet read with {error.scope}: grant it on the app's Okta API Scopes "
            "tab (step 9), then connect again.",
            step=STEP_SCOPES,
        ) from error
    except OktaApiError as error:
        raise ConnectProblem(
            "verify_failed", f"Okta answered the check with an error: {error}", step=STEP_CONNECT
        ) from error
    except OktaError as error:
        raise ConnectProblem(
            "verify_failed", f"Signet could not check the connection: {error}", step=STEP_CONNECT
        ) from error
    connection = store.get_connection(session=session)
    if connection is None:
        raise ConnectProblem("verify_failed", "The Okta connection was removed meanwhile.", step=STEP_CONNECT)
    connection.user_count = check.user_count
    connection.user_count_is_lower_bound = check.user_count_is_lower_bound
    connection.last_verified_at = utcnow()
    session.add(connection)
    return connection


@dataclass(frozen=True)
class DisconnectResult:
    """What happened when disconnecting, for the message shown to the admin."""

    origin: str
    revoked_at_okta: bool


def disconnect(
    *, session: Session, admin: AdminUser, http: httpx.Client, box: SecretBox
) -> DisconnectResult | None:
    """Delete the stored tokens, then revoke the refresh token at Okta; keep all synced data.

    Tokens are dropped (and committed) first, so a refresh running meanwhile cannot store new
    ones: its compare-and-swap sees the disconnect and revokes what it got.
    """
    connection = store.get_connection(session=session)
    if connection is None or connection.status == DISCONNECTED:
        return None
    origin, client_id = connection.okta_origin, connection.client_id
    refresh_ciphertext = connection.refresh_token_ciphertext
    connection.drop_grant(status=DISCONNECTED)
    session.add(connection)
    session.commit()
    revoked = False
    if refresh_ciphertext:
        try:
            # Revoking the refresh token also revokes the access tokens issued with it.
            oauth.revoke_token(
                http=http,
                origin=origin,
                client_id=client_id,
                token=box.decrypt(refresh_ciphertext),
                hint="refresh_token",
            )
            revoked = True
        except (OktaError, SecretUnreadableError) as error:
            logger.warning("Could not revoke the Okta refresh token: %s", type(error).__name__)
    record_event(
        session=session,
        action="okta.disconnected",
        actor=admin,
        summary=f"Disconnected from {origin}"
        + ("" if revoked else " (the token could not be revoked at Okta)"),
    )
    return DisconnectResult(origin=origin, revoked_at_okta=revoked)
