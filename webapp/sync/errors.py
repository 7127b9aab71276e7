"""What a failed sync run records: the error in an admin's words, never a secret.

Sources may register a translation of their errors (Okta: the missing scope and the wizard step to
fix it, `webapp.sync.service`); otherwise the error's own text is used.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

ErrorDescriber = Callable[[BaseException], str | None]
_describers: list[ErrorDescriber] = []


def register_error_describer(describer: ErrorDescriber) -> None:
    """Let a source say what its errors mean (first describer to answer wins)."""
    if describer not in _describers:
        _describers.append(describer)


def describe_error(error: BaseException) -> str:
    """The message recorded on a failed run: what went wrong and what to do, never a secret."""
    for describer in _describers:
        said = describer(error)
        if said:
            return said
    if isinstance(error, KeyboardInterrupt):
        return "Interrupted (Ctrl-C). Everything written so far is kept; the next sync carries on."
    if isinstance(error, SQLAlchemyError):
        # The driver's first line, without the statement and its parameters (profile data).
        detail = getattr(error, "orig", None) or error
        first = (str(detail).strip().splitlines() or [""])[0][:300]
        return f"Signet could not write to its database: {type(detail).__name__}: {first}"
    return (str(error).strip() or type(error).__name__)[:2000]
