"""Smart-field tests use the sync tests' fixtures (a Signet app connected to a sandbox org)."""

from tests.sync.conftest import connected

__all__ = ["connected"]
