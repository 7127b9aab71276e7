"""The Signatures pages: the list of templates, creating one (blank or from the gallery) and the editor
with its live preview. Publishing, versions and images live in `version_views` and `image_views`.

Forms work without JavaScript (real actions, a Preview button); with htmx the preview follows the
textarea as the admin types (debounced), rendering the text in the editor, not the saved draft.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, flash, g, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp.audit.record import audit_request
from webapp.extensions import db
from webapp.fields.models import SmartField
from webapp.fields.values import known_fields
from webapp.rendering import found_or_404, redirect_to, render, wants_fragment
from webapp.security import CONTENT_SECURITY_POLICY
from webapp.signature_templates import gallery, preview, store, versions
from webapp.signature_templates.images import base_url_problem
from webapp.signature_templates.models import (
    MAX_TEMPLATE_LENGTH,
    MAX_TEMPLATE_NAME_LENGTH,
    SignatureTemplate,
    TemplateStatus,
)
from webapp.signature_templates.sandbox import FILTER_HELP
from webapp.sources.okta.status import connection_summary

bp = Blueprint("signature_templates", __name__, url_prefix="/signatures")
MAX_ID = 2**31 - 1
EDITOR = "signature_templates/edit.html"
PREVIEW = "signature_templates/_preview.html"
# The signature preview is an <iframe sandbox srcdoc>, which inherits the page's CSP: its inline
# `style` attributes (what email HTML is made of) and https images (logos on other hosts) must be
# allowed there. Only pages showing a preview get this; no inline <style> element and no script.
# https://www.w3.org/TR/CSP3/#directive-style-src-attr
PREVIEW_PAGE_CSP = (
    CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", "img-src 'self' data: https:")
    + "; style-src-attr 'unsafe-inline'"
)
# Names listed on the publish review (the count covers everyone).
IMPACT_NAMES_SHOWN = 50
TAKEN = "Another template already has this name (archived ones count too). Choose another name."
_LINE_BREAKS = re.compile(r"[\t\r\n]")


def init_app(app: Flask) -> None:
    """Give templates the values they test (never retyped as literals)."""
    app.jinja_env.globals.update(
        TemplateStatus=TemplateStatus,
        STARTERS=gallery.STARTERS,
        BLANK_STARTER=gallery.BLANK,
        SAMPLE_TEAMMATE=preview.SAMPLE,
        MAX_TEMPLATE_LENGTH=MAX_TEMPLATE_LENGTH,
        MAX_TEMPLATE_NAME_LENGTH=MAX_TEMPLATE_NAME_LENGTH,
        IMPACT_NAMES_SHOWN=IMPACT_NAMES_SHOWN,
        TEMPLATE_FILTERS=FILTER_HELP,
    )


bp.record_once(lambda state: init_app(state.app))  # type: ignore[arg-type]


@bp.after_request
def _preview_csp(response: Response) -> Response:
    if g.get("shows_signature_preview"):
        response.headers["Content-Security-Policy"] = PREVIEW_PAGE_CSP
    return response


def shows_preview() -> None:
    """Mark this response as one showing a signature preview iframe (see `PREVIEW_PAGE_CSP`)."""
    g.shows_signature_preview = True


def use_read_only_session() -> None:
    """Give this POST a session that only reads: a POST's session otherwise opens its transactions
    with SQLite's `BEGIN IMMEDIATE` (the write lock), and previews arrive every half second of typing."""
    current = g.pop("db_session", None)
    if current is not None:
        current.close()
    g.db_session = db.new_session(writer=False)  # closed by the request's teardown like any other


def get_template_or_404(template_id: int) -> SignatureTemplate:
    """The template with this id (archived or not), or a 404 page."""
    return found_or_404(store.get_template(session=db.session, template_id=template_id))


def admin_email() -> str:
    """Who is acting, as stored on drafts and versions."""
    return str(getattr(current_user, "email", "") or "")[:254]


def base_url_warning() -> str | None:
    """Why signature images may not show in mail clients (BASE_URL not public https), or None."""
    base: str = current_app.config["BASE_URL"]
    problem = base_url_problem(base)
    if problem is None:
        return None
    return (
        f"Mail clients fetch signature images from this instance's BASE_URL ({base}), but {problem}. "
        "Set BASE_URL to Signet's public https address before using uploaded images."
    )


def name_error(name: str, *, except_id: int | None = None) -> str | None:
    """Why `name` can't be a template's name, or None."""
    if not name:
        return "Give the template a name, for example “Sales team”."
    if len(name) > MAX_TEMPLATE_NAME_LENGTH:
        return f"Use at most {MAX_TEMPLATE_NAME_LENGTH} characters ({len(name)} now)."
    if _LINE_BREAKS.search(name):
        return "Use a single line, without tabs or line breaks."
    if store.name_taken(session=db.session, name=name, except_id=except_id):
        return f"A template named “{name}” already exists (archived ones count too). Choose another name."
    return None


def html_error(html: str) -> str | None:
    """Why `html` can't be saved as a draft, or None (a draft may be unfinished: it is not compiled)."""
    if len(html) > MAX_TEMPLATE_LENGTH:
        return f"The template is {len(html):,} characters long; at most {MAX_TEMPLATE_LENGTH:,} are kept."
    return None


@bp.get("/")
def index() -> Response:
    """Every template with its status (Draft, Published vN, Unpublished changes) and last edit."""
    templates = store.list_templates(session=db.session)
    archived = store.list_templates(session=db.session, archived=True)
    ids = [template.id for template in templates + archived if template.id is not None]
    latest = store.published_versions(session=db.session, template_ids=ids)
    rows = [
        (template, latest.get(template.id or 0), store.status_of(template, latest.get(template.id or 0)))
        for template in templates
    ]
    context: dict[str, Any] = {"rows": rows, "archived": archived, "latest": latest}
    if not templates and not archived:
        context["okta_connected"] = connection_summary(session=db.session).is_connected
    return render("signature_templates/index.html", **context)


def _new_page(
    *, name: str = "", starter: str = gallery.BLANK, error: str | None = None, status: int = 200
) -> Response:
    if request.method != "GET":  # a refused create (rolled back): the gallery renders with no write lock
        use_read_only_session()
    shows_preview()
    fields = known_fields(session=db.session)
    values = preview.sample_values(fields)
    base = current_app.config["BASE_URL"]
    thumbnails = {
        item.key: preview.build_preview(item.html, values=values, known=(), base_url=base).document
        for item in gallery.STARTERS
    }
    return render(
        "signature_templates/new.html",
        status=status,
        name=name,
        starter=starter,
        name_error=error,
        thumbnails=thumbnails,
    )


@bp.get("/new")
def new() -> Response:
    """Create a template: a name, and a blank page or a layout from the starter gallery."""
    return _new_page()


@bp.post("/new")
def create() -> Response:
    """Create the template (its draft is the chosen layout) and open it in the editor."""
    name = request.form.get("name", "").strip()
    starter_key = request.form.get("starter", gallery.BLANK)
    starter = gallery.get_starter(starter_key)
    error = name_error(name)
    if error:
        db.session.rollback()
        kept = starter_key if starter else gallery.BLANK
        return _new_page(name=name[: MAX_TEMPLATE_NAME_LENGTH * 2], starter=kept, error=error, status=422)
    origin = f"from “{starter.name}”" if starter else "blank"
    try:
        template = store.create_template(
            session=db.session, name=name, html=starter.html if starter else "", by=admin_email()
        )
        audit_request("template.created", f"Created the signature template “{name}” ({origin})")  # commits
    except IntegrityError:  # the same name created at the same moment by another admin
        db.session.rollback()
        return _new_page(
            name=name, starter=starter_key if starter else gallery.BLANK, error=TAKEN, status=422
        )
    flash(f"Template “{name}” created. Edit it, then publish it when it is ready.", "success")
    return redirect_to(url_for("signature_templates.edit", template_id=template.id))


def editor_context(
    template: SignatureTemplate,
    *,
    name: str,
    html: str,
    teammate_id: int | None,
    errors: dict[str, str] | None = None,
    unsaved: bool = False,
    base_digest: str | None = None,
    conflict: versions.DraftConflict | None = None,
) -> dict[str, Any]:
    """Everything the editor page shows for `template` with the form holding `name` and `html`;
    `base_digest` is the draft the form was opened on (default: the saved draft), sent back on save."""
    assert template.id is not None
    fields = known_fields(session=db.session)
    latest = store.latest_version(session=db.session, template_id=template.id)
    return {
        "template": template,
        "name": name,
        "html": html,
        "errors": errors or {},
        "unsaved": unsaved,
        "template_status": store.status_of(template, latest),
        "latest": latest,
        "versions": store.list_versions(session=db.session, template_id=template.id),
        "fields": fields,
        "teammates": preview.preview_choices(session=db.session),
        "teammate_id": teammate_id,
        "preview": make_preview(html, fields=fields, teammate_id=teammate_id),
        "base_url_warning": base_url_warning(),
        "base_digest": base_digest or versions.draft_digest(template),
        "conflict": conflict,
        "conflict_hunks": versions.diff_lines(conflict.saved_html, html) if conflict else [],
        "LineChange": versions.LineChange,
    }


def make_preview(html: str, *, fields: list[SmartField], teammate_id: int | None) -> preview.Preview:
    """The preview of `html` for the chosen teammate (sample data when none is chosen or found)."""
    values, who = preview.preview_values(session=db.session, teammate_id=teammate_id, fields=fields)
    known = [smart_field.key for smart_field in fields]
    base = current_app.config["BASE_URL"]
    return preview.build_preview(html, values=values, known=known, base_url=base, who=who)


@bp.get(f"/<int(max={MAX_ID}):template_id>")
def edit(template_id: int) -> Response:
    """The editor: name, template HTML with a smart-field toolbar, live preview, versions."""
    template = get_template_or_404(template_id)
    teammate_id = preview.parse_teammate_choice(request.args.get("teammate"))
    shows_preview()
    context = editor_context(template, name=template.name, html=template.draft_html, teammate_id=teammate_id)
    return render(EDITOR, **context)


@bp.post(f"/<int(max={MAX_ID}):template_id>")
def save(template_id: int) -> Response:
    """Save the draft (teammates keep the published version); `action=publish` then asks to publish.
    A save from an editor opened on an older draft than the saved one is refused (409), its text kept."""
    get_template_or_404(template_id)
    name = request.form.get("name", "").strip()
    html = request.form.get("html", "")
    errors = {
        key: message
        for key, message in (("name", name_error(name, except_id=template_id)), ("html", html_error(html)))
        if message
    }
    if errors:
        db.session.rollback()
        return _editor_error(template_id, name=name, html=html, errors=errors)
    publish_next = request.form.get("action") == "publish"
    try:
        # The check against the draft the editor was opened on and the write: one short transaction.
        changed = versions.save_draft(
            session=db.session,
            template_id=template_id,
            base_digest=request.form.get("draft_digest"),
            name=name,
            html=html,
            by=admin_email(),
        )
        if changed:
            audit_request("template.saved", f"Saved the draft of the signature template “{name}”")  # commits
    except versions.DraftConflict as conflict:  # another admin saved since: theirs stays, ours is shown
        db.session.rollback()
        return _editor_error(template_id, name=name, html=html, conflict=conflict)
    except IntegrityError:  # the name was taken at the same moment by another admin
        db.session.rollback()
        return _editor_error(template_id, name=name, html=html, errors={"name": TAKEN})
    if not changed:
        db.session.rollback()
    if not publish_next:
        if changed:
            flash("Draft saved. Teammates keep the published version until you publish.", "success")
        else:
            flash("Nothing changed since the last save.", "info")
    if publish_next:
        return redirect_to(url_for("signature_templates.publish", template_id=template_id))
    # The editor comes back previewing the same teammate.
    teammate_id = preview.parse_teammate_choice(request.form.get("teammate_id"))
    return redirect_to(url_for("signature_templates.edit", template_id=template_id, teammate=teammate_id))


def _editor_error(
    template_id: int,
    *,
    name: str,
    html: str,
    errors: dict[str, str] | None = None,
    conflict: versions.DraftConflict | None = None,
) -> Response:
    """The editor again with what was typed and the errors next to the fields (422), or, when another
    admin saved the draft since this editor was opened, with their draft's diff (409). A conflict's
    form carries the new base, so saving again overwrites deliberately; otherwise it keeps the base
    the admin's editor was opened on."""
    use_read_only_session()  # the failed save was rolled back; the preview renders with no write lock
    shows_preview()
    template = get_template_or_404(template_id)  # reloaded: the failed save was rolled back
    teammate_id = preview.parse_teammate_choice(request.form.get("teammate_id"))
    context = editor_context(
        template,
        name=name[: MAX_TEMPLATE_NAME_LENGTH * 2],
        html=html,
        teammate_id=teammate_id,
        errors=errors,
        unsaved=True,
        base_digest=conflict.digest if conflict else request.form.get("draft_digest"),
        conflict=conflict,
    )
    return render(EDITOR, status=409 if conflict else 422, **context)


@bp.post(f"/<int(max={MAX_ID}):template_id>/preview")
def preview_draft(template_id: int) -> Response:
    """Render the text in the editor (not saved) for the chosen teammate: htmx gets the preview
    region, a plain form the whole editor with the preview filled in. A refused template: 422."""
    use_read_only_session()  # before the first query: a preview writes nothing
    template = get_template_or_404(template_id)
    html = request.form.get("html", "")
    teammate_id = preview.parse_teammate_choice(request.form.get("teammate_id"))
    shows_preview()
    if wants_fragment():
        fields = known_fields(session=db.session)
        shown = make_preview(html, fields=fields, teammate_id=teammate_id)
        return render(EDITOR, partial=PREVIEW, status=422 if shown.refused else 200, preview=shown)
    name = request.form.get("name", template.name).strip()
    context = editor_context(  # keeps the base the editor was opened on: a preview is not a reload
        template,
        name=name[: MAX_TEMPLATE_NAME_LENGTH * 2],
        html=html,
        teammate_id=teammate_id,
        unsaved=True,
        base_digest=request.form.get("draft_digest"),
    )
    return render(EDITOR, status=422 if context["preview"].refused else 200, **context)


@bp.post(f"/<int(max={MAX_ID}):template_id>/archive")
def archive(template_id: int) -> Response:
    """Archive the template: it leaves the list; teammates already assigned to it keep its version."""
    template = get_template_or_404(template_id)
    store.set_archived(session=db.session, template=template, archived=True)
    audit_request("template.archived", f"Archived the signature template “{template.name}”")  # commits
    flash(
        f"“{template.name}” archived. Assignments that use it keep working until you change them.", "success"
    )
    return redirect_to(url_for("signature_templates.index"))


@bp.post(f"/<int(max={MAX_ID}):template_id>/unarchive")
def unarchive(template_id: int) -> Response:
    """Bring an archived template back to the list."""
    template = get_template_or_404(template_id)
    store.set_archived(session=db.session, template=template, archived=False)
    audit_request("template.unarchived", f"Brought back the signature template “{template.name}”")  # commits
    flash(f"“{template.name}” is back in the list.", "success")
    return redirect_to(url_for("signature_templates.edit", template_id=template_id))


# The other pages of this blueprint register their routes on `bp` when imported.
from webapp.signature_templates import image_views, usage, version_views  # noqa: E402, F401

usage.register()
