"""The names a smart field's key can't take: one list, for the field form and the template sandbox.

A key is the placeholder's name in templates (`{{ job_title }}`). The form refuses these keys and the
sandbox (`webapp.signature_templates.sandbox`) refuses these names, from this one list, so a field
the form accepts can always be used in a template and no field is created that a template can't show.
"""

from __future__ import annotations

import jinja2.defaults

# Words of the template language: statement keywords, operators and literals
# (https://jinja.palletsprojects.com/en/stable/templates/#list-of-control-structures).
TEMPLATE_WORDS = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "elif", "endif", "for", "endfor", "true", "false"}
    | {"none", "block", "endblock", "extends", "include", "import", "from", "with", "endwith", "set"}
    | {"endset", "macro", "endmacro", "call", "endcall", "filter", "endfilter", "raw", "endraw", "as"}
    | {"recursive", "autoescape", "endautoescape"}
)
# Variables Jinja defines inside a template itself (`self`, `loop`, `super()`, a macro's `caller`,
# `varargs` and `kwargs`).
TEMPLATE_VARIABLES = frozenset({"self", "loop", "super", "caller", "varargs", "kwargs"})
# Globals: Jinja's default namespace (range, dict, lipsum, cycler, joiner, namespace) and Flask's
# standard context (https://flask.palletsprojects.com/en/stable/templating/#standard-context).
# The signature sandbox has none of them, but a template naming one means the built-in, not a field.
TEMPLATE_GLOBALS = frozenset(jinja2.defaults.DEFAULT_NAMESPACE) | frozenset(
    {"config", "request", "session", "g", "url_for", "get_flashed_messages"}
)
RESERVED_KEYS = TEMPLATE_WORDS | TEMPLATE_VARIABLES | TEMPLATE_GLOBALS


def reserved_reason(key: str) -> str | None:
    """Why templates reserve `key` (a phrase for a message), or None when the key is free."""
    if key in TEMPLATE_WORDS:
        return "it is part of the template language, like {% if %}, and, true"
    if key in TEMPLATE_VARIABLES:
        return "the template language defines a variable of that name itself"
    if key in TEMPLATE_GLOBALS:
        return "it names a built-in of Jinja or Flask (like session, config or range)"
    return None
