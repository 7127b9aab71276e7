"""The dashboard's getting-started checklist once Okta is connected: the real next steps, in order,
each ticked off from what the instance holds (a few COUNT/EXISTS queries, nothing written)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import exists
from sqlmodel import Session, col, select

from webapp.delivery.models import ApiToken, PrivateLink
from webapp.fields.models import SmartField
from webapp.rules.models import AssignmentDefault, AssignmentRule, ManualAssignment
from webapp.signature_templates.models import SignatureTemplate, TemplateVersion
from webapp.sync.queries import SyncSummary


@dataclass(frozen=True)
class Step:
    """One step: what to do, where to do it, and whether it is done."""

    label: str
    url: str
    done: bool


@dataclass(frozen=True)
class Checklist:
    """The steps after connecting Okta; `next` is the first one not done (None when all are)."""

    steps: list[Step]

    @property
    def next(self) -> Step | None:
        """The step to do now."""
        return next((step for step in self.steps if not step.done), None)

    @property
    def done_count(self) -> int:
        """How many steps are done."""
        return sum(step.done for step in self.steps)


def _any(session: Session, *conditions: object) -> bool:
    return bool(session.exec(select(exists().where(*conditions))).one())  # type: ignore[arg-type]


def getting_started(*, session: Session, sync: SyncSummary) -> Checklist:
    """The checklist: sync, smart fields, a published template, assignments, delivery."""
    template_exists = _any(session, col(SignatureTemplate.id).is_not(None))
    assigned = (
        _any(session, col(AssignmentRule.id).is_not(None))
        or _any(session, col(AssignmentDefault.template_id).is_not(None))
        or _any(session, col(ManualAssignment.template_id).is_not(None))
    )
    delivered = _any(session, col(PrivateLink.id).is_not(None)) or _any(
        session, col(ApiToken.revoked_at).is_(None)
    )
    published = _any(session, col(TemplateVersion.id).is_not(None))
    return Checklist(
        steps=[
            Step("Run the first sync", url_for("sync.index"), sync.teammates > 0),
            Step(
                "Choose which Okta attributes become smart fields",
                url_for("fields.index"),
                _any(session, col(SmartField.id).is_not(None)),
            ),
            Step(
                "Publish a signature template" if template_exists else "Create a signature template",
                url_for("signature_templates.index"),
                published,
            ),
            Step("Decide who gets which template", url_for("rules.index"), assigned),
            Step("Send teammates their signature", url_for("delivery.index"), delivered),
        ]
    )
