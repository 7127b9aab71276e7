"""Review: the main navigation marks the area a page belongs to, also for sub-pages served by another
blueprint (a teammate's signature pages and kept smart-field values are under Teammates, API tokens
under Settings, the event hook section under Sync)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.signatures.conftest import World

CURRENT = re.compile(r'<a href="[^"]*"\s+aria-current="page">([^<]+)</a>')


@pytest.mark.parametrize(
    ("path", "area"),
    [
        ("/teammate-signatures/", "Teammates"),
        ("/teammate-signatures/{ada}", "Teammates"),
        ("/teammate-signatures/{ada}/changes/1", "Teammates"),
        ("/teammates/{ada}", "Teammates"),
        ("/smart-fields/teammates/{ada}", "Teammates"),
        ("/smart-fields/", "Smart fields"),
        ("/settings/api-tokens/", "Settings"),
        ("/sync/event-hook", "Sync"),
        ("/signatures/images", "Signatures"),
        ("/signatures/assignments/", "Assignments"),
    ],
)
def test_the_main_navigation_marks_the_area_of_each_page(
    client: FlaskClient, signed_in: AuthActions, world: World, path: str, area: str
) -> None:
    """Exactly one navigation link is current, the page's area."""
    response = client.get(path.format(ada=world.people["Ada"]))
    assert response.status_code == 200
    assert CURRENT.findall(response.get_data(as_text=True)) == [area]
