"""DPoP (RFC 9449): proving that each Okta request comes from the holder of the connection's key.

An Okta app can "Require Demonstrating Proof of Possession (DPoP) header in token requests"
(https://developer.okta.com/docs/guides/dpop/oktaresourceserver/main/). Its tokens are then bound
to a key pair of Signet's: every token request and API call carries a fresh proof, a small JWT
signed with that key (ES256, P-256) naming the method and URL, and on API calls the access token's
hash. Okta may demand a server nonce (`use_dpop_nonce` with a `DPoP-Nonce` header): the request is
signed again with it, once. Signing is joserfc's; nothing here is hand-rolled cryptography.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

DPOP_SETTING = "Require Demonstrating Proof of Possession (DPoP) header in token requests"
DPOP_HINT = (
    f"Okta requires DPoP for Signet's app (the “{DPOP_SETTING}” setting on the app's General tab). "
    "Signet supports it; if this keeps failing, untick that setting and connect again."
)
TOKEN_TYPE_DPOP = "DPoP"  # noqa: S105 - a token type, not a secret
TOKEN_TYPE_BEARER = "Bearer"  # noqa: S105 - a token type, not a secret
# The OAuth errors that mean "this request needs (a better) DPoP proof" (RFC 9449 §7.1, §8).
USE_DPOP_NONCE = "use_dpop_nonce"
INVALID_DPOP_PROOF = "invalid_dpop_proof"
ALGORITHM = "ES256"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def proof_target(url: httpx.URL) -> str:
    """`htu`: the URL without query and fragment (RFC 9449 §4.2)."""
    return str(url.copy_with(query=None, fragment=None))


def access_token_hash(access_token: str) -> str:
    """`ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2)."""
    return _b64url(hashlib.sha256(access_token.encode("ascii")).digest())


class DpopKey:
    """One connection's (or connect attempt's) EC P-256 key pair."""

    def __init__(self, key: ECKey) -> None:
        self._key = key
        self._public = key.as_dict(private=False)

    @classmethod
    def generate(cls) -> DpopKey:
        """A new key pair."""
        return cls(ECKey.generate_key("P-256"))

    @classmethod
    def from_json(cls, text: str) -> DpopKey:
        """The key stored by `to_json` (decrypted first: the private key is kept encrypted)."""
        key = ECKey.import_key(json.loads(text))
        return cls(key)

    def to_json(self) -> str:
        """The private JWK as JSON, to encrypt and store."""
        return json.dumps(self._key.as_dict(private=True))

    @property
    def thumbprint(self) -> str:
        """The JWK thumbprint (RFC 7638), which Okta binds tokens to (`cnf.jkt`)."""
        return str(self._key.thumbprint())

    def proof(
        self,
        *,
        method: str,
        url: httpx.URL,
        nonce: str | None = None,
        access_token: str | None = None,
        now: Callable[[], float] = time.time,
    ) -> str:
        """A fresh proof for one request (a new `jti` every time, so it is never replayed)."""
        header = {"typ": "dpop+jwt", "alg": ALGORITHM, "jwk": self._public}
        claims: dict[str, object] = {
            "htm": method.upper(),
            "htu": proof_target(url),
            "iat": int(now()),
            "jti": uuid.uuid4().hex,
        }
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["ath"] = access_token_hash(access_token)
        return jwt.encode(header, claims, self._key, algorithms=[ALGORITHM])


def _server(url: httpx.URL) -> str:
    # The authorization server (/oauth2/...) and the resource server (/api/...) keep their own nonces.
    role = "as" if url.path.startswith("/oauth2/") else "rs"
    return f"{url.scheme}://{url.host}:{url.port or ''} {role}"


class DpopNonces:
    """The latest `DPoP-Nonce` each Okta server sent, shared by the threads of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._nonces: dict[str, str] = {}

    def current(self, url: httpx.URL) -> str | None:
        """The nonce to put in the next proof for this server, if it ever sent one."""
        with self._lock:
            return self._nonces.get(_server(url))

    def remember(self, url: httpx.URL, response: httpx.Response) -> str | None:
        """Keep the response's `DPoP-Nonce` (Okta sends it on successes too); returns it."""
        nonce = response.headers.get("dpop-nonce")
        if not nonce:
            return None
        with self._lock:
            self._nonces[_server(url)] = nonce.strip()
        return str(nonce)


def asks_for_nonce(response: httpx.Response) -> bool:
    """Okta wants the request again with its nonce: a 400 `use_dpop_nonce` from the token endpoint,
    or a 401 whose `WWW-Authenticate: DPoP ...` says `error="use_dpop_nonce"` (RFC 9449 §8, §9)."""
    if not response.headers.get("dpop-nonce"):
        return False
    if response.status_code == 401:
        return f'error="{USE_DPOP_NONCE}"' in response.headers.get("www-authenticate", "")
    if response.status_code == 400:
        response.read()
        try:
            body = response.json()
        except ValueError:
            return False
        return isinstance(body, dict) and body.get("error") == USE_DPOP_NONCE
    return False


def is_dpop_challenge(response: httpx.Response) -> bool:
    """A resource-server answer that is about the DPoP proof (`WWW-Authenticate: DPoP ... error=`)."""
    challenge = response.headers.get("www-authenticate", "")
    return f'error="{INVALID_DPOP_PROOF}"' in challenge or f'error="{USE_DPOP_NONCE}"' in challenge
