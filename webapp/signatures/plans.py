"""What one re-render batch read, decided and did (shared by `service` and `persist`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.fields.values import FieldValues
from webapp.rules.evaluate import Assignment
from webapp.signature_templates.models import TemplateVersion
from webapp.signature_templates.renderer import RenderedSignature
from webapp.signatures.causes import OktaDetails
from webapp.signatures.models import Signature


@dataclass
class RerenderResult:
    """What one `rerender` did: signatures rendered, changed (hash differs, new or removed), removed,
    and teammates whose template failed to render (they keep their previous signature)."""

    rendered: int = 0
    changed: int = 0
    removed: int = 0
    failed: int = 0
    changed_ids: set[int] = field(default_factory=set)
    errors: dict[int, tuple[int, str, int]] = field(default_factory=dict)  # template -> version, message, n


@dataclass(frozen=True)
class Snapshot:
    """Everything a batch needs, read in one read transaction."""

    assignments: dict[int, Assignment]
    versions: dict[int, TemplateVersion]
    names: dict[int, str]
    current: dict[int, Signature]
    values: dict[int, FieldValues]
    okta: dict[int, OktaDetails]
    uses: dict[int, frozenset[str]]  # template id -> smart-field keys its published version uses
    to_render: list[int]
    to_remove: list[int]


@dataclass(frozen=True)
class Plan:
    """One teammate's outcome: a new rendering, or the removal of their signature."""

    teammate_id: int
    assignment: Assignment
    version: int | None = None
    rendered: RenderedSignature | None = None
    missing: tuple[str, ...] = ()
