"""The Jinja2 sandbox signature templates run in, and the allowlist a template must pass to run there.

Admins write templates; teammates' values come from Okta. Both are untrusted (PITFALLS §6.1-6.5):
the environment is an `ImmutableSandboxedEnvironment` with autoescape on, no globals, a handful of
string filters written here, and a template is refused unless every node of its parsed tree is on
an allowlist: text, `{{ name }}`, `{{ name|filter(...) }}`, `{% if %}/{% elif %}/{% else %}`,
`and`/`or`/`not`, comparisons, `~`, `a if b else c`, string/number literals and lists of them.
No attribute or item access, no calls, no arithmetic, no loops, no `set`, macros, includes or
`autoescape` blocks: what remains renders in time linear in the template and the values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from jinja2 import nodes, pass_context
from jinja2.exceptions import TemplateError, TemplateSyntaxError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from webapp.fields.formats import e164
from webapp.fields.keys import reserved_reason

MAX_TEMPLATE_CHARS = 50_000
MAX_OUTPUT_CHARS = 100_000  # rendered HTML, before inlining and cleaning
MAX_BLOCK_DEPTH = 20  # nested {% if %}
MAX_BRACKET_DEPTH = 10  # nested ( [ { in one tag
MAX_TAG_TOKENS = 200  # tokens inside one {{ }} or {% %}: bounds the parser's recursion
MAX_LITERAL_CHARS = 1_000
MAX_NUMBER = 10**9
MAX_NUMBER_DIGITS = 12

# A smart field's key (`webapp.fields.models`: [a-z][a-z0-9_]*, at most 40 characters).
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
ALLOWED_TESTS = frozenset({"defined", "undefined", "none"})
COMPARISONS = frozenset({"eq", "ne", "lt", "lteq", "gt", "gteq", "in", "notin"})
_SURROGATE = re.compile(r"[\ud800-\udfff]")
BLOCK_OPENERS = frozenset({"if", "for", "macro", "call", "filter", "block", "with", "autoescape", "trans"})


class Refusal(Exception):
    """A template the sandbox will not run; `renderer.TemplateRefused` carries it to callers."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.message = message[:1].upper() + message[1:] if lineno is None else f"Line {lineno}: {message}"


def _text(value: Any) -> str:
    """A filter's input as text: an unknown placeholder (Undefined) is ""; None is ""."""
    if value is None or isinstance(value, Undefined):
        return ""
    return str(value)


def _default(value: Any, default_value: Any = "", boolean: bool = True) -> str:
    """`{{ x|default("n/a") }}`: the default when x is empty or unknown (an empty field counts as
    missing, unlike Jinja's own `default`, which only replaces undefined names)."""
    text = _text(value)
    return text if text else _text(default_value)


def _replace(value: Any, old: Any, new: Any, count: Any = None) -> str:
    """`{{ x|replace("a", "b") }}`, refused when the result would exceed the output limit."""
    text, old_text, new_text = _text(value), _text(old), _text(new)
    occurrences = text.count(old_text) if old_text else len(text) + 1
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    if len(text) + occurrences * max(0, len(new_text) - len(old_text)) > MAX_OUTPUT_CHARS:
        raise Refusal(f"the signature is over {MAX_OUTPUT_CHARS:,} characters (|replace)")
    return text.replace(old_text, new_text, count if isinstance(count, int) else -1)


def _urlencode(value: Any) -> str:
    """`{{ x|urlencode }}`: percent-encoded for a URL path or query."""
    return quote(_text(value), safe="/")


# The render context's entry holding each phone value's E.164 form (`webapp.fields.values.ValueMap`):
# not a smart-field name (`NAME_PATTERN`), so no template can name it.
TEL_NUMBERS = "_tel_numbers"


@pass_context
def _tel(context: Context, value: Any) -> str:
    """`{{ mobile_phone|tel }}`: the number in E.164 (`+14155552671`), what a `tel:` link must carry
    (RFC 3966 allows no spaces); "" when it is not a valid number. A value shown in national format
    is looked up among the teammate's phone values (read with their country); any other text counts
    only with its +country code."""
    text = _text(value).strip()
    known = context.get(TEL_NUMBERS)
    if isinstance(known, Mapping) and isinstance(known.get(text), str):
        return str(known[text])
    return e164(text)


FILTERS: dict[str, Callable[..., str]] = {
    "upper": lambda value: _text(value).upper(),
    "lower": lambda value: _text(value).lower(),
    "title": lambda value: _text(value).title(),
    "capitalize": lambda value: _text(value).capitalize(),
    "trim": lambda value: _text(value).strip(),
    "default": _default,
    "d": _default,
    "replace": _replace,
    "urlencode": _urlencode,
    "tel": _tel,
}
# Each filter's example and what it does, for the editor's help (`signature_templates/edit.html`).
FILTER_HELP: dict[str, tuple[str, str]] = {
    "tel": (
        '<a href="tel:{{ mobile_phone|tel }}">{{ mobile_phone }}</a>',
        "the number in E.164 (+14155552671), what call links need; empty when it is not a valid number",
    ),
    "default": ('{{ pronouns|default("") }}', "a text shown when the field is empty (also written d)"),
    "upper": ("{{ last_name|upper }}", "UPPER CASE; also lower, title and capitalize"),
    "trim": ("{{ job_title|trim }}", "spaces removed at both ends"),
    "replace": ('{{ department|replace("&", "and") }}', "a text replaced by another"),
    "urlencode": ("https://acme.example/?q={{ email|urlencode }}", "percent-encoded for a link"),
}


class SignatureEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with nothing reachable beyond the values and `FILTERS` (belt and braces: the
    allowlist already refuses attribute access and calls)."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False

    def is_safe_callable(self, obj: Any) -> bool:
        return any(obj is allowed for allowed in FILTERS.values())


def make_environment() -> SignatureEnvironment:
    """A fresh sandbox: autoescape on, unknown names render "", only our filters and tests."""
    env = SignatureEnvironment(autoescape=True, undefined=Undefined, cache_size=0)
    env.globals.clear()
    env.filters = dict(FILTERS)
    env.tests = {name: env.tests[name] for name in ALLOWED_TESTS}
    return env


def precheck(env: SignatureEnvironment, source: str) -> None:
    """Refuse a template too large or too deeply nested before Jinja's recursive parser sees it
    (the lexer is iterative; 500 nested `{% if %}` would exhaust Python's stack in the parser)."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise Refusal(f"the template is {len(source):,} characters; the limit is {MAX_TEMPLATE_CHARS:,}")
    if _SURROGATE.search(source):
        raise Refusal("the template contains characters that are not valid text (lone surrogates)")
    blocks = brackets = tokens = 0
    after_block_begin = False
    for lineno, kind, value in _tokens(env, source):
        if kind in ("block_begin", "variable_begin"):
            tokens, brackets, after_block_begin = 0, 0, kind == "block_begin"
            continue
        if kind == "whitespace":
            continue
        tokens += 1
        if tokens > MAX_TAG_TOKENS:
            raise Refusal(f"an expression longer than {MAX_TAG_TOKENS} parts", lineno)
        if kind == "name" and after_block_begin:
            if value in BLOCK_OPENERS:
                blocks += 1
            elif value.startswith("end"):
                blocks -= 1
            if blocks > MAX_BLOCK_DEPTH:
                raise Refusal(f"blocks nested deeper than {MAX_BLOCK_DEPTH} levels", lineno)
        after_block_begin = False
        if kind in ("integer", "float") and len(value) > MAX_NUMBER_DIGITS:
            raise Refusal(f"a number longer than {MAX_NUMBER_DIGITS} digits", lineno)
        if kind == "operator" and value in "([{":
            brackets += 1
            if brackets > MAX_BRACKET_DEPTH:
                raise Refusal(f"brackets nested deeper than {MAX_BRACKET_DEPTH} levels", lineno)
        elif kind == "operator" and value in ")]}":
            brackets -= 1


def _tokens(env: SignatureEnvironment, source: str) -> Iterator[tuple[int, str, str]]:
    try:
        yield from env.lex(source)
    except TemplateSyntaxError as error:
        raise Refusal(error.message or "invalid template syntax", error.lineno) from error
    except (TemplateError, ValueError) as error:
        raise Refusal(f"invalid template syntax ({error})") from error


# Statement and expression nodes a template may contain (`_check_node` looks further into some).
ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.If,
    nodes.Name,
    nodes.Const,
    nodes.Filter,
    nodes.Test,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.CondExpr,
    nodes.Concat,
    nodes.List,
    nodes.Tuple,
    nodes.Keyword,
)

REFUSED_NODES: dict[type[nodes.Node], str] = {
    nodes.For: "loops ({% for %}) are not allowed: use {% if %} to show or hide parts",
    nodes.Assign: "{% set %} is not allowed: use the smart fields as they are",
    nodes.AssignBlock: "{% set %} is not allowed: use the smart fields as they are",
    nodes.Macro: "macros are not allowed",
    nodes.CallBlock: "{% call %} blocks are not allowed",
    nodes.Include: "{% include %} is not allowed: a signature template stands alone",
    nodes.Import: "{% import %} is not allowed: a signature template stands alone",
    nodes.FromImport: "{% from ... import %} is not allowed: a signature template stands alone",
    nodes.Extends: "{% extends %} is not allowed: a signature template stands alone",
    nodes.Block: "{% block %} is not allowed",
    nodes.FilterBlock: "{% filter %} blocks are not allowed: use {{ field|filter }}",
    nodes.With: "{% with %} is not allowed",
    nodes.Scope: "{% autoescape %} is not allowed: values are always escaped",
    nodes.ScopedEvalContextModifier: "{% autoescape %} is not allowed: values are always escaped",
    nodes.EvalContextModifier: "{% autoescape %} is not allowed: values are always escaped",
    nodes.Getattr: "attribute access (x.y) is not allowed: use a smart field's name",
    nodes.Getitem: "item access (x[...]) is not allowed: use a smart field's name",
    nodes.Slice: "slices (x[a:b]) are not allowed",
    nodes.Call: "calling functions or methods is not allowed",
    nodes.BinExpr: "arithmetic (+ - * / // % **) is not allowed: join text with ~",
    nodes.UnaryExpr: "arithmetic (+ - * / // % **) is not allowed: join text with ~",
    nodes.Dict: "dictionaries are not allowed",
    nodes.ExprStmt: "{% do %} is not allowed",
}


def check_tree(tree: nodes.Template) -> None:
    """Raise `Refusal` (with the offending line) unless every node of `tree` is allowed."""
    _check_node(tree, depth=0)


def _check_node(node: nodes.Node, *, depth: int) -> None:
    lineno = getattr(node, "lineno", None)
    if depth > 4 * MAX_TAG_TOKENS:
        raise Refusal("the template is nested too deeply", lineno)
    if not isinstance(node, ALLOWED_NODES):
        raise Refusal(_refusal_reason(node), lineno)
    if isinstance(node, nodes.Name):
        _check_name(node)
    elif isinstance(node, nodes.Const):
        _check_const(node)
    elif isinstance(node, nodes.Filter | nodes.Test):
        _check_filter_or_test(node)
    elif isinstance(node, nodes.Operand) and node.op not in COMPARISONS:
        raise Refusal(f"the comparison {node.op!r} is not allowed", lineno)
    for child in node.iter_child_nodes():
        _check_node(child, depth=depth + 1)


def _refusal_reason(node: nodes.Node) -> str:
    for kind, reason in REFUSED_NODES.items():
        if isinstance(node, kind):
            return reason
    return f"{type(node).__name__} is not allowed in a signature template"


def _check_name(node: nodes.Name) -> None:
    if node.ctx != "load":
        raise Refusal("assigning names is not allowed", node.lineno)
    # Names Jinja or Flask give a meaning of their own are refused even though no global of that name
    # exists here; the smart-field form refuses the same list as keys (`webapp.fields.keys`).
    if reason := reserved_reason(node.name):
        raise Refusal(
            f"{{{{ {node.name} }}}} is a word templates reserve, not a smart field: {reason}", node.lineno
        )
    if not NAME_PATTERN.fullmatch(node.name):
        raise Refusal(
            f"{{{{ {node.name[:40]} }}}} is not a smart field name (lowercase letters, digits and _)",
            node.lineno,
        )


def _check_const(node: nodes.Const) -> None:
    value = node.value
    if isinstance(value, str) and len(value) > MAX_LITERAL_CHARS:
        raise Refusal(f"a text literal longer than {MAX_LITERAL_CHARS:,} characters", node.lineno)
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise Refusal(f"a number larger than {MAX_NUMBER:,}", node.lineno)
    if not isinstance(value, str | int | float | bool | type(None)):
        raise Refusal(f"the literal {type(value).__name__} is not allowed", node.lineno)


def _check_filter_or_test(node: nodes.Filter | nodes.Test) -> None:
    allowed = FILTERS if isinstance(node, nodes.Filter) else ALLOWED_TESTS
    kind = "filter |" if isinstance(node, nodes.Filter) else "test is "
    if node.name not in allowed:
        names = ", ".join(sorted(allowed))
        raise Refusal(f"the {kind}{node.name[:40]} is not allowed (allowed: {names})", node.lineno)
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        raise Refusal("*args and **kwargs are not allowed", node.lineno)
