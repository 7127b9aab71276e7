"""The ten steps of connecting Okta, in the admin's words and Okta's exact menu labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

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


class WizardStep(IntEnum):
    """Steps the code (and the templates, as `WizardStep`) refer to by name, never by number."""

    CONSOLE = 1
    CREATE_APP = 2
    APP_KIND = 3
    GRANT_TYPES = 4
    REDIRECT_URI = 5
    ASSIGNMENTS = 6
    CLIENT_ID = 7
    DOMAIN = 8
    SCOPES = 9
    CONNECT = 10


STEP_GRANT_TYPES = WizardStep.GRANT_TYPES
STEP_REDIRECT_URI = WizardStep.REDIRECT_URI
STEP_ASSIGNMENTS = WizardStep.ASSIGNMENTS
STEP_CLIENT_ID = WizardStep.CLIENT_ID
STEP_DOMAIN = WizardStep.DOMAIN
STEP_SCOPES = WizardStep.SCOPES
STEP_CONNECT = WizardStep.CONNECT
# What step 7 refuses to keep: a value Signet recognised as a client secret is never stored or shown.
REFUSED_CLIENT_ID_CODES = frozenset({"looks_like_secret"})
# The connect-problem code recorded when Okta does not know the Client ID typed on step 7.
CLIENT_ID_UNKNOWN = "client_id_unknown"


@dataclass(frozen=True)
class Step:
    """One card of the wizard."""

    number: int
    title: str
    instructions: tuple[str, ...]
    menu_path: str | None = None


STEPS: tuple[Step, ...] = (
    Step(
        WizardStep.CONSOLE,
        "Open your Okta admin console",
        (
            "Sign in to Okta as an administrator and open the Admin Console.",
            "Go to the list of applications.",
        ),
        "Menu › Applications › Applications",
    ),
    Step(
        WizardStep.CREATE_APP,
        "Create an app integration",
        ("On the Applications page, click the button below the page title.",),
        "Create App Integration",
    ),
    Step(
        WizardStep.APP_KIND,
        "Choose the kind of app",
        (
            "Sign-in method: choose OIDC - OpenID Connect.",
            "Application type: choose Single-Page Application, then click Next.",
            "Signet signs in like a single-page app, so it never needs a client secret.",
        ),
        "OIDC - OpenID Connect › Single-Page Application",
    ),
    Step(
        WizardStep.GRANT_TYPES,
        "Name it and allow refresh tokens",
        (
            "App integration name: Signet (any name works; this is what admins will see).",
            "Grant type: keep Authorization Code and also tick Refresh Token, so Signet can keep syncing "
            "without you signing in again.",
        ),
        "General Settings › Grant type › Refresh Token",
    ),
    Step(
        WizardStep.REDIRECT_URI,
        "Paste Signet's sign-in redirect URI",
        (
            "In Sign-in redirect URIs, replace the example with the address below, exactly as shown.",
            "Sign-out redirect URIs can stay empty.",
        ),
        "LOGIN › Sign-in redirect URIs",
    ),
    Step(
        WizardStep.ASSIGNMENTS,
        "Let your organisation use the app",
        (
            "Under Assignments › Controlled access, choose Allow everyone in your organization to access.",
            "Click Save. (Okta refuses sign-in to Signet for anyone not assigned to the app.)",
        ),
        "Assignments › Controlled access › Allow everyone in your organization to access",
    ),
    Step(
        WizardStep.CLIENT_ID,
        "Paste the Client ID",
        (
            "After saving, Okta shows the app's General tab. Copy the Client ID (it starts with 0oa) and "
            "paste it below.",
            "Signet never asks for a client secret.",
        ),
        "General › Client Credentials › Client ID",
    ),
    Step(
        WizardStep.DOMAIN,
        "Paste your Okta domain",
        (
            "Your Okta domain is shown in the admin console's top-right menu, under your name "
            "(e.g. dev-123456.okta.com). Signet checks it as you type.",
        ),
        "Top-right menu › Okta domain",
    ),
    Step(
        WizardStep.SCOPES,
        "Grant Signet read access to users and schemas",
        (
            "Open the app's Okta API Scopes tab.",
            "Click Grant next to okta.users.read and next to okta.schemas.read.",
            "Signet only ever reads; it never changes anything in Okta.",
        ),
        "Okta API Scopes › Grant: okta.users.read, okta.schemas.read",
    ),
    Step(
        WizardStep.CONNECT,
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
) -> tuple[DomainCheck, ClientIdProblem | None]:
    """Check a typed domain's syntax, then with Okta; a Client ID already typed is probed too.

    Returns the check (its `origin` set when usable) and what Okta said about the Client ID, if
    anything was wrong with it. Calls Okta: the caller must not hold a transaction.
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
            return live, ClientIdProblem(f"The domain is right, but {unknown.message}")
    return live, None


@dataclass(frozen=True)
class ClientIdProblem:
    """Okta answered for the domain but not for the Client ID: step 7 must be done again."""

    message: str


def refused_client_id(value: str) -> ClientIdCheck | None:
    """The check to show when a typed Client ID must not be kept (a client secret), else None."""
    check = check_client_id(value)
    return check if check.code in REFUSED_CLIENT_ID_CODES else None


def save_draft(
    *, session: Session, domain: str | None = None, client_id: str | None = None
) -> OktaSetupProgress:
    """Keep what the admin is typing (nothing typed is lost, but a secret is never kept); no commit."""
    progress = store.get_progress(session=session)
    if domain is not None:
        progress.domain_input = domain[:500]
    if client_id is not None and refused_client_id(client_id) is None:
        progress.client_id_input = client_id[:500]
    return store.save_progress(session=session, progress=progress)


def save_step_input(*, session: Session, number: int, form: Mapping[str, str]) -> StepOutcome | None:
    """Save what step 7 or 8 asks for; return an outcome when the step cannot be done (no commit).

    Step 10 is done only by connecting, never by its form.
    """
    if number == STEP_CONNECT:
        return StepOutcome(done=False, shown_step=STEP_CONNECT)
    if number == STEP_CLIENT_ID:
        typed = form.get("client_id", "")
        refused = refused_client_id(typed)
        if refused is not None:
            return StepOutcome(done=False, shown_step=number, client_id_check=refused)
        client = check_client_id(typed)
        save_draft(session=session, client_id=client.client_id or typed)
        store.clear_connect_problem(session=session, code=CLIENT_ID_UNKNOWN)
        if not client.ok:
            return StepOutcome(done=False, shown_step=number, client_id_check=client)
    if number == STEP_DOMAIN:
        # The suggestion button ("Use dev-123.okta.com") sends its own field, preferred when present.
        save_draft(session=session, domain=form.get("domain_suggestion") or form.get("domain", ""))
    return None


def finish_step(
    *,
    session: Session,
    number: int,
    domain: DomainCheck | None = None,
    client_problem: ClientIdProblem | None = None,
) -> StepOutcome:
    """Tick step `number` after its checks (step 8's live check ran outside any transaction); no commit.

    A domain Okta knows but a Client ID it does not sends the admin back to step 7, unticked.
    """
    progress = store.get_progress(session=session)
    if domain is not None:
        if not domain.ok:
            return StepOutcome(done=False, shown_step=number, domain_check=domain)
        progress.okta_origin = domain.origin
    done = {*progress.completed_steps, number}
    progress.current_step = min(number + 1, STEP_COUNT)
    if client_problem is not None:
        done.discard(STEP_CLIENT_ID)
        progress.current_step = STEP_CLIENT_ID
        store.record_connect_problem(
            session=session, code=CLIENT_ID_UNKNOWN, message=client_problem.message, step=STEP_CLIENT_ID
        )
    progress.completed_steps = sorted(done)
    store.save_progress(session=session, progress=progress)
    notice = client_problem.message if client_problem else None
    return StepOutcome(done=client_problem is None, shown_step=progress.current_step, notice=notice)


def mark_all_steps_done(*, session: Session) -> None:
    """After a successful connection every step is done; the caller commits."""
    progress = store.get_progress(session=session)
    progress.completed_steps = list(range(1, STEP_COUNT + 1))
    progress.current_step = STEP_COUNT
    store.save_progress(session=session, progress=progress)


def mark_disconnected(*, session: Session) -> None:
    """After Disconnect, "Connect" is no longer done (the other steps still are); the caller commits."""
    progress = store.get_progress(session=session)
    progress.completed_steps = [n for n in progress.completed_steps if n != STEP_CONNECT]
    progress.current_step = STEP_CONNECT
    store.save_progress(session=session, progress=progress)
