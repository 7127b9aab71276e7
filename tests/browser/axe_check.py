"""axe-core in the browser tests: any serious or critical violation fails the test."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

BLOCKING_IMPACTS = frozenset({"serious", "critical"})
_axe = Axe()


def blocking_violations(page: Any) -> list[str]:
    """The page's serious and critical axe-core violations, one readable line each."""
    results = _axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in BLOCKING_IMPACTS:
            targets = [node.get("target") for node in violation.get("nodes", [])][:3]
            found.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return found


def assert_accessible(page: Any, where: str) -> None:
    """Fail with every serious or critical violation on the current page, naming where it was."""
    problems = blocking_violations(page)
    assert not problems, f"axe-core on {where}:\n" + "\n".join(problems)
