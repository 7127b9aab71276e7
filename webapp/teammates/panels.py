"""Panels that higher areas add to a teammate's page (smart-field values kept in Signet, the current
signature and why), so the teammates area shows them without importing those areas.

A panel is a partial template and a function giving its context; panels are drawn in `order`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from webapp.teammates.models import Teammate

PanelContext = Callable[[Session, Teammate], Mapping[str, Any]]


@dataclass(frozen=True)
class DetailPanel:
    """One section of the teammate page: `template` is rendered with the panel's context."""

    key: str
    template: str
    context: PanelContext
    order: int = 100


@dataclass(frozen=True)
class DrawnPanel:
    """A panel with the context computed for one teammate."""

    panel: DetailPanel
    context: Mapping[str, Any]


_panels: dict[str, DetailPanel] = {}


def register_detail_panel(panel: DetailPanel) -> None:
    """Add (or replace, by key) a panel on every teammate's page."""
    _panels[panel.key] = panel


def detail_panels(session: Session, teammate: Teammate) -> list[DrawnPanel]:
    """The registered panels for `teammate`, in order, each with its context."""
    ordered = sorted(_panels.values(), key=lambda panel: (panel.order, panel.key))
    return [DrawnPanel(panel, panel.context(session, teammate)) for panel in ordered]
