"""Cases that reach signatures from other areas' edges: a template's first publish moves teammates a
rule already pointed at it, and confirming a held mass deactivation removes their signatures."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import col, select

from tests.conftest import AuthActions
from tests.signatures.conftest import World, history, renders, signature
from webapp.extensions import db
from webapp.rules.evaluate import Operator
from webapp.rules.models import AssignmentRule
from webapp.rules.signals import rules_changed
from webapp.signature_templates.models import SignatureTemplate, TemplateVersion
from webapp.signature_templates.signals import template_published
from webapp.signatures.causes import describe
from webapp.sync.models import HoldAction, HoldStatus, SyncHold, SyncHoldItem
from webapp.teammates.models import SourceRecord


def test_first_publish_moves_teammates_a_rule_already_pointed_at(world: World) -> None:
    """A rule on a never-published template is skipped; publishing its version 1 moves Bob to it."""
    app = world.app
    with app.app_context(), db.session_scope() as session:
        template = SignatureTemplate(name="Engineering", draft_html="<p>{{ display_name }} builds</p>")
        session.add(template)
        session.flush()
        assert template.id is not None
        engineering = template.id
        session.add(
            AssignmentRule(
                name="Engineers",
                template_id=engineering,
                position=0,
                conditions=[{"field": "department", "op": Operator.IS.value, "value": "Engineering"}],
            )
        )
    rules_changed.send(app, teammate_ids=None)
    bob = signature(app, world.people["Bob"])
    assert bob is not None and bob.template_id == world.standard  # the rule's template isn't published
    with app.app_context(), db.session_scope() as session:
        session.add(
            TemplateVersion(template_id=engineering, number=1, html="<p>{{ display_name }} builds</p>")
        )
    before = renders(app)
    template_published.send(app, template_id=engineering, version=1)
    assert renders(app) - before == 2  # Bob and Cy (Engineering); Ada keeps Sales without a render
    bob = signature(app, world.people["Bob"])
    assert bob is not None and bob.template_id == engineering and "Bob Babbage builds" in bob.text
    assert describe(history(app, world.people["Bob"])[-1].cause)[0] == (
        "Template “Engineering” published version 1"
    )


def test_confirming_a_held_deactivation_removes_the_signatures(
    client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """Confirm on the Sync page deactivates the held teammates, and their signatures go at once."""
    app, cy = world.app, world.people["Cy"]
    with app.app_context(), db.session_scope() as session:
        record = session.exec(select(SourceRecord).where(col(SourceRecord.teammate_id) == cy)).one()
        record.active, record.status = False, "DEPROVISIONED"
        session.add(record)
        hold = SyncHold(source="okta", deactivate_count=1, active_teammates=3, threshold=1)
        session.add(hold)
        session.flush()
        assert hold.id is not None
        hold_id = hold.id
        session.add(SyncHoldItem(hold_id=hold_id, teammate_id=cy, action=HoldAction.DEACTIVATE))
    assert signature(app, cy) is not None
    response = client.post(f"/sync/holds/{hold_id}/confirm")
    assert response.status_code == 303
    with app.app_context(), db.session_scope(writer=False) as session:
        assert session.get(SyncHold, hold_id).status == HoldStatus.CONFIRMED  # type: ignore[union-attr]
    assert signature(app, cy) is None
    assert history(app, cy)[-1].content_hash is None  # the history says the signature was removed
