"""The main navigation, defined once in Python (templates never retype endpoints)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class NavItem:
    """One link of the main navigation; it is marked current on every page of its blueprint."""

    endpoint: str
    label: str

    @property
    def blueprint(self) -> str:
        """The blueprint whose pages this link stands for."""
        return self.endpoint.split(".", 1)[0]


MAIN_NAV: tuple[NavItem, ...] = (
    NavItem("setup.okta", "Setup"),
    NavItem("teammates.index", "Teammates"),
    NavItem("fields.index", "Smart fields"),
    NavItem("signature_templates.index", "Signatures"),
    NavItem("rules.index", "Assignments"),
    NavItem("delivery.index", "Delivery"),
    NavItem("sync.index", "Sync"),
    NavItem("settings.index", "Settings"),
)


def init_app(app: Flask) -> None:
    """Expose the navigation to every template as `main_nav`."""
    app.jinja_env.globals["main_nav"] = MAIN_NAV
