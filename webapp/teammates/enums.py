"""Enum values by their titles: Okta's schema can name each allowed value of an attribute.

An Okta user-schema attribute lists its allowed values either as `enum` (values only) or as `oneOf`
(`[{"const": value, "title": label}]`); an array attribute says the same under `items`
(https://developer.okta.com/docs/reference/api/schemas/#user-profile-schema-property-object, and
`UserSchemaAttribute` / `UserSchemaAttributeEnum` in Okta's management spec). Profiles carry the
value (`"ONE"`); people expect the title (`"Option one"`). The titles come from the stored schema
details (`SourceAttribute.details`), which are untrusted: anything not of the documented shape is
ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# A schema could list thousands of values; titles past this many are not kept (values still show).
MAX_ENUM_TITLES = 1000


def _one_of_titles(one_of: Any) -> dict[str, str]:
    titles: dict[str, str] = {}
    if not isinstance(one_of, list):
        return titles
    for choice in one_of[:MAX_ENUM_TITLES]:
        if not isinstance(choice, dict) or "const" not in choice:
            continue
        const, title = choice.get("const"), choice.get("title")
        if isinstance(const, str | int | float) and not isinstance(const, bool) and isinstance(title, str):
            titles[str(const)] = title
    return titles


def enum_titles(details: Mapping[str, Any]) -> dict[str, str]:
    """Each allowed value (as text) mapped to its title, from an attribute's schema details.

    `oneOf` of the attribute itself, or of its `items` for an array attribute. An `enum` without
    titles maps nothing (the value is its own label).
    """
    titles = _one_of_titles(details.get("oneOf"))
    items = details.get("items")
    if isinstance(items, Mapping):
        titles.update(_one_of_titles(items.get("oneOf")))
    return titles


def titled(value: Any, titles: Mapping[str, str]) -> Any:
    """`value` with each enum value replaced by its title (lists item by item); others unchanged."""
    if not titles:
        return value
    if isinstance(value, list):
        return [titled(item, titles) for item in value]
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return titles.get(str(value), value)
    return value
