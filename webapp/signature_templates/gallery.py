"""The starter gallery: a few table-based, email-client-safe layouts to start a template from.

Every layout uses tables (Outlook for Windows renders with Word: no flexbox or grid), inline styles
only (Gmail drops <style> blocks), web-safe fonts, images with explicit width, height and alt, and
`{% if field %}` around optional lines so empty values leave no gap (PITFALLS 6.7). Placeholders
use the default smart-field keys; the images point at sample files to replace with uploaded ones.

Every layout must look right for a profile holding only `firstName`, `lastName`, `email` and `login`,
which is what many real orgs have (issue 16): the name line is `display_name` (which itself falls
back to first + last name, `webapp.fields.values.NAME_PARTS`), else first and last name, so it shows
even where `display_name` was deleted or remapped. The logo's alt text is the organization, empty
(a decorative image, nothing in the plain text) when it is unknown.

Phone links carry the number in E.164 (`tel:+14155552671`, `|tel`): RFC 3966 allows no spaces, so
the international form shown to readers is not a link target; a number that is not valid shows
as typed, without a link.
"""

from __future__ import annotations

from dataclasses import dataclass

# Sample images shipped with Signet (static/img); the renderer makes them absolute under BASE_URL.
SAMPLE_LOGO = "/static/img/signature-sample-logo.png"
SAMPLE_HEADSHOT = "/static/img/signature-sample-headshot.png"
FONT = "font-family:Arial,Helvetica,sans-serif"
NAME_STYLE = "font-size:16px;font-weight:bold;color:#111111;padding:0 0 2px 0"
TEXT_STYLE = "font-size:13px;color:#333333;padding:1px 0"
CONTACT_STYLE = "font-size:13px;color:#555555;padding:1px 0"
LINK_STYLE = "color:#555555;text-decoration:none"
EMAIL_STYLE = "color:#1a56db;text-decoration:none"
TABLE = '<table style="border-collapse:collapse">'


@dataclass(frozen=True)
class StarterTemplate:
    """One layout of the gallery."""

    key: str
    name: str
    description: str
    html: str


def _field(key: str) -> str:
    return "{{ " + key + " }}"


# The name line: never empty for a teammate with a first or last name.
NAME = '{{ display_name|default(first_name ~ " " ~ last_name)|trim }}'
HAS_NAME = "display_name or first_name or last_name"


def _row(content: str, style: str = TEXT_STYLE, *, when: str | None = None) -> str:
    """A one-cell table row, shown only when the field `when` has a value."""
    row = f'<tr><td style="{FONT};{style}">{content}</td></tr>'
    return f"{{% if {when} %}}{row}{{% endif %}}" if when else row


def _phone_link(key: str) -> str:
    """The number as shown, linked with its E.164 form when it is a valid number."""
    return (
        f'{{% if {key}|tel %}}<a href="tel:{{{{ {key}|tel }}}}" style="{LINK_STYLE}">{_field(key)}</a>'
        f"{{% else %}}{_field(key)}{{% endif %}}"
    )


def _phone(label: str, key: str) -> str:
    return _row(f"{label}: {_phone_link(key)}", CONTACT_STYLE, when=key)


def _email_link() -> str:
    return f'<a href="mailto:{_field("email")}" style="{EMAIL_STYLE}">{_field("email")}</a>'


CONTACT_LINES = "\n".join(
    [
        _phone("Mobile", "mobile_phone"),
        _phone("Phone", "primary_phone"),
        _row(_email_link(), "font-size:13px;padding:1px 0", when="email"),
    ]
)


def _image(src: str, width: int, height: int, alt: str, style: str = "") -> str:
    """An image; `alt` is a placeholder expression (the text mail clients show when images are off)."""
    return (
        f'<img src="{src}" width="{width}" height="{height}" alt="{alt}" '
        f'style="display:block;border:0{style}">'
    )


def _title_line(suffix: str) -> str:
    return _row(f"{_field('job_title')}{suffix}", when="job_title")


CLASSIC_WITH_LOGO = "\n".join(
    [
        TABLE,
        "<tr>",
        '<td valign="top" style="padding:0 16px 0 0;border-right:2px solid #1a56db">',
        _image(SAMPLE_LOGO, 120, 40, _field("organization")),
        "</td>",
        '<td valign="top" style="padding:0 0 0 16px">',
        TABLE,
        _row(NAME, NAME_STYLE, when=HAS_NAME),
        _title_line("{% if department %}, {{ department }}{% endif %}"),
        _row(
            _field("organization"),
            "font-size:13px;font-weight:bold;color:#1a56db;padding:1px 0",
            when="organization",
        ),
        CONTACT_LINES,
        "</table>",
        "</td>",
        "</tr>",
        "</table>",
        "",
    ]
)

SIMPLE_TEXT = "\n".join(
    [
        TABLE,
        _row(NAME, NAME_STYLE.replace("16px", "14px"), when=HAS_NAME),
        _title_line(""),
        _row(_field("organization"), when="organization"),
        CONTACT_LINES,
        "</table>",
        "",
    ]
)

WITH_HEADSHOT = "\n".join(
    [
        TABLE,
        "<tr>",
        '<td valign="middle" style="padding:0 14px 0 0">',
        _image(SAMPLE_HEADSHOT, 80, 80, NAME, ";border-radius:40px"),
        "</td>",
        '<td valign="middle">',
        TABLE,
        _row(NAME, NAME_STYLE, when=HAS_NAME),
        _title_line(""),
        _row(
            _field("organization") + "{% if department %} · {{ department }}{% endif %}", when="organization"
        ),
        CONTACT_LINES,
        "</table>",
        "</td>",
        "</tr>",
        "</table>",
        "",
    ]
)

COMPACT_ONE_LINE = "\n".join(
    [
        TABLE,
        f'<tr><td style="{FONT};font-size:13px;color:#333333">'
        f'<strong style="color:#111111">{NAME}</strong>'
        "{% if job_title %} | {{ job_title }}{% endif %}"
        "{% if organization %} | {{ organization }}{% endif %}"
        f"{{% if mobile_phone %}} | {_phone_link('mobile_phone')}{{% endif %}}"
        f"{{% if email %}} | {_email_link()}{{% endif %}}"
        "</td></tr>",
        "</table>",
        "",
    ]
)

STARTERS: tuple[StarterTemplate, ...] = (
    StarterTemplate(
        "classic-logo",
        "Classic with logo",
        "Your logo on the left, name, title, company and contact lines on the right.",
        CLASSIC_WITH_LOGO,
    ),
    StarterTemplate(
        "simple-text", "Simple text", "Text only: name, title, company, phones and email.", SIMPLE_TEXT
    ),
    StarterTemplate(
        "headshot",
        "With headshot",
        "A round photo next to the name and contact lines (replace the sample photo with an uploaded one).",
        WITH_HEADSHOT,
    ),
    StarterTemplate(
        "compact",
        "Compact one-line",
        "Everything on one line, separated by bars: for replies and short messages.",
        COMPACT_ONE_LINE,
    ),
)
BLANK = "blank"


def get_starter(key: str) -> StarterTemplate | None:
    """The gallery layout with this key, or None."""
    return next((starter for starter in STARTERS if starter.key == key), None)
