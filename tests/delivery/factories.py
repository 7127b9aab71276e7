"""Factories for delivery tests: teammates with a current signature, as the signatures area leaves them."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, col, select

from tests.teammates.factories import gen_teammate
from webapp.db import utcnow
from webapp.signatures.models import Signature
from webapp.teammates.models import Teammate

SIGNATURE_HTML = (
    '<table cellpadding="0" cellspacing="0"><tr><td style="font-family:Arial;color:#1d2330">'
    "<strong>{name}</strong><br>{title}</td></tr></table>"
)


def content_hash(html: str, text: str) -> str:
    """What the renderer stores: sha256 over html, NUL, text."""
    return hashlib.sha256(f"{html}\0{text}".encode()).hexdigest()


def set_signature(
    session: Session, teammate_id: int, *, html: str, text: str, version: int = 1, at: datetime | None = None
) -> Signature:
    """Create or replace the teammate's current signature (flushed)."""
    signature = session.exec(select(Signature).where(col(Signature.teammate_id) == teammate_id)).first()
    if signature is None:
        signature = Signature(
            teammate_id=teammate_id,
            template_id=1,
            template_version=version,
            reason="default",
            html=html,
            text=text,
            content_hash="",
        )
    signature.html, signature.text, signature.template_version = html, text, version
    signature.content_hash = content_hash(html, text)
    signature.rendered_at = at or utcnow()
    session.add(signature)
    session.flush()
    return signature


def gen_signed_teammate(
    session: Session, *, name: str = "Ada Lovelace", title: str = "Engineer", **fields: object
) -> Teammate:
    """A teammate (with an Okta record) and a current signature naming them and their title."""
    teammate = gen_teammate(session, name=name, title=title, **fields)  # type: ignore[arg-type]
    assert teammate.id is not None
    set_signature(
        session, teammate.id, html=SIGNATURE_HTML.format(name=name, title=title), text=f"{name}\n{title}"
    )
    return teammate
