"""Guided setup: the ten-step "Connect Okta" wizard, its live checks, and Okta's callback."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, make_response, redirect, request, url_for
from flask_login import current_user

from webapp.audit.record import audit_request
from webapp.extensions import db
from webapp.rendering import base_url, redirect_to, render, wants_fragment
from webapp.request_guard import changes_state_on_get, secret_query
from webapp.sources.base import source_connected
from webapp.sources.okta import store, wizard
from webapp.sources.okta.connect import (
    ConnectProblem,
    complete_connect,
    disconnect,
    redirect_uri_for,
    start_connect,
    verify_connection,
)
from webapp.sources.okta.directory import SOURCE_KEY
from webapp.sources.okta.inputs import ClientIdCheck, DomainCheck, check_client_id
from webapp.sources.okta.models import ConnectionStatus
from webapp.sources.okta.service import okta_services
from webapp.sources.okta.status import connection_summary
from webapp.sources.okta.status import init_app as init_status
from webapp.sources.okta.wizard import STEP_COUNT, STEP_REDIRECT_URI, STEPS

bp = Blueprint("setup", __name__)
# Registering the blueprint also gives templates the Okta constants and the reconnect banner.
bp.record_once(lambda state: init_status(state.app))  # type: ignore[arg-type]
POPUP_CLOSED_MESSAGE = (
    "The Okta window closed before Signet heard back. If Okta showed an error about the redirect URI "
    "(“redirect_uri must be a Login redirect URI”), check the Sign-in redirect URI in step 5 and connect "
    "again."
)
# Browsers label every request with where it came from (https://developer.mozilla.org/docs/Web/HTTP/
# Headers/Sec-Fetch-Site); starting a connection is only allowed from Signet's own pages or a typed URL.
ALLOWED_FETCH_SITES = {"same-origin", "none"}


def _wizard(
    *,
    status: int = 200,
    shown_step: int | None = None,
    domain_check: DomainCheck | None = None,
    client_id_check: ClientIdCheck | None = None,
    notice: str | None = None,
    check_failed: bool = False,
) -> Response:
    """The wizard page (or its region for htmx), showing `shown_step` or the saved one.

    Every htmx answer pushes the address of what it shows, so the address always names the step on
    screen and a reload shows the same thing (https://htmx.org/headers/hx-push-url/).
    """
    progress = store.get_progress(session=db.session)
    summary = connection_summary(session=db.session)
    connected_view = summary.status != ConnectionStatus.DISCONNECTED and shown_step is None
    step = wizard.step(shown_step or progress.current_step)
    browser_origin = f"{request.scheme}://{request.host}"
    base_origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url()))
    response = render(
        "sources/okta/okta.html",
        partial="sources/okta/_wizard.html",
        status=status,
        page_title="Okta connection"
        if connected_view
        else f"Step {step.number} of {STEP_COUNT}: {step.title}",
        progress=progress,
        okta=summary,
        connection=summary.connection,
        connected_view=connected_view,
        steps=STEPS,
        step=step,
        step_count=STEP_COUNT,
        redirect_uri=redirect_uri_for(base_url()),
        base_url_mismatch=browser_origin != base_origin,
        browser_origin=browser_origin,
        domain_check=domain_check,
        client_id_check=client_id_check,
        notice=notice,
        check_failed=check_failed,
    )
    if wants_fragment():
        shown = url_for("setup.okta") if connected_view else url_for("setup.okta", step=step.number)
        response.headers["HX-Push-Url"] = shown
    return response


def _page_title(step: wizard.Step, *, connected_view: bool) -> str:
    """The document title names where the admin is: the connection, or the step and its title."""
    return "Okta connection" if connected_view else f"Step {step.number} of {STEP_COUNT}: {step.title}"


@bp.get("/setup/okta")
def okta() -> Response:
    """The wizard (resuming at the saved step), or the connection's status once connected."""
    requested = request.args.get("step", type=int)
    return _wizard(shown_step=min(max(requested, 1), STEP_COUNT) if requested else None)


@bp.post("/setup/okta")
def complete_step_here() -> Response:
    """The step form posts to the step's own address (`?step=N`), so after an error shown without
    JavaScript the address still names the step."""
    return complete_step(request.args.get("step", default=0, type=int))


@bp.post("/setup/okta/steps/<int:number>")
def complete_step(number: int) -> Response:
    """Mark a step done (saving what was typed on steps 7 and 8) and move to the next one."""
    if not 1 <= number <= STEP_COUNT:
        return _wizard(status=404)
    refused = wizard.save_step_input(session=db.session, number=number, form=request.form)
    progress = store.get_progress(session=db.session)
    domain_input, client_id_input = progress.domain_input, progress.client_id_input
    db.session.commit()  # what was typed is kept before Okta is asked anything (STYLE §5)
    if refused is not None:
        return _step_not_done(refused)
    domain = client_problem = None
    if number == wizard.STEP_DOMAIN:
        domain, client_problem = wizard.live_domain_check(
            raw=domain_input,
            client_id_input=client_id_input,
            http=okta_services.http,
            redirect_uri=redirect_uri_for(base_url()),
        )
    outcome = wizard.finish_step(
        session=db.session, number=number, domain=domain, client_problem=client_problem
    )
    db.session.commit()
    if outcome.domain_check or outcome.client_id_check:
        return _step_not_done(outcome)
    return _show_step(outcome.shown_step, notice=outcome.notice)


def _step_not_done(outcome: wizard.StepOutcome) -> Response:
    """Re-show the step with what is wrong (422), at the step's own address."""
    status = 422 if outcome.domain_check or outcome.client_id_check else 200
    return _wizard(
        status=status,
        shown_step=outcome.shown_step,
        domain_check=outcome.domain_check,
        client_id_check=outcome.client_id_check,
    )


def _show_step(number: int, *, notice: str | None = None) -> Response:
    """Move on to step `number`: a 303 to its address without JavaScript, the new step for htmx."""
    if not wants_fragment():
        if notice:
            flash(notice, "warning")
        return make_response(redirect(url_for("setup.okta", step=number), code=303))
    return _wizard(shown_step=number, notice=notice)


@bp.post("/setup/okta/check-domain")
def check_domain() -> Response:
    """Live check of the Okta domain as typed (saved as a draft, so nothing typed is lost)."""
    progress = wizard.save_draft(session=db.session, domain=request.form.get("domain", ""))
    domain_input, client_id_input = progress.domain_input, progress.client_id_input
    db.session.commit()  # no transaction is open while Okta is asked
    check, client_problem = wizard.live_domain_check(
        raw=domain_input,
        client_id_input=client_id_input,
        http=okta_services.http,
        redirect_uri=redirect_uri_for(base_url()),
    )
    notice = client_problem.message if client_problem else None
    return render("sources/okta/_domain_feedback.html", domain_check=check, notice=notice)


@bp.post("/setup/okta/check-client-id")
def check_client_id_view() -> Response:
    """Live check of the Client ID's shape (saved as a draft)."""
    typed = request.form.get("client_id", "")
    wizard.save_draft(session=db.session, client_id=typed)  # a client secret is never kept
    db.session.commit()
    return render("sources/okta/_client_id_feedback.html", client_id_check=check_client_id(typed))


@bp.get("/setup/okta/connect")
@changes_state_on_get
def connect() -> Response:
    """Start "Connect Okta" (in the popup): check inputs with Okta, then redirect to /authorize.

    A GET because it must work as a plain link; it refuses cross-site requests so another site
    can't start (and, with a remembered Okta consent, complete) a connection in the admin's name.
    """
    if request.headers.get("Sec-Fetch-Site", "none") not in ALLOWED_FETCH_SITES:
        return _popup_result(
            problem=ConnectProblem(
                "cross_site", "Start the connection from Signet's Setup page.", step=wizard.STEP_CONNECT
            ),
            record=False,
        )
    try:
        start = start_connect(
            session=db.session,
            admin=current_user,
            base_url=base_url(),
            http=okta_services.http,
            box=okta_services.secret_box,
        )
    except ConnectProblem as problem:
        return _popup_result(problem=problem)
    return make_response(redirect(start.authorize_url, code=302))


@bp.get("/callbacks/okta")
@changes_state_on_get
@secret_query
def callback() -> Response:
    """Okta's redirect back: finish the connection and tell the wizard (in the opener) how it went."""
    params = {key: request.args.get(key, "") for key in ("code", "state", "error", "error_description")}
    if not params["state"]:
        # Not from Okta, or the address kept after signing in (the code never travels in `next`):
        # the wizard says where the connection stands.
        return redirect_to(url_for("setup.okta"))
    try:
        connection = complete_connect(
            session=db.session,
            admin=current_user,
            params=params,
            http=okta_services.http,
            box=okta_services.secret_box,
            tokens=okta_services.tokens,
        )
    except ConnectProblem as problem:
        return _popup_result(problem=problem)
    wizard.mark_all_steps_done(session=db.session)
    store.clear_connect_problem(session=db.session)
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's real app
    source_connected.send(app, source=SOURCE_KEY)  # the sync area starts the first full sync
    return _popup_result(connection_origin=connection.okta_origin)


def _popup_result(
    *, problem: ConnectProblem | None = None, connection_origin: str | None = None, record: bool = True
) -> Response:
    if problem is not None and record:
        store.record_connect_problem(
            session=db.session, code=problem.code, message=problem.message, step=problem.step
        )
        audit_request("okta.connect_failed", f"{problem.code}: {problem.message}")  # commits
    return render(
        "sources/okta/popup_result.html",
        problem=problem,
        connection_origin=connection_origin,
        status=200 if problem is None else 400,
    )


@bp.post("/setup/okta/popup-closed")
def popup_closed() -> Response:
    """The Okta window closed: if Okta never called back, the redirect URI is the likely cause.

    The server decides, not the timing in the browser: a callback that did arrive (with its own,
    more specific problem) is never overwritten.
    """
    if store.callback_pending(session=db.session, admin_id=current_user.id):
        store.record_connect_problem(
            session=db.session, code="popup_closed", message=POPUP_CLOSED_MESSAGE, step=STEP_REDIRECT_URI
        )
        db.session.commit()
    return _wizard()


@bp.post("/setup/okta/verify")
def verify() -> Response:
    """Check the connection again: a live read of users and of the schema (two API calls)."""
    connection = store.get_connection(session=db.session)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return redirect_to(url_for("setup.okta"))
    notice = None
    try:
        verify_connection(session=db.session, api=okta_services.api(connection.okta_origin))
    except ConnectProblem as problem:
        notice = problem.message
    if not wants_fragment():
        if notice:
            flash(notice, "warning")
        return redirect_to(url_for("setup.okta"))
    return _wizard(notice=notice, check_failed=notice is not None)


@bp.post("/setup/okta/disconnect")
def disconnect_view() -> Response:
    """Disconnect: delete stored tokens, revoke at Okta, keep synced data."""
    result = disconnect(
        session=db.session, admin=current_user, http=okta_services.http, box=okta_services.secret_box
    )
    wizard.mark_disconnected(session=db.session)
    db.session.commit()
    if result is not None:
        host = urlsplit(result.origin).netloc
        revoked = (
            "Signet's access was revoked at Okta. "
            if result.revoked_at_okta
            else "Okta could not be reached to revoke Signet's access; revoke it in Okta "
            "(the app's Okta API Scopes or Tokens tab) to be sure. "
        )
        flash(
            f"Disconnected from {host}. {revoked}Teammates and signatures already synced are kept.",
            "success" if result.revoked_at_okta else "warning",
        )
    return redirect_to(url_for("setup.okta"))
