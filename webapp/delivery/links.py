"""Private signature links: create, regenerate, revoke, find by token, list and export.

Typed, keyword-only functions taking a `Session`; they never commit (the views do).

A token is `secrets.token_urlsafe(32)`: 256 random bits, 43 characters. The row keeps its SHA-256
(`token_digest`, unique) to find the link, and the token encrypted with the instance's key
(`token_ciphertext`) so the admin can copy the link again. A link belongs to an active teammate:
an inactive teammate's link answers 404 like a guessed one, and works again if they come back.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from webapp.crypto import SecretBox, SecretUnreadableError
from webapp.db import utcnow
from webapp.delivery.models import PrivateLink
from webapp.pagination import clamp_page, page_count
from webapp.signatures.models import Signature
from webapp.teammates.models import Teammate
from webapp.teammates.queries import name_or_email_matches

TOKEN_BYTES = 32
# Anything that isn't 20-100 URL-safe characters is not one of our tokens: 404 without a query.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")
LINKS_PER_PAGE = 50
INSERT_BATCH = 500


def new_token() -> str:
    """A fresh, unguessable link token (256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The lookup digest stored for `token` (SHA-256 hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def get_link(*, session: Session, teammate_id: int) -> PrivateLink | None:
    """The teammate's private link, if they have one."""
    return session.exec(select(PrivateLink).where(col(PrivateLink.teammate_id) == teammate_id)).first()


def issue_link(
    *, session: Session, box: SecretBox, teammate_id: int, created_by: str | None
) -> tuple[PrivateLink, str, bool]:
    """Give the teammate a new link: created, or regenerated (the old token stops working at once).

    Returns the link, its token and whether an earlier link was replaced.
    """
    token = new_token()
    link = get_link(session=session, teammate_id=teammate_id)
    replaced = link is not None
    if link is None:
        link = PrivateLink(teammate_id=teammate_id, token_digest="", token_ciphertext="")
    link.token_digest = token_digest(token)
    link.token_ciphertext = box.encrypt(token)
    link.created_at = utcnow()
    link.created_by = created_by[:254] if created_by else None
    session.add(link)
    session.flush()
    return link, token, replaced


def revoke_link(*, session: Session, teammate_id: int) -> bool:
    """Delete the teammate's link (its page answers 404 from now on); False if they had none."""
    link = get_link(session=session, teammate_id=teammate_id)
    if link is None:
        return False
    session.delete(link)
    session.flush()
    return True


def find_teammate_by_token(*, session: Session, token: str) -> Teammate | None:
    """The active teammate whose link carries `token`, or None (unknown, revoked, regenerated, inactive).

    One indexed lookup by digest whatever the token, so a guess and a dead link cost the same.
    """
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    statement = (
        select(Teammate)
        .join(PrivateLink, col(PrivateLink.teammate_id) == col(Teammate.id))
        .where(col(PrivateLink.token_digest) == token_digest(token), col(Teammate.active).is_(True))
    )
    return session.exec(statement).first()


def token_of(link: PrivateLink, box: SecretBox) -> str | None:
    """The link's token, decrypted; None when the key changed (the admin then regenerates it)."""
    try:
        return box.decrypt(link.token_ciphertext)
    except SecretUnreadableError:
        return None


def count_active_links(*, session: Session) -> int:
    """How many active teammates have a private link."""
    statement = (
        select(func.count())
        .select_from(PrivateLink)
        .join(Teammate, col(Teammate.id) == col(PrivateLink.teammate_id))
        .where(col(Teammate.active).is_(True))
    )
    return int(session.exec(statement).one())


def count_active_teammates(*, session: Session) -> int:
    """How many teammates are active (each may have a link)."""
    statement = select(func.count()).select_from(Teammate).where(col(Teammate.active).is_(True))
    return int(session.exec(statement).one())


def count_active_signed(*, session: Session) -> int:
    """How many active teammates have a current signature (what a link shows)."""
    statement = (
        select(func.count())
        .select_from(Signature)
        .join(Teammate, col(Teammate.id) == col(Signature.teammate_id))
        .where(col(Teammate.active).is_(True))
    )
    return int(session.exec(statement).one())


def teammates_without_link(*, session: Session) -> list[int]:
    """Ids of active teammates who have no link, in id order."""
    statement = (
        select(Teammate.id)
        .outerjoin(PrivateLink, col(PrivateLink.teammate_id) == col(Teammate.id))
        .where(col(Teammate.active).is_(True), col(PrivateLink.id).is_(None))
        .order_by(col(Teammate.id))
    )
    return [teammate_id for teammate_id in session.exec(statement).all() if teammate_id is not None]


def prepare_links(
    *, teammate_ids: Sequence[int], box: SecretBox, created_by: str | None
) -> list[dict[str, Any]]:
    """New link rows (token digest and ciphertext) for `teammate_ids`; pure, so the encryption can run
    with no transaction open (PITFALLS 7.1)."""
    now = utcnow()
    author = created_by[:254] if created_by else None
    rows = []
    for teammate_id in teammate_ids:
        token = new_token()
        rows.append(
            {
                "teammate_id": teammate_id,
                "token_digest": token_digest(token),
                "token_ciphertext": box.encrypt(token),
                "created_at": now,
                "created_by": author,
            }
        )
    return rows


def insert_links(*, session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert prepared link rows in batches; returns how many. A teammate who got a link meanwhile
    makes it fail on the unique teammate id (IntegrityError), never a second link."""
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(PrivateLink), list(rows[start : start + INSERT_BATCH]))
    return len(rows)


@dataclass(frozen=True)
class LinkRow:
    """One teammate on the Delivery page: their link (if any) and whether they have a signature."""

    teammate: Teammate
    link: PrivateLink | None
    has_signature: bool


def link_row(*, session: Session, teammate: Teammate) -> LinkRow:
    """One teammate's link and whether they have a signature."""
    assert teammate.id is not None
    link = get_link(session=session, teammate_id=teammate.id)
    signature = session.exec(select(Signature.id).where(col(Signature.teammate_id) == teammate.id)).first()
    return LinkRow(teammate, link, signature is not None)


@dataclass(frozen=True)
class LinkPage:
    """One page of the Delivery page's table of active teammates and their links."""

    rows: list[LinkRow]
    total: int
    page: int
    per_page: int = LINKS_PER_PAGE

    @property
    def pages(self) -> int:
        """How many pages the table fills (at least one)."""
        return page_count(self.total, self.per_page)


def _search(statement: Any, search: str) -> Any:
    # The Teammates page's matching: case-insensitive, LIKE's wildcards taken literally.
    return statement.where(name_or_email_matches(search.strip()))


def link_page(*, session: Session, page: int = 1, search: str = "") -> LinkPage:
    """Active teammates by name with their link and signature status (a page past the end: the last)."""
    where = col(Teammate.active).is_(True)
    counting = select(func.count()).select_from(Teammate).where(where)
    listing = (
        select(Teammate, PrivateLink, Signature.id)
        .outerjoin(PrivateLink, col(PrivateLink.teammate_id) == col(Teammate.id))
        .outerjoin(Signature, col(Signature.teammate_id) == col(Teammate.id))
        .where(where)
    )
    if search.strip():
        counting = _search(counting, search)
        listing = _search(listing, search)
    total = int(session.exec(counting).one())
    page = clamp_page(page, total, LINKS_PER_PAGE)
    listing = listing.order_by(func.lower(col(Teammate.display_name)), col(Teammate.id))
    found = session.exec(listing.offset((page - 1) * LINKS_PER_PAGE).limit(LINKS_PER_PAGE)).all()
    rows = [LinkRow(teammate, link, signature_id is not None) for teammate, link, signature_id in found]
    return LinkPage(rows=rows, total=total, page=page)


@dataclass(frozen=True)
class ExportedLink:
    """One CSV row: how the teammate is named, their email, their link's token."""

    name: str
    email: str
    token: str


def export_links(*, session: Session, box: SecretBox) -> Iterator[ExportedLink]:
    """Every active teammate with a link, by name, with the link's token (unreadable ones skipped).

    Plain columns, not ORM objects: 10,000 rows in about a second.
    """
    statement = (
        select(Teammate.id, Teammate.display_name, Teammate.email, PrivateLink.token_ciphertext)
        .join(PrivateLink, col(PrivateLink.teammate_id) == col(Teammate.id))
        .where(col(Teammate.active).is_(True))
        .order_by(func.lower(col(Teammate.display_name)), col(Teammate.id))
    )
    for teammate_id, display_name, email, ciphertext in session.exec(statement).yield_per(INSERT_BATCH):
        try:
            token = box.decrypt(ciphertext)
        except SecretUnreadableError:
            continue
        yield ExportedLink(display_name or email or f"Teammate {teammate_id}", email or "", token)
