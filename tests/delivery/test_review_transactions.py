"""Review: the CSV of every link is read and decrypted with no write transaction open (PITFALLS
7.1: about a second for 10,000 links, during which SQLite's write lock would stop every sync)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from tests.delivery.factories import gen_signed_teammate
from webapp.delivery import links
from webapp.extensions import db

pytestmark = pytest.mark.usefixtures("signed_in")


def test_csv_export_decrypts_outside_the_write_transaction(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the links are decrypted the request's session holds no transaction; the CSV is whole."""
    with app.app_context(), db.session_scope() as session:
        for name in ("Ada Lovelace", "Bob Babbage"):
            gen_signed_teammate(session, name=name)
    client.post("/delivery/links")
    export = links.export_links
    holding: list[bool] = []

    def watched(**kwargs: Any) -> Iterator[links.ExportedLink]:
        for exported in export(**kwargs):
            session = g.get("db_session")
            holding.append(session is not None and session.in_transaction())
            yield exported

    monkeypatch.setattr(links, "export_links", watched)
    response = client.post("/delivery/links.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [row[0] for row in rows[1:]] == ["Ada Lovelace", "Bob Babbage"]
    assert holding == [False, False]
