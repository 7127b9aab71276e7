"""A job module with a broken import: resolving it must raise, not pass for "not written yet"."""

import signet_no_such_dependency  # type: ignore[import-not-found]  # noqa: F401


def run(app: object) -> None:
    """Never reached."""
