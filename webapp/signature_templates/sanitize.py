"""Making rendered HTML email-safe: `<style>` blocks inlined (css-inline), then an nh3 allowlist.

nh3 is the final gate (PITFALLS §6.3-6.4): whatever a template or a value managed to produce,
only the tags, attributes, URL schemes and CSS properties below leave this module. Mail clients
ignore `<style>` blocks (Gmail) and resolve no relative URL (PITFALLS §6.7), hence the inlining and
the absolute URLs.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

import css_inline
import nh3

TAGS = frozenset(
    {"table", "tbody", "thead", "tfoot", "tr", "td", "th", "a", "img", "span", "b", "i", "strong"}
    | {"em", "u", "br", "p", "div", "font", "hr", "small", "h1", "h2", "h3", "h4", "center", "sup"}
    | {"sub", "s", "ul", "ol", "li", "blockquote"}
)
ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "title", "align", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "border"},
    "td": {"width", "height", "valign", "colspan", "rowspan", "bgcolor"},
    "th": {"width", "height", "valign", "colspan", "rowspan", "bgcolor"},
    "tr": {"valign", "bgcolor"},
    "table": {"width", "height", "cellpadding", "cellspacing", "border", "role", "bgcolor"},
    "font": {"color", "face", "size"},
    "hr": {"width", "size", "color", "noshade"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# CSS properties a signature needs and mail clients understand; no `background` (url()), no
# `position`, no `behavior`/`-moz-binding`.
STYLE_PROPERTIES = frozenset(
    {"color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight"}
    | {"font-variant", "line-height", "letter-spacing", "word-spacing", "text-align", "text-decoration"}
    | {"text-transform", "text-indent", "vertical-align", "white-space", "direction", "display"}
    | {"width", "height", "max-width", "min-width", "max-height", "min-height", "border"}
    | {f"{box}{side}" for box in ("padding", "margin") for side in ("", "-top", "-right", "-bottom", "-left")}
    | {
        f"border{side}{part}"
        for side in ("", "-top", "-right", "-bottom", "-left")
        for part in ("", "-color", "-width", "-style")
    }
    | {"border-collapse", "border-spacing", "border-radius", "mso-line-height-rule", "mso-table-lspace"}
    | {"mso-table-rspace", "table-layout", "overflow", "list-style-type"}
)
# Declarations dropped whatever their property: a backslash or a comment could hide a forbidden
# word from this check (nh3 decodes CSS escapes afterwards: `e\xpression` becomes `expression`).
_STYLE_FORBIDDEN = re.compile(r"\\|/\*|expression|url\s*\(|javascript|vbscript|behavior|binding|@|<", re.I)
# What nh3's output is searched for, lowercased (nh3 has already decoded CSS escapes and dropped
# comments). Substring tests: a case-insensitive regex costs more than cleaning itself.
SUSPICIOUS_WORDS = ("\\", "expression", "url", "script", "behavior", "binding")
# Characters browsers drop inside a URL before reading its scheme (`java\tscript:`).
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.I)
_URL_ATTRIBUTE = re.compile(r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)

_INLINER = css_inline.CSSInliner(
    inline_style_tags=True,
    keep_style_tags=False,
    keep_link_tags=False,
    keep_at_rules=False,
    load_remote_stylesheets=False,  # never fetch a URL a template names (SSRF)
)


def filter_style(value: str) -> str:
    """A `style` attribute without any declaration that could run code or fetch a URL."""
    kept = [part for part in value.split(";") if part.strip() and not _STYLE_FORBIDDEN.search(part)]
    return ";".join(kept)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return filter_style(value) or None
    return value


def _cleaner_options(base_url: str) -> dict[str, Any]:
    return {
        "tags": set(TAGS),
        "attributes": ATTRIBUTES,
        "url_schemes": set(URL_SCHEMES),
        "link_rel": "noopener noreferrer",
        "filter_style_properties": set(STYLE_PROPERTIES),
        "url_relative": ("rewrite_with_base", base_url.rstrip("/") + "/"),
        "strip_comments": True,
    }


@lru_cache(maxsize=8)
def cleaner(base_url: str) -> nh3.Cleaner:
    """The allowlist, resolving relative `href`/`src` against `base_url` (one per base URL)."""
    return nh3.Cleaner(**_cleaner_options(base_url))


@lru_cache(maxsize=8)
def strict_cleaner(base_url: str) -> nh3.Cleaner:
    """`cleaner`, and each `style` attribute through `filter_style` (a Python callback per
    attribute: twice as slow, so used only for markup `cleaner` leaves a suspicious word in)."""
    return nh3.Cleaner(**_cleaner_options(base_url), attribute_filter=_attribute_filter)


def inline_styles(markup: str) -> str:
    """`markup` with its `<style>` rules copied into `style` attributes and the blocks removed.
    css-inline returns a whole document; the cleaner then keeps only the body's content."""
    return _INLINER.inline(markup)


def clean(markup: str, *, base_url: str) -> str:
    """`markup` reduced to the signature allowlist. nh3 keeps only allowed CSS properties but not
    their values: when its output holds a word that could be a CSS payload (anywhere: a teammate
    called "Expression Ltd" takes the slow path too), the markup is cleaned again with
    `filter_style` on every `style` attribute. Either way the output is a function of the input."""
    cleaned = cleaner(base_url).clean(markup)
    lowered = cleaned.lower()
    if any(word in lowered for word in SUSPICIOUS_WORDS):
        cleaned = strict_cleaner(base_url).clean(markup)
    # A style attribute whose every declaration was dropped is left empty by nh3. Whitespace
    # around the fragment means nothing (and differs with where css-inline put the <style> block).
    return (cleaned.replace(' style=""', "") if ' style=""' in cleaned else cleaned).strip()


def refused_urls(markup: str, cleaned: str | None = None) -> list[str]:
    """The `href`/`src` values in `markup` whose scheme the cleaner drops (`javascript:`, `data:`,
    `ftp:` ...), as written, for the LINK_SCHEME warning. With `cleaned` (the cleaner's output),
    nothing is searched when it kept as many URLs as `markup` has (the usual case: cheap)."""
    # nh3 writes attribute names in lowercase: an uppercase HREF in the markup only costs the search.
    if cleaned is not None and markup.count("href") + markup.count("src") == cleaned.count(
        "href"
    ) + cleaned.count("src"):
        return []
    refused: list[str] = []
    for match in _URL_ATTRIBUTE.finditer(markup):
        written = next(group for group in match.groups() if group is not None)
        url = _URL_IGNORED.sub("", html.unescape(written))
        scheme = _SCHEME.match(url)
        if scheme and scheme.group(1).lower() not in URL_SCHEMES and written not in refused:
            refused.append(written)
    return refused


_TAG_ATTRIBUTE = re.compile(r"""([^\s="'/<>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")


def tag_attributes(tag: str) -> dict[str, str]:
    """The attributes of one start tag as written (`<img src="a.png" width=80>`), lowercase names,
    unescaped values; the first of a repeated attribute wins, as in browsers."""
    inside = tag.strip("<>/").split(None, 1)
    attributes: dict[str, str] = {}
    for match in _TAG_ATTRIBUTE.finditer(inside[1] if len(inside) > 1 else ""):
        name = match.group(1).lower()
        value = next((group for group in match.groups()[1:] if group is not None), "")
        attributes.setdefault(name, html.unescape(value))
    return attributes
