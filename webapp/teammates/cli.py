"""`flask --app wsgi teammates export [--format json|csv]`: every teammate to stdout."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from webapp.extensions import db
from webapp.teammates import export


@click.group("teammates")
def teammates_group() -> None:
    """Teammates synced from Okta."""


@teammates_group.command("export")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: one object per line; csv: a header, then one row per teammate.",
)
@with_appcontext
def export_command(output_format: str) -> None:
    """Write every teammate (source id, status, active, email, display name, every profile
    attribute) to stdout."""
    out = sys.stdout
    with db.session_scope(writer=False) as session:
        if output_format == "csv":
            export.write_csv(out, session=session)
        else:
            export.write_json_lines(out, session=session)
    out.flush()
