"""Inlining a template's `<style>` block once, at compile time, instead of in every render.

css-inline costs about as much as the Jinja render itself; a re-render of 10,000 signatures runs
it 10,000 times on documents that differ only in their values. When the result provably cannot
depend on the values, the template source itself is inlined: each Jinja construct is hidden from
the HTML parser (a comment in text, a private-use token in an attribute value), the document is
inlined, the constructs are put back. That holds when:

- every selector is a simple compound (`td`, `.name`, `td.name`, `#logo`, `h1, h2`): an element's
  styles then depend only on its own tag, class and id, never on its neighbours or ancestors
  (which `{% if %}` may add or remove);
- no construct sits where it could change a tag, a class, an id or a style (tag bodies, those
  attributes, unquoted attribute values, the `<style>` block, raw-text elements);
- the `<style>` block is outside every `{% if %}`.

- the serializer adds no end tag the template leaves out (one behind an `{% if %}` could stand
  alone in some renders), and there is no SVG or MathML (parsed by other rules).

Anything else falls back to inlining each rendered signature. As a last guard the two ways are
compared on sample values (all empty, all filled, each field alone empty) and the fast one is kept
only if they agree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser

import css_inline

from webapp.signature_templates import sanitize

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters: a construct's number between them
_CONSTRUCT = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TOKEN = re.compile(OPEN + r"(\d+)" + CLOSE)
_SIMPLE_SELECTOR = re.compile(r"\*|[a-zA-Z][a-zA-Z0-9]*|(?:[a-zA-Z][a-zA-Z0-9]*)?(?:[.#][a-zA-Z_][\w-]*)+")
_STYLE_TAG = re.compile(r"<style\b", re.I)
_IF = re.compile(r"^\{%[-+]?\s*if\b")
_ENDIF = re.compile(r"^\{%[-+]?\s*endif\b")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_RULE = re.compile(r"([^{}]*)\{[^{}]*\}")
VALUE_DEPENDENT_ATTRIBUTES = frozenset({"class", "id", "style"})
RAW_TEXT_ELEMENTS = frozenset(
    {"style", "script", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"}
)
_FOREIGN = re.compile(r"<(?:svg|math)\b", re.I)  # foreign content parses by other rules
_END_TAG = re.compile(r"</([a-zA-Z][a-zA-Z0-9]*)")
# End tags css-inline's serializer adds to any document.
_ADDED_BY_SERIALIZER = frozenset({"html", "head", "body", "tbody"})


class _Placement(HTMLParser):
    """Where each construct token landed: in text (True), in a harmless attribute value (False),
    anywhere else (`unsafe` set). Also collects the `<style>` blocks' CSS."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.in_text: dict[int, bool] = {}
        self.unsafe = False
        self.css: list[str] = []
        self._raw: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if _TOKEN.search(tag):
            self.unsafe = True
        for name, value in attrs:
            if _TOKEN.search(name) or (value and _TOKEN.search(value) and name in VALUE_DEPENDENT_ATTRIBUTES):
                self.unsafe = True
            for number in _TOKEN.findall(value or ""):
                self.in_text[int(number)] = False
        # A token in an unquoted value, or outside any value (between attributes): refuse.
        outside_quotes = re.sub(r'"[^"]*"|\'[^\']*\'', "", raw)
        if _TOKEN.search(outside_quotes):
            self.unsafe = True
        self._raw = tag if tag in RAW_TEXT_ELEMENTS else None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._raw = None

    def handle_endtag(self, tag: str) -> None:
        if _TOKEN.search(tag):
            self.unsafe = True
        self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw is not None:
            if _TOKEN.search(data):
                self.unsafe = True
            if self._raw == "style":
                self.css.append(data)
            return
        for number in _TOKEN.findall(data):
            self.in_text[int(number)] = True

    def handle_comment(self, data: str) -> None:
        for number in _TOKEN.findall(data):
            self.in_text.setdefault(int(number), False)  # kept as a token inside the comment

    def unknown_decl(self, data: str) -> None:
        self.unsafe = True


def simple_selectors_only(css: str) -> bool:
    """Whether every rule of `css` has only simple compound selectors (no combinator, no
    pseudo-class, no attribute selector) and there is no at-rule."""
    css = _CSS_COMMENT.sub("", css)
    if "@" in css or "\\" in css:
        return False
    rules = _RULE.findall(css)
    if _RULE.sub("", css).strip():
        return False
    return all(_SIMPLE_SELECTOR.fullmatch(selector.strip()) for rule in rules for selector in rule.split(","))


def style_in_condition(source: str) -> bool:
    """Whether a `<style>` block sits inside an `{% if %}` (the CSS would then depend on values)."""
    depth, position = 0, 0
    for match in _CONSTRUCT.finditer(source):
        if depth and _STYLE_TAG.search(source, position, match.start()):
            return True
        depth += len(_IF.findall(match.group())) - len(_ENDIF.findall(match.group()))
        position = match.end()
    return bool(depth and _STYLE_TAG.search(source, position))


def inline_source(source: str, *, agree: Callable[[str], bool]) -> str | None:
    """`source` with its `<style>` blocks inlined and removed, or None when that could depend on
    the values (see the module's docstring). `agree(inlined)` compares both ways on samples."""
    if OPEN in source or CLOSE in source or _FOREIGN.search(source) or style_in_condition(source):
        return None
    constructs: list[str] = []

    def token(match: re.Match[str]) -> str:
        constructs.append(match.group())
        return f"{OPEN}{len(constructs) - 1}{CLOSE}"

    tokenized = _CONSTRUCT.sub(token, source)
    placement = _Placement()
    placement.feed(tokenized)
    placement.close()
    if placement.unsafe or len(placement.in_text) != len(constructs):
        return None
    if not placement.css or not all(simple_selectors_only(css) for css in placement.css):
        return None
    protected = _TOKEN.sub(
        lambda m: f"<!--{m.group()}-->" if placement.in_text[int(m.group(1))] else m.group(), tokenized
    )
    try:
        inlined = sanitize.inline_styles(protected)
    except (css_inline.InlineError, ValueError):
        return None
    restored, count = _restore(inlined, constructs)
    if count != len(constructs) or _adds_end_tags(tokenized, inlined):
        return None
    return restored if agree(restored) else None


def _adds_end_tags(before: str, after: str) -> bool:
    """Whether the serializer closed an element the template leaves open (`<p>` without `</p>`):
    behind an `{% if %}`, such an added end tag could stand alone in some renders."""
    written = Counter(name.lower() for name in _END_TAG.findall(before))
    serialized = Counter(name.lower() for name in _END_TAG.findall(after))
    return any(serialized[name] > written[name] for name in serialized if name not in _ADDED_BY_SERIALIZER)


def _restore(inlined: str, constructs: list[str]) -> tuple[str, int]:
    count = 0

    def put_back(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return constructs[int(match.group(1) or match.group(2))]

    pattern = re.compile(f"<!--{OPEN}(\\d+){CLOSE}-->|{OPEN}(\\d+){CLOSE}")
    return pattern.sub(put_back, inlined), count
