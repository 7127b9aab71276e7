"""The plain-text alternative of a cleaned signature.

Its input is nh3's output: well-formed, lowercase tags, attribute values always double-quoted with
`"` written `&quot;` (html5ever's serializer), so a small tokenizer reads it exactly, several times
faster than `html.parser` (the benchmark renders 10,000 signatures).
"""

from __future__ import annotations

import html
import re

# Text (never a "<": the serializer writes "&lt;"), then a tag: "/" if closing, name, attributes
# (quoted values may hold ">"). Comments are gone (nh3 strips them).
_TOKEN = re.compile(r'([^<]*)<(/?)([a-z][a-z0-9]*)((?:[^>"]|"[^"]*")*)>')
# Tags that change nothing in the text (inline formatting, implied table sections, closing cells
# and rows: the next row or the table's end breaks the line anyway), removed in one pass first.
_NEUTRAL = re.compile(
    r'</?(?:span|b|i|u|em|strong|font|small|sup|sub|s|tbody|thead|tfoot)\b(?:[^>"]|"[^"]*")*>|</t[dhr]>'
)
_ATTRIBUTE = re.compile(r'([^\s="/>]+)(?:="([^"]*)")?')
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")
_SPACE_RUNS = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
# Elements that start and end a line, and those that also leave a blank line around them.
BLOCKS = frozenset({"div", "tr", "table", "li", "ul", "ol", "center", "hr"})
PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "blockquote"})
CELLS = frozenset({"td", "th"})
CELL_SEPARATOR = " | "


def _attribute(raw: str, name: str) -> str:
    """One attribute's value from a tag's attributes as nh3 writes them ("" if absent)."""
    for attribute, value in _ATTRIBUTE.findall(raw):
        if attribute == name:
            return html.unescape(value)
    return ""


def _bare(value: str) -> str:
    value = value.lower().replace(" ", "").rstrip("/")
    for prefix in ("mailto:", "tel:", "https://", "http://", "www."):
        value = value.removeprefix(prefix)
    return value


def _same_target(text: str, url: str) -> bool:
    """Whether a link's text already says where it goes (`ada@x.com` for `mailto:ada@x.com`,
    `+1 415 555 0100` for `tel:+14155550100`)."""
    return text == url or _bare(text) == _bare(url)


class _Writer:
    """Text and line breaks collected while walking the tokens. Block boundaries ask for line
    breaks (`breaks_due`), written only when text follows, so nested tables don't stack blank lines."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.links: list[tuple[int, str]] = []  # (index in parts where the link text starts, url)
        self.breaks_due = 0
        self.line_has_text = False
        self.separator_due = False  # a new cell started after text on this line

    def text(self, value: str, *, markup: bool = True) -> None:
        text = _SPACES.sub(" ", html.unescape(value) if markup else value)
        if not text.strip():
            if self.line_has_text and not self.breaks_due and not self.separator_due:
                self.parts.append(text)
            return
        if self.breaks_due:
            self.parts.append("\n" * self.breaks_due if self.parts else "")
            self.breaks_due = 0
        elif self.separator_due:
            self.parts.append(CELL_SEPARATOR)
        self.line_has_text, self.separator_due = True, False
        self.parts.append(text)

    def block(self, breaks: int = 1) -> None:
        self.breaks_due = max(self.breaks_due, breaks)
        self.line_has_text = self.separator_due = False

    def line_break(self) -> None:
        self.breaks_due += 1
        self.line_has_text = self.separator_due = False

    def start_cell(self) -> None:
        self.separator_due = self.separator_due or self.line_has_text

    def open_link(self, url: str) -> None:
        self.links.append((len(self.parts), url))

    def close_link(self) -> None:
        if not self.links:
            return
        start, url = self.links.pop()
        label = "".join(self.parts[start:]).strip()
        if url and not _same_target(label, url):
            self.text(f" <{url}>" if label else url, markup=False)


def html_to_text(markup: str) -> str:
    """`markup` (cleaned signature HTML) as plain text: blocks and `<br>` on their own lines, table
    cells joined by " | ", links as `text <url>` when the text doesn't already say the URL, images
    as their alt text, blank lines collapsed, each line stripped."""
    writer = _Writer()
    text_of, block, line_break, start_cell = writer.text, writer.block, writer.line_break, writer.start_cell
    # A closing <br> makes the text after the last tag a token's text too (a break at the end is
    # dropped with the trailing whitespace).
    for text, closing, tag, raw_attributes in _TOKEN.findall(_NEUTRAL.sub("", markup) + "<br>"):
        if text:
            text_of(text)
        if tag in CELLS:
            if not closing:
                start_cell()
        elif tag in BLOCKS:
            block()
        elif tag == "br":
            line_break()
        elif tag in PARAGRAPHS:
            block(2)
        elif tag == "a":
            writer.close_link() if closing else writer.open_link(_attribute(raw_attributes, "href"))
        elif tag == "img" and not closing:
            text_of(_attribute(raw_attributes, "alt"))
    return _tidy("".join(writer.parts))


def _tidy(text: str) -> str:
    lines = "\n".join(_SPACE_RUNS.sub(" ", line.strip()) for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", lines).strip()
