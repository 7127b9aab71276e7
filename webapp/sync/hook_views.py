"""The Okta event hook: the endpoint Okta calls (`/hooks/okta`) and its section of the Sync page.

`/hooks/okta` is public (Okta has no session) and CSRF-exempt (Okta cannot send a token); the
secret header Okta sends is its authentication. It lives on its own blueprint `hooks` (no URL
prefix), registered by the sync blueprint (`webapp.sync.views.init_app`). The Sync page's section
(`templates/sync/_event_hook.html`, id `event-hook`) explains the setup in Okta's admin console,
generates or rotates the secret (shown once), turns the hook on or off and shows when the last
event arrived. Contract: https://developer.okta.com/docs/concepts/event-hooks/ (see hooks.py).
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, flash, jsonify, make_response, request, url_for

from webapp.audit.record import audit_request
from webapp.crypto import SecretUnreadableError
from webapp.db import utcnow
from webapp.extensions import csrf, db
from webapp.rendering import base_url, redirect_to, render, wants_fragment
from webapp.security import ERROR_MESSAGES, client_ip, public, render_error
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.sync import checks, hook_refusals, hook_replays, hooks
from webapp.sync.hooks import HookRequestError

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__)
PARTIAL = "sync/_event_hook.html"
# What each subscribed event means, for the setup steps (Okta's console lists events by these names).
EVENT_LABELS = {
    "user.lifecycle.create": "User created",
    "user.lifecycle.activate": "User activated",
    "user.lifecycle.reactivate": "User reactivated",
    "user.lifecycle.deactivate": "User deactivated",
    "user.lifecycle.suspend": "User suspended",
    "user.lifecycle.unsuspend": "User unsuspended",
    "user.lifecycle.delete.initiated": "User deletion initiated",
    "user.lifecycle.delete.completed": "User deleted",
    "user.account.update_profile": "User's Okta profile updated",
}
ENABLE, DISABLE = "on", "off"


def init_app(app: Flask) -> None:
    """Register the `hooks` blueprint and give templates the event types and choices they show."""
    assert set(EVENT_LABELS) == set(hooks.SYNC_EVENT_TYPES)
    app.jinja_env.globals.update(
        EVENT_HOOK_EVENTS=[(kind, EVENT_LABELS[kind]) for kind in hooks.SYNC_EVENT_TYPES],
        EVENT_HOOK_CHOICES={"enable": ENABLE, "disable": DISABLE},
    )
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)


# ----------------------------------------------------------------------------- the Sync page section


def endpoint_warning(url: str) -> str | None:
    """Why Okta could not call `url`, or None: Okta needs a public https address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        private = host == "localhost" or host.endswith((".local", ".internal", ".localhost"))
    else:
        private = not address.is_global
    if private:
        return (
            f"{host} is not reachable from the internet, so Okta cannot call it. Set BASE_URL to "
            "Signet's public https address first (or use a tunnel while you test)."
        )
    if parts.scheme != "https":
        return "Okta only calls https addresses. Set BASE_URL to Signet's https address first."
    return None


def event_hook_context(
    *,
    secret: str | None = None,
    error: str | None = None,
    value: str | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """What the event hook section shows; `secret` only right after it was generated."""
    hook = hooks.get_hook(session=db.session)
    endpoint = base_url() + url_for("hooks.okta_event")
    return {
        "event_hook": hook,
        "event_hook_url": endpoint,
        "event_hook_url_warning": endpoint_warning(endpoint),
        "event_hook_secret": secret,
        "event_hook_error": error,
        "event_hook_header": value
        if value is not None
        else (hook.header_name if hook else "") or hooks.DEFAULT_HEADER_NAME,
        "event_hook_notice": notice,
        "event_hook_refused_window": f"{hook_refusals.window_seconds(current_app):g}",
    }


def _region(*, status: int = 200, **context: Any) -> Response:
    from webapp.sync.views import PAGE, sync_page  # the Sync page's module registers this one

    if wants_fragment():
        response = render(PAGE, partial=PARTIAL, status=status, **context)
    else:
        response = sync_page(status=status, **context)
    if context.get("event_hook_secret"):
        response.headers["Cache-Control"] = "no-store"  # the secret is in this response only
    return response


@bp.get("/sync/event-hook")
def event_hook() -> Response:
    """The event hook section of the Sync page (the whole page without htmx)."""
    return _region(**event_hook_context())


@bp.post("/sync/event-hook/secret")
def rotate_secret() -> Response:
    """Generate the secret (or a new one: the old one stops working at once) and turn the hook on.

    The secret is in this response only (no redirect: it must never sit in a session or a URL).
    """
    header = request.form.get("header_name", "").strip()
    if not hooks.HEADER_NAME.fullmatch(header):
        db.session.rollback()
        error = "Enter a header name of letters, digits and dashes (at most 64), such as Authorization."
        return _region(status=422, **event_hook_context(error=error, value=header[:64]))
    existed = hooks.get_hook(session=db.session) is not None
    secret = hooks.new_secret()
    hooks.set_secret(session=db.session, header_name=header, secret=secret)
    action = "sync.event_hook_secret_rotated" if existed else "sync.event_hook_secret_generated"
    summary = "Rotated the Okta event hook secret" if existed else "Generated the Okta event hook secret"
    audit_request(action, f"{summary} (header {header}); event hooks are on")  # commits
    notice = "Copy the secret now: Signet shows it only this once."
    return _region(**event_hook_context(secret=secret, notice=notice))


@bp.post("/sync/event-hook/enabled")
def set_enabled() -> Response:
    """Turn the event hook on or off (polling goes on either way); 409 before a secret exists."""
    choice = request.form.get("enabled", "")
    if choice not in (ENABLE, DISABLE):
        db.session.rollback()
        return _region(status=422, **event_hook_context(error="Choose to turn the event hook on or off."))
    enabled = choice == ENABLE
    if hooks.set_enabled(session=db.session, enabled=enabled) is None:
        db.session.rollback()
        error = "Generate a secret first: Okta's deliveries are checked against it."
        return _region(status=409, **event_hook_context(error=error))
    summary = "Turned Okta event hooks on" if enabled else "Turned Okta event hooks off"
    audit_request("sync.event_hook_enabled" if enabled else "sync.event_hook_disabled", summary)  # commits
    if not wants_fragment():
        flash(summary + ".", "success")
        return redirect_to(url_for("sync.index") + "#event-hook")
    return _region(**event_hook_context(notice=summary + "."))


# ----------------------------------------------------------------------------- the endpoint Okta calls


def _plain(status: int, body: dict[str, Any] | None = None) -> Response:
    response = make_response(jsonify(body) if body is not None else "", status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/hooks/okta")
@public
def okta_verify() -> Response:
    """Okta's one-time verification: echo `X-Okta-Verification-Challenge` as `{"verification": ...}`.

    Only while the hook is on (a 404 page otherwise, and without a challenge). Changes nothing.
    """
    hook = hooks.get_hook(session=db.session)
    challenge = hooks.valid_challenge(request.headers.get(hooks.CHALLENGE_HEADER))
    db.session.rollback()
    if hook is None or not hook.enabled or challenge is None:
        return render_error(404, ERROR_MESSAGES[404])  # a page: browsers land here too
    return _plain(200, {"verification": challenge})


@bp.post("/hooks/okta")
@public
def okta_event() -> Response:
    """An event delivery: 401 without the secret header, 400 for a body that isn't Okta's, 413
    above 256 KB, 200 otherwise (at once; a user lifecycle or profile event starts a sync)."""
    # The body is read before the first query: on POST that opens the write transaction, which
    # must not wait on the network.
    body = b""
    if (request.content_length or 0) <= hooks.MAX_BODY_BYTES:
        body = request.stream.read(hooks.MAX_BODY_BYTES + 1)
    too_large = not body and (request.content_length or 0) > hooks.MAX_BODY_BYTES
    # Read outside the request's write transaction: a refused delivery (anyone can send one) never
    # takes SQLite's write lock, and the secret is checked before any transaction is open.
    with db.session_scope(writer=False) as session:
        hook = hooks.get_hook(session=session)
    if hook is None or not hook.enabled:
        return _plain(404, {"error": "not_found"})
    try:
        if not hooks.is_authentic(hook, request.headers.get):
            raise HookRequestError(401, f"the {hook.header_name} header is missing or wrong")
        if too_large or len(body) > hooks.MAX_BODY_BYTES:
            raise HookRequestError(413, "the body is too large")
        delivery = hooks.parse_delivery(body)
    except (HookRequestError, SecretUnreadableError) as error:
        status = error.status if isinstance(error, HookRequestError) else 401
        _count_refusal(reason=str(error), hook_created_at=hook.created_at)
        return _plain(status, {"error": "refused"})
    hooks.record_accepted(session=db.session, event_types=delivery.event_types, at=utcnow())
    fresh = hook_replays.remember_events(session=db.session, event_ids=delivery.event_ids, now=utcnow())
    if delivery.event_ids and not fresh:
        delivery = delivery.as_replay()  # Okta's retry or someone's replay: no check, no sync
    # The users it names are looked up by the sync it starts, in the transaction accepting it.
    checks.request_checks(session=db.session, source=OKTA, external_ids=delivery.user_ids, now=utcnow())
    db.session.commit()
    log.info(
        "Okta event hook delivery: %s (sync: %s%s).",
        ", ".join(delivery.event_types),
        delivery.triggers_sync,
        "; every event seen before, ignored" if delivery.replayed else "",
    )
    if delivery.triggers_sync:
        hooks.hook_syncs.request(current_app._get_current_object())  # type: ignore[attr-defined]
    return _plain(200)


def _count_refusal(*, reason: str, hook_created_at: datetime) -> None:
    """Count and log a refused delivery, at most once per window per process (`hook_refusals`):
    a flood of forged posts must not cost a commit and a log line each."""
    refusals = hook_refusals.refusals_for(current_app._get_current_object())  # type: ignore[attr-defined]
    source = client_ip()
    count = refusals.refused(source=source, reason=reason, hook_created_at=hook_created_at)
    if count:
        hooks.record_refused(session=db.session, count=count, at=utcnow(), created_at=hook_created_at)
        db.session.commit()
        hook_refusals.log_refusals(count, source=source, reason=reason, window=refusals.window)


csrf.exempt(okta_event)  # Okta cannot send a CSRF token; the secret header authenticates it
