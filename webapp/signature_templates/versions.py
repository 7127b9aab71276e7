"""Publishing, restoring and comparing versions of a template.

`publish` is the one use case that turns a draft into what teammates get; it sends
`template_published` only after its commit, so listeners (the signatures area) read the new version.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from enum import StrEnum

from flask import Flask
from sqlmodel import Session

from webapp.signature_templates import store
from webapp.signature_templates.models import SignatureTemplate, TemplateVersion
from webapp.signature_templates.renderer import TemplateRefused, compile_template
from webapp.signature_templates.signals import template_published

DRAFT = "draft"  # a side of a comparison that is the current draft, not a version number
DIFF_CONTEXT_LINES = 3


class PublishRefused(ValueError):
    """The draft can't be published now; `message` says why and `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def draft_digest(template: SignatureTemplate) -> str:
    """A fingerprint of the draft the admin reviewed, so a draft changed since is not published blind."""
    return hashlib.sha256(template.draft_html.encode()).hexdigest()


class DraftConflict(Exception):
    """Someone saved the draft after the editor was opened on it: what they saved, who and when."""

    def __init__(self, template: SignatureTemplate) -> None:
        super().__init__(f"The draft of template {template.id} changed since the editor was opened")
        self.saved_html = template.draft_html
        self.saved_by = template.draft_updated_by
        self.saved_at = template.draft_updated_at
        self.digest = draft_digest(template)


def save_draft(
    *, session: Session, template_id: int, base_digest: str | None, name: str, html: str, by: str
) -> bool:
    """Save `name` and `html` as the draft (flushed, not committed) if the draft is still the one the
    editor was opened on (`base_digest`, from `draft_digest`); False if nothing changed. The row is
    locked before the check (SELECT ... FOR UPDATE on PostgreSQL; SQLite's writer lock covers it), so
    no other save lands between the check and the write. `base_digest=None` (a client that sends none,
    never the editor) skips the check. Raises `DraftConflict` when another save would be lost."""
    template = store.get_template_for_update(session=session, template_id=template_id)
    if template is None:
        raise LookupError(template_id)
    stale = base_digest is not None and base_digest != draft_digest(template)
    if stale and html != template.draft_html:  # the same text saved twice loses nothing
        raise DraftConflict(template)
    if name == template.name and html == template.draft_html:
        return False
    store.save_draft(session=session, template=template, name=name, html=html, by=by)
    return True


def publish_problem(template: SignatureTemplate, latest: TemplateVersion | None) -> PublishRefused | None:
    """Why the draft can't be published (empty, refused by the renderer, same as the latest), or None."""
    if not template.draft_html.strip():
        return PublishRefused("The draft is empty: write the signature before publishing it.", 422)
    try:
        compile_template(template.draft_html)
    except TemplateRefused as refusal:
        return PublishRefused(f"This draft can't be published: {refusal.message}", 422)
    if latest is not None and latest.html == template.draft_html:
        return PublishRefused(
            f"The draft is the same as version {latest.number}, which teammates already get.", 409
        )
    return None


def publish(*, session: Session, template_id: int, reviewed_digest: str, by: str) -> TemplateVersion:
    """Publish the template's draft as its next version (flushed, not committed); `reviewed_digest`
    must match the draft the admin confirmed. Raises `PublishRefused`."""
    template = store.get_template_for_update(session=session, template_id=template_id)
    if template is None:
        raise PublishRefused("This template no longer exists.", 404)
    if reviewed_digest != draft_digest(template):
        raise PublishRefused(
            "The draft changed since you reviewed it (someone saved it meanwhile). Review it again.", 409
        )
    problem = publish_problem(template, store.latest_version(session=session, template_id=template_id))
    if problem is not None:
        raise problem
    return store.add_version(session=session, template=template, html=template.draft_html, by=by)


def announce_published(app: Flask, version: TemplateVersion) -> None:
    """Tell listeners a version was published (call after the commit)."""
    template_published.send(app, template_id=version.template_id, version=version.number)


def restore(*, session: Session, template: SignatureTemplate, version: TemplateVersion, by: str) -> None:
    """Copy `version` into the draft (nothing is published)."""
    store.save_draft(session=session, template=template, name=template.name, html=version.html, by=by)


class LineChange(StrEnum):
    """How a line of a comparison differs; shown as words, not colour alone."""

    SAME = "same"
    REMOVED = "removed"
    ADDED = "added"

    @property
    def label(self) -> str:
        """The word a reader (or a screen reader) sees in the Change column."""
        return {"same": "Unchanged", "removed": "Removed", "added": "Added"}[self.value]

    @property
    def sign(self) -> str:
        """The unified-diff sign of the line."""
        return {"same": " ", "removed": "-", "added": "+"}[self.value]


@dataclass(frozen=True)
class DiffLine:
    """One line of a comparison with its line numbers on each side (None where it is absent)."""

    change: LineChange
    old_number: int | None
    new_number: int | None
    text: str


@dataclass(frozen=True)
class DiffHunk:
    """A run of changed lines with a few unchanged ones around them."""

    lines: list[DiffLine]


def diff_lines(old: str, new: str, *, context: int = DIFF_CONTEXT_LINES) -> list[DiffHunk]:
    """The changes from `old` to `new`, line by line, grouped in hunks (difflib); [] if identical."""
    before, after = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    hunks: list[DiffHunk] = []
    for group in matcher.get_grouped_opcodes(context):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine(LineChange.SAME, i1 + k + 1, j1 + k + 1, before[i1 + k]) for k in range(i2 - i1)
                ]
                continue
            lines += [DiffLine(LineChange.REMOVED, i + 1, None, before[i]) for i in range(i1, i2)]
            lines += [DiffLine(LineChange.ADDED, None, j + 1, after[j]) for j in range(j1, j2)]
        hunks.append(DiffHunk(lines))
    return [hunk for hunk in hunks if any(line.change != LineChange.SAME for line in hunk.lines)]
