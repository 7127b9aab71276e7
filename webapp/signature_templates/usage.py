"""Which templates use which smart fields, for the Smart fields page and its Missing data view.

Registered with `webapp.fields.usage` (the fields area sits below this one and cannot import it).
A field counts as `published` when the template's latest published version uses it: that is what
teammates get. Archived templates are left out unless a published version of theirs may still be
assigned (their version stays valid), so they count the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from flask import has_request_context, url_for
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession

from webapp.fields.usage import FieldUsage, register_usage_provider
from webapp.signature_templates import store
from webapp.signature_templates.models import SignatureTemplate
from webapp.signature_templates.renderer import TemplateRefused, compile_template


def _names(source: str) -> frozenset[str]:
    """The placeholders of a template that compiles; none for a refused draft. (Parsing a refused
    template can be costly: Jinja folds constants such as `'A' * 10**9` while analysing it.)"""
    try:
        return compile_template(source).names
    except TemplateRefused:
        return frozenset()


def _template_url(template: SignatureTemplate) -> str:
    if has_request_context():
        return url_for("signature_templates.edit", template_id=template.id)
    return f"/signatures/{template.id}"  # outside a request (CLI): the editor's path


def field_usage_by_templates(session: Session) -> Mapping[str, Sequence[FieldUsage]]:
    """{field key: [templates using it]}: a template uses a key if its draft or its latest
    published version has that placeholder; `published` when the published version does."""
    session = cast(ModelSession, session)  # the request's (SQLModel) session
    templates = store.list_templates(session=session) + store.list_templates(session=session, archived=True)
    published = store.published_versions(session=session)
    usage: dict[str, list[FieldUsage]] = {}
    for template in templates:
        assert template.id is not None
        version = published.get(template.id)
        if template.archived_at is not None and version is None:
            continue  # archived and never published: nobody gets it
        live = _names(version.html) if version else frozenset()
        url = _template_url(template)
        for key in sorted(_names(template.draft_html) | live):
            usage.setdefault(key, []).append(
                FieldUsage(
                    template_id=template.id, template_name=template.name, url=url, published=key in live
                )
            )
    return usage


def register() -> None:
    """Register the provider (idempotent)."""
    register_usage_provider(field_usage_by_templates)
