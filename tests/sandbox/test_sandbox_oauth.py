"""The sandbox's org authorization server: discovery, authorize, token, refresh rotation, revoke."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import pytest

from okta_sandbox import OktaSandbox, SandboxServer
from okta_sandbox.specs import SpecValidator
from okta_sandbox.testing import AuthorizationFlow as Flow
from okta_sandbox.testing import parse_forms

SCOPE_NOT_CONFIGURED_QUERY = (
    "error=invalid_scope&error_description=One+or+more+scopes+are+not+configured+for+the+"
    "authorization+server+resource."
)


def test_discovery_is_org_as_shaped_and_valid(
    http: httpx.Client, sandbox: SandboxServer, okta_spec: SpecValidator
) -> None:
    """/.well-known/openid-configuration names the origin as issuer, S256 only, and matches OidcMetadata."""
    response = http.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    body = response.json()
    okta_spec.validate("OidcMetadata", body)
    assert body["issuer"] == sandbox.origin
    assert body["authorization_endpoint"] == f"{sandbox.origin}/oauth2/v1/authorize"
    assert body["token_endpoint"] == f"{sandbox.origin}/oauth2/v1/token"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert "okta.users.read" not in body["scopes_supported"]


def test_discovery_is_exactly_the_org_as_example(
    http: httpx.Client, sandbox: SandboxServer, okta_spec: SpecValidator
) -> None:
    """Keys, order and values are SPEC-O's OrgASOidcMetadata example with the sandbox origin as domain."""
    example = okta_spec.oauth["components"]["examples"]["OrgASOidcMetadata"]["value"]
    expected = json.loads(json.dumps(example).replace("https://{yourOktaDomain}", sandbox.origin))
    body = http.get("/.well-known/openid-configuration").json()
    assert body == expected and list(body) == list(expected)


def test_discovery_rejects_unknown_client_id(http: httpx.Client, okta_spec: SpecValidator) -> None:
    """An unregistered ?client_id= gives 400 with an Okta error object (SPEC-O Error400InvalidClientId)."""
    response = http.get("/.well-known/openid-configuration", params={"client_id": "0oanope"})
    assert response.status_code == 400
    body = response.json()
    okta_spec.validate("Error", body)
    assert {key: body[key] for key in ("errorCode", "errorSummary", "errorLink", "errorCauses")} == {
        "errorCode": "invalid_client",
        "errorSummary": "Invalid value for `client_id` parameter",
        "errorLink": "invalid_client",
        "errorCauses": [],
    }


def test_full_pkce_flow_returns_valid_tokens(flow: Flow, org: OktaSandbox, okta_spec: SpecValidator) -> None:
    """Sign-in, consent and code exchange give a TokenResponse with Okta's claims in both JWTs."""
    page = flow.authorize()
    assert page.status_code == 200
    forms = parse_forms(page.text)
    assert {"username", "password"} <= set(forms.forms[0]["fields"])
    consent = flow.sign_in(page)
    assert consent.status_code == 200
    for scope in ("openid", "offline_access", "okta.users.read", "okta.schemas.read"):
        assert scope in consent.text
    params = flow.redirect_params(flow.submit(consent, "Allow"))
    assert params["state"] == flow.state
    response = flow.exchange(params["code"])
    assert response.status_code == 200
    # Recorded 2026 token responses send "no-cache, no-store" (FACTS §8); RFC 6749 §5.1 needs no-store.
    assert response.headers["cache-control"] == "no-cache, no-store"
    assert response.headers["pragma"] == "no-cache" and response.headers["expires"] == "0"
    body = response.json()
    okta_spec.validate("TokenResponse", body)
    assert list(body) == ["token_type", "expires_in", "access_token", "scope", "refresh_token", "id_token"]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "openid offline_access okta.users.read okta.schemas.read"

    access = org.signer.verify(body["access_token"])
    admin = org.get_user(org.admin_login)
    assert access["iss"] == access["aud"] == org.origin
    assert access["sub"] == org.admin_login and access["uid"] == admin["id"]
    assert access["cid"] == org.default_app.client_id and access["ver"] == 1
    assert access["scp"] == ["openid", "offline_access", "okta.users.read", "okta.schemas.read"]
    assert access["exp"] - access["iat"] == 3600 and access["jti"]
    id_token = org.signer.verify(body["id_token"])
    assert id_token["aud"] == org.default_app.client_id and id_token["sub"] == admin["id"]
    assert id_token["nonce"] == "nonce-123" and id_token["iss"] == org.origin


def test_jwks_verifies_tokens(http: httpx.Client, org: OktaSandbox) -> None:
    """/oauth2/v1/keys serves the RS256 public key whose kid signs the tokens."""
    from joserfc import jwt
    from joserfc.jwk import KeySet

    keys = http.get("/oauth2/v1/keys").json()
    assert keys["keys"][0]["kty"] == "RSA" and "d" not in keys["keys"][0]
    token = org.issue_tokens_for_tests()["access_token"]
    decoded = jwt.decode(token, KeySet.import_key_set(keys), algorithms=["RS256"])
    assert decoded.header["kid"] == keys["keys"][0]["kid"]


def test_second_authorize_in_same_browser_skips_sign_in(flow: Flow) -> None:
    """The sandbox session cookie means a second /authorize goes straight to consent."""
    flow.tokens()
    page = flow.authorize()
    assert page.status_code == 200
    assert "Allow" in page.text and 'name="password"' not in page.text


def test_prompt_login_forces_sign_in(flow: Flow) -> None:
    """prompt=login shows the sign-in page even with a session."""
    flow.tokens()
    assert 'name="password"' in flow.authorize(prompt="login").text


def test_prompt_none_without_session_is_login_required(flow: Flow) -> None:
    """prompt=none with no session redirects back with error=login_required."""
    params = flow.redirect_params(flow.authorize(prompt="none"))
    assert params["error"] == "login_required" and params["state"] == flow.state


def test_wrong_password_shows_sign_in_again(flow: Flow) -> None:
    """A bad password re-renders the sign-in form with an error and no redirect."""
    response = flow.sign_in(flow.authorize(), password="wrong")
    assert response.status_code == 401
    assert "Unable to sign in" in response.text and 'name="password"' in response.text


def test_deny_redirects_access_denied(flow: Flow) -> None:
    """Deny on the consent page redirects with access_denied and the state."""
    consent = flow.sign_in(flow.authorize())
    params = flow.redirect_params(flow.submit(consent, "Deny"))
    assert params == {
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied the request.",
        "state": flow.state,
    }


def test_unassigned_user_gets_access_denied(flow: Flow, org: OktaSandbox) -> None:
    """A signed-in user not assigned to the app is redirected with access_denied."""
    org.update_app(org.default_app.client_id, assign_everyone=False, assigned_logins=[org.admin_login])
    teammate = org.list_users(search='status eq "ACTIVE" and profile.login sw "zoe"')[0]
    response = flow.sign_in(flow.authorize(), username=teammate["profile"]["login"], password="Teammate-1")
    params = flow.redirect_params(response)
    assert params["error"] == "access_denied"
    assert params["error_description"] == "User is not assigned to the client application."


def test_unknown_client_id_shows_error_page(flow: Flow) -> None:
    """An unknown client_id gets a 400 HTML error page, never a redirect."""
    response = flow.authorize(client_id="0oaUNKNOWNUNKNOWN1234")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "invalid_client" in response.text


def test_unregistered_redirect_uri_shows_error_page(flow: Flow) -> None:
    """A redirect_uri that is not registered exactly gets a 400 HTML error page."""
    response = flow.authorize(redirect_uri="http://127.0.0.1:8000/callbacks/okta/")
    assert response.status_code == 400 and "location" not in response.headers
    assert "redirect_uri" in response.text


def test_missing_state_shows_error_page(flow: Flow) -> None:
    """Okta requires state: without it the sandbox shows a 400 error page."""
    response = flow.authorize(state=None)
    assert response.status_code == 400 and "state" in response.text


def test_ungranted_okta_scope_redirects_invalid_scope(flow: Flow, org: OktaSandbox) -> None:
    """An okta.* scope not granted to the app redirects with Okta's exact invalid_scope text."""
    org.update_app(org.default_app.client_id, granted_scopes=["okta.users.read"])
    response = flow.authorize()
    assert response.status_code == 302
    query = urlsplit(response.headers["location"]).query
    assert query == f"{SCOPE_NOT_CONFIGURED_QUERY}&state={flow.state}"


def test_unknown_scope_redirects_invalid_scope(flow: Flow) -> None:
    """A scope the org AS does not know is invalid_scope too."""
    params = flow.redirect_params(flow.authorize(scope="openid okta.apps.manage"))
    assert params["error"] == "invalid_scope"


def test_no_scope_is_invalid_scope(flow: Flow) -> None:
    """No scope at all: invalid_scope "No scopes were requested."."""
    params = flow.redirect_params(flow.authorize(scope=None))
    assert params["error"] == "invalid_scope" and params["error_description"] == "No scopes were requested."


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},
        {"code_challenge": "short"},
    ],
)
def test_bad_pkce_parameters_redirect_invalid_request(flow: Flow, overrides: dict[str, str | None]) -> None:
    """Missing PKCE, a non-S256 method or a malformed challenge redirect with invalid_request."""
    params = flow.redirect_params(flow.authorize(**overrides))
    assert params["error"] == "invalid_request" and params["state"] == flow.state


def test_wrong_response_type_is_unsupported(flow: Flow) -> None:
    """response_type=token is refused with unsupported_response_type."""
    assert flow.redirect_params(flow.authorize(response_type="token"))["error"] == "unsupported_response_type"


def test_unknown_response_type_and_mode_use_okta_texts(flow: Flow) -> None:
    """Values Okta does not know at all get SPEC-O's exact descriptions, with the state."""
    response_type = flow.redirect_params(flow.authorize(response_type="bogus"))
    assert response_type == {
        "error": "unsupported_response_type",
        "error_description": "The response type contained in the request isn't supported.",
        "state": flow.state,
    }
    response_mode = flow.redirect_params(flow.authorize(response_mode="bogus"))
    assert response_mode == {
        "error": "unsupported_response_mode",
        "error_description": "The response mode isn't supported by the authorization server. Valid response "
        "modes: [`query`, `fragment`, `form_post`, `okta_post_message`].",
        "state": flow.state,
    }


def test_token_probe_tells_wrong_client_from_right(flow: Flow) -> None:
    """A bogus code with an unknown client_id is 401 invalid_client; with the right one, 400 invalid_grant."""
    wrong = flow.exchange("bogus", client_id="0oaWRONGWRONGWRONG12")
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": "invalid_client",
        "error_description": "Invalid value for the `client_id` parameter",
    }
    right = flow.exchange("bogus")
    assert right.status_code == 400
    assert right.json() == {
        "error": "invalid_grant",
        "error_description": "The authorization code is invalid or has expired.",
    }


def test_missing_client_id_is_invalid_client(flow: Flow) -> None:
    """No client credentials at all: 401 invalid_client."""
    response = flow.exchange("bogus", client_id=None)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_pkce_mismatch_is_invalid_grant(flow: Flow) -> None:
    """A code_verifier that does not hash to the challenge fails with invalid_grant."""
    response = flow.exchange(flow.get_code(), code_verifier="x" * 50)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "PKCE verification failed."}


def test_redirect_uri_must_match_authorize(flow: Flow, org: OktaSandbox) -> None:
    """The token request's redirect_uri must equal the one used at /authorize."""
    org.update_app(
        org.default_app.client_id, redirect_uris=[flow.redirect_uri, "http://127.0.0.1:8000/other"]
    )
    response = flow.exchange(flow.get_code(), redirect_uri="http://127.0.0.1:8000/other")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_code_is_single_use(flow: Flow) -> None:
    """A code works once; the second exchange is invalid_grant."""
    code = flow.get_code()
    assert flow.exchange(code).status_code == 200
    second = flow.exchange(code)
    assert second.status_code == 400
    assert second.json()["error_description"] == "The authorization code is invalid or has expired."


def test_code_expires_after_300_seconds(flow: Flow, org: OktaSandbox) -> None:
    """With the clock frozen, a code is good at 299 s and expired at 300 s."""
    org.clock.freeze()
    first = flow.get_code()
    org.clock.advance(299)
    assert flow.exchange(first).status_code == 200
    second = flow.get_code()
    org.clock.advance(300)
    response = flow.exchange(second)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_code_issued_to_another_client(flow: Flow, org: OktaSandbox) -> None:
    """Redeeming a code with another registered client is invalid_grant with Okta's text."""
    other = org.register_app(redirect_uris=[flow.redirect_uri])
    response = flow.exchange(flow.get_code(), client_id=other.client_id)
    assert response.status_code == 400
    assert response.json()["error_description"].startswith("The grant was issued to another client.")


def test_unsupported_grant_type(flow: Flow) -> None:
    """grant_type=password is refused with unsupported_grant_type."""
    response = flow.http.post(
        "/oauth2/v1/token", data={"grant_type": "password", "client_id": flow.org.default_app.client_id}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "unsupported_grant_type",
        "error_description": "The grant type in the request isn't supported.",
    }
