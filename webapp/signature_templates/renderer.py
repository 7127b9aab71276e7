"""The one signature renderer: the live preview, publishing, re-rendering, the CLI and the benchmark
all go through `render_signature`.

A template is compiled once (cached by the SHA-256 of its source) in the sandbox of
`webapp.signature_templates.sandbox`, which refuses anything beyond placeholders, filters and
`{% if %}`; its `<style>` block is inlined into it right then when the styles cannot depend on
the values (`webapp.signature_templates.precompile`). Rendering fills it with plain-text
smart-field values (autoescaped), bounded in output size and CPU time, inlines `<style>` blocks
(when not done already), cleans the result to the email-safe allowlist of
`webapp.signature_templates.sanitize` and derives the plain-text alternative
(`webapp.signature_templates.plaintext`). The same template and values always give the same bytes,
hence the same `content_hash`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

import css_inline
from jinja2 import Template, meta, nodes
from jinja2.exceptions import TemplateError, TemplateSyntaxError

from webapp.fields.values import ValueMap
from webapp.signature_templates import precompile, sanitize
from webapp.signature_templates.plaintext import html_to_text
from webapp.signature_templates.sandbox import (
    MAX_OUTPUT_CHARS,
    NAME_PATTERN,
    TEL_NUMBERS,
    Refusal,
    check_tree,
    make_environment,
    precheck,
)

# CPU time of the rendering thread (`time.thread_time`), not wall time: a busy machine or a
# descheduled worker must not refuse a signature that renders in a millisecond.
MAX_RENDER_SECONDS = 0.2
CLOCK_EVERY = 32
GMAIL_MAX_CHARS = 10_000  # Gmail's signature limit, in characters of HTML (PITFALLS §6.6)
CACHE_SIZE = 64
SAMPLE_BASE_URL = "https://signet.invalid"
SAMPLE_FIELDS = 40  # fields tried empty one at a time when checking a compile-time inlining

# Warning codes (`TemplateWarning.code`).
UNKNOWN_PLACEHOLDER = "unknown_placeholder"
TOO_LONG_FOR_GMAIL = "too_long_for_gmail"
IMAGE_NOT_HTTPS = "image_not_https"
IMAGE_WITHOUT_SIZE = "image_without_size"
STYLE_BLOCK_INLINED = "style_block_inlined"
LINK_SCHEME = "link_scheme"
WARNING_CODES = (
    UNKNOWN_PLACEHOLDER,
    TOO_LONG_FOR_GMAIL,
    IMAGE_NOT_HTTPS,
    IMAGE_WITHOUT_SIZE,
    STYLE_BLOCK_INLINED,
    LINK_SCHEME,
)

# Characters dropped from values: C0/C1 controls (NUL ...) but tab and newline, the Unicode
# bidirectional overrides and isolates that can make a signature read differently than it is, and
# lone surrogates (JSON allows "\ud800"; no encoder does).
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_STYLE_TAG = re.compile(r"<style\b", re.I)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)


class TemplateRefused(ValueError):
    """A template Signet will not render; `message` is one line an admin understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RenderedSignature:
    """A signature as teammates get it."""

    html: str
    text: str
    content_hash: str  # sha256 hex over html + "\0" + text
    # href/src values the cleaner removed because of their scheme (for the LINK_SCHEME warning).
    removed_urls: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class TemplateWarning:
    """Something an admin should fix in a template (the template still renders)."""

    code: str  # one of WARNING_CODES
    message: str


@dataclass(frozen=True)
class CompiledTemplate:
    """A template that passed the sandbox's checks, ready to render many times."""

    source: str
    digest: str  # sha256 hex of the source
    template: Template = field(repr=False, compare=False)
    names: frozenset[str]  # the placeholders it uses
    has_style_block: bool
    # False when the style block was inlined into the template itself (`precompile`).
    inline_when_rendering: bool = True


_ENVIRONMENT = make_environment()
_cache: OrderedDict[str, CompiledTemplate | TemplateRefused] = OrderedDict()
_cache_lock = threading.Lock()


def compile_template(source: str) -> CompiledTemplate:
    """`source` checked and compiled; raises `TemplateRefused`. Cached by the source's SHA-256
    (refusals too), so re-rendering 10,000 signatures parses a template once."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    with _cache_lock:
        cached = _cache.get(digest)
        if cached is not None:
            _cache.move_to_end(digest)
    if cached is None:
        cached = _compile(source, digest)
        with _cache_lock:
            _cache[digest] = cached
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    if isinstance(cached, TemplateRefused):
        raise TemplateRefused(cached.message)
    return cached


def _compile(source: str, digest: str) -> CompiledTemplate | TemplateRefused:
    try:
        precheck(_ENVIRONMENT, source)
        tree = _ENVIRONMENT.parse(source)
        check_tree(tree)
        template = _ENVIRONMENT.from_string(tree)
        names = frozenset(meta.find_undeclared_variables(tree))
    except Refusal as refusal:
        return TemplateRefused(_one_line(refusal.message))
    except TemplateSyntaxError as error:
        return TemplateRefused(
            _one_line(f"Line {error.lineno}: {error.message or 'invalid template syntax'}")
        )
    except (TemplateError, RecursionError, ValueError) as error:
        return TemplateRefused(_one_line(f"The template could not be read: {error}"))
    compiled = CompiledTemplate(
        source=source,
        digest=digest,
        template=template,
        names=names,
        has_style_block=bool(_STYLE_TAG.search(source)),
    )
    if not compiled.has_style_block:
        return compiled
    inlined = precompile.inline_source(source, agree=lambda candidate: _agree(compiled, candidate))
    if inlined is None:
        return compiled
    return replace(compiled, template=_ENVIRONMENT.from_string(inlined), inline_when_rendering=False)


def _agree(compiled: CompiledTemplate, inlined_source: str) -> bool:
    """Whether the template inlined at compile time renders exactly like `compiled` inlined after
    each render, for sample values (all empty, all filled, each field alone empty)."""
    filled = dict.fromkeys(compiled.names, "Sample value")
    samples = [dict.fromkeys(compiled.names, ""), filled]
    samples += [{**filled, name: ""} for name in sorted(compiled.names)[:SAMPLE_FIELDS]]
    try:
        precompiled = replace(
            compiled, template=_ENVIRONMENT.from_string(inlined_source), inline_when_rendering=False
        )
        for values in samples:
            if render_signature(compiled, values, base_url=SAMPLE_BASE_URL) != render_signature(
                precompiled, values, base_url=SAMPLE_BASE_URL
            ):
                return False
    except (TemplateError, TemplateRefused, RecursionError):
        return False
    return True


def render_signature(
    template: str | CompiledTemplate, values: Mapping[str, str], *, base_url: str
) -> RenderedSignature:
    """The email-safe HTML and plain text of `template` filled with `values` (smart-field key ->
    text). Unknown placeholders render empty; relative URLs resolve against `base_url`.
    Raises `TemplateRefused` for a refused template or an output over the limits."""
    compiled = template if isinstance(template, CompiledTemplate) else compile_template(template)
    raw = _render(compiled, _context(values))
    if compiled.has_style_block and compiled.inline_when_rendering:
        try:
            raw = sanitize.inline_styles(raw)
        except (css_inline.InlineError, ValueError) as error:
            raise TemplateRefused(_one_line(f"The <style> block could not be inlined: {error}")) from error
    html = sanitize.clean(raw, base_url=base_url)
    removed = tuple(sanitize.refused_urls(raw, html))
    text = html_to_text(html)
    digest = hashlib.sha256(f"{html}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return RenderedSignature(html=html, text=text, content_hash=digest, removed_urls=removed)


def _context(values: Mapping[str, str]) -> dict[str, object]:
    """Only smart-field names, only plain `str` values (`str()` of a `Markup` is a plain str, so
    nothing skips escaping), without control and bidi-override characters; a value longer than the
    output limit is refused before it is copied around. Computed values (`ValueMap`) also bring their
    phone numbers' E.164 forms, under a name no template can use (`TEL_NUMBERS`, for `|tel`)."""
    context = {key: "" if value is None else str(value) for key, value in values.items() if _valid_name(key)}
    joined = "\t".join(context.values())
    if len(joined) > MAX_OUTPUT_CHARS and max(map(len, context.values())) > MAX_OUTPUT_CHARS:
        raise TemplateRefused(f"A value is over {MAX_OUTPUT_CHARS:,} characters: the signature would be too.")
    if _UNSAFE_CHARACTERS.search(joined):
        context = {key: _UNSAFE_CHARACTERS.sub("", value) for key, value in context.items()}
    if isinstance(values, ValueMap) and values.tel:
        return {**context, TEL_NUMBERS: dict(values.tel)}
    return dict(context)


_valid_names: dict[str, bool] = {}


def _valid_name(key: str) -> bool:
    valid = _valid_names.get(key)
    if valid is None:
        valid = bool(NAME_PATTERN.fullmatch(key))
        if len(_valid_names) < 10_000:  # field keys: a few dozen in practice
            _valid_names[key] = valid
    return valid


def _render(compiled: CompiledTemplate, context: dict[str, object]) -> str:
    """The template's raw output, refused past `MAX_OUTPUT_CHARS` or `MAX_RENDER_SECONDS`, checked
    between output chunks (each chunk is bounded by a value's or the template's size; the clock is
    read every `CLOCK_EVERY` chunks: the allowlisted syntax renders in linear time anyway)."""
    chunks: list[str] = []
    size = 0
    deadline = time.thread_time() + MAX_RENDER_SECONDS
    template = compiled.template
    try:
        for chunk in template.root_render_func(template.new_context(context)):
            size += len(chunk)
            chunks.append(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateRefused(
                    f"The signature is over {MAX_OUTPUT_CHARS:,} characters before cleaning: "
                    "check for very long values or repeated placeholders."
                )
            if not len(chunks) % CLOCK_EVERY and time.thread_time() > deadline:
                raise TemplateRefused(
                    f"Rendering took more than {MAX_RENDER_SECONDS * 1000:.0f} ms of CPU time."
                )
    except TemplateRefused:
        raise
    except Refusal as refusal:
        raise TemplateRefused(_one_line(refusal.message + ".")) from refusal
    except Exception as error:  # a comparison of text with a number, say: the admin can fix it
        raise TemplateRefused(_one_line(f"The template failed while rendering: {error}")) from error
    return "".join(chunks)


def placeholders(source: str) -> frozenset[str]:
    """The names a template uses (`{{ job_title }}`, `{% if mobile_phone %}`); empty if it can't be
    parsed."""
    try:
        return compile_template(source).names
    except TemplateRefused:
        # A refused template is only parsed, never compiled: Jinja's `meta.find_undeclared_variables`
        # runs the code generator, whose constant folding would evaluate `'A' * 10**9`.
        try:
            tree = _ENVIRONMENT.parse(source)
        except (TemplateError, RecursionError, ValueError):
            return frozenset()
        names = list(tree.find_all(nodes.Name))
        bound = {name.name for name in names if name.ctx != "load"}  # loop targets, {% set %}
        return frozenset(name.name for name in names if name.ctx == "load" and name.name not in bound)


def template_warnings(
    source: str, *, known_fields: Collection[str], rendered: RenderedSignature | None
) -> list[TemplateWarning]:
    """What to fix in `source` (see `WARNING_CODES`). Image and link checks read `rendered` (a
    preview for one teammate) when given, else the source itself."""
    warnings: list[TemplateWarning] = []
    unknown = sorted(placeholders(source) - set(known_fields))
    if unknown:
        names = ", ".join(f"{{{{ {name} }}}}" for name in unknown)
        known = ", ".join(sorted(known_fields)) or "none yet"
        warnings.append(
            TemplateWarning(
                UNKNOWN_PLACEHOLDER, f"Unknown placeholder {names} renders empty. Known: {known}."
            )
        )
    if rendered is not None and len(rendered.html) > GMAIL_MAX_CHARS:
        warnings.append(
            TemplateWarning(
                TOO_LONG_FOR_GMAIL,
                f"The signature is {len(rendered.html):,} characters of HTML; Gmail refuses more "
                f"than {GMAIL_MAX_CHARS:,}.",
            )
        )
    warnings.extend(_image_warnings(rendered.html if rendered is not None else source))
    if _STYLE_TAG.search(source):
        warnings.append(
            TemplateWarning(
                STYLE_BLOCK_INLINED,
                "The <style> block is copied into style attributes and then removed: mail clients "
                "such as Gmail ignore <style> blocks.",
            )
        )
    removed = rendered.removed_urls if rendered is not None else tuple(sanitize.refused_urls(source))
    if removed:
        warnings.append(
            TemplateWarning(
                LINK_SCHEME,
                "Links and images must use http(s), mailto or tel; removed: "
                + ", ".join(url[:80] for url in removed[:5])
                + ("" if len(removed) <= 5 else f" and {len(removed) - 5} more"),
            )
        )
    return warnings


def _image_warnings(markup: str) -> list[TemplateWarning]:
    insecure, unsized = [], []
    for tag in _IMG_TAG.findall(markup):
        attributes = sanitize.tag_attributes(tag)
        src = attributes.get("src", "")
        if src.lower().startswith("http://"):
            insecure.append(src)
        if not attributes.get("width") or not attributes.get("height"):
            unsized.append(src or "(no src)")
    warnings = []
    if insecure:
        warnings.append(
            TemplateWarning(
                IMAGE_NOT_HTTPS,
                f"Images not on https (mail clients may block them): {', '.join(insecure[:5])}",
            )
        )
    if unsized:
        warnings.append(
            TemplateWarning(
                IMAGE_WITHOUT_SIZE,
                "Images without width and height (Outlook may show them full size): "
                + ", ".join(unsized[:5]),
            )
        )
    return warnings


def _one_line(message: str) -> str:
    return " ".join(message.split())[:300]
