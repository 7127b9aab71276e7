"""Panels that higher areas add to a teammate's page (smart-field values kept in Signet, the current
signature and why), and columns and filters they add to the Teammates table, so the teammates area
shows them without importing those areas.

A panel is a partial template and a function giving its context; panels are drawn in `order`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


# Extra columns and filters of the Teammates table, added by higher areas (the signature each
# teammate gets, filtered by template) without the teammates area importing them.
CellValues = Callable[[Session, Sequence[int]], Mapping[int, Any]]
FilterChoices = Callable[[Session], Sequence[tuple[str, str]]]
# A filter value -> a SELECT of teammate ids the table narrows to (None: the value means nothing).
FilterIds = Callable[[str], Any]


@dataclass(frozen=True)
class TableColumn:
    """A column: `values` gives each shown teammate's cell value in one query; `template` draws a
    cell with `value` (None for teammates `values` left out)."""

    heading: str
    template: str
    values: CellValues


@dataclass(frozen=True)
class TableFilter:
    """A select in the filter form: query argument `name`, its `choices` as (value, label), and
    `teammate_ids` turning a chosen value into the SQL the table's query is narrowed by."""

    name: str
    label: str
    any_label: str
    choices: FilterChoices
    teammate_ids: FilterIds


@dataclass(frozen=True)
class TableExtension:
    """A column and/or a filter of the Teammates table, registered under `key`."""

    key: str
    column: TableColumn | None = None
    filter: TableFilter | None = None
    order: int = 100


_table_extensions: dict[str, TableExtension] = {}


def register_table_extension(extension: TableExtension) -> None:
    """Add (or replace, by key) a column and/or filter of the Teammates table."""
    _table_extensions[extension.key] = extension


def table_extensions() -> list[TableExtension]:
    """The registered table extensions, in order."""
    return sorted(_table_extensions.values(), key=lambda extension: (extension.order, extension.key))
