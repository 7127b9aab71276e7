"""The token store: authorization codes, token families, access and refresh tokens.

Minting follows the org authorization server (FACTS.md §1): RS256 access tokens with
``ver, jti, iss, aud, sub, iat, exp, cid, uid, scp``, an ``id_token`` with ``openid`` and an
opaque refresh token with ``offline_access``. Revocation and the memory bounds live here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from okta_sandbox import errors
from okta_sandbox.apps import AppsMixin
from okta_sandbox.errors import OAuthError
from okta_sandbox.ids import okta_id, opaque_token
from okta_sandbox.models import (
    AccessTokenRecord,
    AuthorizationCode,
    RefreshTokenRecord,
    SandboxApp,
    TokenFamily,
    UserRecord,
)
from okta_sandbox.signing import Signer
from okta_sandbox.users_api import ADMIN_LOGIN, UsersMixin

ALL_TEST_SCOPES: tuple[str, ...] = ("openid", "offline_access", "okta.users.read", "okta.schemas.read")
DPOP_ACCESS_TOKEN_TYP = "application/okta-internal-at+jwt"  # noqa: S105 - a JOSE typ
ID_TOKEN_LIFETIME_SECONDS = 3600  # org AS: fixed at one hour (FACTS.md §1)
# Memory bounds for a long-running sandbox (benchmarks, `make demo`). Dead codes and tokens are
# swept once as many new ones were issued as were alive after the previous sweep (and at least
# PRUNE_MIN_ISSUED): memory stays proportional to live state at amortised O(1) per issue.
PRUNE_MIN_ISSUED = 1024


class TokensMixin(UsersMixin, AppsMixin):
    """Everything the org AS has minted, keyed by the token strings themselves."""

    signer: Signer
    idp_id: str
    _codes: dict[str, AuthorizationCode]
    _families: dict[str, TokenFamily]
    _access_tokens: dict[str, AccessTokenRecord]
    _refresh_tokens: dict[str, RefreshTokenRecord]
    _issued_since_prune: int
    _prune_threshold: int

    def _init_tokens(self) -> None:
        self.signer = Signer()
        # The id_token `idp` claim is the org's identity-provider id (00o...) for Okta sign-ins.
        self.idp_id = okta_id("00o", self._rng)
        self._codes = {}
        self._families = {}
        self._access_tokens = {}
        self._refresh_tokens = {}
        self._issued_since_prune = 0
        self._prune_threshold = PRUNE_MIN_ISSUED

    # ------------------------------------------------------------------ minting

    def _mint(
        self,
        app: SandboxApp,
        user: UserRecord,
        scopes: tuple[str, ...],
        *,
        nonce: str | None,
        family: TokenFamily | None,
        presented: RefreshTokenRecord | None = None,
        jkt: str | None = None,
    ) -> dict[str, Any]:
        """A TokenResponse body: access token, then refresh token and id_token when the scopes ask.

        With ``jkt`` (a DPoP key thumbprint) the tokens are DPoP-bound: ``"token_type": "DPoP"``
        and ``cnf.jkt`` in the access token (RFC 9449 §5, §6.1; Okta guide docs/guides/dpop).
        """
        now = self.clock.now()
        if family is None and "offline_access" in scopes:
            family = TokenFamily(
                family_id=opaque_token(12),
                client_id=app.client_id,
                user_id=user.id,
                scopes=scopes,
                # Org AS refresh tokens live 90 days; rotation keeps the expiry (FACTS.md §1).
                refresh_expires_at=now + timedelta(seconds=app.refresh_token_lifetime_seconds),
                dpop_jkt=jkt,
            )
            self._families[family.family_id] = family
        lifetime = app.access_token_lifetime_seconds
        access_token = self._mint_access_token(app, user, scopes, family, jkt)
        body: dict[str, Any] = {
            "token_type": "DPoP" if jkt else "Bearer",
            "expires_in": lifetime,
            "access_token": access_token,
            "scope": " ".join(scopes),
        }
        if family is not None:
            family.access_tokens.append(access_token)
            refresh_token = self._next_refresh_token(app, family, presented)
            if refresh_token is not None:
                body["refresh_token"] = refresh_token
        if "openid" in scopes:
            body["id_token"] = self._mint_id_token(app, user, nonce)
        self._changed("app.oauth2.token.grant", client_id=app.client_id, user_id=user.id)
        return body

    def _mint_access_token(
        self,
        app: SandboxApp,
        user: UserRecord,
        scopes: tuple[str, ...],
        family: TokenFamily | None,
        jkt: str | None,
    ) -> str:
        now = self.clock.now()
        iat = int(now.timestamp())
        lifetime = app.access_token_lifetime_seconds
        jti = "AT." + opaque_token(24)
        claims: dict[str, Any] = {
            "ver": 1,
            "jti": jti,
            "iss": self._origin,
            "aud": self._origin,
            "sub": user.profile["login"],
            "iat": iat,
            "exp": iat + lifetime,
            "cid": app.client_id,
            "uid": user.id,
            "scp": list(scopes),
        }
        typ = None
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}
            # DPoP-bound access tokens carry this JOSE typ (recorded 2026 traffic, FACTS.md §8).
            typ = DPOP_ACCESS_TOKEN_TYP
        access_token = self.signer.sign(claims, typ=typ)
        self._access_tokens[access_token] = AccessTokenRecord(
            jti=jti,
            family_id=family.family_id if family else None,
            client_id=app.client_id,
            user_id=user.id,
            scopes=frozenset(scopes),
            expires_at=now + timedelta(seconds=lifetime),
            jkt=jkt,
        )
        self._count_issued()
        return access_token

    def _next_refresh_token(
        self, app: SandboxApp, family: TokenFamily, presented: RefreshTokenRecord | None
    ) -> str | None:
        """STATIC returns the presented token; ROTATE (the SPA default) a new one (G-RT)."""
        if presented is not None and app.refresh_rotation == "STATIC":
            return presented.token
        if "offline_access" not in family.scopes:
            return None
        new_rt = opaque_token(32)
        self._refresh_tokens[new_rt] = RefreshTokenRecord(token=new_rt, family_id=family.family_id)
        family.refresh_tokens.append(new_rt)
        return new_rt

    def _mint_id_token(self, app: SandboxApp, user: UserRecord, nonce: str | None) -> str:
        now = self.clock.now()
        iat = int(now.timestamp())
        claims: dict[str, Any] = {
            "ver": 1,
            "jti": "ID." + opaque_token(24),
            "iss": self._origin,
            "aud": app.client_id,
            "sub": user.id,
            "iat": iat,
            "exp": iat + ID_TOKEN_LIFETIME_SECONDS,
            "auth_time": int((user.last_login or now).timestamp()),
            "amr": ["pwd"],
            "idp": self.idp_id,
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return self.signer.sign(claims)

    def issue_tokens_for_tests(
        self,
        *,
        client_id: str | None = None,
        scopes: Iterable[str] = ALL_TEST_SCOPES,
        login: str | None = None,
        nonce: str | None = None,
        dpop_jkt: str | None = None,
    ) -> dict[str, Any]:
        """Mint a TokenResponse dict without the browser flow (default: the admin, the default app).

        ``dpop_jkt`` (a key's RFC 7638 thumbprint, e.g. ``okta_sandbox.testing.DPoPKey.jkt``)
        mints DPoP-bound tokens without any proof.
        """
        with self._lock:
            app = self.require_client(client_id or self.default_app.client_id)
            user = self._find(login or ADMIN_LOGIN)
            return self._mint(app, user, tuple(scopes), nonce=nonce, family=None, jkt=dpop_jkt)

    # ------------------------------------------------------------------ checks and revocation

    def check_access_token(self, token: str) -> AccessTokenRecord | None:
        """The record of a live (known, unexpired, unrevoked) access token, else ``None``."""
        with self._lock:
            record = self._access_tokens.get(token)
            if record is None or record.revoked or self.clock.now() >= record.expires_at:
                return None
            return record

    def revoke_token(self, *, client_id: str | None, token: str | None) -> None:
        """``/oauth2/v1/revoke``: revoking a refresh token revokes its family (RFC 7009 §2.1)."""
        with self._lock:
            app = self.require_client(client_id)
            if not token:
                raise OAuthError(400, "invalid_request", errors.MISSING_TOKEN)
            access = self._access_tokens.get(token)
            if access is not None and access.client_id == app.client_id:
                access.revoked = True
                self._changed("app.oauth2.token.revoke", client_id=app.client_id)
                return
            refresh = self._refresh_tokens.get(token)
            family = self._families.get(refresh.family_id) if refresh else None
            if family is not None and family.client_id == app.client_id:
                self._revoke_family(family)
                self._changed("app.oauth2.token.revoke", client_id=app.client_id)
            # Unknown tokens are not an error (RFC 7009 §2.2).

    def _revoke_family(self, family: TokenFamily) -> None:
        family.revoked = True
        for token in family.access_tokens:
            # A sweep may already have dropped an expired access token that is still listed.
            access = self._access_tokens.get(token)
            if access is not None:
                access.revoked = True
        for token in family.refresh_tokens:
            self._refresh_tokens[token].revoked = True

    def _on_user_disabled(self, user_id: str) -> None:
        """A deactivated, suspended or deleted user loses every token (and, above, its sessions)."""
        super()._on_user_disabled(user_id)
        for family in self._families.values():
            if family.user_id == user_id:
                self._revoke_family(family)
        for record in self._access_tokens.values():
            if record.user_id == user_id:
                record.revoked = True

    def revoke_tokens(self, *, client_id: str | None = None) -> int:
        """Revoke every live access and refresh token (of ``client_id`` only, if given); returns how many."""
        with self._lock:
            count = 0
            for record in self._access_tokens.values():
                if not record.revoked and (client_id is None or record.client_id == client_id):
                    record.revoked = True
                    count += 1
            for family in self._families.values():
                if client_id is None or family.client_id == client_id:
                    family.revoked = True
                    for token in family.refresh_tokens:
                        refresh = self._refresh_tokens[token]
                        if not refresh.revoked:
                            refresh.revoked = True
                            count += 1
            self._changed("app.oauth2.token.revoke", client_id=client_id)
            return count

    # ------------------------------------------------------------------ memory bounds

    def _count_issued(self) -> None:
        """Count one new code or token, and sweep dead ones when enough were issued (see PRUNE_MIN_ISSUED)."""
        self._issued_since_prune += 1
        if self._issued_since_prune >= self._prune_threshold:
            self._prune()

    def _prune(self) -> None:
        """Drop what can never be accepted again; each would fail the same way as an unknown one.

        Used or expired codes and revoked or expired access tokens go. A family goes with all its
        refresh tokens once it is revoked or past its 90-day expiry; a live family keeps its used
        refresh tokens, which reuse detection needs (G-RT).
        """
        now = self.clock.now()
        self._codes = {
            key: code for key, code in self._codes.items() if not code.used and now < code.expires_at
        }
        self._access_tokens = {
            key: record
            for key, record in self._access_tokens.items()
            if not record.revoked and now < record.expires_at
        }
        for family_id, family in list(self._families.items()):
            if family.revoked or now >= family.refresh_expires_at:
                del self._families[family_id]
                for token in family.refresh_tokens:
                    self._refresh_tokens.pop(token, None)
            else:
                family.access_tokens = [
                    token for token in family.access_tokens if token in self._access_tokens
                ]
        self._issued_since_prune = 0
        live = len(self._codes) + len(self._access_tokens) + len(self._refresh_tokens)
        self._prune_threshold = max(PRUNE_MIN_ISSUED, live)
