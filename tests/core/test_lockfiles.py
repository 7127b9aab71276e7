"""The lock files pin, with hashes, every dependency pyproject.toml declares (`make lock` keeps them so)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _pins(lock: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    text = (ROOT / lock).read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match:
            assert "--hash=sha256:" in block, f"{match[1]} in {lock} has no hash"
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    raw = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(line) for line in raw]


@pytest.mark.parametrize(("lock", "extras"), [("requirements.lock", []), ("requirements-dev.lock", ["dev"])])
def test_lock_pins_every_declared_dependency(lock: str, extras: list[str]) -> None:
    """Each dependency of pyproject.toml is pinned (with hashes) at a version its range allows."""
    pins = _pins(lock)
    for requirement in _declared() + [r for extra in extras for r in _declared(extra)]:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in {lock}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pins {requirement.name}=={pins[name]}, outside {requirement.specifier}: run `make lock`"
        )


def test_dev_lock_keeps_the_runtime_pins() -> None:
    """The dev install runs the very versions a user's install gets."""
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
