"""Guided setup: the ten-step "Connect Okta" wizard, its live checks, and Okta's callback."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, make_response, redirect, request, url_for
from flask_login import current_user

from webapp.audit import record_event
from webapp.extensions import db, okta_services
from webapp.okta import store
from webapp.okta.connect import (
    ConnectProblem,
    OktaApiFactory,
    complete_connect,
    disconnect,
    redirect_uri_for,
    start_connect,
    verify_connection,
)
from webapp.okta.inputs import check_client_id, normalise_okta_domain, probe_client_id, probe_okta_origin
from webapp.okta.tokens import CONNECTED, DISCONNECTED
from webapp.okta.wizard import STEP_CLIENT_ID, STEP_COUNT, STEP_DOMAIN, STEPS, step
from webapp.rendering import redirect_to, render, wants_fragment
from webapp.security import client_ip

bp = Blueprint("setup", __name__)
POPUP_CLOSED_MESSAGE = (
    "The Okta window closed before Signet heard back. If Okta showed an error about the redirect URI "
    "(“redirect_uri must be a Login redirect URI”), check the Sign-in redirect URI in step 5 and connect "
    "again."
)


def _base_url() -> str:
    base: str = current_app.config["BASE_URL"]
    return base


def _wizard_context(*, shown_step: int | None = None, **extra: Any) -> dict[str, Any]:
    progress = store.get_progress(session=db.session)
    connection = store.get_connection(session=db.session)
    connected_view = connection is not None and connection.status != DISCONNECTED and shown_step is None
    number = shown_step or progress.current_step
    browser_origin = f"{request.scheme}://{request.host}"
    base_origin = "{0.scheme}://{0.netloc}".format(urlsplit(_base_url()))
    return {
        "progress": progress,
        "connection": connection,
        "connected_view": connected_view,
        "steps": STEPS,
        "step": step(number),
        "step_count": STEP_COUNT,
        "redirect_uri": redirect_uri_for(_base_url()),
        "base_url_mismatch": browser_origin != base_origin,
        "browser_origin": browser_origin,
        "domain_check": extra.pop("domain_check", None),
        "client_id_check": extra.pop("client_id_check", None),
        "notice": extra.pop("notice", None),
        **extra,
    }


def _wizard(status: int = 200, **context: Any) -> Response:
    return render(
        "setup/okta.html", partial="setup/_wizard.html", status=status, **_wizard_context(**context)
    )


@bp.get("/setup/okta")
def okta() -> Response:
    """The wizard (resuming at the saved step), or the connection's status once connected."""
    requested = request.args.get("step", type=int)
    shown = min(max(requested, 1), STEP_COUNT) if requested else None
    return _wizard(shown_step=shown)


@bp.post("/setup/okta/steps/<int:number>")
def complete_step(number: int) -> Response:
    """Mark a step done (saving what was typed on steps 7 and 8) and move to the next one."""
    if not 1 <= number <= STEP_COUNT:
        return _wizard(status=404)
    progress = store.get_progress(session=db.session)
    notice = None
    if number == STEP_CLIENT_ID:
        progress.client_id_input = request.form.get("client_id", "")[:500]
        check = check_client_id(progress.client_id_input)
        if not check.ok:
            store.save_progress(session=db.session, progress=progress)
            db.session.commit()
            return _wizard(status=422, shown_step=number, client_id_check=check)
        progress.client_id_input = check.client_id or ""
    if number == STEP_DOMAIN:
        progress.domain_input = request.form.get("domain", "")[:500]
        check, origin, notice = _check_domain_live(progress.domain_input, progress.client_id_input)
        if origin is None:
            store.save_progress(session=db.session, progress=progress)
            db.session.commit()
            return _wizard(status=422, shown_step=number, domain_check=check)
        progress.okta_origin = origin
    progress.completed_steps = [*progress.completed_steps, number]
    progress.current_step = min(number + 1, STEP_COUNT)
    store.save_progress(session=db.session, progress=progress)
    db.session.commit()
    if not wants_fragment():
        if notice:
            flash(notice, "warning")
        return make_response(redirect(url_for("setup.okta", step=progress.current_step), code=303))
    response = _wizard(shown_step=progress.current_step, notice=notice)
    response.headers["HX-Push-Url"] = url_for("setup.okta", step=progress.current_step)
    return response


def _check_domain_live(raw: str, client_id_input: str) -> tuple[Any, str | None, str | None]:
    """Syntax, then discovery; a known Client ID is probed too. Returns (check, origin, notice)."""
    check = normalise_okta_domain(raw)
    if not check.ok or check.origin is None:
        return check, None, None
    live, metadata = probe_okta_origin(check.origin, http=okta_services.http)
    if metadata is None:
        return live, None, None
    notice = None
    client = check_client_id(client_id_input)
    if client.ok and client.client_id:
        unknown = probe_client_id(
            client.client_id,
            token_endpoint=metadata.token_endpoint,
            redirect_uri=redirect_uri_for(_base_url()),
            http=okta_services.http,
        )
        if unknown is not None:
            notice = f"The domain is right, but {unknown.message}"
    return live, check.origin, notice


@bp.post("/setup/okta/check-domain")
def check_domain() -> Response:
    """Live check of the Okta domain as typed (saved as a draft, so nothing typed is lost)."""
    progress = store.get_progress(session=db.session)
    progress.domain_input = request.form.get("domain", "")[:500]
    store.save_progress(session=db.session, progress=progress)
    db.session.commit()
    check, _origin, notice = _check_domain_live(progress.domain_input, progress.client_id_input)
    return render("setup/_domain_feedback.html", domain_check=check, notice=notice)


@bp.post("/setup/okta/check-client-id")
def check_client_id_view() -> Response:
    """Live check of the Client ID's shape (saved as a draft)."""
    progress = store.get_progress(session=db.session)
    progress.client_id_input = request.form.get("client_id", "")[:500]
    store.save_progress(session=db.session, progress=progress)
    db.session.commit()
    return render("setup/_client_id_feedback.html", client_id_check=check_client_id(progress.client_id_input))


@bp.get("/setup/okta/connect")
def connect() -> Response:
    """Start "Connect Okta" (in the popup): check inputs with Okta, then redirect to /authorize."""
    progress = store.get_progress(session=db.session)
    try:
        start = start_connect(
            session=db.session,
            admin=current_user,
            progress=progress,
            base_url=_base_url(),
            http=okta_services.http,
            box=okta_services.secret_box,
        )
    except ConnectProblem as problem:
        return _popup_result(problem=problem)
    db.session.commit()
    return make_response(redirect(start.authorize_url, code=302))


@bp.get("/callbacks/okta")
def callback() -> Response:
    """Okta's redirect back: finish the connection and tell the wizard (in the opener) how it went."""
    params = {key: request.args.get(key, "") for key in ("code", "state", "error", "error_description")}
    try:
        connection = complete_connect(
            session=db.session,
            admin=current_user,
            params=params,
            http=okta_services.http,
            box=okta_services.secret_box,
            tokens=okta_services.tokens,
            api_for=OktaApiFactory(tokens=okta_services.tokens, http=okta_services.http),
        )
    except ConnectProblem as problem:
        db.session.commit()  # keeps the attempt marked used
        return _popup_result(problem=problem)
    progress = store.get_progress(session=db.session)
    progress.completed_steps = list(range(1, STEP_COUNT + 1))
    progress.current_step = STEP_COUNT
    store.save_progress(session=db.session, progress=progress)
    db.session.commit()
    return _popup_result(connection_origin=connection.okta_origin)


def _popup_result(*, problem: ConnectProblem | None = None, connection_origin: str | None = None) -> Response:
    if problem is not None:
        store.record_connect_problem(
            session=db.session, code=problem.code, message=problem.message, step=problem.step
        )
        record_event(
            session=db.session,
            action="okta.connect_failed",
            actor=current_user,
            summary=f"{problem.code}: {problem.message}",
            ip_address=client_ip(),
        )
        db.session.commit()
    return render(
        "setup/popup_result.html",
        problem=problem,
        connection_origin=connection_origin,
        status=200 if problem is None else 400,
    )


@bp.post("/setup/okta/popup-closed")
def popup_closed() -> Response:
    """The wizard saw the Okta window close without a callback: most likely a redirect URI problem."""
    connection = store.get_connection(session=db.session)
    if connection is None or connection.status != CONNECTED:
        store.record_connect_problem(
            session=db.session, code="popup_closed", message=POPUP_CLOSED_MESSAGE, step=5
        )
        db.session.commit()
    return _wizard()


@bp.post("/setup/okta/verify")
def verify() -> Response:
    """Check the connection again (users, schema, count)."""
    connection = store.get_connection(session=db.session)
    if connection is None or connection.status != CONNECTED:
        return redirect_to(url_for("setup.okta"))
    try:
        verify_connection(
            session=db.session, connection=connection, api=okta_services.api(connection.okta_origin)
        )
        db.session.commit()
        notice = None
    except ConnectProblem as problem:
        db.session.rollback()
        notice = problem.message
    return _wizard(notice=notice)


@bp.post("/setup/okta/disconnect")
def disconnect_view() -> Response:
    """Disconnect: revoke at Okta, delete stored tokens, keep synced data."""
    result = disconnect(
        session=db.session, admin=current_user, http=okta_services.http, box=okta_services.secret_box
    )
    db.session.commit()
    if result is not None:
        message = (
            f"Disconnected from {urlsplit(result.origin).netloc}. "
            + (
                "Signet's access was revoked at Okta. "
                if result.revoked_at_okta
                else "Okta could not be reached to revoke Signet's access; revoke it in Okta "
                "(the app's Okta API Scopes or Tokens tab) to be sure. "
            )
            + "Teammates and signatures already synced are kept."
        )
        flash(message, "success" if result.revoked_at_okta else "warning")
    return redirect_to(url_for("setup.okta"))


@bp.app_context_processor
def okta_connection_banner() -> dict[str, Any]:
    """Every page learns whether Okta needs reconnecting, to show the banner until it is fixed."""
    if not current_user.is_authenticated:
        return {"okta_needs_reconnect": None}
    connection = store.get_connection(session=db.session)
    needs = connection is not None and connection.status == "needs_reconnect"
    return {"okta_needs_reconnect": connection.status_reason if needs and connection else None}
