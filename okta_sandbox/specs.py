"""Validate sandbox responses against Okta's official OpenAPI schemas (copied in ``spec/``).

Validation is per schema, not per document: ``openapi-core`` rejects the whole management
spec (FACTS.md §7), so each response is checked with ``OAS30Validator`` against
``#/components/schemas/<Name>`` resolved through a ``referencing`` registry.

Needs the ``dev`` extras (PyYAML, openapi-schema-validator, referencing). Loading the
3.4 MB management spec takes ~1.6 s: load once per test session.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_DIR = Path(__file__).resolve().parent / "spec"
MANAGEMENT_SPEC = SPEC_DIR / "management-minimal.yaml"
OAUTH_SPEC = SPEC_DIR / "oauth-minimal.yaml"

# Which document holds which schema names.
_OAUTH_SCHEMAS = frozenset({"TokenResponse", "OAuthError", "OidcMetadata", "OAuthMetadata"})


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        loaded = yaml.load(handle, Loader=yaml.CSafeLoader)  # noqa: S506 - CSafeLoader is the safe loader
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} is not an OpenAPI document")
    return loaded


def _allow_string_unique(spec: dict[str, Any]) -> None:
    """The one known spec/reality disagreement, patched narrowly (FACTS.md §7).

    Real user schemas send ``"unique": "UNIQUE_VALIDATED"`` (or ``"NOT_UNIQUE"``), a string,
    while ``UserSchemaAttribute.unique`` is typed boolean. Accept both, nothing else.
    """
    attribute = spec["components"]["schemas"]["UserSchemaAttribute"]["properties"]
    original = attribute["unique"]
    attribute["unique"] = {
        "description": original.get("description", ""),
        "nullable": True,
        "oneOf": [{"type": "boolean"}, {"type": "string", "enum": ["UNIQUE_VALIDATED", "NOT_UNIQUE"]}],
    }


@dataclass
class SpecValidator:
    """Checks JSON bodies against named component schemas of Okta's two specs."""

    management: dict[str, Any]
    oauth: dict[str, Any]
    _validators: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls) -> SpecValidator:
        """Read both YAML files (slow: do it once) and apply the documented patch."""
        management = _load(MANAGEMENT_SPEC)
        management = copy.deepcopy(management)
        _allow_string_unique(management)
        return cls(management=management, oauth=_load(OAUTH_SPEC))

    def _validator(self, schema_name: str) -> Any:
        if schema_name not in self._validators:
            uri = "urn:okta-oauth" if schema_name in _OAUTH_SCHEMAS else "urn:okta-management"
            document = self.oauth if schema_name in _OAUTH_SCHEMAS else self.management
            if schema_name not in document["components"]["schemas"]:
                raise KeyError(f"No schema {schema_name!r} in {uri}")
            registry: Registry[Any] = Registry().with_resource(
                uri, Resource.from_contents(document, default_specification=DRAFT4)
            )
            self._validators[schema_name] = OAS30Validator(
                {"$ref": f"{uri}#/components/schemas/{schema_name}"}, registry=registry
            )
        return self._validators[schema_name]

    def errors(self, schema_name: str, instance: Any) -> list[str]:
        """Every validation error (as text) of ``instance`` against ``schema_name``."""
        validator = self._validator(schema_name)
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]

    def validate(self, schema_name: str, instance: Any) -> None:
        """Raise ``AssertionError`` listing every error, if ``instance`` does not match."""
        problems = self.errors(schema_name, instance)
        if problems:
            raise AssertionError(f"{schema_name} validation failed:\n  " + "\n  ".join(problems[:20]))
