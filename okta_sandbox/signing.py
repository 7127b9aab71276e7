"""RS256 signing for access and ID tokens, with joserfc (authlib.jose is deprecated)."""

from __future__ import annotations

import threading
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

_KEY_LOCK = threading.Lock()
_PROCESS_KEY: RSAKey | None = None


def _process_key() -> RSAKey:
    # One 2048-bit key per process: generating one costs ~50-100 ms, which would dominate a
    # per-test sandbox. Tokens still differ per sandbox (jti, iss, aud).
    global _PROCESS_KEY
    with _KEY_LOCK:
        if _PROCESS_KEY is None:
            key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True)
            key.ensure_kid()
            _PROCESS_KEY = key
        return _PROCESS_KEY


class Signer:
    """Signs JWTs with the sandbox's RSA key and publishes the matching JWKS.

    The key is the process's shared one unless given (a state file brings its own back, so
    tokens signed before a restart still verify).
    """

    def __init__(self, key: RSAKey | None = None) -> None:
        self.key = key if key is not None else _process_key()

    @classmethod
    def from_private_jwk(cls, jwk: dict[str, Any]) -> Signer:
        """A signer for a saved private RSA JWK (``ValueError`` if it is not one)."""
        key = RSAKey.import_key(jwk, parameters={"use": "sig", "alg": "RS256"})
        if not key.is_private:
            raise ValueError("The signing key must be a private RSA JWK")
        key.ensure_kid()
        return cls(key)

    def private_jwk(self) -> dict[str, Any]:
        """The private key as a JWK, for the state file."""
        return dict(self.key.as_dict(private=True))

    @property
    def kid(self) -> str:
        """The key id carried in every token header and in the JWKS."""
        return str(self.key.kid)

    def sign(self, claims: dict[str, Any], *, typ: str | None = None) -> str:
        """Return a compact RS256 JWT for ``claims`` (with a ``typ`` header, if given)."""
        header: dict[str, Any] = {"alg": "RS256", "kid": self.kid}
        if typ is not None:
            header["typ"] = typ
        return jwt.encode(header, claims, self.key, algorithms=["RS256"])

    def jwks(self) -> dict[str, Any]:
        """The public JWKS served at ``/oauth2/v1/keys``."""
        return {"keys": [self.key.as_dict(private=False)]}

    def verify(self, token: str) -> dict[str, Any]:
        """Decode and verify a token signed by this sandbox (for tests); returns the claims."""
        return dict(jwt.decode(token, KeySet([self.key]), algorithms=["RS256"]).claims)
