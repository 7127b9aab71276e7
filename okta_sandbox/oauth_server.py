"""The org authorization server's flows: sign-in sessions, /authorize transactions, the token grants.

``authorization_code`` (single-use codes, 300 s, S256 PKCE) and ``refresh_token`` (Okta's rotation
with leeway and reuse detection, G-RT) are the two grants the sandbox serves (FACTS.md §1). The
HTTP side is :mod:`okta_sandbox.routes_authorize` and :mod:`okta_sandbox.routes_token`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from okta_sandbox import errors
from okta_sandbox.dpop import DPoPError, DPoPMixin, ProofContext
from okta_sandbox.errors import OAuthError
from okta_sandbox.ids import opaque_token
from okta_sandbox.models import (
    AuthorizationCode,
    AuthorizeRequest,
    RefreshTokenRecord,
    SandboxApp,
    TokenFamily,
)
from okta_sandbox.tokens import TokensMixin

# Scopes the org AS knows (SPEC-O OrgASOidcMetadata scopes_supported) plus the okta.* scopes
# this sandbox serves. okta.* scopes must also be granted to the app (G-OAUTH).
OIDC_SCOPES = frozenset({"openid", "email", "profile", "address", "phone", "offline_access", "groups"})
OKTA_SCOPES = frozenset({"okta.users.read", "okta.schemas.read"})
CODE_LIFETIME = timedelta(seconds=300)  # SPEC-O TokenRequestAuthorizationCode
TXN_LIFETIME = timedelta(minutes=10)
# Browser sessions and pending /authorize transactions: beyond this, the oldest are forgotten.
MAX_SESSIONS = 10_000
MAX_TRANSACTIONS = 10_000
_INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed."


class OAuthServerMixin(TokensMixin, DPoPMixin):
    """Browser sessions, pending authorize requests, and the two token grants (with DPoP)."""

    _txns: dict[str, AuthorizeRequest]
    _sessions: dict[str, str]

    def _init_oauth(self) -> None:
        self._txns = {}
        self._sessions = {}

    # ------------------------------------------------------------------ sessions

    def create_session(self, user_id: str) -> str:
        """Start a browser session (the ``sid`` cookie value); the oldest beyond ``MAX_SESSIONS`` end."""
        with self._lock:
            sid = opaque_token(24)
            bounded_put(self._sessions, sid, user_id, MAX_SESSIONS)
            self._changed("user.session.start", user_id=user_id)
            return sid

    def session_user(self, sid: str | None) -> str | None:
        """The user id of a live session, or ``None``."""
        if not sid:
            return None
        with self._lock:
            user_id = self._sessions.get(sid)
            user = self._users.get(user_id) if user_id else None
            if user is None or user.status != "ACTIVE":
                return None
            return user.id

    def end_session(self, sid: str | None) -> None:
        """Forget a browser session."""
        if sid:
            with self._lock:
                if self._sessions.pop(sid, None) is not None:
                    self._changed("user.session.end")

    def _on_user_disabled(self, user_id: str) -> None:
        super()._on_user_disabled(user_id)
        for sid in [sid for sid, uid in self._sessions.items() if uid == user_id]:
            del self._sessions[sid]

    # ------------------------------------------------------------------ /authorize transactions

    def start_transaction(self, request: AuthorizeRequest) -> str:
        """Remember a validated ``/authorize`` request until sign-in and consent finish."""
        with self._lock:
            now = self.clock.now()
            for key in [k for k, pending in self._txns.items() if now - pending.created > TXN_LIFETIME]:
                del self._txns[key]
            txn = opaque_token(18)
            bounded_put(self._txns, txn, request, MAX_TRANSACTIONS)
            return txn

    def get_transaction(self, txn: str) -> AuthorizeRequest | None:
        """The pending authorize request for ``txn``, if it has not expired."""
        with self._lock:
            pending = self._txns.get(txn)
            if pending is None or self.clock.now() - pending.created > TXN_LIFETIME:
                return None
            return pending

    def finish_transaction(self, txn: str) -> None:
        """Forget a pending authorize request."""
        with self._lock:
            self._txns.pop(txn, None)

    def issue_code(self, request: AuthorizeRequest, user_id: str) -> str:
        """Mint a single-use authorization code for a consented request."""
        with self._lock:
            code = opaque_token(32)
            self._codes[code] = AuthorizationCode(
                code=code,
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                user_id=user_id,
                scopes=request.scopes,
                nonce=request.nonce,
                code_challenge=request.code_challenge,
                expires_at=self.clock.now() + CODE_LIFETIME,
            )
            self._count_issued()
            self._changed("app.oauth2.authorize.code", client_id=request.client_id, user_id=user_id)
            return code

    # ------------------------------------------------------------------ token grants

    def exchange_code(
        self,
        *,
        client_id: str | None,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
        dpop: ProofContext | None = None,
    ) -> dict[str, Any]:
        """``grant_type=authorization_code``: verify the code and PKCE, return a TokenResponse dict.

        A code works once and for 300 s (SPEC-O). It is consumed only by a successful exchange.
        ``dpop`` is the request's DPoP proof, checked first when the app requires DPoP.
        """
        with self._lock:
            app = self.require_client(client_id)
            jkt = self._token_dpop(app, dpop)
            grant = self._codes.get(code or "")
            now = self.clock.now()
            if grant is None or grant.used or now >= grant.expires_at:
                raise OAuthError(400, "invalid_grant", errors.INVALID_CODE)
            if grant.client_id != app.client_id:
                raise OAuthError(400, "invalid_grant", errors.CODE_OTHER_CLIENT)
            if redirect_uri != grant.redirect_uri:
                raise OAuthError(400, "invalid_grant", errors.REDIRECT_MISMATCH)
            # authlib's RFC 7636 S256 transform: BASE64URL(SHA256(verifier)) without padding.
            if grant.code_challenge is not None and (
                not code_verifier or create_s256_code_challenge(code_verifier) != grant.code_challenge
            ):
                raise OAuthError(400, "invalid_grant", errors.PKCE_FAILED)
            user = self._users.get(grant.user_id)
            if user is None or user.status != "ACTIVE":
                raise OAuthError(400, "invalid_grant", errors.INVALID_CODE)
            grant.used = True
            return self._mint(app, user, grant.scopes, nonce=grant.nonce, family=None, jkt=jkt)

    def refresh(
        self,
        *,
        client_id: str | None,
        refresh_token: str | None,
        scope: str | None,
        dpop: ProofContext | None = None,
    ) -> dict[str, Any]:
        """``grant_type=refresh_token`` with Okta's rotation, leeway and reuse detection (G-RT).

        Each use returns a new refresh token. A refresh token already used stays usable for
        ``refresh_leeway_seconds`` after its first use; a later reuse revokes the whole family
        (every refresh and access token from that grant) and fails with ``invalid_grant``.
        A DPoP-bound family needs a proof from the same key (Okta guide docs/guides/dpop).
        """
        with self._lock:
            app = self.require_client(client_id)
            jkt = self._token_dpop(app, dpop)
            record, family = self._live_refresh_token(app, refresh_token)
            jkt = self._refresh_binding(family, jkt, dpop)
            user = self._users.get(family.user_id)
            if user is None or user.status != "ACTIVE":
                raise OAuthError(400, "invalid_grant", errors.INVALID_REFRESH)
            now = self.clock.now()
            if _late_reuse(app, record, now):
                # Reuse detected: Okta "immediately invalidates the most recently issued
                # refresh token and all access tokens issued since the user authenticated" (G-RT).
                self._revoke_family(family)
                self._changed("app.oauth2.token.detect_reuse", client_id=app.client_id)
                raise OAuthError(400, "invalid_grant", errors.INVALID_REFRESH)
            scopes = _narrowed_scopes(family, scope)
            if record.first_used is None:
                record.first_used = now
            return self._mint(app, user, scopes, nonce=None, family=family, presented=record, jkt=jkt)

    def _token_dpop(self, app: SandboxApp, dpop: ProofContext | None) -> str | None:
        """The key thumbprint to bind tokens to, when ``app`` requires DPoP (RFC 9449 §5).

        Without the setting a proof is ignored and Bearer tokens are issued, as before.
        """
        if not app.dpop_bound_access_tokens:
            return None
        context = dpop or ProofContext((), "POST", "")
        return self.verify_dpop_proof(context, require_nonce=True).jkt

    def _refresh_binding(self, family: TokenFamily, jkt: str | None, dpop: ProofContext | None) -> str | None:
        """A bound family needs a proof from its key; an unbound one is bound by its first proof."""
        if family.dpop_jkt is None:
            if jkt is not None:
                family.dpop_jkt = jkt
            return jkt
        if jkt is None:
            context = dpop or ProofContext((), "POST", "")
            jkt = self.verify_dpop_proof(context, require_nonce=True).jkt
        if jkt != family.dpop_jkt:
            # Unsourced wording; RFC 9449 §5: refresh tokens of public clients are bound to the key.
            raise DPoPError("invalid_dpop_proof", "The DPoP proof JWT key does not match the refresh token.")
        return jkt

    def _live_refresh_token(
        self, app: SandboxApp, refresh_token: str | None
    ) -> tuple[RefreshTokenRecord, TokenFamily]:
        """The record and family of a known, unrevoked, unexpired refresh token of ``app``."""
        record = self._refresh_tokens.get(refresh_token or "")
        family = self._families.get(record.family_id) if record else None
        if record is None or family is None or record.revoked or family.revoked:
            raise OAuthError(400, "invalid_grant", errors.INVALID_REFRESH)
        if family.client_id != app.client_id or self.clock.now() >= family.refresh_expires_at:
            raise OAuthError(400, "invalid_grant", errors.INVALID_REFRESH)
        return record, family


def _late_reuse(app: SandboxApp, record: RefreshTokenRecord, now: datetime) -> bool:
    """A rotated refresh token used again after the app's leeway (counted from its first use)."""
    if record.first_used is None or app.refresh_rotation != "ROTATE":
        return False
    return (now - record.first_used).total_seconds() > app.refresh_leeway_seconds


def _narrowed_scopes(family: TokenFamily, scope: str | None) -> tuple[str, ...]:
    """An optional ``scope`` must be a subset of the original scopes (SPEC-O TokenRequestRefreshToken)."""
    if scope is None:
        return family.scopes
    requested = tuple(scope.split())
    if not requested or not set(requested) <= set(family.scopes):
        raise OAuthError(400, "invalid_scope", _INVALID_SCOPE)
    return requested


def bounded_put(mapping: dict[str, Any], key: str, value: Any, limit: int) -> None:
    """Insert ``key``; beyond ``limit`` entries, forget the oldest (dicts keep insertion order)."""
    mapping[key] = value
    while len(mapping) > limit:
        del mapping[next(iter(mapping))]
