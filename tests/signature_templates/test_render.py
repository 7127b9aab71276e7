"""The renderer: placeholders, conditions, filters, email-safe output, plain text, warnings, determinism."""

from __future__ import annotations

import hashlib
import tracemalloc

import pytest

from webapp.signature_templates import renderer
from webapp.signature_templates.renderer import (
    GMAIL_MAX_CHARS,
    IMAGE_NOT_HTTPS,
    IMAGE_WITHOUT_SIZE,
    LINK_SCHEME,
    STYLE_BLOCK_INLINED,
    TOO_LONG_FOR_GMAIL,
    UNKNOWN_PLACEHOLDER,
    WARNING_CODES,
    CompiledTemplate,
    RenderedSignature,
    compile_template,
    placeholders,
    render_signature,
    template_warnings,
)

BASE_URL = "https://signet.example.com"
STARTER = """<style>
td.name { font-weight: bold; font-size: 16px; }
a { color: #1a56db; text-decoration: none; }
</style>
<table role="presentation" cellpadding="0" cellspacing="0" border="0">
  <tr>
    <td valign="top"><img src="/images/logo.png" alt="Acme" width="80" height="40"></td>
    <td valign="top">
      <table role="presentation">
        <tr><td class="name">{{ first_name }} {{ last_name }}</td></tr>
        {% if job_title %}<tr><td>{{ job_title }}
          {%- if department %}, {{ department }}{% endif %}</td></tr>{% endif %}
        {% if mobile_phone %}<tr><td>
          Mobile: <a href="tel:{{ mobile_phone }}">{{ mobile_phone }}</a></td></tr>{% endif %}
        <tr><td><a href="mailto:{{ email }}">{{ email }}</a></td></tr>
        <tr><td><a href="https://acme.example.com/team">Our team</a></td></tr>
      </table>
    </td>
  </tr>
</table>
"""
ADA = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "job_title": "Chief Engineer",
    "department": "R&D",
    "mobile_phone": "+1 415-555-0100",
    "email": "ada@example.com",
}
KNOWN = tuple(ADA)


def render(template: str, values: dict[str, str] | None = None) -> RenderedSignature:
    """`template` rendered for `values` (Ada's by default)."""
    return render_signature(template, ADA if values is None else values, base_url=BASE_URL)


def test_starter_renders_email_safe_html() -> None:
    """Placeholders filled and escaped, styles inlined, the <style> block gone, image URL absolute."""
    html = render(STARTER).html
    assert "Ada Lovelace" in html and "Chief Engineer, R&amp;D" in html
    assert "<style" not in html and "class=" not in html
    assert 'style="font-weight:bold;font-size:16px"' in html
    assert 'style="color:#1a56db;text-decoration:none"' in html
    assert 'src="https://signet.example.com/images/logo.png"' in html
    assert 'href="tel:+1 415-555-0100"' in html and 'rel="noopener noreferrer"' in html


def test_plain_text_alternative() -> None:
    """Blocks on their own lines, cells joined, links with their URL unless the text says it."""
    assert render(STARTER).text == (
        "Acme\n"
        "Ada Lovelace\n"
        "Chief Engineer, R&D\n"
        "Mobile: +1 415-555-0100\n"
        "ada@example.com\n"
        "Our team <https://acme.example.com/team>"
    )


def test_plain_text_of_cells_breaks_paragraphs_and_images() -> None:
    """Cells on one row joined by " | ", <br> and paragraphs, image alt text, entities decoded."""
    template = (
        "<p>Hello&nbsp;there</p><p>Second <b>para</b><br>line</p>"
        '<table><tr><td>A</td><td></td><td><img src="x.png" alt="Logo"></td></tr></table>'
        '<a href="https://x.example">https://x.example</a> '
        '<a href="https://y.example"><img src="y.png" alt=""></a>'
    )
    assert render(template).text == (
        "Hello there\n\nSecond para\nline\n\nA | Logo\nhttps://x.example https://y.example"
    )


@pytest.mark.parametrize(
    ("mobile", "expected_rows"),
    [("+1 415-555-0100", 5), ("", 4)],
)
def test_conditional_lines_vanish_when_empty(mobile: str, expected_rows: int) -> None:
    """`{% if mobile_phone %}` rows disappear for a teammate without a mobile phone."""
    rendered = render(STARTER, {**ADA, "mobile_phone": ""} if not mobile else ADA)
    inner = rendered.html.split('<table role="presentation">', 1)[1]
    assert inner.count("<tr>") == expected_rows
    assert ("Mobile" in rendered.text) is bool(mobile)


def test_elif_else_and_comparisons() -> None:
    """`{% elif %}`, `{% else %}`, `and`/`or`/`not`, `==`, `in` with a list, `a if b else c`, `~`."""
    template = (
        "{% if department == 'Sales' %}S{% elif department in ['R&D', 'Labs'] and not pronouns %}R"
        "{% else %}O{% endif %}|{{ pronouns if pronouns else 'none' }}|{{ first_name ~ '!' }}"
        "|{% if nickname is defined %}d{% else %}u{% endif %}"
    )
    assert render(template).text == "R|none|Ada!|u"


def test_filters() -> None:
    """The allowed filters; `default` also replaces an empty field."""
    template = (
        "{{ first_name|upper }} {{ last_name|lower }} {{ 'ada lovelace'|title }} {{ 'hi there'|capitalize }}"
        " [{{ '  x  '|trim }}] {{ pronouns|default('n/a') }} {{ pronouns|d('-') }}"
        " {{ mobile_phone|replace(' ', '') }} {{ 'a b/c'|urlencode }}"
    )
    assert render(template, {**ADA, "pronouns": ""}).text == (
        "ADA lovelace Ada Lovelace Hi there [x] n/a - +1415-555-0100 a%20b/c"
    )


def test_unknown_placeholder_renders_empty_with_a_warning() -> None:
    """An unknown name renders "" and the warning lists the known fields."""
    template = "<p>{{ first_name }}{{ nickname }}{% if shoe_size %}x{% endif %}</p>"
    rendered = render(template)
    assert rendered.text == "Ada"
    warnings = template_warnings(template, known_fields=KNOWN, rendered=rendered)
    assert [w.code for w in warnings] == [UNKNOWN_PLACEHOLDER]
    message = warnings[0].message
    assert "{{ nickname }}" in message and "{{ shoe_size }}" in message
    assert all(name in message for name in KNOWN)


def test_no_warnings_for_a_clean_template() -> None:
    """A template with known fields, sized https images and good links has no warnings."""
    template = '<p>{{ first_name }}</p><img src="https://cdn.example/a.png" width="1" height="1" alt="">'
    assert template_warnings(template, known_fields=KNOWN, rendered=render(template)) == []


def test_size_warning_over_gmail_limit() -> None:
    """HTML over Gmail's 10,000 characters is flagged with its length."""
    template = "<p>" + "x" * (GMAIL_MAX_CHARS + 10) + "</p>"
    rendered = render(template)
    warnings = template_warnings(template, known_fields=KNOWN, rendered=rendered)
    assert [w.code for w in warnings] == [TOO_LONG_FOR_GMAIL]
    assert f"{len(rendered.html):,}" in warnings[0].message


def test_image_warnings_from_the_rendered_html_and_from_the_source() -> None:
    """Images over http, and images without width and height, are flagged."""
    template = '<img src="http://cdn.example/a.png"><img src="{{ photo }}" width="10" height="10">'
    rendered = render(template, {"photo": "http://cdn.example/b.png"})
    codes = [w.code for w in template_warnings(template, known_fields=("photo",), rendered=rendered)]
    assert codes == [IMAGE_NOT_HTTPS, IMAGE_WITHOUT_SIZE]
    codes = [w.code for w in template_warnings(template, known_fields=("photo",), rendered=None)]
    assert codes == [IMAGE_NOT_HTTPS, IMAGE_WITHOUT_SIZE]


def test_style_block_warning() -> None:
    """A <style> block is flagged as inlined."""
    codes = [w.code for w in template_warnings(STARTER, known_fields=KNOWN, rendered=render(STARTER))]
    assert codes == [STYLE_BLOCK_INLINED]


def test_link_scheme_warning_and_removal() -> None:
    """Links that are not http(s)/mailto/tel are removed and flagged, from the template or a value."""
    template = '<a href="ftp://files.example/x">f</a><a href="{{ website }}">w</a><a href="sms:+1">s</a>'
    rendered = render(template, {"website": "javascript:alert(1)"})
    assert "ftp:" not in rendered.html and "javascript" not in rendered.html and "sms:" not in rendered.html
    assert rendered.removed_urls == ("ftp://files.example/x", "javascript:alert(1)", "sms:+1")
    warnings = template_warnings(template, known_fields=("website",), rendered=rendered)
    assert [w.code for w in warnings] == [LINK_SCHEME]
    assert "ftp://files.example/x" in warnings[0].message
    source_only = template_warnings(template, known_fields=("website",), rendered=None)
    assert [w.code for w in source_only] == [LINK_SCHEME]


def test_warning_codes_are_distinct_constants() -> None:
    """Each warning code is a distinct lowercase constant."""
    assert len(set(WARNING_CODES)) == len(WARNING_CODES) == 6
    assert all(code == code.lower() for code in WARNING_CODES)


def test_relative_links_and_images_become_absolute() -> None:
    """Relative href and src resolve against the base URL; other schemes stay as they are."""
    html = render(
        '<a href="/team">t</a><img src="img/a.png" width="1" height="1"><a href="mailto:a@b.c">m</a>'
    ).html
    assert 'href="https://signet.example.com/team"' in html
    assert 'src="https://signet.example.com/img/a.png"' in html
    assert 'href="mailto:a@b.c"' in html


def test_disallowed_css_properties_are_dropped() -> None:
    """Only allowlisted CSS properties stay in style attributes."""
    html = render('<p style="color: red; position: absolute; font-size: 12px; z-index: 9">x</p>').html
    assert html == '<p style="color:red;font-size:12px">x</p>'


def test_determinism_same_bytes_and_hash() -> None:
    """The same template and values give byte-identical output and hash, even recompiled."""
    first = render(STARTER)
    second = render(STARTER)
    renderer._cache.clear()
    third = render(STARTER)
    assert first == second == third
    assert first.content_hash == hashlib.sha256(f"{first.html}\0{first.text}".encode()).hexdigest()
    assert render(STARTER, {**ADA, "first_name": "Grace"}).content_hash != first.content_hash


def test_compile_template_is_cached_by_source() -> None:
    """Compiling the same source twice returns the cached template; it renders like the source."""
    compiled = compile_template(STARTER)
    assert isinstance(compiled, CompiledTemplate)
    assert compile_template(STARTER) is compiled
    assert compiled.digest == hashlib.sha256(STARTER.encode()).hexdigest()
    assert render_signature(compiled, ADA, base_url=BASE_URL) == render(STARTER)


def test_cache_is_bounded() -> None:
    """The cache keeps at most CACHE_SIZE templates."""
    for number in range(renderer.CACHE_SIZE + 5):
        compile_template(f"<p>{number}</p>")
    assert len(renderer._cache) == renderer.CACHE_SIZE


def test_placeholders() -> None:
    """Every name used in output or conditions; empty for a template that can't be parsed."""
    assert placeholders(STARTER) == {
        "first_name",
        "last_name",
        "job_title",
        "department",
        "mobile_phone",
        "email",
    }
    assert placeholders("{{ a|default(b) }}{% if c == 'x' %}{% endif %}") == {"a", "b", "c"}
    assert placeholders("{% if a %}") == frozenset()
    assert placeholders("{% for x in items %}{{ x }}{% endfor %}") == {"items"}


def test_placeholders_of_a_refused_template_never_evaluate_it() -> None:
    """Names of a refused template come from its parse tree: `'A' * 10**9` is never built."""
    tracemalloc.start()
    try:
        assert placeholders("{{ 'A' * 10**9 }}{% if job_title %}{{ x }}{% endif %}") == {"job_title", "x"}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024


def test_non_string_values_are_text() -> None:
    """Numbers and None arrive as text ("" for None)."""
    assert render("<p>{{ a }}-{{ b }}</p>", {"a": 42, "b": None}).text == "42-"  # type: ignore[dict-item]
