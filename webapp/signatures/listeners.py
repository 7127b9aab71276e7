"""Event-driven re-rendering: each signal re-renders exactly the teammates it can affect.

- `teammates_changed` (a sync committed a page, or its end deactivated or removed teammates): those
  teammates, with the run's Okta changes as the cause;
- `template_published`: teammates whose signature comes from that template, and those without a
  signature (their assignment may now resolve to it); on a first publish, every active teammate
  (a rule on the template may now match someone a lower rule or the default served); `rerender`
  skips anyone whose template and version stay the same;
- `rules_changed(teammate_ids)`: those teammates (everyone when None); only those whose template or
  version changes are rendered;
- `fields_changed(field_keys, teammate_ids)`: those teammates (everyone when None); only those whose
  template uses one of the keys, or whose assignment changes, are rendered.

Handlers run synchronously in the sender's thread, after its commit (the sync's thread for syncs;
the request for admin changes: 10,000 renders take about two seconds). A failure is logged and never
propagates to the sender: a sync goes on whatever happens to signatures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from flask import Flask
from sqlmodel import col, select

from webapp.extensions import db
from webapp.fields.signals import fields_changed
from webapp.rules.signals import rules_changed
from webapp.signature_templates.models import SignatureTemplate
from webapp.signature_templates.signals import template_published
from webapp.signatures import store
from webapp.signatures.causes import Cause
from webapp.signatures.models import CauseKind, Signature
from webapp.signatures.service import rerender
from webapp.teammates.models import Teammate
from webapp.teammates.signals import teammates_changed

log = logging.getLogger(__name__)


def connect_listeners(app: Flask) -> None:
    """Connect this app's handlers (only events this app sends reach them)."""
    teammates_changed.connect(on_teammates_changed, sender=app, weak=False)
    template_published.connect(on_template_published, sender=app, weak=False)
    rules_changed.connect(on_rules_changed, sender=app, weak=False)
    fields_changed.connect(on_fields_changed, sender=app, weak=False)


def _guarded(app: Flask, work: Callable[[], Any]) -> None:
    """Run `work` in `app`'s context; log (never raise) what goes wrong."""
    try:
        with app.app_context():
            work()
    except Exception:
        log.exception(
            "Re-rendering signatures failed; the next change or a re-render from the "
            "Teammate signatures page renders them again."
        )


def on_teammates_changed(
    sender: Flask, *, teammate_ids: Collection[int], sync_run_id: int | None = None, **_: Any
) -> None:
    """A sync changed these teammates: re-render them, citing the run's Okta changes."""
    if teammate_ids:
        cause = Cause(CauseKind.OKTA, sync_run_id=sync_run_id)
        _guarded(sender, lambda: rerender(teammate_ids=teammate_ids, cause=cause))


def on_template_published(sender: Flask, *, template_id: int, version: int, **_: Any) -> None:
    """A template version was published: re-render its assignees (and who may now resolve to it)."""

    def work() -> None:
        with db.session_scope(writer=False) as session:
            template = session.get(SignatureTemplate, template_id)
            name = template.name if template is not None else ""
            current = set(store.teammates_with_template(session=session, template_id=template_id))
            # A first publish can move anyone a rule points at this template (rules on a never-
            # published template are skipped, so those teammates fell to a lower rule or the
            # default): every active teammate is a candidate. Later versions only change the
            # teammates who already have this template, and those without any signature.
            first = version == 1
            candidates = select(col(Teammate.id)).where(col(Teammate.active).is_(True))
            if not first:
                candidates = candidates.where(col(Teammate.id).not_in(select(col(Signature.teammate_id))))
            others = session.exec(candidates).all()
        targets = current | {int(teammate_id) for teammate_id in others if teammate_id is not None}
        cause = Cause(
            CauseKind.TEMPLATE, template_id=template_id, template_version=version, template_name=name
        )
        rerender(teammate_ids=targets, cause=cause)

    _guarded(sender, work)


def on_rules_changed(sender: Flask, *, teammate_ids: Collection[int] | None = None, **_: Any) -> None:
    """Rules, the default or a manual assignment changed: re-render those whose template changes."""
    _guarded(sender, lambda: rerender(teammate_ids=teammate_ids, cause=Cause(CauseKind.RULE)))


def on_fields_changed(
    sender: Flask, *, field_keys: Collection[str], teammate_ids: Collection[int] | None = None, **_: Any
) -> None:
    """Smart fields changed: re-render those whose template uses them (or whose assignment changes)."""
    cause = Cause(CauseKind.FIELD, field_keys=frozenset(field_keys))
    _guarded(sender, lambda: rerender(teammate_ids=teammate_ids, cause=cause))
