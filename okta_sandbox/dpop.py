"""DPoP (RFC 9449) as the Okta org AS and Management API do it: proofs, nonces, replay checks.

An app with ``dpop_bound_access_tokens`` (SPEC-M ``OpenIdConnectApplicationSettingsClient``)
must send a ``DPoP`` proof to ``/oauth2/v1/token``; Okta first answers ``use_dpop_nonce`` with a
``DPoP-Nonce`` header, then binds the tokens to the proof key's thumbprint (``cnf.jkt``) and
answers ``"token_type": "DPoP"`` (Okta guide docs/guides/dpop, FACTS.md §8). API calls then need
``Authorization: DPoP <token>`` plus a proof carrying ``ath``. All JWS/JWK work uses joserfc.

Error texts: where Okta's own wording was seen it is used and cited; texts marked *unsourced*
follow the pattern of the seen ones ("'htu' claim in the DPoP proof JWT is invalid.").
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, RSAKey

from okta_sandbox.core import SandboxCore
from okta_sandbox.errors import OAuthError
from okta_sandbox.ids import opaque_token

# The algorithms Okta lists in its DPoP challenges (okta-sdk-golang#468, okta-sdk-nodejs#453).
DPOP_ALGS: tuple[str, ...] = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
DPOP_ALGS_CHALLENGE = f'DPoP algs="{" ".join(DPOP_ALGS)}"'
# Okta guide docs/guides/dpop: the nonce "renews ... every 24 hours. The old dpop-nonce value
# continues to work for three days after generation."
NONCE_ROTATION = timedelta(hours=24)
NONCE_LIFETIME = timedelta(days=3)
# How old (or how far ahead) a proof's iat may be: RFC 9449 §11.1 leaves the window to the
# server; Okta does not publish its own. Sandbox choice: 5 minutes back, 1 minute ahead.
IAT_PAST = timedelta(minutes=5)
IAT_FUTURE = timedelta(minutes=1)
# The replay cache is swept when it reaches this size (or twice the live entries of the last sweep).
REPLAY_CACHE_MIN = 1024

MISSING_PROOF = "The DPoP proof JWT header is missing."  # terraform-provider-okta#1904, #1989
UNPARSABLE_PROOF = "DPoP proof JWT cannot be parsed."  # okta-sdk-dotnet#758
AS_NEEDS_NONCE = "Authorization server requires nonce in DPoP proof."  # Okta guide, recorded 2026 traffic
RS_NEEDS_NONCE = "Resource server requires nonce in DPoP proof."  # RFC 9449 §9 example
STALE_NONCE = "The nonce in the DPoP proof JWT is invalid or expired."  # unsourced
BAD_SIGNATURE = "The DPoP proof JWT signature is invalid."  # unsourced
REPLAYED = "The DPoP proof JWT has already been used."  # unsourced
MULTIPLE_PROOFS = "Multiple DPoP proof JWT headers were sent."  # unsourced (RFC 9449 §4.3 check 1)
KEY_BINDING = "Invalid DPoP key binding"  # RFC 9449 §7.1 (Figure 15)
# Public JWK members only: a jwk header with private members is refused (RFC 9449 §4.3 check 7).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_ALG_KEY_TYPES = {"RS": "RSA", "ES": "EC"}


def claim_invalid(name: str) -> str:
    """Okta's wording for a bad claim, seen for ``htu`` (okta-sdk-golang#468); others follow it."""
    return f"'{name}' claim in the DPoP proof JWT is invalid."


def header_invalid(name: str) -> str:
    """*Unsourced*: the claim wording applied to a bad JOSE header parameter."""
    return f"'{name}' header in the DPoP proof JWT is invalid."


class DPoPError(OAuthError):
    """A refused proof: ``invalid_dpop_proof``, or ``use_dpop_nonce`` with a fresh ``nonce`` to send."""

    def __init__(self, error: str, description: str, *, nonce: str | None = None, status: int = 400) -> None:
        super().__init__(status, error, description)
        self.nonce = nonce


class _DPoPRegistry(jws.JWSRegistry):
    # joserfc's default 512-byte header limit is too small for an RSA public key in `jwk`.
    max_header_length = 4096


_REGISTRY = _DPoPRegistry(algorithms=list(DPOP_ALGS))


@dataclass(frozen=True, slots=True)
class ProofContext:
    """What a request's proof must match: its ``DPoP`` header values, method and URL."""

    proofs: tuple[str, ...]
    method: str
    url: str


@dataclass(frozen=True, slots=True)
class DPoPProof:
    """A verified proof: the key thumbprint (RFC 7638) and the claims."""

    jkt: str
    claims: dict[str, Any]


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url(SHA-256(access token)) without padding (RFC 9449 §4.2)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def normalize_htu(url: str) -> str:
    """``scheme://host[:port]/path`` in lower case, default port dropped, path decoded, no query.

    RFC 9449 §4.3 compares ``htu`` ignoring query and fragment, after RFC 3986 §6 normalisation;
    Okta decodes percent-encoding before comparing (okta-sdk-nodejs#521).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    host = (parts.hostname or "").lower()
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{unquote(parts.path) or '/'}"


def verify_proof_jws(proof: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """``(header, claims, jkt)`` of a proof whose signature verifies with its own ``jwk`` (§4.3 2-8)."""
    try:
        compact = jws.extract_compact(proof.encode("ascii"), registry=_REGISTRY)
        header = dict(compact.protected)
    except (JoseError, ValueError, UnicodeError):
        raise DPoPError("invalid_dpop_proof", UNPARSABLE_PROOF) from None
    if header.get("typ") != "dpop+jwt":
        raise DPoPError("invalid_dpop_proof", header_invalid("typ"))
    alg = header.get("alg")
    if alg not in DPOP_ALGS:
        raise DPoPError("invalid_dpop_proof", header_invalid("alg"))
    key = _public_key(header.get("jwk"), str(alg))
    try:
        verified = jws.deserialize_compact(proof, key, algorithms=[str(alg)], registry=_REGISTRY)
    except JoseError:
        raise DPoPError("invalid_dpop_proof", BAD_SIGNATURE) from None
    try:
        claims = json.loads(verified.payload)
    except ValueError:
        raise DPoPError("invalid_dpop_proof", UNPARSABLE_PROOF) from None
    if not isinstance(claims, dict):
        raise DPoPError("invalid_dpop_proof", UNPARSABLE_PROOF)
    return header, claims, key.thumbprint()


def _public_key(jwk: object, alg: str) -> ECKey | RSAKey:
    """The ``jwk`` header as a public key of the type ``alg`` needs (RFC 9449 §4.3 checks 6-7)."""
    if not isinstance(jwk, dict) or _PRIVATE_MEMBERS & jwk.keys():
        raise DPoPError("invalid_dpop_proof", header_invalid("jwk"))
    if jwk.get("kty") != _ALG_KEY_TYPES[alg[:2]]:
        raise DPoPError("invalid_dpop_proof", header_invalid("jwk"))
    try:
        key = JWKRegistry.import_key(jwk)
    except (JoseError, ValueError, TypeError):
        raise DPoPError("invalid_dpop_proof", header_invalid("jwk")) from None
    if not isinstance(key, ECKey | RSAKey):  # pragma: no cover - kty was checked above
        raise DPoPError("invalid_dpop_proof", header_invalid("jwk"))
    return key


def check_request_claims(
    claims: dict[str, Any], context: ProofContext, now: datetime, access_token: str | None
) -> None:
    """``jti``, ``htm``, ``htu``, ``iat`` and, for resource requests, ``ath`` (RFC 9449 §4.3 9-12)."""
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise DPoPError("invalid_dpop_proof", claim_invalid("jti"))
    if claims.get("htm") != context.method:
        raise DPoPError("invalid_dpop_proof", claim_invalid("htm"))
    htu = claims.get("htu")
    if not isinstance(htu, str) or normalize_htu(htu) != normalize_htu(context.url):
        raise DPoPError("invalid_dpop_proof", claim_invalid("htu"))
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise DPoPError("invalid_dpop_proof", claim_invalid("iat"))
    issued = now.timestamp() - iat
    if issued > IAT_PAST.total_seconds() or -issued > IAT_FUTURE.total_seconds():
        raise DPoPError("invalid_dpop_proof", claim_invalid("iat"))
    if access_token is not None and claims.get("ath") != access_token_hash(access_token):
        raise DPoPError("invalid_dpop_proof", claim_invalid("ath"))


class DPoPMixin(SandboxCore):
    """Server nonces (rotating on the sandbox clock) and the proofs already seen (replay cache)."""

    _dpop_nonces: dict[str, datetime]
    _dpop_current_nonce: str | None
    _dpop_seen: dict[str, datetime]
    _dpop_prune_at: int
    dpop_nonce_rotation: timedelta
    dpop_nonce_lifetime: timedelta

    def _init_dpop(self) -> None:
        self._dpop_nonces = {}
        self._dpop_current_nonce = None
        self._dpop_seen = {}
        self._dpop_prune_at = REPLAY_CACHE_MIN
        self.dpop_nonce_rotation = NONCE_ROTATION
        self.dpop_nonce_lifetime = NONCE_LIFETIME

    def dpop_nonce(self) -> str:
        """The current server nonce, renewed once it is ``dpop_nonce_rotation`` old."""
        with self._lock:
            now = self.clock.now()
            current = self._dpop_current_nonce
            if current is None or now - self._dpop_nonces[current] >= self.dpop_nonce_rotation:
                return self.rotate_dpop_nonce()
            return current

    def rotate_dpop_nonce(self) -> str:
        """Issue a new current nonce now; older ones keep working until ``dpop_nonce_lifetime``."""
        with self._lock:
            now = self.clock.now()
            for nonce, issued in list(self._dpop_nonces.items()):
                if now - issued >= self.dpop_nonce_lifetime:
                    del self._dpop_nonces[nonce]
            nonce = opaque_token(24)
            self._dpop_nonces[nonce] = now
            self._dpop_current_nonce = nonce
            self._changed("sandbox.dpop.nonce.rotate")
            return nonce

    def set_dpop_nonce_policy(self, *, rotate_after_seconds: float, valid_for_seconds: float) -> None:
        """Change how often nonces renew and how long each stays valid (Okta: 24 h and 3 days)."""
        if rotate_after_seconds <= 0 or valid_for_seconds < rotate_after_seconds:
            raise ValueError("Need 0 < rotate_after_seconds <= valid_for_seconds")
        with self._lock:
            self.dpop_nonce_rotation = timedelta(seconds=rotate_after_seconds)
            self.dpop_nonce_lifetime = timedelta(seconds=valid_for_seconds)
            self._changed("sandbox.dpop.nonce.policy")

    def _nonce_is_live(self, nonce: str) -> bool:
        issued = self._dpop_nonces.get(nonce)
        return issued is not None and self.clock.now() - issued < self.dpop_nonce_lifetime

    def verify_dpop_proof(
        self, context: ProofContext, *, require_nonce: bool, access_token: str | None = None
    ) -> DPoPProof:
        """Check a request's proof (RFC 9449 §4.3) and remember its ``jti``; raises :class:`DPoPError`.

        ``require_nonce``: the token endpoint needs one (``use_dpop_nonce``, status 400); at the
        resource server a nonce is optional (Okta guide: "The nonce parameter isn't currently
        required"), but a stale one is ``use_dpop_nonce`` with status 401 (RFC 9449 §9).
        """
        proof = _single_proof(context.proofs)
        _, claims, jkt = verify_proof_jws(proof)
        with self._lock:
            now = self.clock.now()
            check_request_claims(claims, context, now, access_token)
            self._check_nonce(claims.get("nonce"), require_nonce=require_nonce)
            self._remember_jti(jkt, claims, now)
            return DPoPProof(jkt=jkt, claims=claims)

    def _check_nonce(self, nonce: object, *, require_nonce: bool) -> None:
        status = 400 if require_nonce else 401
        needs = AS_NEEDS_NONCE if require_nonce else RS_NEEDS_NONCE
        if nonce is None:
            if require_nonce:
                raise DPoPError("use_dpop_nonce", needs, nonce=self.dpop_nonce(), status=status)
            return
        if not isinstance(nonce, str) or not self._nonce_is_live(nonce):
            raise DPoPError("use_dpop_nonce", STALE_NONCE, nonce=self.dpop_nonce(), status=status)

    def _remember_jti(self, jkt: str, claims: dict[str, Any], now: datetime) -> None:
        """Refuse a replayed ``jti`` (per key); forget it once its ``iat`` is out of the window anyway."""
        key = f"{jkt}:{claims['jti']}"
        if key in self._dpop_seen:
            raise DPoPError("invalid_dpop_proof", REPLAYED)
        if len(self._dpop_seen) >= self._dpop_prune_at:
            # Amortised: the next sweep waits until the live entries have doubled.
            self._dpop_seen = {k: until for k, until in self._dpop_seen.items() if until > now}
            self._dpop_prune_at = max(REPLAY_CACHE_MIN, 2 * len(self._dpop_seen))
        iat = datetime.fromtimestamp(float(claims["iat"]), tz=now.tzinfo)
        self._dpop_seen[key] = iat + IAT_PAST + timedelta(seconds=1)


def _single_proof(proofs: Collection[str]) -> str:
    # WSGI joins repeated headers with commas, which a compact JWS never contains.
    values = [part.strip() for value in proofs for part in value.split(",") if part.strip()]
    if not values:
        raise DPoPError("invalid_dpop_proof", MISSING_PROOF)
    if len(values) > 1:
        raise DPoPError("invalid_dpop_proof", MULTIPLE_PROOFS)
    return values[0]
