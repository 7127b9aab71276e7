"""The Teammates pages: the searchable table of everyone synced, and one teammate's profile and history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, request

from webapp.extensions import db
from webapp.rendering import found_or_404, render, wants_fragment
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.sources.okta.status import connection_summary
from webapp.teammates import queries
from webapp.teammates import store as teammates
from webapp.teammates.models import ChangeKind, Teammate, TeammateState
from webapp.teammates.panels import detail_panels, table_extensions
from webapp.teammates.profile import admin_console_url, attribute_titles, display_value, profile_rows
from webapp.teammates.queries import TeammateFilters, TeammateSort, TeammateStatus

bp = Blueprint("teammates", __name__, url_prefix="/teammates")
# Ids are 32-bit integers in every database Signet supports; a larger one in a URL is simply not found.
MAX_ID = 2**31 - 1
TABLE = "teammates/_table.html"


def init_app(app: Flask) -> None:
    """Give templates the values they test (never retyped as literals) and the `profile_value` filter."""
    app.jinja_env.globals.update(
        TeammateStatus=TeammateStatus,
        TeammateSort=TeammateSort,
        ChangeKind=ChangeKind,
        TeammateState=TeammateState,
    )
    app.add_template_filter(display_value, "profile_value")


bp.record_once(lambda state: init_app(state.app))  # type: ignore[arg-type]


def get_teammate_or_404(teammate_id: int) -> Teammate:
    """The teammate with this id, or a 404 page."""
    return found_or_404(teammates.get_teammate(session=db.session, teammate_id=teammate_id))


@bp.get("/")
def index() -> Response:
    """Every synced teammate: search as you type, filter, sort and page; htmx gets only the table.

    The filter form is a plain GET form, so the same URL (bookmarkable, pushed by htmx) shows the
    same table with or without JavaScript.
    """
    filters = TeammateFilters.from_args(request.args)
    page = queries.teammate_page(session=db.session, filters=filters)
    # An empty result means "no match" when narrowed, "nothing synced yet" otherwise.
    any_teammates = page.total > 0 or (filters.narrowed and teammates.count_teammates(session=db.session) > 0)
    context: dict[str, Any] = {
        "filters": filters,
        "result": page,
        "any_teammates": any_teammates,
        "columns": queries.COLUMNS,
        "extra_columns": [extension for extension in table_extensions() if extension.column is not None],
    }
    if not any_teammates:
        context["okta_connected"] = connection_summary(session=db.session).is_connected
    if not wants_fragment():  # the selects live outside the swapped table
        context["departments"] = queries.attribute_choices(session=db.session, attribute="department")
        context["titles"] = queries.attribute_choices(session=db.session, attribute="title")
        context["extra_filters"] = [
            (extension.filter, extension.filter.choices(db.session))
            for extension in table_extensions()
            if extension.filter is not None
        ]
    return render("teammates/index.html", partial=TABLE, **context)


@bp.get(f"/<int(max={MAX_ID}):teammate_id>")
def detail(teammate_id: int) -> Response:
    """One teammate: the synced profile with Okta's attribute titles, status, history, Okta link."""
    teammate = get_teammate_or_404(teammate_id)
    records = teammates.records_of(session=db.session, teammate_id=teammate_id)
    record = next((candidate for candidate in records if candidate.source == OKTA), None)
    attributes = teammates.list_source_attributes(session=db.session, source=OKTA, include_removed=True)
    okta = connection_summary(session=db.session)
    origin = okta.connection.okta_origin if okta.connection else None
    return render(
        "teammates/detail.html",
        teammate=teammate,
        record=record,
        teammate_status=queries.status_of(
            active=teammate.active,
            removed=record is not None and record.removed_at is not None,
            state=teammate.state,
        ),
        profile=profile_rows(record.profile if record else {}, attributes),
        titles=attribute_titles(attributes),
        history=queries.history_with_runs(session=db.session, teammate_id=teammate_id),
        okta_url=admin_console_url(origin, record.external_id) if record else None,
        okta_host=okta.host,
        panels=detail_panels(db.session, teammate),
    )
