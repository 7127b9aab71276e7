"""The ten steps of connecting Okta, in the admin's words and Okta's exact menu labels."""

from __future__ import annotations

from dataclasses import dataclass

STEP_REDIRECT_URI = 5
STEP_ASSIGNMENTS = 6
STEP_CLIENT_ID = 7
STEP_DOMAIN = 8
STEP_SCOPES = 9
STEP_CONNECT = 10


@dataclass(frozen=True)
class Step:
    """One card of the wizard."""

    number: int
    title: str
    instructions: tuple[str, ...]
    menu_path: str | None = None


STEPS: tuple[Step, ...] = (
    Step(
        1,
        "Open your Okta admin console",
        (
            "Sign in to Okta as an administrator and open the Admin Console.",
            "Go to the list of applications.",
        ),
        "Menu › Applications › Applications",
    ),
    Step(
        2,
        "Create an app integration",
        ("On the Applications page, click the button below the page title.",),
        "Create App Integration",
    ),
    Step(
        3,
        "Choose the kind of app",
        (
            "Sign-in method: choose OIDC - OpenID Connect.",
            "Application type: choose Single-Page Application, then click Next.",
            "Signet signs in like a single-page app, so it never needs a client secret.",
        ),
        "OIDC - OpenID Connect › Single-Page Application",
    ),
    Step(
        4,
        "Name it and allow refresh tokens",
        (
            "App integration name: Signet (any name works; this is what admins will see).",
            "Grant type: keep Authorization Code and also tick Refresh Token, so Signet can keep syncing "
            "without you signing in again.",
        ),
        "General Settings › Grant type › Refresh Token",
    ),
    Step(
        5,
        "Paste Signet's sign-in redirect URI",
        (
            "In Sign-in redirect URIs, replace the example with the address below, exactly as shown.",
            "Sign-out redirect URIs can stay empty.",
        ),
        "LOGIN › Sign-in redirect URIs",
    ),
    Step(
        6,
        "Let your organisation use the app",
        (
            "Under Assignments › Controlled access, choose Allow everyone in your organization to access.",
            "Click Save. (Okta refuses sign-in to Signet for anyone not assigned to the app.)",
        ),
        "Assignments › Controlled access › Allow everyone in your organization to access",
    ),
    Step(
        7,
        "Paste the Client ID",
        (
            "After saving, Okta shows the app's General tab. Copy the Client ID (it starts with 0oa) and "
            "paste it below.",
            "Signet never asks for a client secret.",
        ),
        "General › Client Credentials › Client ID",
    ),
    Step(
        8,
        "Paste your Okta domain",
        (
            "Your Okta domain is shown in the admin console's top-right menu, under your name "
            "(e.g. dev-123456.okta.com). Signet checks it as you type.",
        ),
        "Top-right menu › Okta domain",
    ),
    Step(
        9,
        "Grant Signet read access to users and schemas",
        (
            "Open the app's Okta API Scopes tab.",
            "Click Grant next to okta.users.read and next to okta.schemas.read.",
            "Signet only ever reads; it never changes anything in Okta.",
        ),
        "Okta API Scopes › Grant: okta.users.read, okta.schemas.read",
    ),
    Step(
        10,
        "Connect Okta",
        (
            "Click Connect Okta. A small Okta window opens: sign in if asked, then click Allow.",
            "Signet then checks that it can read your users and their attributes.",
        ),
        None,
    ),
)
STEP_COUNT = len(STEPS)


def step(number: int) -> Step:
    """The step with this number (clamped to the valid range)."""
    return STEPS[min(max(number, 1), STEP_COUNT) - 1]
