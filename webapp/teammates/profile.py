"""How a synced profile is shown: attribute titles from the source's schema, any JSON value as text,
and the link to the user in Okta's admin console.

Values come from the directory and are untrusted: everything here returns plain text, which Jinja
escapes (never `|safe`; PITFALLS 5.5).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from webapp.sources.okta.inputs import OKTA_SUFFIXES
from webapp.teammates.enums import enum_titles, titled
from webapp.teammates.models import SourceAttribute

EMPTY = "—"
# Okta's admin console shows a user at this path of the org's `-admin` host.
ADMIN_USER_PATH = "/admin/user/profile/view/"


def display_value(value: Any) -> str:
    """A profile value of any JSON type as text: arrays joined, booleans Yes/No, null (or "") as "—"."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(display_value(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass(frozen=True)
class ProfileRow:
    """One attribute of a synced profile."""

    name: str
    title: str
    value: Any
    custom: bool = False
    # `value` with enum values shown by the titles the schema gives them (Okta's `oneOf`).
    shown: Any = None

    @property
    def has_titles(self) -> bool:
        """Whether `shown` differs from the value as sent (then the page shows both)."""
        return bool(self.shown != self.value)


def profile_rows(profile: Mapping[str, Any], attributes: Iterable[SourceAttribute]) -> list[ProfileRow]:
    """The profile's attributes in the schema's order with the schema's titles; attributes the
    schema does not list (yet) follow, by name, titled with their name. Absent ones are left out.
    Enum values are shown by their schema titles (`shown`)."""
    rows: list[ProfileRow] = []
    listed: set[str] = set()
    for attribute in attributes:
        listed.add(attribute.name)
        if attribute.name in profile:
            value = profile[attribute.name]
            shown = titled(value, enum_titles(attribute.details or {}))
            rows.append(
                ProfileRow(attribute.name, attribute.title or attribute.name, value, attribute.custom, shown)
            )
    for name in sorted(set(profile) - listed):
        rows.append(ProfileRow(name, name, profile[name], shown=profile[name]))
    return rows


def attribute_titles(attributes: Iterable[SourceAttribute]) -> dict[str, str]:
    """Each attribute's title by name (for the change history)."""
    return {attribute.name: attribute.title or attribute.name for attribute in attributes}


def admin_console_url(okta_origin: str | None, external_id: str) -> str | None:
    """The user's page in Okta's admin console: `https://dev-123-admin.okta.com/admin/user/profile/
    view/<id>` for the org `dev-123.okta.com`. None for a custom domain or a local sandbox, whose
    admin console address cannot be told from the org's address."""
    if not okta_origin or not external_id:
        return None
    host = (urlsplit(okta_origin).hostname or "").lower()
    for suffix in OKTA_SUFFIXES:
        org, dot, rest = host.partition(".")
        if dot and rest == suffix and org and not org.endswith("-admin"):
            return f"https://{org}-admin.{suffix}{ADMIN_USER_PATH}{quote(external_id, safe='')}"
    return None
