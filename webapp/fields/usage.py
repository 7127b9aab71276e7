"""Which templates use which smart fields: a registry the templates area fills (it sits above this
one: imports flow one way), so the Smart fields page shows "Used by" and the Missing data view
lists only the fields a published template uses. A second registry lets higher areas (assignment
rules) say what deleting a field would change, for the delete confirmation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class FieldUsage:
    """One template using a field."""

    template_id: int
    template_name: str
    url: str  # the template's page in Signet
    published: bool  # whether teammates get it (its latest published version uses the field)


UsageProvider = Callable[[Session], Mapping[str, Sequence[FieldUsage]]]

_providers: list[UsageProvider] = []


def register_usage_provider(fn: UsageProvider) -> None:
    """Add a provider: `fn(session)` gives {field key: [usages]} (registering one twice is harmless)."""
    if fn not in _providers:
        _providers.append(fn)


def unregister_usage_provider(fn: UsageProvider) -> None:
    """Remove a provider (tests)."""
    if fn in _providers:
        _providers.remove(fn)


def field_usage(session: Session) -> dict[str, list[FieldUsage]]:
    """Every registered provider's usages merged, by field key, each list by template name; {} if none."""
    merged: dict[str, list[FieldUsage]] = {}
    for provider in _providers:
        for key, usages in provider(session).items():
            merged.setdefault(key, []).extend(usages)
    return {
        key: sorted(set(usages), key=lambda usage: (usage.template_name.lower(), usage.template_id))
        for key, usages in merged.items()
    }


def published_field_keys(session: Session) -> frozenset[str]:
    """The keys of the fields a published template uses."""
    return frozenset(
        key for key, usages in field_usage(session).items() if any(usage.published for usage in usages)
    )


DeleteWarning = Callable[[Session, str], Sequence[str]]

_delete_warnings: list[DeleteWarning] = []


def register_delete_warning(fn: DeleteWarning) -> None:
    """Add `fn(session, field_key)`: sentences saying what deleting the field would change."""
    if fn not in _delete_warnings:
        _delete_warnings.append(fn)


def delete_warnings(session: Session, key: str) -> list[str]:
    """Every registered area's warnings about deleting the field `key` ([] if none)."""
    return [warning for fn in _delete_warnings for warning in fn(session, key)]
