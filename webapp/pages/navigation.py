"""The main navigation, defined once in Python (templates never retype endpoints)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class NavItem:
    """One link of the main navigation; it is marked current on every page of its blueprint and of
    the blueprints in `also` (sub-pages of its area that live in another blueprint)."""

    endpoint: str
    label: str
    also: tuple[str, ...] = ()

    @property
    def blueprint(self) -> str:
        """The blueprint whose pages this link stands for."""
        return self.endpoint.split(".", 1)[0]

    def marks(self, blueprint: str | None) -> bool:
        """Whether a page of `blueprint` belongs to this link's area."""
        return blueprint is not None and (blueprint == self.blueprint or blueprint in self.also)


MAIN_NAV: tuple[NavItem, ...] = (
    NavItem("setup.okta", "Setup"),
    # A teammate's signature history and changes are pages about that teammate.
    NavItem("teammates.index", "Teammates", also=("signatures",)),
    NavItem("fields.index", "Smart fields"),
    NavItem("signature_templates.index", "Signatures"),
    NavItem("rules.index", "Assignments"),
    NavItem("delivery.index", "Delivery"),
    NavItem("sync.index", "Sync", also=("hooks",)),  # the Sync page's event hook section
    NavItem("settings.index", "Settings", also=("delivery_api_tokens",)),  # Settings › API tokens
)


def init_app(app: Flask) -> None:
    """Expose the navigation to every template as `main_nav`."""
    app.jinja_env.globals["main_nav"] = MAIN_NAV
