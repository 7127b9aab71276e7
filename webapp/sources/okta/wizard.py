"""The ten steps of connecting Okta, in the admin's words and Okta's exact menu labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from sqlmodel import Session

from webapp.sources.okta import store
from webapp.sources.okta.inputs import (
    ClientIdCheck,
    DomainCheck,
    check_client_id,
    normalise_okta_domain,
    probe_client_id,
    probe_okta_origin,
)
from webapp.sources.okta.models import OktaSetupProgress

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


@dataclass(frozen=True)
class StepOutcome:
    """What happened when the admin finished a step: which step to show next, and any feedback."""

    done: bool
    shown_step: int
    domain_check: DomainCheck | None = None
    client_id_check: ClientIdCheck | None = None
    notice: str | None = None


def live_domain_check(
    *, raw: str, client_id_input: str, http: httpx.Client, redirect_uri: str
) -> tuple[DomainCheck, str | None]:
    """Check a typed domain's syntax, then with Okta; a Client ID already typed is probed too.

    Returns the check (its `origin` set when usable) and a notice about the Client ID, if any.
    """
    check = normalise_okta_domain(raw)
    if not check.ok or check.origin is None:
        return check, None
    live, metadata = probe_okta_origin(check.origin, http=http)
    if metadata is None:
        return live, None
    client = check_client_id(client_id_input)
    if client.ok and client.client_id:
        unknown = probe_client_id(
            client.client_id, token_endpoint=metadata.token_endpoint, redirect_uri=redirect_uri, http=http
        )
        if unknown is not None:
            return live, f"The domain is right, but {unknown.message}"
    return live, None


def save_draft(
    *, session: Session, domain: str | None = None, client_id: str | None = None
) -> OktaSetupProgress:
    """Keep what the admin is typing (nothing typed is ever lost); the caller commits."""
    progress = store.get_progress(session=session)
    if domain is not None:
        progress.domain_input = domain[:500]
    if client_id is not None:
        progress.client_id_input = client_id[:500]
    return store.save_progress(session=session, progress=progress)


def complete_step(
    *, session: Session, number: int, form: Mapping[str, str], http: httpx.Client, redirect_uri: str
) -> StepOutcome:
    """Mark a step done, saving and checking what steps 7 and 8 ask for, and move to the next step.

    Step 10 is done only by connecting, never by this form. Commits; no transaction is open while
    Okta is asked about the domain.
    """
    if number == STEP_CONNECT:
        return StepOutcome(done=False, shown_step=STEP_CONNECT)
    progress = store.get_progress(session=session)
    notice = None
    if number == STEP_CLIENT_ID:
        progress.client_id_input = form.get("client_id", "")[:500]
        client = check_client_id(progress.client_id_input)
        if not client.ok:
            store.save_progress(session=session, progress=progress)
            session.commit()
            return StepOutcome(done=False, shown_step=number, client_id_check=client)
        progress.client_id_input = client.client_id or ""
    if number == STEP_DOMAIN:
        # The suggestion button ("Use dev-123.okta.com") sends its own field, preferred when present.
        progress.domain_input = (form.get("domain_suggestion") or form.get("domain", ""))[:500]
        client_id_input = progress.client_id_input
        store.save_progress(session=session, progress=progress)
        session.commit()
        domain, notice = live_domain_check(
            raw=progress.domain_input, client_id_input=client_id_input, http=http, redirect_uri=redirect_uri
        )
        if not domain.ok:
            return StepOutcome(done=False, shown_step=number, domain_check=domain)
        progress.okta_origin = domain.origin
    progress.completed_steps = [*progress.completed_steps, number]
    progress.current_step = min(number + 1, STEP_COUNT)
    store.save_progress(session=session, progress=progress)
    session.commit()
    return StepOutcome(done=True, shown_step=progress.current_step, notice=notice)


def mark_all_steps_done(*, session: Session) -> None:
    """After a successful connection every step is done; the caller commits."""
    progress = store.get_progress(session=session)
    progress.completed_steps = list(range(1, STEP_COUNT + 1))
    progress.current_step = STEP_COUNT
    store.save_progress(session=session, progress=progress)
