"""`flask --app wsgi signatures render --template FILE (--teammate ID | --profile JSON_FILE) [--text]`:
a template rendered exactly as teammates get it, for admins who keep templates in a repository.

Exit status 1 with a one-line reason on stderr when the template is refused, a file is missing or
unreadable, the teammate doesn't exist or the profile is not a JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.fields.values import FieldValues, profile_field_values, teammate_field_values
from webapp.signature_templates.renderer import TemplateRefused, render_signature
from webapp.signature_templates.sandbox import MAX_TEMPLATE_CHARS
from webapp.teammates.models import Teammate

MAX_PROFILE_BYTES = 1_000_000


@click.group("signatures")
def signatures_group() -> None:
    """Email signatures: render a template from the command line."""


@signatures_group.command("render")
@click.option("--template", "template_path", required=True, help="The template's HTML file ('-': stdin).")
@click.option(
    "--teammate", "teammate_id", type=int, default=None, help="Fill it with this teammate's values."
)
@click.option(
    "--profile",
    "profile_path",
    default=None,
    help="Or with an Okta profile: a JSON object of attributes ('-': stdin).",
)
@click.option("--text", "as_text", is_flag=True, help="Print the plain-text version instead of the HTML.")
@with_appcontext
def render_command(
    template_path: str, teammate_id: int | None, profile_path: str | None, as_text: bool
) -> None:
    """Print the email-safe HTML (or with --text the plain text) of a template for one teammate or
    one profile, exactly as teammates get it."""
    if (teammate_id is None) == (profile_path is None):
        raise click.UsageError("Give either --teammate ID or --profile JSON_FILE.")
    source = _read(template_path, "template", limit=MAX_TEMPLATE_CHARS * 4)
    try:
        values = (
            _values_for_teammate(teammate_id)
            if teammate_id is not None
            else _values_for_profile(profile_path)
        )
    except SQLAlchemyError as error:
        raise click.ClickException(
            "Cannot read the smart fields: is the database up and migrated (flask --app wsgi migrate)? "
            f"({type(error).__name__})"
        ) from error
    try:
        rendered = render_signature(source, values.values, base_url=current_app.config["BASE_URL"])
    except TemplateRefused as refusal:
        raise click.ClickException(f"Template refused: {refusal.message}") from refusal
    click.echo(rendered.text if as_text else rendered.html)


def _read(path: str, what: str, *, limit: int) -> str:
    """A file's text ('-' reads stdin), or a one-line error."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with Path(path).open("rb") as handle:
                data = handle.read(limit + 1)
    except OSError as error:
        raise click.ClickException(
            f"Cannot read the {what} file {path}: {error.strerror or error}"
        ) from error
    if len(data) > limit:
        raise click.ClickException(f"The {what} file {path} is over {limit:,} bytes.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"The {what} file {path} is not UTF-8 text.") from error


def _values_for_teammate(teammate_id: int) -> FieldValues:
    with db.session_scope(writer=False) as session:
        if session.get(Teammate, teammate_id) is None:
            raise click.ClickException(f"No teammate with id {teammate_id}.")
        return teammate_field_values(session=session, teammate_ids=[teammate_id])[teammate_id]


def _values_for_profile(path: str | None) -> FieldValues:
    text = _read(path or "-", "profile", limit=MAX_PROFILE_BYTES)
    try:
        profile: Any = json.loads(text)
    except ValueError as error:
        raise click.ClickException(f"The profile file {path} is not valid JSON: {error}") from error
    if not isinstance(profile, dict):
        raise click.ClickException(f"The profile file {path} must hold a JSON object of Okta attributes.")
    with db.session_scope(writer=False) as session:
        return profile_field_values(session=session, profile=profile)
