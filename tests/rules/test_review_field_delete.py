"""Review: deleting a smart field that assignment rules compare warns about those rules first."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from tests.conftest import AuthActions
from tests.helpers import visible_text
from tests.rules.factories import gen_rule, seed_org
from webapp.extensions import db
from webapp.fields.models import SmartField
from webapp.rules.evaluate import Operator


def _field_id(app: Flask, key: str) -> int:
    with app.app_context(), db.session_scope(writer=False) as session:
        field_id = session.exec(select(SmartField.id).where(col(SmartField.key) == key)).one()
        assert field_id is not None
        return field_id


def test_the_delete_confirmation_names_the_rules_using_the_field(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """The department field's confirmation names rule 1 “Sales team”; the city field's names none."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        gen_rule(session, "Sales team", org.sales, ("department", Operator.IS, "Sales"), position=1)
    text = visible_text(client.get(f"/smart-fields/{_field_id(app, 'department')}/delete"))
    assert "Rule 1 “Sales team” compares this field" in text
    assert "compares this field" not in visible_text(
        client.get(f"/smart-fields/{_field_id(app, 'city')}/delete")
    )
