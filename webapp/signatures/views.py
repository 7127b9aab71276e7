"""The Teammate signatures pages: everyone's latest signature changes, each teammate's signature
history with causes and diffs, sandboxed previews, and "render every signature again"."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, flash, make_response, request, url_for
from flask_login import current_user

from webapp.audit.record import audit_request
from webapp.extensions import db
from webapp.rendering import found_or_404, redirect_to, render, wants_fragment
from webapp.signature_templates.impact import register_publish_impact
from webapp.signatures import queries, store
from webapp.signatures.causes import Cause
from webapp.signatures.diff import DiffKind, signature_diff
from webapp.signatures.impact import publish_impact
from webapp.signatures.listeners import connect_listeners
from webapp.signatures.models import CauseKind, SignatureChange
from webapp.signatures.panel import PANEL
from webapp.signatures.service import rerender
from webapp.teammates import store as teammates
from webapp.teammates.models import Teammate
from webapp.teammates.panels import (
    TableColumn,
    TableExtension,
    TableFilter,
    register_detail_panel,
    register_table_extension,
)

bp = Blueprint("signatures", __name__, url_prefix="/teammate-signatures")
MAX_ID = 2**31 - 1
MISSING_DATA_ENDPOINT = "fields.missing"
PAGE_NUMBER = re.compile(r"[0-9]{1,7}")
# The preview is the signature alone, framed by Signet's pages: its own policy allows the inline
# styles every email signature uses (a srcdoc frame would inherit the page's stricter policy),
# runs no script (sandbox), and may be framed only by Signet itself.
PREVIEW_POLICY = "; ".join(
    [
        "default-src 'none'",
        "img-src https: http: data:",
        "style-src 'unsafe-inline'",
        "sandbox",
        "frame-ancestors 'self'",
    ]
)
PREVIEW_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signature preview</title></head>'
    '<body style="margin:12px;background:#fff">{}</body></html>'
)
TABLE_EXTENSION = TableExtension(
    key="signature",
    column=TableColumn(
        heading="Signature", template="signatures/_table_cell.html", values=queries.table_cells
    ),
    filter=TableFilter(
        name="template",
        label="Template",
        any_label="Any template",
        choices=queries.template_choices,
        teammate_ids=queries.teammates_with_template_query,
    ),
)


def init_app(app: Flask) -> None:
    """Connect the re-rendering listeners and fill the registries other areas draw from."""
    app.jinja_env.globals.update(
        SignatureDiffKind=DiffKind,
        SignatureCauseKind=CauseKind,
        SignatureAssignmentKind=queries.AssignmentKind,
        SignatureNoTemplate=queries.NO_SIGNATURE,
    )
    connect_listeners(app)
    register_detail_panel(PANEL)
    register_table_extension(TABLE_EXTENSION)
    register_publish_impact(publish_impact)


bp.record_once(lambda state: init_app(state.app))  # type: ignore[arg-type]


def missing_data_url() -> str | None:
    """The smart fields area's "Missing data" view, if it has one."""
    return url_for(MISSING_DATA_ENDPOINT) if MISSING_DATA_ENDPOINT in current_app.view_functions else None


def _page_number() -> int:
    page = request.args.get("page", "")
    return max(1, int(page)) if PAGE_NUMBER.fullmatch(page) else 1


def _teammate_or_404(teammate_id: int) -> Teammate:
    return found_or_404(teammates.get_teammate(session=db.session, teammate_id=teammate_id))


@bp.get("/")
def index() -> Response:
    """Signatures at a glance: how many teammates have one, render errors, and everyone's latest
    changes (paged; htmx gets only the list)."""
    page = _page_number()
    total = store.count_changes(session=db.session)
    pages = max(1, -(-total // queries.CHANGES_PAGE_SIZE))
    page = min(page, pages)
    changes = store.latest_changes(
        session=db.session, limit=queries.CHANGES_PAGE_SIZE, offset=(page - 1) * queries.CHANGES_PAGE_SIZE
    )
    context: dict[str, Any] = {
        "rows": queries.change_rows(session=db.session, changes=changes),
        "page_number": page,
        "pages": pages,
        "total": total,
    }
    if not wants_fragment():
        context["summary"] = queries.signature_summary(session=db.session, latest=0)
        context["missing_data_url"] = missing_data_url()
    return render("signatures/index.html", partial="signatures/_changes.html", **context)


@bp.post("/render-all")
def render_all() -> Response:
    """Render every signature again now (after fixing a template, or to be sure all are current)."""
    actor = str(getattr(current_user, "email", "") or "")
    audit_request("signatures.rendered_all", "Rendered every signature again")  # commits
    result = rerender(teammate_ids=None, cause=Cause(CauseKind.MANUAL, actor=actor))
    message = f"Rendered {result.rendered:,} signatures: {result.changed:,} changed."
    if result.failed:
        message += f" {result.failed:,} could not be rendered (see the errors below)."
    flash(message, "success" if not result.failed else "warning")
    return redirect_to(url_for("signatures.index"))


@bp.get(f"/<int(max={MAX_ID}):teammate_id>")
def history(teammate_id: int) -> Response:
    """A teammate's signature now (preview and plain text) and its history: when it changed, why,
    with which template version and rule (paged; htmx gets only the history)."""
    teammate = _teammate_or_404(teammate_id)
    found = store.history_page(session=db.session, teammate_id=teammate_id, page=_page_number())
    context: dict[str, Any] = {
        "teammate": teammate,
        "teammate_name": _name(teammate),
        "history": found,
        "rows": queries.change_rows(
            session=db.session, changes=found.changes, names={teammate_id: _name(teammate)}
        ),
    }
    if not wants_fragment():
        signature = store.signature_for_teammate(session=db.session, teammate_id=teammate_id)
        context["signature"] = signature
        context["template_name"] = (
            queries.template_names(session=db.session).get(signature.template_id, "") if signature else ""
        )
    return render("signatures/history.html", partial="signatures/_history.html", **context)


@bp.get(f"/<int(max={MAX_ID}):teammate_id>/changes/<int(max={MAX_ID}):change_id>")
def change(teammate_id: int, change_id: int) -> Response:
    """One history entry against the one before it: why it changed, and the diff of the plain text
    and of the HTML (added and removed lines marked with + and −, and in words)."""
    teammate = _teammate_or_404(teammate_id)
    entry = found_or_404(store.get_change(session=db.session, teammate_id=teammate_id, change_id=change_id))
    row = queries.change_rows(session=db.session, changes=[entry], names={teammate_id: _name(teammate)})[0]
    before = row.previous
    diff = signature_diff(
        old_text=before.text if before else "",
        new_text=entry.text,
        old_html=before.html if before else "",
        new_html=entry.html,
    )
    return render(
        "signatures/change.html",
        partial="signatures/_diff.html",
        teammate=teammate,
        teammate_name=_name(teammate),
        row=row,
        diff=diff,
        later=store.next_change(session=db.session, change=entry),
    )


@bp.get(f"/<int(max={MAX_ID}):teammate_id>/preview")
def preview(teammate_id: int) -> Response:
    """The teammate's current signature alone, for the sandboxed preview frame."""
    signature = found_or_404(store.signature_for_teammate(session=db.session, teammate_id=teammate_id))
    return _preview(signature.html)


@bp.get(f"/<int(max={MAX_ID}):teammate_id>/changes/<int(max={MAX_ID}):change_id>/preview")
def change_preview(teammate_id: int, change_id: int) -> Response:
    """One history entry's signature alone, for the sandboxed preview frame."""
    entry: SignatureChange = found_or_404(
        store.get_change(session=db.session, teammate_id=teammate_id, change_id=change_id)
    )
    return _preview(entry.html)


def _preview(html: str) -> Response:
    # The HTML was rendered by the sandboxed renderer and cleaned (nh3) before it was stored.
    response = make_response(PREVIEW_PAGE.format(html))
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


def _name(teammate: Teammate) -> str:
    return teammate.display_name or teammate.email or f"Teammate {teammate.id}"
