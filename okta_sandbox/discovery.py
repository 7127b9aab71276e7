"""Org authorization-server metadata, after SPEC-O's ``OrgASOidcMetadata`` example (FACTS.md §1)."""

from __future__ import annotations

from typing import Any

# SPEC-O OrgASOidcMetadata response_types_supported / response_modes_supported.
OKTA_RESPONSE_TYPES = (
    "code",
    "id_token",
    "code id_token",
    "code token",
    "id_token token",
    "code id_token token",
)
OKTA_RESPONSE_MODES = ("query", "fragment", "form_post", "okta_post_message")
_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none")
_GRANT_TYPES = (
    "authorization_code",
    "implicit",
    "refresh_token",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
)
_SCOPES = ("openid", "email", "profile", "address", "phone", "offline_access", "groups")
_CLAIMS = (
    "iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp", "nonce", "name",
    "nickname", "preferred_username", "given_name", "middle_name", "family_name", "email",
    "email_verified", "profile", "zoneinfo", "locale", "address", "phone_number", "picture", "website",
    "gender", "birthdate", "updated_at", "at_hash", "c_hash",
)  # fmt: skip
_REQUEST_OBJECT_ALGS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512")


def oidc_metadata(origin: str) -> dict[str, Any]:
    """The org AS discovery document; keys in the order of the spec's example."""
    return {
        "issuer": origin,
        "authorization_endpoint": f"{origin}/oauth2/v1/authorize",
        "token_endpoint": f"{origin}/oauth2/v1/token",
        "userinfo_endpoint": f"{origin}/oauth2/v1/userinfo",
        "registration_endpoint": f"{origin}/oauth2/v1/clients",
        "jwks_uri": f"{origin}/oauth2/v1/keys",
        "response_types_supported": list(OKTA_RESPONSE_TYPES),
        "response_modes_supported": list(OKTA_RESPONSE_MODES),
        "grant_types_supported": list(_GRANT_TYPES),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": list(_SCOPES),
        "token_endpoint_auth_methods_supported": list(_AUTH_METHODS),
        "claims_supported": list(_CLAIMS),
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": f"{origin}/oauth2/v1/introspect",
        "introspection_endpoint_auth_methods_supported": list(_AUTH_METHODS),
        "revocation_endpoint": f"{origin}/oauth2/v1/revoke",
        "revocation_endpoint_auth_methods_supported": list(_AUTH_METHODS),
        "end_session_endpoint": f"{origin}/oauth2/v1/logout",
        "request_parameter_supported": True,
        "request_object_signing_alg_values_supported": list(_REQUEST_OBJECT_ALGS),
        "device_authorization_endpoint": f"{origin}/oauth2/v1/device/authorize",
        "pushed_authorization_request_endpoint": f"{origin}/oauth2/v1/par",
    }
