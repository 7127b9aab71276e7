"""The renderer against a hostile corpus: every payload comes out inert or is refused with one line."""

from __future__ import annotations

import random

import pytest
from markupsafe import Markup

from tests.signature_templates.hostile import (
    HOSTILE_VALUES,
    INERT_TEMPLATES,
    REFUSED_TEMPLATES,
    VALUE_FIELDS,
    VALUES_TEMPLATE,
    assert_inert,
)
from webapp.signature_templates import renderer
from webapp.signature_templates.renderer import (
    TemplateRefused,
    compile_template,
    render_signature,
    template_warnings,
)
from webapp.signature_templates.sandbox import MAX_OUTPUT_CHARS

BASE_URL = "https://signet.example.com"


@pytest.mark.parametrize("payload", HOSTILE_VALUES)
def test_hostile_value_in_every_field_renders_inert(payload: str) -> None:
    """A payload in every field, in text, attributes, URLs and styles, renders inert and unevaluated."""
    rendered = render_signature(VALUES_TEMPLATE, dict.fromkeys(VALUE_FIELDS, payload), base_url=BASE_URL)
    assert_inert(rendered.html)
    assert "49" not in rendered.html and "loop" * 2 not in rendered.html  # {{ 7*7 }}, {% for %} not run
    assert "<class" not in rendered.html and "&lt;class" not in rendered.html  # ''.__class__ not run
    assert "\x00" not in rendered.html and "\u202e" not in rendered.html and "\x1b" not in rendered.text


@pytest.mark.parametrize("payload", HOSTILE_VALUES)
def test_hostile_value_as_markup_is_still_escaped(payload: str) -> None:
    """A value passed as `Markup` (which Jinja would not escape) is treated as plain text."""
    values = {"name": Markup(payload)}  # noqa: S704 - the point of the test
    rendered = render_signature("<p>{{ name }}</p>", values, base_url=BASE_URL)
    assert_inert(rendered.html)


def test_template_syntax_in_values_stays_text() -> None:
    """`{{ 7*7 }}` in a value is shown as typed, never evaluated."""
    rendered = render_signature(
        "<p>{{ title }}</p>", {"title": "{{ 7*7 }} {% if 1 %}x{% endif %}"}, base_url=BASE_URL
    )
    assert rendered.text == "{{ 7*7 }} {% if 1 %}x{% endif %}"


@pytest.mark.parametrize("template", INERT_TEMPLATES)
def test_hostile_template_renders_inert(template: str) -> None:
    """Hostile HTML written into the template itself is cleaned away (no network fetch either)."""
    rendered = render_signature(template, {"first_name": "Ada"}, base_url=BASE_URL)
    assert_inert(rendered.html)


@pytest.mark.parametrize(("template", "word"), REFUSED_TEMPLATES, ids=[t[:40] for t, _ in REFUSED_TEMPLATES])
def test_hostile_template_is_refused_with_one_line(template: str, word: str) -> None:
    """Template injection, loops, includes, arithmetic, huge or deeply nested templates are refused."""
    with pytest.raises(TemplateRefused) as refused:
        render_signature(template, {"first_name": "Ada", "a": "x"}, base_url=BASE_URL)
    message = refused.value.message
    assert word.lower() in message.lower(), message
    assert "\n" not in message and 0 < len(message) <= 300
    assert str(refused.value) == message


def test_refused_template_is_refused_again_from_the_cache() -> None:
    """A refusal is cached like a compiled template, and raised again each time."""
    for _ in range(2):
        with pytest.raises(TemplateRefused, match="loops"):
            compile_template("{% for x in y %}{% endfor %}")


def test_output_explosion_through_repeated_values_is_refused() -> None:
    """A long value repeated many times stops at the output limit instead of filling memory."""
    template = "{{ a }}" * 200
    with pytest.raises(TemplateRefused, match="characters"):
        render_signature(template, {"a": "x" * 1000}, base_url=BASE_URL)
    assert len(render_signature(template, {"a": "x" * 10}, base_url=BASE_URL).html) == 2000


def test_output_explosion_through_replace_is_refused() -> None:
    """`|replace("", long)` would multiply a value: refused before the string is built."""
    template = "{{ a|replace('', '" + "y" * 900 + "') }}"
    with pytest.raises(TemplateRefused, match=f"{MAX_OUTPUT_CHARS:,}"):
        render_signature(template, {"a": "x" * 1000}, base_url=BASE_URL)


def test_huge_value_alone_is_refused() -> None:
    """One value beyond the output limit is refused, not rendered."""
    with pytest.raises(TemplateRefused):
        render_signature("{{ a }}", {"a": "x" * (MAX_OUTPUT_CHARS + 1)}, base_url=BASE_URL)


def test_comparing_text_with_a_number_is_refused_with_a_reason() -> None:
    """An error while rendering becomes a one-line refusal, not a crash."""
    with pytest.raises(TemplateRefused, match="while rendering") as refused:
        render_signature(
            "{% if employee_number > 5 %}x{% endif %}", {"employee_number": "7"}, base_url=BASE_URL
        )
    assert "\n" not in refused.value.message


def test_nesting_within_the_limit_renders() -> None:
    """Twenty nested conditions are fine: only deeper ones are refused."""
    template = "{% if a %}" * 20 + "deep" + "{% endif %}" * 20
    assert render_signature(template, {"a": "x"}, base_url=BASE_URL).text == "deep"


def test_values_with_keys_that_are_not_field_names_are_ignored() -> None:
    """Only smart-field names reach the template (no `__class__`, no `self`)."""
    rendered = render_signature(
        "<p>{{ a }}</p>", {"a": "ok", "__class__": "x", "Self": "y"}, base_url=BASE_URL
    )
    assert rendered.text == "ok"


def test_render_time_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the CPU-time budget the render stops with a refusal (budget set to nothing here)."""
    monkeypatch.setattr(renderer, "MAX_RENDER_SECONDS", -1.0)
    with pytest.raises(TemplateRefused, match="CPU time"):
        render_signature("{{ a }}<br>" * 100, {"a": "x"}, base_url=BASE_URL)


FUZZ_PIECES = (
    "<table>",
    "</table>",
    "<tr>",
    "<td class='a'>",
    "</td>",
    "{{ a }}",
    "{{ b|upper }}",
    "{% if a %}",
    "{% endif %}",
    "{% else %}",
    "<style>td{color:red} .a{font-weight:bold} td a{x:y}</style>",
    "<a href='{{ c }}'>",
    "</a>",
    "<img src=x>",
    "{{",
    "}}",
    "{%",
    "%}",
    "<!--",
    "-->",
    "<p>",
    "\x00",
    "\ud800",
    "&amp;",
    "&#0;",
    "<script>",
    "{# c #}",
    "{% raw %}",
    "{% endraw %}",
    "'",
    '"',
    ">",
    "<",
    "\u202e",
    " ",
    "\n",
    "<svg>",
    "{{ a ~ b }}",
    "{{ a if b else c }}",
    "{% if a == 'x' %}",
    "{% elif b %}",
    "<![CDATA[",
    "]]>",
    "<title>",
    "<td {{ a }}>",
    'style="color:{{ a }}"',
    "<div class='{{ a }}'>",
    "</div>",
    "<plaintext>",
    "{{ a|replace('a', 'bb') }}",
    " onclick=alert(1) ",
    "javascript:",
)
FUZZ_VALUES = (
    "",
    "x",
    "<b>",
    '"',
    "javascript:alert(1)",
    "\ud800",
    "{{ 7*7 }}",
    "&",
    "\x00",
    "' onmouseover='x",
)


def test_random_fragments_render_inert_or_are_refused() -> None:
    """Random mixes of HTML, template syntax and hostile characters never crash: each renders
    inert or is refused with one line, and warnings work on it either way (a fixed seed)."""
    rng = random.Random(7)
    rendered = 0
    for _ in range(3000):
        template = "".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 30)))
        values = {key: rng.choice(FUZZ_VALUES) for key in "abc"}
        try:
            result = render_signature(template, values, base_url=BASE_URL)
        except TemplateRefused as refused:
            assert "\n" not in refused.message and len(refused.message) <= 300
            template_warnings(template, known_fields=("a",), rendered=None)
            continue
        rendered += 1
        assert_inert(result.html)
        template_warnings(template, known_fields=("a", "b"), rendered=result)
    assert rendered > 300
