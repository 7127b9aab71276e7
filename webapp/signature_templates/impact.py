"""How many teammates a publish would change: a registry the signatures area fills (it sits above
this one, so the templates area cannot ask it directly; imports flow one way).

The publish confirmation calls `publish_impact`; while nothing is registered it gets None and says
that the assignment rules decide who gets the template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class PublishImpact:
    """Teammates whose signature would change: how many, and (some of) their names."""

    count: int
    names: list[str] = field(default_factory=list)


ImpactProvider = Callable[[Session, int, str], PublishImpact]

_provider: list[ImpactProvider] = []


def register_publish_impact(fn: ImpactProvider) -> None:
    """Set the function giving `fn(session, template_id, html_to_publish)`; a later one replaces it."""
    _provider[:] = [fn]


def unregister_publish_impact() -> None:
    """Forget the registered function (tests)."""
    _provider.clear()


def publish_impact(session: Session, template_id: int, html: str) -> PublishImpact | None:
    """What publishing `html` as the template's next version would change, or None if unknown."""
    if not _provider:
        return None
    return _provider[0](session, template_id, html)
