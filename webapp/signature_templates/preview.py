"""The live preview: a template's text (saved or not) rendered for one teammate, or for sample data.

The rendered signature is shown only inside `<iframe sandbox srcdoc>` (no `allow-scripts`, an opaque
origin) and the page puts `hx-disable` around it, so nothing in a template or a profile can run
script or trigger htmx on the admin's page (PITFALLS 5.5). A refused template gives its one-line
reason, never an error page.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from webapp.fields.models import SmartField
from webapp.fields.values import teammate_field_values
from webapp.signature_templates.renderer import (
    RenderedSignature,
    TemplateRefused,
    TemplateWarning,
    compile_template,
    render_signature,
    template_warnings,
)
from webapp.teammates import store as teammates
from webapp.teammates.models import Teammate

# How many active teammates the "Preview as" list offers (by name); more would make a heavy page.
MAX_PREVIEW_CHOICES = 500
SAMPLE = "sample"
# Plausible values for the default smart-field keys; other fields show "Sample <label>".
SAMPLE_VALUES: dict[str, str] = {
    "first_name": "Alex",
    "last_name": "Morgan",
    "display_name": "Alex Morgan",
    "job_title": "Head of Partnerships",
    "department": "Sales",
    "division": "Europe",
    "organization": "Acme Inc.",
    "email": "alex.morgan@example.com",
    "mobile_phone": "+1 415-555-0134",
    "primary_phone": "+1 415-555-0100",
    "street_address": "1 Market Street",
    "city": "San Francisco",
    "state": "CA",
    "zip_code": "94105",
    "country": "United States",
    "employee_number": "1042",
    "manager": "Sam Lee",
    "pronouns": "they/them",
    "linkedin": "https://www.linkedin.com/in/example",
}
# Around the signature in the iframe: a white page in a readable mail font, links opened elsewhere.
_DOCUMENT = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><base target="_blank">'
    "<title>Signature preview</title></head>"
    '<body style="margin:12px;background:#ffffff;color:#222222;font-family:Arial,Helvetica,sans-serif">'
    "{signature}</body></html>"
)


@dataclass(frozen=True)
class Preview:
    """What the preview region shows."""

    rendered: RenderedSignature | None
    refused: str | None  # the one-line reason the template is refused, if it is
    warnings: list[TemplateWarning] = field(default_factory=list)
    who: str = "sample data"

    @property
    def document(self) -> str:
        """The iframe's `srcdoc`: a small HTML page around the signature."""
        signature = self.rendered.html if self.rendered else ""
        return _DOCUMENT.format(signature=signature)

    @property
    def length(self) -> int:
        """Characters of email-safe HTML (Gmail refuses signatures over 10,000)."""
        return len(self.rendered.html) if self.rendered else 0


def sample_values(fields: Sequence[SmartField]) -> dict[str, str]:
    """Sample values for every known field, plus the default keys (a template may use them early)."""
    values = dict(SAMPLE_VALUES)
    for smart_field in fields:
        values.setdefault(smart_field.key, smart_field.fallback or f"Sample {smart_field.label.lower()}")
    return values


def preview_choices(*, session: Session) -> list[Teammate]:
    """Active teammates the admin can preview as, by name (at most `MAX_PREVIEW_CHOICES`)."""
    return teammates.list_teammates(session=session, active=True, limit=MAX_PREVIEW_CHOICES)


def parse_teammate_choice(value: str | None) -> int | None:
    """The teammate id chosen in "Preview as", or None for sample data (anything else counts as sample)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def preview_values(
    *, session: Session, teammate_id: int | None, fields: Sequence[SmartField]
) -> tuple[dict[str, str], str]:
    """The values to render with and whose they are: the teammate's, or sample data."""
    teammate = teammates.get_teammate(session=session, teammate_id=teammate_id) if teammate_id else None
    if teammate is None or teammate.id is None:
        return sample_values(fields), "sample data"
    # As computed (not copied): the values carry their phone numbers' E.164 forms for `|tel`.
    values = teammate_field_values(session=session, teammate_ids=[teammate.id])[teammate.id].values
    return values, teammate.display_name or teammate.email or f"teammate {teammate.id}"


def build_preview(
    source: str, *, values: Mapping[str, str], known: Collection[str], base_url: str, who: str = "sample data"
) -> Preview:
    """Render `source` with `values` as teammates would get it, with the warnings the editor shows."""
    try:
        rendered = render_signature(compile_template(source), values, base_url=base_url)
    except TemplateRefused as refusal:
        return Preview(rendered=None, refused=str(refusal.message), who=who)
    warnings = template_warnings(source, known_fields=known, rendered=rendered)
    return Preview(rendered=rendered, refused=None, warnings=warnings, who=who)


def srcdoc_for(markup: str) -> str:
    """A complete iframe document around already email-safe `markup` (gallery thumbnails)."""
    return _DOCUMENT.format(signature=markup)
