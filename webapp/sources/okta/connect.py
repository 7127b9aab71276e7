"""Connecting, verifying and disconnecting Okta: the use cases behind the setup wizard.

Transactions. Each public function here is one use case and owns its unit of work: it commits what
it read or claimed *before* any call to Okta (no transaction is ever held across the network, where
the token service writes from its own connection), then writes its outcome and commits it once.
Callers (views) pass a session with no pending changes and commit nothing on the use case's behalf;
they may commit their own, separate writes afterwards (the wizard's progress, a problem to show).
Data access (`store.py`) never commits.

A reconnect never breaks a working connection: the new grant is checked with its own tokens first
(one user listed, the schema read: two Management API calls) and replaces the stored one only if
that works. Until then the old tokens keep working and the connection keeps its status.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlmodel import Session

from webapp.accounts.models import AdminUser
from webapp.audit.store import record_event
from webapp.crypto import SecretBox, SecretUnreadableError
from webapp.db import utcnow
from webapp.sources.base import DirectoryCheck
from webapp.sources.okta import oauth, store
from webapp.sources.okta.api import Credentials, FixedCredentials, OktaApi
from webapp.sources.okta.directory import OktaDirectory
from webapp.sources.okta.dpop import TOKEN_TYPE_DPOP, DpopKey
from webapp.sources.okta.errors import OktaError
from webapp.sources.okta.grants import StoredGrant, revoke_grant, revoke_new_grant
from webapp.sources.okta.inputs import (
    check_client_id,
    normalise_okta_domain,
    probe_client_id,
    probe_okta_origin,
)
from webapp.sources.okta.models import OAuthAttempt, OktaConnection
from webapp.sources.okta.problems import ConnectProblem as ConnectProblem  # re-exported for the views
from webapp.sources.okta.problems import (
    problem_from_authorize_error,
    problem_from_check_error,
    problem_from_exchange_error,
)
from webapp.sources.okta.tokens import DISCONNECTED, TokenService
from webapp.sources.okta.wizard import (
    STEP_CLIENT_ID,
    STEP_CONNECT,
    STEP_DOMAIN,
    STEP_GRANT_TYPES,
    STEP_SCOPES,
)

CALLBACK_PATH = "/callbacks/okta"


def redirect_uri_for(base_url: str) -> str:
    """Signet's sign-in redirect URI, the one the admin registers in Okta (step 5)."""
    return base_url.rstrip("/") + CALLBACK_PATH


@dataclass(frozen=True)
class ConnectStart:
    """Where to send the browser to start the authorization."""

    authorize_url: str


def start_connect(
    *, session: Session, admin: AdminUser, base_url: str, http: httpx.Client, box: SecretBox
) -> ConnectStart:
    """Check the typed domain and Client ID with Okta, record an attempt, build the authorize URL.

    Owns its transaction: reads the inputs and commits, asks Okta, then records the attempt (with
    its PKCE verifier and a fresh DPoP key, both encrypted) and commits.
    """
    progress = store.get_progress(session=session)
    domain = normalise_okta_domain(progress.domain_input)
    client = check_client_id(progress.client_id_input)
    session.commit()
    if not domain.ok or domain.origin is None:
        raise ConnectProblem("domain_invalid", domain.message, step=STEP_DOMAIN)
    if not client.ok or client.client_id is None:
        raise ConnectProblem("client_id_invalid", client.message, step=STEP_CLIENT_ID)
    live, metadata = probe_okta_origin(domain.origin, http=http)
    if metadata is None:
        unreachable = live.code in {"dns", "timeout", "unreachable", "tls"}
        raise ConnectProblem(
            "okta_unreachable" if unreachable else "domain_invalid", live.message, step=STEP_DOMAIN
        )
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
        dpop_key_ciphertext=box.encrypt(DpopKey.generate().to_json()),
    )
    progress = store.get_progress(session=session)
    progress.okta_origin = domain.origin
    store.save_progress(session=session, progress=progress)
    store.clear_connect_problem(session=session)
    session.commit()
    url = oauth.authorization_url(
        authorization_endpoint=metadata.authorization_endpoint,
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        secrets=secrets,
    )
    return ConnectStart(authorize_url=url)


def complete_connect(
    *,
    session: Session,
    admin: AdminUser,
    params: dict[str, str],
    http: httpx.Client,
    box: SecretBox,
    tokens: TokenService,
) -> OktaConnection:
    """Handle `/callbacks/okta`: check state, exchange the code, check the new grant, then store it.

    Owns its transactions: claims the attempt and commits; exchanges and checks with no transaction
    open; stores the verified grant (and the audit event) in one commit. A grant that fails its
    check is revoked and never stored, so a working connection is left exactly as it was.
    """
    attempt, expect_dpop = _claim_attempt(session=session, admin=admin, params=params)
    dpop_key = _attempt_key(attempt, box)
    token_set = _exchange(
        attempt=attempt, code=params["code"], http=http, box=box, dpop_key=dpop_key, expect_dpop=expect_dpop
    )
    bound_key = dpop_key if token_set.dpop_bound else None
    credentials = Credentials(access_token=token_set.access_token, dpop_key=bound_key)
    api = OktaApi(origin=attempt.okta_origin, tokens=FixedCredentials(credentials), http=http)
    try:
        _check(api)
    except ConnectProblem:
        revoke_new_grant(attempt=attempt, token_set=token_set, dpop_key=bound_key, http=http)
        raise
    connection, replaced = _store_grant(
        session=session, admin=admin, attempt=attempt, token_set=token_set, dpop_key=bound_key, tokens=tokens
    )
    if replaced is not None:
        revoke_grant(replaced, http=http, box=box)  # the old grant is of no use any more
    return connection


def _claim_attempt(
    *, session: Session, admin: AdminUser, params: dict[str, str]
) -> tuple[OAuthAttempt, bool]:
    """Use up the attempt named by `state` (committed) and check the callback; also says whether the
    current connection to the same app is DPoP-bound (the exchange then starts with a proof)."""
    assert admin.id is not None
    attempt = store.claim_attempt(session=session, state=params.get("state", ""), admin_id=admin.id)
    connection = store.get_connection(session=session)
    # The attempt is now used for good (a replayed callback finds nothing to claim).
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
    if not params.get("code"):
        raise ConnectProblem(
            "no_code", "Okta's reply carried no authorization code. Try again.", step=STEP_CONNECT
        )
    same_app = connection is not None and (connection.okta_origin, connection.client_id) == (
        attempt.okta_origin,
        attempt.client_id,
    )
    return attempt, same_app and connection is not None and connection.token_type == TOKEN_TYPE_DPOP


def _attempt_key(attempt: OAuthAttempt, box: SecretBox) -> DpopKey:
    """The attempt's DPoP key (an attempt recorded before DPoP support gets a new one)."""
    if not attempt.dpop_key_ciphertext:
        return DpopKey.generate()
    try:
        return DpopKey.from_json(box.decrypt(attempt.dpop_key_ciphertext))
    except (SecretUnreadableError, ValueError) as error:
        raise ConnectProblem(
            "attempt_unreadable",
            "This connection attempt can't be read. Click Connect Okta to start again.",
            step=STEP_CONNECT,
        ) from error


def _exchange(
    *,
    attempt: OAuthAttempt,
    code: str,
    http: httpx.Client,
    box: SecretBox,
    dpop_key: DpopKey,
    expect_dpop: bool,
) -> oauth.TokenSet:
    """Trade the code for tokens and check what Okta granted (scopes, refresh token, nonce)."""
    try:
        token_set = oauth.exchange_code(
            http=http,
            origin=attempt.okta_origin,
            client_id=attempt.client_id,
            redirect_uri=attempt.redirect_uri,
            code=code,
            code_verifier=box.decrypt(attempt.code_verifier_ciphertext),
            dpop_key=dpop_key,
            expect_dpop=expect_dpop,
        )
    except OktaError as error:
        raise problem_from_exchange_error(error) from error
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
            step=STEP_GRANT_TYPES,
        )
    # `openid` is always requested, so an id_token must come back carrying this attempt's nonce.
    claims = oauth.unverified_claims(token_set.id_token or "")
    if not attempt.nonce_matches(str(claims.get("nonce", ""))):
        raise ConnectProblem(
            "nonce_mismatch",
            "Okta's reply did not match this attempt. Click Connect Okta to start again.",
            step=STEP_CONNECT,
        )
    return token_set


def _check(api: OktaApi) -> DirectoryCheck:
    """Prove a grant works: one user listed and the schema read. Raises ConnectProblem."""
    try:
        return OktaDirectory(origin=api.origin, api=api).check()
    except OktaError as error:
        raise problem_from_check_error(error) from error


def _store_grant(
    *,
    session: Session,
    admin: AdminUser,
    attempt: OAuthAttempt,
    token_set: oauth.TokenSet,
    dpop_key: DpopKey | None,
    tokens: TokenService,
) -> tuple[OktaConnection, StoredGrant | None]:
    """Replace the stored grant with the verified one, audited, in one commit; returns the grant it
    replaced (read under the row lock, so a refresh that just rotated it is seen)."""
    connection = store.get_connection_for_update(session=session)
    replaced = StoredGrant.of(connection)
    if connection is None:
        connection = OktaConnection(okta_origin=attempt.okta_origin, client_id=attempt.client_id)
    login = oauth.unverified_claims(token_set.access_token).get("sub")
    connection.okta_origin = attempt.okta_origin
    connection.client_id = attempt.client_id
    connection.connected_by_login = str(login)[:254] if login else admin.email
    connection.connected_by_admin_id = admin.id
    connection.connected_at = connection.last_verified_at = utcnow()
    tokens.store_new_grant(session=session, connection=connection, tokens=token_set, dpop_key=dpop_key)
    attempt.dpop_key_ciphertext = None  # the key now lives with the connection (if it is bound)
    session.add(attempt)
    bound = " (DPoP-bound tokens)" if dpop_key else ""
    summary = f"Connected to {connection.okta_origin} as {connection.connected_by_login}{bound}"
    _record_and_commit(session, admin, "okta.connected", summary)
    return connection, replaced


def verify_connection(*, session: Session, api: OktaApi) -> OktaConnection:
    """ "Check again": prove the stored grant works (one user listed, the schema read; two API calls).

    Owns its transaction: nothing is open while Okta is asked; `last_verified_at` is then committed.
    Raises ConnectProblem, leaving the connection as it was.
    """
    session.commit()
    _check(api)
    connection = store.get_connection(session=session)
    if connection is None:
        raise ConnectProblem("verify_failed", "The Okta connection was removed meanwhile.", step=STEP_CONNECT)
    connection.last_verified_at = utcnow()
    session.add(connection)
    session.commit()
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

    Owns its transactions: the tokens are dropped and committed first, so a refresh running
    meanwhile cannot store new ones (its compare-and-swap sees the disconnect and revokes what it
    got); then Okta is asked to revoke; then the audit event is committed.
    """
    connection = store.get_connection(session=session)
    if connection is None or connection.status == DISCONNECTED:
        session.commit()
        return None
    grant = StoredGrant.of(connection)
    origin = connection.okta_origin
    connection.drop_grant(status=DISCONNECTED)
    session.add(connection)
    session.commit()
    revoked = grant is not None and revoke_grant(grant, http=http, box=box)
    unrevoked = "" if revoked else " (the token could not be revoked at Okta)"
    _record_and_commit(session, admin, "okta.disconnected", f"Disconnected from {origin}{unrevoked}")
    return DisconnectResult(origin=origin, revoked_at_okta=revoked)


def _record_and_commit(session: Session, admin: AdminUser, action: str, summary: str) -> None:
    """The end of a connect use case: its audit entry is committed with the change it describes."""
    record_event(session=session, action=action, actor=admin, summary=summary)
    session.commit()
