"""Data access for signature templates, their published versions and uploaded images.

Typed, keyword-only functions taking a `Session`; they never commit (the caller's use case does).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from webapp.db import utcnow
from webapp.signature_templates.models import ImageAsset, SignatureTemplate, TemplateStatus, TemplateVersion

# Ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
BATCH = 500


def get_template(*, session: Session, template_id: int) -> SignatureTemplate | None:
    """One template by id (archived ones included)."""
    return session.get(SignatureTemplate, template_id)


def get_template_for_update(*, session: Session, template_id: int) -> SignatureTemplate | None:
    """One template by id, its row locked until commit (PostgreSQL; SQLite's writer lock covers it),
    so two publishes of the same template cannot pick the same version number. The locked row's
    values replace any copy the session already holds (a save checks the draft it is about to replace)."""
    statement = (
        select(SignatureTemplate)
        .where(SignatureTemplate.id == template_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def list_templates(*, session: Session, archived: bool = False) -> list[SignatureTemplate]:
    """Templates by name (case-insensitive): the live ones, or with `archived=True` the archived ones."""
    archived_at = col(SignatureTemplate.archived_at)
    statement = select(SignatureTemplate).where(
        archived_at.is_not(None) if archived else archived_at.is_(None)
    )
    statement = statement.order_by(func.lower(col(SignatureTemplate.name)), col(SignatureTemplate.id))
    return list(session.exec(statement).all())


def name_taken(*, session: Session, name: str, except_id: int | None = None) -> bool:
    """Whether another template (archived ones included) already has this name, ignoring case."""
    statement = select(SignatureTemplate.id).where(func.lower(col(SignatureTemplate.name)) == name.lower())
    if except_id is not None:
        statement = statement.where(SignatureTemplate.id != except_id)
    return session.exec(statement).first() is not None


def create_template(*, session: Session, name: str, html: str, by: str) -> SignatureTemplate:
    """Add (and flush) a template whose draft is `html`."""
    now = utcnow()
    template = SignatureTemplate(
        name=name, draft_html=html, draft_updated_at=now, draft_updated_by=by, created_at=now
    )
    session.add(template)
    session.flush()
    return template


def save_draft(*, session: Session, template: SignatureTemplate, name: str, html: str, by: str) -> None:
    """Replace the draft (and the name); published versions are untouched."""
    template.name = name
    template.draft_html = html
    template.draft_updated_at = utcnow()
    template.draft_updated_by = by
    session.add(template)
    session.flush()


def set_archived(*, session: Session, template: SignatureTemplate, archived: bool) -> None:
    """Archive the template (it leaves the list) or bring it back."""
    template.archived_at = utcnow() if archived else None
    session.add(template)
    session.flush()


def latest_version(*, session: Session, template_id: int) -> TemplateVersion | None:
    """The template's newest published version, or None if it was never published."""
    statement = (
        select(TemplateVersion)
        .where(TemplateVersion.template_id == template_id)
        .order_by(col(TemplateVersion.number).desc())
    )
    return session.exec(statement.limit(1)).first()


def get_version(*, session: Session, template_id: int, number: int) -> TemplateVersion | None:
    """Version `number` of the template."""
    statement = select(TemplateVersion).where(
        TemplateVersion.template_id == template_id, TemplateVersion.number == number
    )
    return session.exec(statement).first()


def list_versions(*, session: Session, template_id: int) -> list[TemplateVersion]:
    """Every published version of the template, newest first."""
    statement = (
        select(TemplateVersion)
        .where(TemplateVersion.template_id == template_id)
        .order_by(col(TemplateVersion.number).desc())
    )
    return list(session.exec(statement).all())


def add_version(
    *, session: Session, template: SignatureTemplate, html: str, by: str, at: datetime | None = None
) -> TemplateVersion:
    """Publish `html` as the template's next version (numbered from 1) and flush it."""
    assert template.id is not None
    latest = latest_version(session=session, template_id=template.id)
    version = TemplateVersion(
        template_id=template.id,
        number=(latest.number if latest else 0) + 1,
        html=html,
        published_at=at or utcnow(),
        published_by=by,
    )
    session.add(version)
    session.flush()
    return version


def published_versions(
    *, session: Session, template_ids: Collection[int] | None = None
) -> dict[int, TemplateVersion]:
    """The latest version of each published template (archived ones included: assignments that
    still point at them keep working), by template id; `template_ids` narrows the search."""
    if template_ids is not None:
        found: dict[int, TemplateVersion] = {}
        ids = sorted(set(template_ids))
        for start in range(0, len(ids), BATCH):
            found.update(_latest_versions(session, ids[start : start + BATCH]))
        return found
    return _latest_versions(session, None)


def _latest_versions(session: Session, ids: list[int] | None) -> dict[int, TemplateVersion]:
    newest = select(TemplateVersion.template_id, func.max(TemplateVersion.number).label("number"))
    if ids is not None:
        newest = newest.where(col(TemplateVersion.template_id).in_(ids))
    latest = newest.group_by(col(TemplateVersion.template_id)).subquery()
    statement = select(TemplateVersion).join(
        latest,
        (col(TemplateVersion.template_id) == latest.c.template_id)
        & (col(TemplateVersion.number) == latest.c.number),
    )
    return {version.template_id: version for version in session.exec(statement).all()}


def status_of(template: SignatureTemplate, latest: TemplateVersion | None) -> TemplateStatus:
    """Draft (never published), Published (the draft is the latest version) or Unpublished changes."""
    if latest is None:
        return TemplateStatus.DRAFT
    return TemplateStatus.PUBLISHED if latest.html == template.draft_html else TemplateStatus.CHANGED


# --- Images ----------------------------------------------------------------------------------------


def get_image(*, session: Session, digest: str) -> ImageAsset | None:
    """The image whose re-encoded bytes hash to `digest`."""
    return session.exec(select(ImageAsset).where(ImageAsset.digest == digest)).first()


def list_images(*, session: Session) -> list[ImageAsset]:
    """Every uploaded image, newest first (their bytes are not loaded)."""
    statement = (
        select(ImageAsset)
        .options(defer(ImageAsset.data))  # type: ignore[arg-type]
        .order_by(col(ImageAsset.created_at).desc(), col(ImageAsset.id).desc())
    )
    return list(session.exec(statement).all())


def add_image(*, session: Session, image: ImageAsset) -> ImageAsset:
    """Store `image`, or return the one already stored with the same bytes (uploads are idempotent)."""
    existing = get_image(session=session, digest=image.digest)
    if existing is not None:
        return existing
    session.add(image)
    session.flush()
    return image
