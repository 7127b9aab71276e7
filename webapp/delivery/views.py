"""The Delivery page: channels, every active teammate's private link (copy, create, regenerate,
revoke), "Create links for everyone" and the CSV of all links; plus the teammate-page panel.

Pages that show links carry secrets: they are served `Cache-Control: no-store` (webapp.security does
that for every signed-in page) and the CSV is a POST download, never a URL a browser keeps.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from enum import StrEnum
from typing import Any, cast

from flask import Blueprint, Flask, Response, flash, request, url_for
from flask_login import current_user
from sqlalchemy import orm
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from webapp.audit.record import audit_request
from webapp.delivery import api, api_token_views, links, private_page
from webapp.delivery.base import channels
from webapp.delivery.channels import init_channels
from webapp.delivery.redaction import install_log_redaction
from webapp.delivery.web import no_store, private_url, secret_box, teammate_name
from webapp.extensions import csrf, db
from webapp.rendering import found_or_404, redirect_to, render, wants_fragment
from webapp.spreadsheets import formula_safe
from webapp.teammates.models import Teammate
from webapp.teammates.panels import DetailPanel, register_detail_panel
from webapp.teammates.store import get_teammate

bp = Blueprint("delivery", __name__, url_prefix="/delivery")
# Ids are 32-bit integers in every database Signet supports; a larger one in a URL is simply not found.
MAX_ID = 2**31 - 1
MAX_SEARCH_LENGTH = 200
LINKS_TABLE = "delivery/_links.html"
LINK_ROW = "delivery/_link_row.html"
PANEL = "delivery/_teammate_panel.html"
CSV_COLUMNS = ("name", "email", "link")
PROBE_TOKEN = "token"  # noqa: S105 - a placeholder to cut the shared prefix off


class LinkPlace(StrEnum):
    """Where a link's buttons were pressed, so the answer redraws (or redirects to) that place."""

    DELIVERY = "delivery"  # a row of the Delivery page's table
    TEAMMATE = "teammate"  # the panel on the teammate's page


def panel_context(session: orm.Session, teammate: Teammate) -> dict[str, Any]:
    """The "Private signature link" panel on a teammate's page (the panel registry's signature)."""
    row = links.link_row(session=cast(Session, session), teammate=teammate)
    return {"teammate": teammate, **_entry(row)}


def init_app(app: Flask) -> None:
    """Wire the area: the log redaction, channels, the teammate panel, the public and API routes."""
    install_log_redaction()
    init_channels()
    app.jinja_env.globals.update(LinkPlace=LinkPlace)
    register_detail_panel(DetailPanel(key="delivery", template=PANEL, context=panel_context, order=70))
    csrf.exempt(api.bp)  # bearer tokens, no cookies: nothing for a cross-site form to ride on
    for blueprint in (private_page.bp, api.bp, api_token_views.bp):
        app.register_blueprint(blueprint)


bp.record_once(lambda state: init_app(state.app))  # type: ignore[arg-type]


def _entry(row: links.LinkRow) -> dict[str, Any]:
    token = links.token_of(row.link, secret_box()) if row.link else None
    return {"row": row, "name": teammate_name(row.teammate), "url": private_url(token) if token else None}


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 1


@bp.get("/")
def index() -> Response:
    """Channels, how many teammates have a link, and every active teammate's link (paged, searchable)."""
    search = request.args.get("q", "")[:MAX_SEARCH_LENGTH]
    page = links.link_page(session=db.session, page=_page_number(), search=search)
    context: dict[str, Any] = {
        "result": page,
        "entries": [_entry(row) for row in page.rows],
        "search": search,
    }
    if not wants_fragment():
        context["channels"] = [(channel, channel.describe(session=db.session)) for channel in channels()]
        context["with_link"] = links.count_active_links(session=db.session)
        context["active_count"] = links.count_active_teammates(session=db.session)
        context["signed_count"] = links.count_active_signed(session=db.session)
    return render("delivery/index.html", partial=LINKS_TABLE, **context)


@bp.post("/links")
def create_all() -> Response:
    """Create a link for every active teammate who has none (existing links are kept)."""
    # Read, encrypt with no transaction open, then write briefly (PITFALLS 7.1).
    with db.session_scope(writer=False) as reading:
        missing = links.teammates_without_link(session=reading)
    rows = links.prepare_links(teammate_ids=missing, box=secret_box(), created_by=current_user.email)
    try:
        created = links.insert_links(session=db.session, rows=rows)
    except IntegrityError:  # another admin did the same at the same moment
        db.session.rollback()
        flash("Links were being created at the same time elsewhere. Try again.", "error")
        return redirect_to(url_for("delivery.index"))
    if created:
        audit_request("delivery.links_created", f"Created private links for {created} teammates")
        flash(f"Created {created} private link{'s' if created != 1 else ''}.", "success")
    else:
        flash("Every active teammate already has a link.", "info")
    return redirect_to(url_for("delivery.index"))


@bp.post("/links.csv")
def export_csv() -> Response:
    """Download every active link as CSV (name, email, link) to send them out by mail merge."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    # One url_for for the whole file: the prefix every link shares.
    prefix = private_url(PROBE_TOKEN).removesuffix(PROBE_TOKEN)
    # Read and decrypt (about a second for 10,000) with no write transaction open (PITFALLS 7.1).
    with db.session_scope(writer=False) as reading:
        for exported in links.export_links(session=reading, box=secret_box()):
            writer.writerow(
                [formula_safe(exported.name), formula_safe(exported.email), prefix + exported.token]
            )
            count += 1
    audit_request("delivery.links_exported", f"Downloaded {count} private links as CSV")
    response = Response(out.getvalue(), mimetype="text/csv")
    filename = f"signet-private-links-{date.today().isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return no_store(response)


def _place() -> LinkPlace:
    value = request.form.get("place", "")
    return LinkPlace(value) if value in set(LinkPlace) else LinkPlace.DELIVERY


def _answer(teammate: Teammate, place: LinkPlace, message: str) -> Response:
    """Redraw the place the buttons were in (htmx), or go back to it with a notice (plain form)."""
    assert teammate.id is not None
    if not wants_fragment():
        flash(message, "success")
        if place is LinkPlace.TEAMMATE:
            return redirect_to(
                url_for("teammates.detail", teammate_id=teammate.id, _anchor="teammate-delivery")
            )
        return redirect_to(url_for("delivery.index") + "#delivery-links")
    if place is LinkPlace.TEAMMATE:
        return render(PANEL, panel=panel_context(db.session, teammate), notice=message)
    return render(
        LINK_ROW, entry=_entry(links.link_row(session=db.session, teammate=teammate)), notice=message
    )


@bp.post(f"/links/<int(max={MAX_ID}):teammate_id>")
def issue(teammate_id: int) -> Response:
    """Create the teammate's link, or regenerate it (the old link stops working at once)."""
    teammate = found_or_404(get_teammate(session=db.session, teammate_id=teammate_id))
    try:
        _, _, replaced = links.issue_link(
            session=db.session, box=secret_box(), teammate_id=teammate_id, created_by=current_user.email
        )
    except IntegrityError:
        db.session.rollback()
        return _answer(teammate, _place(), "The link was changed at the same time elsewhere. Try again.")
    name = teammate_name(teammate)
    if replaced:
        audit_request("delivery.link_regenerated", f"Regenerated the private link of {name}")
        message = f"New link for {name}. The old link no longer works."
    else:
        audit_request("delivery.link_created", f"Created a private link for {name}")
        message = f"Private link created for {name}."
    return _answer(teammate, _place(), message)


@bp.post(f"/links/<int(max={MAX_ID}):teammate_id>/revoke")
def revoke(teammate_id: int) -> Response:
    """Turn the teammate's link off: it answers 404, like a link that never existed."""
    teammate = found_or_404(get_teammate(session=db.session, teammate_id=teammate_id))
    name = teammate_name(teammate)
    if links.revoke_link(session=db.session, teammate_id=teammate_id):
        audit_request("delivery.link_revoked", f"Revoked the private link of {name}")
        message = f"The private link of {name} is turned off."
    else:
        message = f"{name} had no private link."
    return _answer(teammate, _place(), message)
