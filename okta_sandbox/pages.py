"""The sandbox's HTML pages: sign-in, consent, error and signed-out (Jinja, autoescaped)."""

from __future__ import annotations

from typing import Any

from flask import render_template_string
from markupsafe import Markup

_BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - Okta sandbox</title>
<style>
body { font-family: system-ui, sans-serif; background: #f4f4f6; margin: 0; }
main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }
h1 { font-size: 1.3rem; margin-top: 0; }
label { display: block; margin: .8rem 0 .2rem; }
input[type=text], input[type=password] { width: 100%; padding: .5rem; box-sizing: border-box; }
button { margin-top: 1rem; padding: .6rem 1.2rem; font-size: 1rem; }
.error { color: #b00020; }
.note { color: #555; font-size: .85rem; }
code { background: #eee; padding: 0 .2rem; }
</style>
</head>
<body><main>
<p class="note">Okta sandbox (local emulator) &middot; {{ origin }}</p>
{{ body }}
</main></body>
</html>
"""

_SIGN_IN = """
<h1>Sign In</h1>
<p>to <strong>{{ app_name }}</strong></p>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="{{ action }}">
  <input type="hidden" name="txn" value="{{ txn }}">
  <label for="okta-signin-username">Username</label>
  <input type="text" id="okta-signin-username" name="username" value="{{ username }}" autocomplete="username"
         autofocus>
  <label for="okta-signin-password">Password</label>
  <input type="password" id="okta-signin-password" name="password" autocomplete="current-password">
  <button type="submit" id="okta-signin-submit">Sign in</button>
</form>
<p class="note">Sandbox admin: <code>{{ admin_login }}</code> / <code>{{ admin_password }}</code></p>
"""

_CONSENT = """
<h1>{{ app_name }} would like to:</h1>
<p>Signed in as <strong>{{ login }}</strong></p>
<ul id="scopes">
{% for scope in scopes %}
  <li data-scope="{{ scope }}"><code>{{ scope }}</code> &mdash; {{ describe(scope) }}</li>
{% endfor %}</ul>
<form method="post" action="{{ action }}">
  <input type="hidden" name="txn" value="{{ txn }}">
  <button type="submit" name="consent" value="allow" id="consent-allow">Allow</button>
  <button type="submit" name="consent" value="deny" id="consent-deny">Deny</button>
</form>
"""

_ERROR = """
<h1>{{ heading }}</h1>
<p class="error" id="error-code">Error Code: <code>{{ error }}</code></p>
<p id="error-description">Description: {{ description }}</p>
"""

_SIGNED_OUT = """
<h1>Signed out</h1>
<p>You have been signed out of the Okta sandbox.</p>
"""

SCOPE_DESCRIPTIONS = {
    "openid": "Signs you in with your Okta account.",
    "offline_access": "Keeps you signed in to the app.",
    # Texts from SPEC-M securitySchemes.oauth2 scopes (FACTS.md §1).
    "okta.users.read": "Allows the app to read the existing users' profiles and credentials.",
    "okta.schemas.read": "Allows the app to read information about Schemas.",
    "profile": "View your profile.",
    "email": "View your email address.",
}


def _page(title: str, body: str, origin: str, **context: Any) -> str:
    # The inner template is rendered (and escaped) first, so it is marked safe for the frame.
    inner = Markup(render_template_string(body, **context))  # noqa: S704
    return render_template_string(_BASE, title=title, body=inner, origin=origin)


def sign_in_page(
    *,
    origin: str,
    action: str,
    txn: str,
    app_name: str,
    admin_login: str,
    admin_password: str,
    error: str | None = None,
    username: str = "",
) -> str:
    """The sign-in form: inputs ``username``/``password``, button "Sign in"."""
    return _page(
        "Sign In",
        _SIGN_IN,
        origin,
        action=action,
        txn=txn,
        app_name=app_name,
        admin_login=admin_login,
        admin_password=admin_password,
        error=error,
        username=username,
    )


def consent_page(*, origin: str, action: str, txn: str, app_name: str, login: str, scopes: list[str]) -> str:
    """The consent form listing ``scopes``, with buttons Allow and Deny."""
    return _page(
        "Consent",
        _CONSENT,
        origin,
        action=action,
        txn=txn,
        app_name=app_name,
        login=login,
        scopes=scopes,
        describe=lambda scope: SCOPE_DESCRIPTIONS.get(scope, scope),
    )


def error_page(*, origin: str, error: str, description: str, heading: str = "400 Bad Request") -> str:
    """Okta's own error page, shown instead of redirecting when the redirect target is not trusted."""
    return _page("Error", _ERROR, origin, heading=heading, error=error, description=description)


def signed_out_page(*, origin: str) -> str:
    """Shown by ``/oauth2/v1/logout`` without a registered ``post_logout_redirect_uri``."""
    return _page("Signed out", _SIGNED_OUT, origin)
