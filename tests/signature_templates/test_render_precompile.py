"""Inlining the <style> block at compile time: only when provably value-independent, same output."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import pytest

from webapp.signature_templates import renderer
from webapp.signature_templates.precompile import simple_selectors_only, style_in_condition
from webapp.signature_templates.renderer import (
    CompiledTemplate,
    TemplateRefused,
    compile_template,
    render_signature,
)

BASE_URL = "https://signet.example.com"
STYLE = "<style>td.name { font-weight: bold } .title { color: #444444 } a, b { color: #1a56db }</style>"
BODY = """<table role="presentation"><tr><td class="name">{{ first_name }} {{ last_name }}</td></tr>
{% if job_title %}<tr><td class="title">{{ job_title }}
{%- if department %}, <b>{{ department }}</b>{% endif %}</td></tr>
{% endif %}{% if mobile_phone %}<tr><td>
<a href="tel:{{ mobile_phone }}" title='{{ first_name }}'>{{ mobile_phone }}</a>
</td></tr>{% else %}<tr><td>No phone</td></tr>{% endif %}
<tr><td><img src="/logo.png" alt="{{ organization|default('Acme') }}" width="10" height="10"></td></tr>
</table>
"""
FIELDS = ("first_name", "last_name", "job_title", "department", "mobile_phone", "organization")


def slow(compiled: CompiledTemplate) -> CompiledTemplate:
    """The same template inlined after each render (the general path)."""
    template = renderer._ENVIRONMENT.from_string(compiled.source)
    return replace(compiled, template=template, inline_when_rendering=True)


def test_simple_selectors_are_inlined_once_with_identical_output() -> None:
    """A template with simple selectors is inlined at compile time; every mix of empty and
    filled values (hostile ones included) renders byte for byte as inlining each render does."""
    compiled = compile_template(STYLE + BODY)
    assert compiled.has_style_block and not compiled.inline_when_rendering
    general = slow(compiled)
    samples = ("", "Ada", '"><script>alert(1)</script>', "R&D <b>")
    for combination in itertools.product(samples, repeat=3):
        values = dict(zip(FIELDS, combination * 2, strict=True))
        fast_result = render_signature(compiled, values, base_url=BASE_URL)
        assert fast_result == render_signature(general, values, base_url=BASE_URL)
    assert 'style="font-weight:bold"' in fast_result.html and "<style" not in fast_result.html


@pytest.mark.parametrize(
    "template",
    [
        "<style>td a { color: red }</style>" + BODY,  # a descendant selector
        "<style>tr:first-child td { color: red }</style>" + BODY,  # a pseudo-class
        "<style>td + td { color: red }</style>" + BODY,  # a sibling combinator
        "<style>[title] { color: red }</style>" + BODY,  # an attribute selector
        "<style>@media (max-width: 600px) { td { color: red } }</style>" + BODY,
        "{% if job_title %}<style>td { color: red }</style>{% endif %}" + BODY,
        "<style>td { color: red }</style>" + BODY.replace('class="title"', 'class="{{ department }}"'),
        "<style>td { color: red }</style>"
        + BODY.replace("<td>No phone", '<td style="color: {{ color }}">No'),
        "<style>td { color: red }</style><td {% if a %}class=x{% endif %}>x</td>" + BODY,
        "<style>td { color: red }</style><a href={{ website }}>x</a>" + BODY,
        "<style>td { color: {{ color }} }</style>" + BODY,
        "<style>td { color: red }</style><title>{{ first_name }}</title>" + BODY,
        "<style>p { color: red }</style>{% if job_title %}<p class='x'>{% endif %}hello" + BODY,  # no </p>
        "<style>td { color: red }</style><svg><text>{{ first_name }}</text></svg>" + BODY,
    ],
)
def test_value_dependent_styles_are_inlined_at_each_render(template: str) -> None:
    """Selectors or placeholders that could make styles depend on values keep the general path,
    which gives the same output as before."""
    compiled = compile_template(template)
    assert compiled.inline_when_rendering
    values = dict.fromkeys(FIELDS, "x")
    assert render_signature(compiled, values, base_url=BASE_URL) == render_signature(
        slow(compiled), values, base_url=BASE_URL
    )


def test_selector_and_condition_checks() -> None:
    """Simple compounds pass; combinators, pseudo-classes and at-rules don't; style inside if."""
    assert simple_selectors_only("td, .a, td.a, #x, *, h1.a.b { color: red } /* c */ p { x: y }")
    for css in ("td a {}", "td > a {}", "a:hover {}", "a::before {}", "[x] {}", "@import url(x);", "p { }}"):
        assert not simple_selectors_only(css), css
    assert style_in_condition("{% if a %}<style></style>{% endif %}")
    assert not style_in_condition("<style></style>{% if a %}x{% endif %}")
    assert style_in_condition("{% if a %}{% if b %}{% endif %}<STYLE>{% endif %}")


PIECES = (
    "<table>",
    "</table>",
    "<tr>",
    "</tr>",
    "<td class='a'>",
    '<td class="b">',
    "<td>",
    "</td>",
    "{{ a }}",
    "{{ b|upper }}",
    "{% if a %}",
    "{% endif %}",
    "{% if b %}",
    "{% else %}",
    "<a href='{{ c }}' class='a'>",
    "</a>",
    "<img src=x class=b width=1 height=1>",
    "<p class='a'>",
    "</p>",
    "<p>",
    "<b>",
    "</b>",
    "<br>",
    "<span class='b'>",
    "</span>",
    "<div class='a'>",
    "</div>",
    "<li class=a>",
    "</li>",
    "text ",
    " ",
    "\n",
    "<font class=b>",
    "</font>",
)
RANDOM_STYLE = (
    "<style>.a { color: red } td { padding: 1px } .b { font-weight: bold } a { color: blue } "
    "b { color: green }</style>"
)


def test_random_templates_inlined_once_render_like_per_render_inlining() -> None:
    """Random, often unbalanced, templates: whenever the style block is inlined at compile time,
    random values render exactly as with inlining at each render (a fixed seed: reproducible)."""
    rng = random.Random(11)
    inlined_once = 0
    for _ in range(400):
        body = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25)))
        depth = body.count("{% if") - body.count("{% endif")
        if depth < 0:
            continue
        try:
            compiled = compile_template(RANDOM_STYLE + body + "{% endif %}" * depth)
        except TemplateRefused:
            continue
        if compiled.inline_when_rendering:
            continue
        inlined_once += 1
        for _ in range(4):
            values = {key: rng.choice(("", "x", "<b>", "R&D")) for key in "abc"}
            try:
                expected = render_signature(slow(compiled), values, base_url=BASE_URL)
            except TemplateRefused:
                continue
            assert render_signature(compiled, values, base_url=BASE_URL) == expected, compiled.source
    assert inlined_once > 20
