"""Publishing a template (with a confirmation showing how many teammates it changes), restoring a
version into the draft, and comparing two versions (or a version and the draft)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, request, url_for
from sqlalchemy.exc import IntegrityError

from webapp.audit.record import audit_request
from webapp.extensions import db
from webapp.fields.values import known_fields
from webapp.rendering import found_or_404, redirect_to, render
from webapp.signature_templates import impact, store, versions
from webapp.signature_templates.models import SignatureTemplate
from webapp.signature_templates.renderer import template_warnings
from webapp.signature_templates.versions import DRAFT, LineChange, PublishRefused
from webapp.signature_templates.views import MAX_ID, admin_email, bp, get_template_or_404

PUBLISH = "signature_templates/publish.html"


def _publish_page(
    template: SignatureTemplate, *, error: str | None = None, status: int = 200, with_impact: bool = True
) -> Response:
    assert template.id is not None
    latest = store.latest_version(session=db.session, template_id=template.id)
    problem = versions.publish_problem(template, latest)
    context: dict[str, Any] = {
        "template": template,
        "latest": latest,
        "next_number": (latest.number if latest else 0) + 1,
        "problem": problem.message if problem else None,
        "error": error,
        "digest": versions.draft_digest(template),
        "impact": None,
        "warnings": [],
    }
    if problem is None and with_impact:
        # Possibly slow (rendering for every assigned teammate): only on the GET, which holds no write
        # lock; a refused POST shows its error without it (PITFALLS 7.1).
        context["impact"] = impact.publish_impact(db.session, template.id, template.draft_html)
        context["warnings"] = template_warnings(
            template.draft_html, known_fields=_known_keys(), rendered=None
        )
    return render(PUBLISH, status=status, **context)


def _known_keys() -> list[str]:
    return [field.key for field in known_fields(session=db.session)]


@bp.get(f"/<int(max={MAX_ID}):template_id>/publish")
def publish(template_id: int) -> Response:
    """Review before publishing: the version number and how many teammates' signatures change."""
    return _publish_page(get_template_or_404(template_id))


@bp.post(f"/<int(max={MAX_ID}):template_id>/publish")
def publish_confirmed(template_id: int) -> Response:
    """Publish the reviewed draft as the next version; teammates assigned to it get it."""
    template = get_template_or_404(template_id)
    try:
        version = versions.publish(
            session=db.session,
            template_id=template_id,
            reviewed_digest=request.form.get("draft_digest", ""),
            by=admin_email(),
        )
        summary = f"Published version {version.number} of the signature template “{template.name}”"
        audit_request("template.published", summary)  # commits
    except PublishRefused as refusal:
        db.session.rollback()
        return _publish_page(
            get_template_or_404(template_id), error=refusal.message, status=refusal.status, with_impact=False
        )
    except IntegrityError:  # another admin published the same number at the same moment (PostgreSQL)
        db.session.rollback()
        message = "Someone else published this template at the same moment. Review it again."
        return _publish_page(get_template_or_404(template_id), error=message, status=409, with_impact=False)
    versions.announce_published(current_app._get_current_object(), version)  # type: ignore[attr-defined]
    flash(
        f"Published version {version.number}. Teammates assigned to “{template.name}” now get it.", "success"
    )
    return redirect_to(url_for("signature_templates.edit", template_id=template_id))


@bp.post(f"/<int(max={MAX_ID}):template_id>/versions/<int(max={MAX_ID}):number>/restore")
def restore(template_id: int, number: int) -> Response:
    """Copy a version into the draft; nothing is published until the admin publishes."""
    template = get_template_or_404(template_id)
    version = found_or_404(store.get_version(session=db.session, template_id=template_id, number=number))
    versions.restore(session=db.session, template=template, version=version, by=admin_email())
    audit_request(
        "template.restored", f"Copied version {number} of “{template.name}” into its draft"
    )  # commits
    flash(
        f"Version {number} copied into the draft. Teammates keep the published version until you publish.",
        "success",
    )
    return redirect_to(url_for("signature_templates.edit", template_id=template_id))


def _side(value: str | None, default: str, numbers: set[int]) -> str:
    """A comparison side from the query: "draft" or an existing version number (else the default)."""
    value = (value or "").strip()
    if value == DRAFT or (value.isdigit() and len(value) < 10 and int(value) in numbers):
        return value
    return default


@bp.get(f"/<int(max={MAX_ID}):template_id>/compare")
def compare(template_id: int) -> Response:
    """Compare two versions, or a version and the draft: changed lines marked Added/Removed."""
    template = get_template_or_404(template_id)
    all_versions = store.list_versions(session=db.session, template_id=template_id)
    by_number = {version.number: version for version in all_versions}
    newest = all_versions[0].number if all_versions else None
    default_old = str(newest - 1) if newest and newest > 1 else (str(newest) if newest else DRAFT)
    default_new = DRAFT if newest is None or by_number[newest].html != template.draft_html else str(newest)
    old = _side(request.args.get("from"), default_old, set(by_number))
    new = _side(request.args.get("to"), default_new, set(by_number))

    def text(side: str) -> str:
        return template.draft_html if side == DRAFT else by_number[int(side)].html

    return render(
        "signature_templates/compare.html",
        template=template,
        versions=all_versions,
        old=old,
        new=new,
        hunks=versions.diff_lines(text(old), text(new)),
        DRAFT=DRAFT,
        LineChange=LineChange,
    )
