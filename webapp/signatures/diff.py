"""Line diffs between two versions of a signature (plain text and HTML), for the history page.

difflib's unified diff, as lines marked added, removed, unchanged or a hunk header, so the page can
mark them with symbols and words (not colour alone). HTML is split at tag boundaries first: a
rendered signature is often one long line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

CONTEXT_LINES = 3
_BETWEEN_TAGS = re.compile(r">\s*<")


class DiffKind(StrEnum):
    """How one line of a diff reads; templates test it (never retyped as literals)."""

    ADDED = "added"
    REMOVED = "removed"
    SAME = "same"
    HUNK = "hunk"  # "@@ -1,3 +1,4 @@": where the following lines sit

    @property
    def symbol(self) -> str:
        """The mark before the line: + added, − removed, blank otherwise."""
        return {"added": "+", "removed": "−", "same": " ", "hunk": "…"}[self.value]

    @property
    def label(self) -> str:
        """The words screen readers (and the legend) give the mark."""
        return {"added": "Added", "removed": "Removed", "same": "Unchanged", "hunk": "Lines"}[self.value]


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff."""

    kind: DiffKind
    text: str


@dataclass(frozen=True)
class SignatureDiff:
    """The diff of the plain text and of the HTML, and whether anything differs."""

    text: list[DiffLine]
    html: list[DiffLine]

    @property
    def added(self) -> int:
        """Lines added to the plain text."""
        return sum(1 for line in self.text if line.kind == DiffKind.ADDED)

    @property
    def removed(self) -> int:
        """Lines removed from the plain text."""
        return sum(1 for line in self.text if line.kind == DiffKind.REMOVED)


def html_lines(html: str) -> list[str]:
    """HTML as one tag (or run of text) per line, so a diff points at what changed."""
    return _BETWEEN_TAGS.sub(">\n<", html.strip()).splitlines() if html.strip() else []


def line_diff(old: list[str], new: list[str]) -> list[DiffLine]:
    """`old` to `new` as a unified diff (3 lines of context), without the file headers."""
    lines: list[DiffLine] = []
    for raw in difflib.unified_diff(old, new, lineterm="", n=CONTEXT_LINES):
        if raw.startswith(("---", "+++")):
            continue
        if raw.startswith("@@"):
            lines.append(DiffLine(DiffKind.HUNK, raw))
        elif raw.startswith("+"):
            lines.append(DiffLine(DiffKind.ADDED, raw[1:]))
        elif raw.startswith("-"):
            lines.append(DiffLine(DiffKind.REMOVED, raw[1:]))
        else:
            lines.append(DiffLine(DiffKind.SAME, raw[1:]))
    return lines


def signature_diff(*, old_text: str, new_text: str, old_html: str, new_html: str) -> SignatureDiff:
    """The diff between two signatures (empty strings for "no signature")."""
    return SignatureDiff(
        text=line_diff(old_text.splitlines(), new_text.splitlines()),
        html=line_diff(html_lines(old_html), html_lines(new_html)),
    )
