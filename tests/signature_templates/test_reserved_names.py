"""One reserved list for smart-field keys and template placeholders: a key the field form accepts can
always be used in a template, and a name the sandbox refuses can never be created as a key."""

from __future__ import annotations

import jinja2.defaults
import pytest
from flask import Flask

from webapp.fields.forms import FieldForm
from webapp.fields.keys import RESERVED_KEYS
from webapp.signature_templates.renderer import TemplateRefused, compile_template, render_signature

# Every name that could mean something to Jinja or Flask in a template, plus ordinary field keys.
CANDIDATES = sorted(
    RESERVED_KEYS
    | set(jinja2.defaults.DEFAULT_NAMESPACE)
    | {"config", "request", "session", "g", "url_for", "get_flashed_messages"}
    | {"self", "loop", "super", "caller", "varargs", "kwargs", "lipsum", "cycler", "joiner", "namespace"}
    | {"first_name", "job_title", "display_name", "mobile_phone", "name", "title", "context", "missing"}
)


def form_accepts(key: str) -> bool:
    """Whether the smart-field form takes `key` as a new field's placeholder name."""
    form = FieldForm(key=key, label="Label", source="signet")
    form.validate(taken_keys=(), attributes=())
    return "key" not in form.errors


def usable_in_a_template(key: str) -> bool:
    """Whether `{{ key }}` and `{% if key %}` compile and show the field's value."""
    try:
        shown = render_signature(
            f"<p>{{{{ {key} }}}}{{% if {key} %}}!{{% endif %}}</p>",
            {key: "Value"},
            base_url="https://x.example",
        )
    except TemplateRefused:
        return False
    return shown.text.strip() == "Value!"


@pytest.mark.parametrize("key", CANDIDATES)
def test_a_key_the_form_accepts_is_exactly_a_key_a_template_can_use(key: str) -> None:
    """The form and the sandbox agree on every candidate name, in both directions."""
    assert form_accepts(key) == usable_in_a_template(key) == (key not in RESERVED_KEYS)


@pytest.mark.parametrize(
    "key", ["session", "request", "g", "namespace", "lipsum", "config", "cycler", "dict", "joiner", "range"]
)
def test_names_the_probe_found_are_reserved_and_the_template_message_says_so(key: str) -> None:
    """The names the sandbox refused while the form accepted them; the refusal names the reason."""
    assert key in RESERVED_KEYS
    with pytest.raises(TemplateRefused, match=f"{{{{ {key} }}}} is a word templates reserve"):
        compile_template(f"<p>{{{{ {key} }}}}</p>")


def test_every_global_jinja_and_flask_give_templates_is_reserved() -> None:
    """A Jinja or Flask upgrade adding a standard template global shows up here, not as a field key the
    sandbox refuses. (Signet's own page globals, csrf_token and the like, never reach the sandbox.)"""
    bare = Flask("probe")
    with bare.test_request_context():
        context: dict[str, object] = {}
        bare.update_template_context(context)
    flask_names = set(bare.jinja_env.globals) | set(context)
    assert flask_names | set(jinja2.defaults.DEFAULT_NAMESPACE) <= RESERVED_KEYS
