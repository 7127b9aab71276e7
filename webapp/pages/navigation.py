"""The main navigation, defined once in Python (templates never retype endpoints)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class NavItem:
    """One link of the main navigation; it is marked current on every page of its blueprint and of
    what `also` names: other blueprints, or single endpoints ("fields.teammate_values"), for
    sub-pages of its area that live elsewhere. A named endpoint wins over its blueprint's link."""

    endpoint: str
    label: str
    also: tuple[str, ...] = ()

    @property
    def blueprint(self) -> str:
        """The blueprint whose pages this link stands for."""
        return self.endpoint.split(".", 1)[0]


def current_nav_item(endpoint: str | None) -> NavItem | None:
    """The link of the area the page at `endpoint` belongs to (None: no area, e.g. the dashboard)."""
    if not endpoint:
        return None
    for item in MAIN_NAV:
        if endpoint in item.also:
            return item
    blueprint = endpoint.split(".", 1)[0]
    return next((item for item in MAIN_NAV if blueprint in (item.blueprint, *item.also)), None)


MAIN_NAV: tuple[NavItem, ...] = (
    NavItem("setup.okta", "Setup"),
    # A teammate's signature history and changes, and the smart-field values kept for them, are
    # pages about that teammate.
    NavItem(
        "teammates.index",
        "Teammates",
        also=("signatures", "fields.teammate_values", "fields.save_teammate_values"),
    ),
    NavItem("fields.index", "Smart fields"),
    NavItem("signature_templates.index", "Signatures"),
    NavItem("rules.index", "Assignments"),
    NavItem("delivery.index", "Delivery"),
    NavItem("sync.index", "Sync", also=("hooks",)),  # the Sync page's event hook section
    NavItem("settings.index", "Settings", also=("delivery_api_tokens",)),  # Settings › API tokens
)


def init_app(app: Flask) -> None:
    """Expose the navigation to every template as `main_nav`, and `current_nav_item(endpoint)`."""
    app.jinja_env.globals["main_nav"] = MAIN_NAV
    app.jinja_env.globals["current_nav_item"] = current_nav_item
