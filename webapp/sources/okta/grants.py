"""Revoking grants at Okta: one that was replaced or dropped, or a new one that failed its check.

Revoking a refresh token also revokes the access tokens issued with it (RFC 7009 §2.1); a
DPoP-bound grant is revoked with a proof from its key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from webapp.crypto import SecretBox, SecretUnreadableError
from webapp.sources.okta import oauth
from webapp.sources.okta.dpop import DpopKey
from webapp.sources.okta.errors import OktaError
from webapp.sources.okta.models import OAuthAttempt, OktaConnection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredGrant:
    """A stored grant to revoke at Okta once it is replaced or dropped (still encrypted)."""

    origin: str
    client_id: str
    refresh_token_ciphertext: str
    dpop_key_ciphertext: str | None

    @classmethod
    def of(cls, connection: OktaConnection | None) -> StoredGrant | None:
        """The connection's grant, if it holds one."""
        if connection is None or not connection.refresh_token_ciphertext:
            return None
        return cls(
            connection.okta_origin,
            connection.client_id,
            connection.refresh_token_ciphertext,
            connection.dpop_key_ciphertext,
        )


def revoke_grant(grant: StoredGrant, *, http: httpx.Client, box: SecretBox) -> bool:
    """Revoke a grant's refresh token (which revokes its access tokens too); False if that failed."""
    try:
        key = DpopKey.from_json(box.decrypt(grant.dpop_key_ciphertext)) if grant.dpop_key_ciphertext else None
        oauth.revoke_token(
            http=http,
            origin=grant.origin,
            client_id=grant.client_id,
            token=box.decrypt(grant.refresh_token_ciphertext),
            hint="refresh_token",
            dpop_key=key,
        )
    except (OktaError, SecretUnreadableError, ValueError) as error:
        logger.warning("Could not revoke an Okta refresh token: %s", type(error).__name__)
        return False
    return True


def revoke_new_grant(
    *, attempt: OAuthAttempt, token_set: oauth.TokenSet, dpop_key: DpopKey | None, http: httpx.Client
) -> None:
    """A new grant that failed its check is never stored: revoke it so it doesn't linger at Okta."""
    oauth.revoke_unused_tokens(
        http=http,
        origin=attempt.okta_origin,
        client_id=attempt.client_id,
        tokens=token_set,
        dpop_key=dpop_key,
        what="an unverified Okta grant",
    )
