"""Okta-style identifiers: a 3-character type prefix plus 17 base62 characters (20 in all)."""

from __future__ import annotations

import random
import secrets
import string

BASE62 = string.digits + string.ascii_letters

# Okta's id prefixes (seen in real responses and in the spec's examples).
USER_PREFIX = "00u"
CLIENT_PREFIX = "0oa"
SCHEMA_PREFIX = "osc"
USER_TYPE_PREFIX = "oty"
ERROR_PREFIX = "oae"


def okta_id(prefix: str, rng: random.Random) -> str:
    """Return ``prefix`` + 17 base62 characters drawn from ``rng`` (deterministic for a seeded rng)."""
    return prefix + "".join(rng.choices(BASE62, k=17))


def opaque_token(nbytes: int = 32) -> str:
    """Return an unguessable URL-safe token for codes, refresh tokens and sessions."""
    return secrets.token_urlsafe(nbytes)


def error_id() -> str:
    """Return an ``errorId`` like Okta's (``oae`` + 22 characters)."""
    return ERROR_PREFIX + "".join(secrets.choice(BASE62) for _ in range(22))
