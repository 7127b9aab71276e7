"""The org AS after the code exchange: refresh rotation and reuse detection, revocation, CORS, userinfo."""

from __future__ import annotations

import httpx

from okta_sandbox import OktaSandbox
from okta_sandbox.specs import SpecValidator
from okta_sandbox.testing import AuthorizationFlow as Flow


def test_no_refresh_token_without_offline_access(flow: Flow) -> None:
    """Without offline_access there is no refresh_token; without openid no id_token."""
    body = flow.tokens(scope="okta.users.read")
    assert "refresh_token" not in body and "id_token" not in body
    assert body["scope"] == "okta.users.read"


def test_refresh_rotates_tokens(flow: Flow, okta_spec: SpecValidator) -> None:
    """Each refresh returns a new refresh token and a new access token, as a valid TokenResponse."""
    first = flow.tokens()
    response = flow.refresh(first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    okta_spec.validate("TokenResponse", second)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    third = flow.refresh(second["refresh_token"]).json()
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


def test_refresh_scope_must_be_subset(flow: Flow) -> None:
    """A refresh may narrow scopes but not add new ones."""
    first = flow.tokens()
    narrowed = flow.refresh(first["refresh_token"], scope="offline_access okta.users.read").json()
    assert narrowed["scope"] == "offline_access okta.users.read"
    widened = flow.refresh(narrowed["refresh_token"], scope="okta.users.read profile")
    assert widened.status_code == 400 and widened.json()["error"] == "invalid_scope"


def test_old_refresh_token_works_within_leeway(flow: Flow, org: OktaSandbox) -> None:
    """Within the 30 s leeway, a used refresh token still works and yields yet another new one."""
    org.clock.freeze()
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json()
    org.clock.advance(30)
    again = flow.refresh(first["refresh_token"])
    assert again.status_code == 200
    assert again.json()["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    assert flow.refresh(second["refresh_token"]).status_code == 200


def test_reuse_after_leeway_revokes_the_family(
    flow: Flow, org: OktaSandbox, http: httpx.Client, okta_spec: SpecValidator
) -> None:
    """Reusing a rotated refresh token after the leeway fails and revokes every token of the grant."""
    org.clock.freeze()
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json()
    org.clock.advance(31)
    reuse = flow.refresh(first["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token is invalid or expired.",
    }
    current = flow.refresh(second["refresh_token"])
    assert current.status_code == 400 and current.json()["error"] == "invalid_grant"
    denied = http.get("/api/v1/users", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert denied.status_code == 401
    okta_spec.validate("Error", denied.json())
    assert denied.json()["errorCode"] == "E0000011"


def test_custom_leeway_zero(flow: Flow, org: OktaSandbox) -> None:
    """With leeway 0, any reuse of a rotated refresh token is detected."""
    org.update_app(org.default_app.client_id, refresh_leeway_seconds=0)
    org.clock.freeze()
    first = flow.tokens()
    assert flow.refresh(first["refresh_token"]).status_code == 200
    org.clock.advance(0.5)
    assert flow.refresh(first["refresh_token"]).status_code == 400


def test_unknown_refresh_token_is_invalid_grant(flow: Flow) -> None:
    """A refresh token the sandbox never issued is invalid_grant."""
    response = flow.refresh("not-a-token")
    assert response.status_code == 400
    assert response.json()["error_description"] == "The refresh token is invalid or expired."


def test_refresh_token_expires_after_90_days(flow: Flow, org: OktaSandbox) -> None:
    """Org-AS refresh tokens live 90 days, and rotation keeps the original expiry."""
    org.clock.freeze()
    first = flow.tokens()
    org.clock.advance(89 * 86400)
    second = flow.refresh(first["refresh_token"]).json()
    org.clock.advance(86400)
    assert flow.refresh(second["refresh_token"]).status_code == 400


def test_access_token_expires_after_an_hour(flow: Flow, org: OktaSandbox, http: httpx.Client) -> None:
    """An access token is accepted for 3600 s and rejected with 401 E0000011 afterwards."""
    org.clock.freeze()
    headers = {"Authorization": f"Bearer {flow.tokens()['access_token']}"}
    org.clock.advance(3599)
    assert http.get("/api/v1/users", headers=headers, params={"limit": 1}).status_code == 200
    org.clock.advance(1)
    assert http.get("/api/v1/users", headers=headers, params={"limit": 1}).status_code == 401


def test_revoke_endpoint_revokes_refresh_family(flow: Flow, http: httpx.Client) -> None:
    """POST /oauth2/v1/revoke with a refresh token kills it and its access tokens."""
    tokens = flow.tokens()
    response = http.post(
        "/oauth2/v1/revoke",
        data={"token": tokens["refresh_token"], "client_id": flow.org.default_app.client_id},
    )
    assert response.status_code == 200 and response.content == b""
    assert flow.refresh(tokens["refresh_token"]).status_code == 400
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.get("/api/v1/users", headers=headers).status_code == 401


def test_revoke_without_token_is_invalid_request(flow: Flow, http: httpx.Client) -> None:
    """POST /oauth2/v1/revoke without a token: SPEC-O OAuthError400InvalidRequest_MissingToken, exactly."""
    response = http.post("/oauth2/v1/revoke", data={"client_id": flow.org.default_app.client_id})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The `token` parameter is required.",
    }


def test_revoke_tokens_from_python(flow: Flow, org: OktaSandbox, http: httpx.Client) -> None:
    """OktaSandbox.revoke_tokens makes every issued token fail."""
    tokens = flow.tokens()
    assert org.revoke_tokens(client_id=org.default_app.client_id) >= 2
    assert (
        http.get("/api/v1/users", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code
        == 401
    )
    assert flow.refresh(tokens["refresh_token"]).status_code == 400


def test_deactivated_user_loses_tokens(flow: Flow, org: OktaSandbox) -> None:
    """Deactivating the signed-in user revokes its refresh tokens."""
    tokens = flow.tokens()
    org.grant_admin(org.admin_login)
    org.deactivate_user(org.admin_login)
    assert flow.refresh(tokens["refresh_token"]).status_code == 400


def test_static_rotation_returns_same_refresh_token(flow: Flow, org: OktaSandbox) -> None:
    """With rotation STATIC (web/native default) the refresh token stays the same."""
    org.update_app(org.default_app.client_id, refresh_rotation="STATIC")
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json()
    assert second["refresh_token"] == first["refresh_token"]


def test_token_cors_preflight_echoes_origin(http: httpx.Client) -> None:
    """OPTIONS /oauth2/v1/token answers 204 with the caller's Origin, POST, max-age 3600."""
    response = http.options(
        "/oauth2/v1/token",
        headers={"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
    assert response.headers["access-control-allow-methods"] == "POST"
    assert response.headers["access-control-max-age"] == "3600"
    assert response.headers["vary"] == "Origin"


def test_token_response_echoes_origin(flow: Flow) -> None:
    """A token POST carrying Origin gets Access-Control-Allow-Origin back (errors too)."""
    response = flow.http.post(
        "/oauth2/v1/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": flow.org.default_app.client_id,
        },
        headers={"Origin": "http://127.0.0.1:8000"},
    )
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"


def test_userinfo_returns_the_signed_in_user(flow: Flow, org: OktaSandbox) -> None:
    """/oauth2/v1/userinfo answers with sub and login for an openid token."""
    tokens = flow.tokens()
    body = flow.http.get(
        "/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).json()
    assert body["preferred_username"] == org.admin_login
    assert body["sub"] == org.get_user(org.admin_login)["id"]
