"""The "Smart fields" section on a teammate's page (`webapp.teammates.panels`): the teammate's field
values, and a link to edit the ones kept in Signet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import Session as SQLModelSession

from webapp.fields.models import FieldSource
from webapp.fields.pages import teammate_rows
from webapp.teammates.models import Teammate
from webapp.teammates.panels import DetailPanel, register_detail_panel

PANEL_KEY = "fields"
PANEL_TEMPLATE = "fields/_teammate_panel.html"


def panel_context(session: Session, teammate: Teammate) -> Mapping[str, Any]:
    """The panel's context: the teammate, its field rows, whether any field is kept in Signet."""
    assert isinstance(session, SQLModelSession)
    rows = teammate_rows(session=session, teammate=teammate)
    return {
        "teammate": teammate,
        "rows": rows,
        "has_kept": any(row.field.source == FieldSource.SIGNET for row in rows),
    }


def register_panel() -> None:
    """Show the panel on every teammate's page (before the Okta profile)."""
    register_detail_panel(
        DetailPanel(key=PANEL_KEY, template=PANEL_TEMPLATE, context=panel_context, order=20)
    )
