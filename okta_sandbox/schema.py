"""The default user schema: Okta's 31 base attributes, in Okta's order, plus custom ones.

Order, titles and constraints follow a real ``GET /api/v1/meta/schemas/user/default``
response (FACTS.md §3); attribute keys follow the spec's ``UserSchemaAttribute``.
"""

from __future__ import annotations

import copy
from typing import Any

# (name, title, extra constraints). Order is the real response's order (FACTS.md §3).
BASE_ATTRIBUTES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("login", "Username", {"required": True, "minLength": 5, "maxLength": 100}),
    ("firstName", "First name", {"required": True, "minLength": 1, "maxLength": 50}),
    ("lastName", "Last name", {"required": True, "minLength": 1, "maxLength": 50}),
    ("middleName", "Middle name", {}),
    ("honorificPrefix", "Honorific prefix", {}),
    ("honorificSuffix", "Honorific suffix", {}),
    ("email", "Primary email", {"required": True, "format": "email"}),
    ("title", "Title", {}),
    ("displayName", "Display name", {}),
    ("nickName", "Nickname", {}),
    ("profileUrl", "Profile Url", {"format": "uri"}),
    ("secondEmail", "Secondary email", {"format": "email"}),
    ("mobilePhone", "Mobile phone", {"maxLength": 100}),
    ("primaryPhone", "Primary phone", {"maxLength": 100}),
    ("streetAddress", "Street address", {"maxLength": 1024}),
    ("city", "City", {"maxLength": 128}),
    ("state", "State", {"maxLength": 128}),
    ("zipCode", "Zip code", {"maxLength": 50}),
    ("countryCode", "Country code", {"format": "country-code", "maxLength": 2}),
    ("postalAddress", "Postal Address", {"maxLength": 4096}),
    ("preferredLanguage", "Preferred language", {"format": "language-code"}),
    ("locale", "Locale", {"format": "locale"}),
    ("timezone", "Time zone", {"format": "timezone"}),
    ("userType", "User type", {}),
    ("employeeNumber", "Employee number", {}),
    ("costCenter", "Cost center", {}),
    ("organization", "Organization", {}),
    ("division", "Division", {}),
    ("department", "Department", {}),
    ("managerId", "ManagerId", {}),
    ("manager", "Manager", {}),
)

BASE_ATTRIBUTE_NAMES: frozenset[str] = frozenset(name for name, _, _ in BASE_ATTRIBUTES)
REQUIRED_BASE: tuple[str, ...] = ("login", "firstName", "lastName", "email")
ATTRIBUTE_TYPES = frozenset({"string", "boolean", "number", "integer", "array"})


def base_property(name: str, title: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Return one ``#base`` attribute definition as Okta serves it."""
    prop: dict[str, Any] = {"title": title, "type": "string"}
    prop.update(extra)
    prop.setdefault("mutability", "READ_WRITE")
    prop.setdefault("scope", "NONE")
    prop["permissions"] = [{"principal": "SELF", "action": "READ_ONLY"}]
    if name == "login":
        prop["pattern"] = ".+"
    return prop


def custom_property(title: str, type_: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Return one ``#custom`` attribute definition as Okta serves it.

    Real responses send ``"unique": "UNIQUE_VALIDATED"`` (or ``"NOT_UNIQUE"``) as a string;
    the spec types it boolean. The sandbox copies the real behaviour (FACTS.md §7).
    """
    extra = copy.deepcopy(extra)  # nested enum lists must not be shared with callers
    prop: dict[str, Any] = {"title": title, "description": extra.pop("description", title), "type": type_}
    if type_ == "array":
        prop["items"] = extra.pop("items", {"type": "string"})
    prop.update(extra)
    prop.setdefault("mutability", "READ_WRITE")
    prop.setdefault("scope", "NONE")
    prop.setdefault("permissions", [{"principal": "SELF", "action": "READ_ONLY"}])
    prop.setdefault("master", {"type": "PROFILE_MASTER"})
    return prop
