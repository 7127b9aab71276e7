"""What Signet keeps of an Okta user-schema attribute besides its name, title and type.

Okta's `UserSchemaAttribute` (https://developer.okta.com/docs/reference/api/schemas/#user-profile-
schema-property-object; `UserSchemaAttribute`, `UserSchemaAttributeEnum`, `UserSchemaAttributeItems`
and `UserSchemaAttributePermission` in Okta's management spec) can say an attribute's allowed values
(`enum`, or `oneOf` with a `const` value and a `title` each), an array's item type and values
(`items`), a `format`, a `maxLength` and who may see or change it (`permissions`, each a `principal`
and an `action`).

The schema comes from the org and is untrusted: each kept detail must have the documented shape
(anything else is dropped, never stored), strings are cut to `MAX_TEXT`, lists to `MAX_CHOICES` or
`MAX_PERMISSIONS`, and one attribute's details never take more than `MAX_DETAILS_CHARS` of JSON (the
allowed values stop where the budget ends).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# Allowed values kept per attribute (a schema could list thousands; titles past this are not shown).
MAX_CHOICES = 500
MAX_PERMISSIONS = 20
MAX_TEXT = 255
# One attribute's details as JSON text, at most: its allowed values stop where this runs out.
MAX_DETAILS_CHARS = 32_000
# Okta's `maxLength` is an int32; anything larger (or negative) is not a length.
MAX_LENGTH_VALUE = 2**31 - 1
ITEM_TYPES = frozenset({"string", "integer", "number", "boolean"})
# `format` values are short words (`email`, `uri`, `country-code`, `date-time`, `ref-id`...).
FORMAT = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
# Permission principals and actions are upper-case words (`SELF`; `READ_ONLY`, `READ_WRITE`, `HIDE`).
WORD = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def _value(value: Any) -> str | int | float | None:
    """An allowed value if it is a string (cut to `MAX_TEXT`) or a finite number, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, int) and abs(value) <= 2**53:
        return value
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return value
    return None


def _cost(item: Any) -> int:
    """The item's share of the details' JSON text (with the ", " that separates it from the next)."""
    return len(json.dumps(item, ensure_ascii=False)) + 2


def _enum(raw: Any, budget: list[int]) -> list[str | int | float] | None:
    if not isinstance(raw, list):
        return None
    kept: list[str | int | float] = []
    for item in raw[:MAX_CHOICES]:
        value = _value(item)
        if value is None or budget[0] < _cost(value):
            continue
        budget[0] -= _cost(value)
        kept.append(value)
    return kept


def _one_of(raw: Any, budget: list[int]) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list):
        return None
    kept: list[dict[str, Any]] = []
    for choice in raw[:MAX_CHOICES]:
        if not isinstance(choice, Mapping):
            continue
        const, title = _value(choice.get("const")), choice.get("title")
        if const is None or not isinstance(title, str):
            continue
        item = {"const": const, "title": title[:MAX_TEXT]}
        if budget[0] < _cost(item):
            break
        budget[0] -= _cost(item)
        kept.append(item)
    return kept


def _word(value: Any) -> bool:
    return isinstance(value, str) and WORD.fullmatch(value) is not None


def _permissions(raw: Any) -> list[dict[str, str]] | None:
    if not isinstance(raw, list):
        return None
    kept: list[dict[str, str]] = []
    for permission in raw[:MAX_PERMISSIONS]:
        if not isinstance(permission, Mapping):
            continue
        principal, action = permission.get("principal"), permission.get("action")
        if _word(principal) and _word(action):
            kept.append({"principal": str(principal), "action": str(action)})
    return kept


def _choices(spec: Mapping[str, Any], budget: list[int]) -> dict[str, Any]:
    """`oneOf` first (it carries the titles), then `enum`, of an attribute or of its items."""
    kept: dict[str, Any] = {}
    one_of = _one_of(spec.get("oneOf"), budget)
    if one_of is not None:
        kept["oneOf"] = one_of
    enum = _enum(spec.get("enum"), budget)
    if enum is not None:
        kept["enum"] = enum
    return kept


def _items(raw: Any, budget: list[int]) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        return None
    items: dict[str, Any] = {}
    if raw.get("type") in ITEM_TYPES:
        items["type"] = raw["type"]
    items.update(_choices(raw, budget))
    return items


def attribute_details(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The details of one schema attribute worth keeping, validated and bounded (see the module)."""
    # What the keys and brackets around the allowed values take ("oneOf", "enum", "items", "type").
    budget = [MAX_DETAILS_CHARS - 128]
    details: dict[str, Any] = {}
    permissions = _permissions(spec.get("permissions"))
    if permissions is not None:
        details["permissions"] = permissions
    fmt = spec.get("format")
    if isinstance(fmt, str) and FORMAT.fullmatch(fmt):
        details["format"] = fmt
    max_length = spec.get("maxLength")
    if (
        isinstance(max_length, int)
        and not isinstance(max_length, bool)
        and 0 <= max_length <= MAX_LENGTH_VALUE
    ):
        details["maxLength"] = max_length
    budget[0] -= _cost(details)
    details.update(_choices(spec, budget))
    items = _items(spec.get("items"), budget)
    if items is not None:
        details["items"] = items
    return details
