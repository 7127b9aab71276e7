"""Reads for the Teammates pages: the filtered, sorted, paginated table and one teammate's profile.

Everything is done in SQL (filters, sort, LIMIT/OFFSET), so a page costs the same for 50 teammates
or 10,000+. Department and title live only in the Okta record's JSON profile; they are read with
SQLAlchemy's JSON operators, which compile to `JSON_EXTRACT` on SQLite and `->>` on PostgreSQL.
Typed, keyword-only functions taking a `Session`; they never commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from webapp.pagination import clamp_page, page_count
from webapp.sources.base import TeammateState
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.sync.models import SyncRun
from webapp.teammates import store as teammates
from webapp.teammates.models import SourceRecord, Teammate, TeammateChange
from webapp.teammates.panels import table_extensions

PAGE_SIZE = 50
# The longest search text used (longer input is cut): names and emails are shorter than this.
MAX_SEARCH_LENGTH = 200
# Filter selects list at most this many distinct values (the most common ones would need a count).
MAX_CHOICES = 500
LIKE_ESCAPE = "\\"
PAGE_NUMBER = re.compile(r"[0-9]{1,7}")


class TeammateStatus(StrEnum):
    """The status filter and badge: a teammate's state (`TeammateState`: not yet active, active,
    inactive), with the inactive ones the source no longer returns at all told apart as removed."""

    ACTIVE = TeammateState.ACTIVE.value
    NOT_YET_ACTIVE = TeammateState.NOT_YET_ACTIVE.value
    INACTIVE = TeammateState.INACTIVE.value
    REMOVED = "removed"

    @property
    def label(self) -> str:
        """How the status reads in a badge or a select."""
        return _STATUS_LABELS[self]

    @property
    def tone(self) -> str:
        """The badge's CSS class: ok for active, info for not yet active, warn for the others."""
        if self is TeammateStatus.ACTIVE:
            return "ok"
        return "info" if self is TeammateStatus.NOT_YET_ACTIVE else "warn"

    @property
    def words(self) -> str:
        """What the status means for the teammate, in a sentence (the teammate page)."""
        return _STATUS_WORDS[self]


_STATUS_LABELS = {
    TeammateStatus.ACTIVE: "Active",
    TeammateStatus.NOT_YET_ACTIVE: "Not yet active",
    TeammateStatus.INACTIVE: "Inactive",
    TeammateStatus.REMOVED: "Removed from Okta",
}
_STATUS_WORDS = {
    TeammateStatus.ACTIVE: "Active: at work, and gets the signature the assignments give.",
    TeammateStatus.NOT_YET_ACTIVE: (
        "Not yet active: created in Okta but not activated yet (Okta status STAGED), often a future "
        "hire. No signature until Okta activates them, unless the Assignments page gives signatures "
        "to teammates not yet active."
    ),
    TeammateStatus.INACTIVE: "Inactive: deactivated or suspended in Okta. No signature.",
    TeammateStatus.REMOVED: "Inactive: no longer in Okta (deleted there). No signature.",
}


STATUS_VALUES = frozenset(status.value for status in TeammateStatus)


class TeammateSort(StrEnum):
    """The columns the table sorts by."""

    NAME = "name"
    EMAIL = "email"
    DEPARTMENT = "department"
    TITLE = "title"
    CHANGED = "changed"  # when Okta last changed the user (lastUpdated)


SORT_VALUES = frozenset(sort.value for sort in TeammateSort)
# The table's columns: (sort key or None, heading).
COLUMNS: tuple[tuple[TeammateSort | None, str], ...] = (
    (TeammateSort.NAME, "Name"),
    (TeammateSort.EMAIL, "Email"),
    (TeammateSort.DEPARTMENT, "Department"),
    (TeammateSort.TITLE, "Title"),
    (None, "Status"),
    (TeammateSort.CHANGED, "Last changed in Okta"),
)


@dataclass(frozen=True)
class TeammateFilters:
    """What the admin asked the table for (already cleaned: see `from_args`)."""

    search: str = ""
    status: TeammateStatus | None = None
    department: str = ""
    title: str = ""
    sort: TeammateSort = TeammateSort.NAME
    descending: bool = False
    page: int = 1
    # Values of filters other areas registered (`panels.register_table_extension`): (name, value).
    extra: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> TeammateFilters:
        """Read a query string leniently: unknown values fall back to the defaults (never an error)."""
        status = args.get("status", "")
        sort = args.get("sort", "")
        page = args.get("page", "")
        return cls(
            search=" ".join(args.get("q", "").split())[:MAX_SEARCH_LENGTH],
            status=TeammateStatus(status) if status in STATUS_VALUES else None,
            department=args.get("department", "")[:MAX_SEARCH_LENGTH],
            title=args.get("title", "")[:MAX_SEARCH_LENGTH],
            sort=TeammateSort(sort) if sort in SORT_VALUES else TeammateSort.NAME,
            descending=args.get("dir") == "desc",
            page=max(1, int(page)) if PAGE_NUMBER.fullmatch(page) else 1,
            extra=tuple(
                (extension.filter.name, args.get(extension.filter.name, "")[:MAX_SEARCH_LENGTH])
                for extension in table_extensions()
                if extension.filter is not None and args.get(extension.filter.name, "")
            ),
        )

    def extra_value(self, name: str) -> str:
        """The value of a registered filter ("" when not set)."""
        return dict(self.extra).get(name, "")

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """These filters as query arguments for `url_for`, with `changes` applied; defaults left out."""
        values: dict[str, Any] = {
            "q": self.search,
            "status": self.status.value if self.status else "",
            "department": self.department,
            "title": self.title,
            "sort": self.sort.value if self.sort != TeammateSort.NAME else "",
            "dir": "desc" if self.descending else "",
            "page": self.page if self.page > 1 else "",
            **dict(self.extra),
        }
        values.update(changes)
        if values["page"] == 1:
            values["page"] = ""
        return {name: value for name, value in values.items() if value not in ("", None)}

    def sorted_by(self, sort: TeammateSort) -> dict[str, Any]:
        """Query arguments to sort by `sort`: ascending first, descending when already sorted so."""
        descending = self.sort == sort and not self.descending
        return self.query_args(sort=sort.value, dir="desc" if descending else "", page="")

    def aria_sort(self, sort: TeammateSort) -> str:
        """The column's `aria-sort` value."""
        if self.sort != sort:
            return "none"
        return "descending" if self.descending else "ascending"

    @property
    def narrowed(self) -> bool:
        """Whether a search or filter is applied (an empty table then means "no match", not "no data")."""
        return bool(self.search or self.status or self.department or self.title or self.extra)


@dataclass(frozen=True)
class TeammateRow:
    """One line of the table."""

    id: int
    display_name: str
    email: str | None
    department: str | None
    title: str | None
    status: TeammateStatus
    okta_status: str | None
    changed_at: datetime | None
    # Okta's `transitioningToStatus` while a lifecycle change is in progress.
    transitioning_to_status: str | None = None


@dataclass(frozen=True)
class TeammatePage:
    """One page of the table and where it sits among all matches."""

    rows: list[TeammateRow]
    total: int
    page: int
    page_size: int = PAGE_SIZE
    # Registered columns' cell values: extension key -> teammate id -> value.
    cells: Mapping[str, Mapping[int, Any]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least one)."""
        return page_count(self.total, self.page_size)

    @property
    def first_number(self) -> int:
        """The position of the page's first row among all matches (1-based; 0 when empty)."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last_number(self) -> int:
        """The position of the page's last row among all matches."""
        return (self.page - 1) * self.page_size + len(self.rows)


def _profile_text(name: str) -> Any:
    """The Okta profile's `name` attribute as text (NULL when absent)."""
    return col(SourceRecord.profile)[name].as_string()


department_text = _profile_text("department")
title_text = _profile_text("title")
_SORT_COLUMNS: dict[TeammateSort, Any] = {
    TeammateSort.NAME: func.lower(col(Teammate.display_name)),
    TeammateSort.EMAIL: func.lower(col(Teammate.email)),
    TeammateSort.DEPARTMENT: func.lower(department_text),
    TeammateSort.TITLE: func.lower(title_text),
    TeammateSort.CHANGED: col(SourceRecord.source_updated_at),
}


def _okta_join() -> Any:
    # Every teammate has one Okta record today; an outer join keeps one that (later) has none.
    return and_(col(SourceRecord.teammate_id) == col(Teammate.id), col(SourceRecord.source) == OKTA)


def _status_condition(status: TeammateStatus) -> Any:
    # `active` decides inactive (it is what every other area reads); `state` tells the teammates
    # not yet active apart from the active ones.
    removed = col(SourceRecord.removed_at).is_not(None)
    not_yet = col(Teammate.state) == TeammateState.NOT_YET_ACTIVE.value
    conditions = {
        TeammateStatus.ACTIVE: and_(col(Teammate.active).is_(True), not_(not_yet)),
        TeammateStatus.NOT_YET_ACTIVE: and_(col(Teammate.active).is_(True), not_yet),
        TeammateStatus.INACTIVE: not_(col(Teammate.active)),
    }
    if status == TeammateStatus.REMOVED:
        return removed
    return and_(conditions[status], not_(removed))


def status_of(*, active: bool, removed: bool, state: str = TeammateState.ACTIVE) -> TeammateStatus:
    """The badge of a teammate (the same rule as the status filter)."""
    if removed:
        return TeammateStatus.REMOVED
    if not active:
        return TeammateStatus.INACTIVE
    return TeammateStatus.NOT_YET_ACTIVE if state == TeammateState.NOT_YET_ACTIVE else TeammateStatus.ACTIVE


def like_pattern(text: str) -> str:
    """`%text%` for a case-insensitive LIKE, with LIKE's own wildcards in `text` matched literally."""
    escaped = text.lower().replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


def name_or_email_matches(search: str) -> ColumnElement[bool]:
    """The Teammates search: `search` anywhere in the name or the email, case-insensitive, with
    LIKE's wildcards taken literally."""
    pattern = like_pattern(search)
    return or_(
        func.lower(col(Teammate.display_name)).like(pattern, escape=LIKE_ESCAPE),
        func.lower(col(Teammate.email)).like(pattern, escape=LIKE_ESCAPE),
    )


def _filtered(statement: Any, filters: TeammateFilters, *, join: bool = True) -> Any:
    """`statement` with the filters applied; the Okta record is joined when `join` or a filter needs it."""
    if join or filters.status is not None or filters.department or filters.title:
        statement = statement.outerjoin(SourceRecord, _okta_join())
    if filters.search:
        statement = statement.where(name_or_email_matches(filters.search))
    if filters.status is not None:
        statement = statement.where(_status_condition(filters.status))
    if filters.department:
        statement = statement.where(department_text == filters.department)
    if filters.title:
        statement = statement.where(title_text == filters.title)
    registered = {ext.filter.name: ext.filter for ext in table_extensions() if ext.filter is not None}
    for name, value in filters.extra:
        table_filter = registered.get(name)
        ids = table_filter.teammate_ids(value) if table_filter is not None else None
        if ids is not None:
            statement = statement.where(col(Teammate.id).in_(ids))
    return statement


def teammate_page(*, session: Session, filters: TeammateFilters) -> TeammatePage:
    """The page of teammates `filters` asks for (a page past the end shows the last page)."""
    # Counting needs the record only for filters on it (a search alone counts teammates only).
    total = int(session.exec(_filtered(select(func.count(col(Teammate.id))), filters, join=False)).one())
    page = clamp_page(filters.page, total, PAGE_SIZE)
    order = _SORT_COLUMNS[filters.sort]
    # NULLs (no department...) last in both directions, then a stable tie-break by name and id.
    ordering = [order.is_(None), order.desc() if filters.descending else order.asc()]
    ordering += [func.lower(col(Teammate.display_name)), col(Teammate.id)]
    statement = _filtered(
        select_columns(
            col(Teammate.id),
            col(Teammate.display_name),
            col(Teammate.email),
            col(Teammate.active),
            col(Teammate.state),
            department_text.label("department"),
            title_text.label("title"),
            col(SourceRecord.status),
            col(SourceRecord.removed_at),
            col(SourceRecord.source_updated_at),
            col(SourceRecord.transitioning_to_status),
        ),
        filters,
    )
    result = session.execute(statement.order_by(*ordering).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    rows = [
        TeammateRow(
            id=row.id,
            display_name=row.display_name,
            email=row.email,
            department=row.department,
            title=row.title,
            status=status_of(active=row.active, removed=row.removed_at is not None, state=row.state),
            okta_status=row.status,
            changed_at=row.source_updated_at,
            transitioning_to_status=row.transitioning_to_status,
        )
        for row in result.all()
    ]
    shown = [row.id for row in rows]
    cells = {
        extension.key: extension.column.values(session, shown) if shown else {}
        for extension in table_extensions()
        if extension.column is not None
    }
    return TeammatePage(rows=rows, total=total, page=page, cells=cells)


def attribute_choices(*, session: Session, attribute: str) -> list[str]:
    """The distinct non-empty text values of an Okta profile attribute ("department", "title"),
    sorted, for a filter's select (at most `MAX_CHOICES`)."""
    value = _profile_text(attribute)
    statement = (
        select(value)
        .where(col(SourceRecord.source) == OKTA, value.is_not(None), value != "")
        .group_by(value)
        .order_by(value)
        .limit(MAX_CHOICES)
    )
    return [str(choice) for choice in session.execute(statement).scalars().all()]


@dataclass(frozen=True)
class HistoryEntry:
    """One change of a teammate, with the run that made it (None once that run was pruned)."""

    change: TeammateChange
    run: SyncRun | None


def history_with_runs(*, session: Session, teammate_id: int, limit: int = 100) -> list[HistoryEntry]:
    """The teammate's changes, newest first (`store.teammate_history`), each with its sync run."""
    changes = teammates.teammate_history(session=session, teammate_id=teammate_id, limit=limit)
    run_ids = {change.sync_run_id for change in changes if change.sync_run_id is not None}
    runs = {run.id: run for run in session.exec(select(SyncRun).where(col(SyncRun.id).in_(run_ids))).all()}
    return [HistoryEntry(change=change, run=runs.get(change.sync_run_id)) for change in changes]
