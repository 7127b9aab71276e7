"""The Schemas API area: the default user schema (31 base attributes + custom ones).

Served as ``GET /api/v1/meta/schemas/user/{default|schemaId}`` (FACTS.md §3). Custom attributes
become part of every profile and are searchable.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from okta_sandbox.clock import okta_timestamp
from okta_sandbox.core import SandboxCore
from okta_sandbox.errors import ApiError
from okta_sandbox.ids import SCHEMA_PREFIX, USER_TYPE_PREFIX, okta_id
from okta_sandbox.schema import (
    ATTRIBUTE_TYPES,
    BASE_ATTRIBUTE_NAMES,
    BASE_ATTRIBUTES,
    REQUIRED_BASE,
    base_property,
    custom_property,
)
from okta_sandbox.seed import ANCHOR
from okta_sandbox.seed_data import CUSTOM_ATTRIBUTES

COMPACT_JSON: dict[str, Any] = {"separators": (",", ":"), "ensure_ascii": False}


class SchemaMixin(SandboxCore):
    """The org's user schema and the profile validation it implies."""

    schema_id: str
    user_type_id: str
    _schema_created: datetime
    _schema_updated: datetime
    _custom_attributes: dict[str, dict[str, Any]]
    _schema_json: bytes | None

    def _init_schema(self) -> None:
        # Drawn first from the seeded rng: the ids depend on the seed alone.
        self.schema_id = okta_id(SCHEMA_PREFIX, self._rng)
        self.user_type_id = okta_id(USER_TYPE_PREFIX, self._rng)
        self._schema_created = ANCHOR - timedelta(days=1000)
        self._schema_updated = ANCHOR - timedelta(days=1000)
        self._custom_attributes = {}
        self._schema_json = None
        for name, title, type_, extra in CUSTOM_ATTRIBUTES:
            self._custom_attributes[name] = custom_property(title, type_, dict(extra))

    @property
    def profile_attribute_names(self) -> list[str]:
        """Base then custom attribute names, in the order profiles are serialised."""
        with self._lock:
            return [name for name, _, _ in BASE_ATTRIBUTES] + list(self._custom_attributes)

    def _check_profile(self, profile: dict[str, Any]) -> None:
        """400 ``E0000001`` for an attribute the schema lacks or a missing required one."""
        known = BASE_ATTRIBUTE_NAMES | self._custom_attributes.keys()
        unknown = sorted(set(profile) - known)
        if unknown:
            raise ApiError(
                400,
                "E0000001",
                "Api validation failed: profile",
                [f"Property name '{name}' is not defined in profile" for name in unknown],
            )
        missing = [name for name in REQUIRED_BASE if not profile.get(name)]
        if missing:
            raise ApiError(
                400,
                "E0000001",
                "Api validation failed: profile",
                [f"{name}: The field cannot be left blank" for name in missing],
            )

    def add_schema_attribute(self, name: str, *, title: str, type: str = "string", **extra: Any) -> None:  # noqa: A002
        """Add (or replace) a custom profile attribute; it becomes searchable and appears in profiles."""
        if name in BASE_ATTRIBUTE_NAMES:
            raise ValueError(f"{name!r} is a base attribute")
        if type not in ATTRIBUTE_TYPES:
            raise ValueError(f"Unknown attribute type {type!r}; expected one of {sorted(ATTRIBUTE_TYPES)}")
        with self._lock:
            self._custom_attributes[name] = custom_property(title, type, dict(extra))
            self._schema_updated = self._stamp()
            self._schema_json = None
            self._changed("sandbox.schema.attribute.add", name=name)

    def user_schema(self) -> dict[str, Any]:
        """The default user schema as ``GET /api/v1/meta/schemas/user/default`` returns it."""
        with self._lock:
            origin = self._origin
            return {
                "id": f"{origin}/meta/schemas/user/default",
                "$schema": "http://json-schema.org/draft-04/schema#",
                "name": "user",
                "title": "User",
                "description": "Okta user profile template with default permission settings",
                "lastUpdated": okta_timestamp(self._schema_updated),
                "created": okta_timestamp(self._schema_created),
                "definitions": {
                    "custom": {
                        "id": "#custom",
                        "type": "object",
                        "properties": {name: dict(prop) for name, prop in self._custom_attributes.items()},
                        "required": [],
                    },
                    "base": {
                        "id": "#base",
                        "type": "object",
                        "properties": {
                            name: base_property(name, title, extra) for name, title, extra in BASE_ATTRIBUTES
                        },
                        "required": list(REQUIRED_BASE),
                    },
                },
                "type": "object",
                "properties": {
                    "profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}
                },
                "_links": self._schema_links(),
            }

    def _schema_links(self) -> dict[str, Any]:
        origin = self._origin
        return {
            "self": {
                "rel": "self",
                "href": f"{origin}/api/v1/meta/schemas/user/{self.schema_id}",
                "method": "GET",
            },
            "type": {
                "rel": "type",  # as real orgs send it (FACTS.md §8)
                "href": f"{origin}/api/v1/meta/types/user/{self.user_type_id}",
                "method": "GET",
            },
        }

    def user_schema_json(self) -> bytes:
        """:meth:`user_schema`, serialised and cached."""
        with self._lock:
            if self._schema_json is None:
                self._schema_json = json.dumps(self.user_schema(), **COMPACT_JSON).encode()
            return self._schema_json
