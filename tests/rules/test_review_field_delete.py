"""Review: deleting a smart field that rules compare names those rules; rule names are unique."""

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


def test_a_second_rule_with_the_same_name_is_refused_with_the_form_kept(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """A new rule named like an existing one (any case): 422, the name field says so, what was typed
    stays; the existing rule can still be saved under its own name."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        rule_id = gen_rule(session, "Sales team", org.sales, ("department", Operator.IS, "Sales"), position=1)
    form = {"action": "preview", "name": "sales TEAM", "template": str(org.standard)}
    form |= {"field": "job_title", "op": Operator.CONTAINS.value, "value": "Engineer"}
    response = client.post("/signatures/assignments/rules/new", data=form)
    assert response.status_code == 422
    text = visible_text(response)
    assert "A rule named “sales TEAM” already exists" in text
    assert 'value="Engineer"' in response.get_data(as_text=True)
    own = {"action": "preview", "name": "Sales team", "template": str(org.sales)}
    own |= {"field": "department", "op": Operator.IS.value, "value": "Sales"}
    assert client.post(f"/signatures/assignments/rules/{rule_id}/edit", data=own).status_code == 200
