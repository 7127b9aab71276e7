"""Reading and checking the smart-field form: every problem is a message for the field it concerns.

Values are checked at the edge (`webapp.request_guard` already refused NUL bytes and huge values):
lengths, characters, the key's shape, an attribute the stored Okta schema has, a known region.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import phonenumbers

from webapp.fields.formats import PHONE_FORMATS, clean_text, format_value
from webapp.fields.keys import reserved_reason
from webapp.fields.models import (
    DEFAULT_REGION,
    DEFAULT_SEPARATOR,
    FALLBACK_MAX_LENGTH,
    KEY_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    SEPARATOR_MAX_LENGTH,
    EnumDisplay,
    FieldFormat,
    FieldSource,
)
from webapp.fields.store import FieldSpec

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
FORMAT_LABELS: Mapping[str, str] = {
    FieldFormat.TEXT: "Text, as it is",
    FieldFormat.TITLE_CASE: "Text, Title Case",
    FieldFormat.UPPER: "Text, UPPER CASE",
    FieldFormat.PHONE_INTERNATIONAL: "Phone, international (+1 415-555-0100)",
    FieldFormat.PHONE_NATIONAL: "Phone, national ((415) 555-0100)",
    FieldFormat.PHONE_E164: "Phone, E.164 for links (+14155550100)",
    FieldFormat.URL: "Web address (http and https only)",
    FieldFormat.EMAIL: "Email address",
}
ENUM_DISPLAY_LABELS: Mapping[str, str] = {
    EnumDisplay.TITLE: "Its title (“Option one”)",
    EnumDisplay.VALUE: "The value (“ONE”)",
}
SOURCE_LABELS: Mapping[str, str] = {
    FieldSource.OKTA: "An Okta attribute",
    FieldSource.SIGNET: "Kept in Signet (typed per teammate)",
}


def region_label(region: str) -> str:
    """A region with its calling code, e.g. "FR (+33)"."""
    return f"{region} (+{phonenumbers.country_code_for_region(region)})"


@dataclass
class FieldForm:
    """What the admin typed, and a message per form field that needs fixing."""

    key: str = ""
    label: str = ""
    source: str = FieldSource.OKTA
    attribute: str = ""
    fallback: str = ""
    format: str = FieldFormat.TEXT
    phone_region: str = DEFAULT_REGION
    list_separator: str = DEFAULT_SEPARATOR
    enum_display: str = EnumDisplay.TITLE
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: FieldSpec) -> FieldForm:
        """The form showing a stored field."""
        return cls(**{name: getattr(spec, name) for name in FieldSpec.__dataclass_fields__})

    @classmethod
    def read(cls, form: Mapping[str, str], *, key: str | None = None) -> FieldForm:
        """The values posted (`key` given: the key is fixed, as when editing)."""

        def value(name: str, default: str = "", limit: int = 200) -> str:
            return str(form.get(name, default))[:limit]

        return cls(
            key=key if key is not None else value("key", limit=KEY_MAX_LENGTH + 20).strip(),
            label=value("label", limit=LABEL_MAX_LENGTH + 20),
            source=value("source", FieldSource.OKTA, 20),
            attribute=value("attribute", limit=120).strip(),
            fallback=value("fallback", limit=FALLBACK_MAX_LENGTH + 20),
            format=value("format", FieldFormat.TEXT, 40),
            phone_region=value("phone_region", DEFAULT_REGION, 10).strip().upper(),
            list_separator=value("list_separator", DEFAULT_SEPARATOR, SEPARATOR_MAX_LENGTH + 10),
            enum_display=value("enum_display", EnumDisplay.TITLE, 20).strip(),
        )

    def validate(
        self, *, taken_keys: Collection[str], attributes: Collection[str], current_attribute: str = ""
    ) -> FieldSpec | None:
        """The spec to store, or None with `errors` filled in (one message per form field)."""
        self._check_key(taken_keys)
        self.label = clean_text(self.label, limit=LABEL_MAX_LENGTH + 20)
        if not self.label:
            self.errors["label"] = "Give the field a label admins recognise, e.g. “Job title”."
        elif len(self.label) > LABEL_MAX_LENGTH:
            self.errors["label"] = f"Keep the label to {LABEL_MAX_LENGTH} characters or fewer."
        self._check_source(attributes, current_attribute)
        if self.format not in set(FieldFormat):
            self.errors["format"] = "Choose one of the formats listed."
        self._check_region()
        self._check_separator()
        self._check_fallback()
        if self.enum_display not in set(EnumDisplay):
            self.errors["enum_display"] = "Choose whether enum values show as their title or as the value."
        if self.errors:
            return None
        return FieldSpec(
            key=self.key,
            label=self.label,
            source=self.source,
            attribute=self.attribute if self.source == FieldSource.OKTA else "",
            fallback=self.fallback,
            format=self.format,
            phone_region=self.phone_region,
            list_separator=self.list_separator,
            enum_display=self.enum_display,
        )

    def _check_key(self, taken_keys: Collection[str]) -> None:
        if not self.key:
            self.errors["key"] = "Give the field a placeholder name, e.g. job_title."
        elif len(self.key) > KEY_MAX_LENGTH:
            self.errors["key"] = f"Keep the placeholder name to {KEY_MAX_LENGTH} characters or fewer."
        elif not KEY_PATTERN.fullmatch(self.key):
            self.errors["key"] = (
                "Use lowercase letters, digits and underscores, starting with a letter (e.g. job_title)."
            )
        elif reason := reserved_reason(self.key):
            self.errors["key"] = (
                f"“{self.key}” is a word templates reserve: {reason}, so a field of that name could "
                "never be used in a template. Choose another name."
            )
        elif self.key in taken_keys:
            self.errors["key"] = f"A field named {self.key} already exists; choose another name."

    def _check_source(self, attributes: Collection[str], current_attribute: str) -> None:
        if self.source not in set(FieldSource):
            self.errors["source"] = "Choose where the value comes from."
        elif self.source == FieldSource.OKTA:
            if not self.attribute:
                self.errors["attribute"] = "Choose the Okta attribute this field shows."
            elif self.attribute not in attributes and self.attribute != current_attribute:
                shown = clean_text(self.attribute, limit=60)
                self.errors["attribute"] = (
                    f"Okta's user schema has no attribute “{shown}”. Choose one from the list, or "
                    "refresh the attributes from Okta if it was added recently."
                    if attributes
                    else "Signet hasn't read Okta's attributes yet: refresh the attributes from Okta first."
                )

    def _check_region(self) -> None:
        if self.phone_region not in phonenumbers.SUPPORTED_REGIONS:
            if self.format in PHONE_FORMATS:
                self.errors["phone_region"] = (
                    "Choose a region from the list (a two-letter country code, e.g. US, GB, FR)."
                )
            else:
                self.phone_region = DEFAULT_REGION  # not used by this format: keep the default

    def _check_separator(self) -> None:
        if self.list_separator == "":
            self.list_separator = DEFAULT_SEPARATOR
        elif len(self.list_separator) > SEPARATOR_MAX_LENGTH:
            self.errors["list_separator"] = (
                f"Keep the separator to {SEPARATOR_MAX_LENGTH} characters or fewer."
            )
        elif not self.list_separator.isprintable():
            self.errors["list_separator"] = (
                "The separator can't hold line breaks, tabs or control characters."
            )

    def _check_fallback(self) -> None:
        self.fallback = clean_text(self.fallback, limit=FALLBACK_MAX_LENGTH + 20)
        if len(self.fallback) > FALLBACK_MAX_LENGTH:
            self.errors["fallback"] = f"Keep the fallback to {FALLBACK_MAX_LENGTH} characters or fewer."
        elif self.fallback and "format" not in self.errors:
            shown = format_value(self.fallback, fmt=self.format, region=self.phone_region)
            if not shown and self.format == FieldFormat.URL:
                self.errors["fallback"] = "The fallback must be a web address (https://…) for this format."
            elif not shown and self.format == FieldFormat.EMAIL:
                self.errors["fallback"] = "The fallback must be an email address for this format."
            elif not shown:
                self.errors["fallback"] = "The fallback must be a phone number Signet can read."
