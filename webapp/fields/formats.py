"""A raw Okta profile value (any JSON type) as the plain text a signature shows, in a field's format.

Okta sends strings, arrays, integers, numbers, booleans and null (FACTS §8): each becomes text
(`as_text`), which is then cleaned (`clean_text`: control characters out, whitespace collapsed,
length capped) and formatted (`apply_format`). Everything returned is plain text that the renderer
escapes; nothing here is ever markup.

What an admin gets for values a format can't read:
- phone, international or national: the cleaned original text, for a number that can't be read
  and for one that is not a valid number of its country (`1112223333` read as US: never shown as
  a made-up `+1 111-222-3333`). A number Okta holds in an odd shape ("ext. 12 (desk)") is better
  shown as typed than dropped from every signature; the edit page's sample and Missing data flag
  it (`phone_problem`) so the admin fixes it in Okta.
- phone, E.164: empty (then the fallback). E.164 is a machine format meant for `tel:` links, where
  free text would make a broken link (RFC 3966 allows no spaces there).

A number written without +country code is read in the teammate's own country (`phone_region`).
- URL: empty unless http(s) (a bare `www.x.com` gains `https://`); `javascript:`, `data:` and the
  like never come out.
- email: empty unless shaped like an address; the domain is lower-cased.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import phonenumbers

from webapp.fields.models import DEFAULT_REGION, DEFAULT_SEPARATOR, VALUE_MAX_LENGTH, FieldFormat

# Bidirectional overrides and isolates (they reorder what a reader sees: "moc.elpmaxe" spoofing),
# the BOM and zero-width spaces; zero-width (non-)joiners stay, emoji and some scripts need them.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u200b\u2060")
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_BARE_HOST = re.compile(r"(?:[\w-]+\.)+[\w-]{2,}(?::\d{1,5})?(?:[/?#].*)?", re.IGNORECASE)
_URL_FORBIDDEN = re.compile(r"[\s<>\"'`\\{}|^]")
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
PHONE_FORMATS = frozenset(
    {FieldFormat.PHONE_INTERNATIONAL, FieldFormat.PHONE_NATIONAL, FieldFormat.PHONE_E164}
)
_PHONE_STYLES: Mapping[str, int] = {
    FieldFormat.PHONE_INTERNATIONAL: phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    FieldFormat.PHONE_NATIONAL: phonenumbers.PhoneNumberFormat.NATIONAL,
    FieldFormat.PHONE_E164: phonenumbers.PhoneNumberFormat.E164,
}
EMAIL_MAX_LENGTH = 254
# phonenumbers refuses longer input itself (MAX_INPUT_STRING_LENGTH = 250).
PHONE_MAX_LENGTH = 250


def clean_text(text: str, *, limit: int = VALUE_MAX_LENGTH) -> str:
    """`text` on one line: control and invisible characters removed, whitespace runs (line breaks
    included) made one space, trimmed, at most `limit` characters."""
    text = text.translate(_INVISIBLE)
    if not text.isprintable():
        text = "".join(" " if char.isspace() else char for char in text if _kept(char))
    return " ".join(text.split())[:limit].rstrip()


def _kept(char: str) -> bool:
    # Cc: controls (NUL, ESC...), Cs: lone surrogates (PostgreSQL refuses them), Co: private use.
    return char.isspace() or unicodedata.category(char) not in {"Cc", "Cs", "Co"}


def as_text(value: Any, *, separator: str = DEFAULT_SEPARATOR) -> str:
    """Any JSON value as text: lists joined by `separator` (empty items skipped, nested lists
    flattened), whole numbers without ".0", booleans "Yes"/"No", null and objects empty."""
    if type(value) is str:  # most values: no isinstance chain (10,000 teammates × every field)
        return value
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, list | tuple):
        items = (clean_text(as_text(item, separator=separator)) for item in value)
        return separator.join(item for item in items if item)
    return str(value)


def title_case(text: str) -> str:
    """Each word capitalised, the rest of it lower-cased ("o'neil" → "O'neil", "VP sales" → "Vp Sales")."""
    return _WORD.sub(lambda match: match[0][:1].upper() + match[0][1:].lower(), text)


def phone_region(country: Any, field_region: str) -> str:
    """The region a number without +country code is read in: the teammate's own `countryCode`
    (Okta's base attribute, an ISO 3166-1 alpha-2 code: https://developer.okta.com/docs/reference/api/users/#default-profile-properties;
    untrusted, so anything else is skipped), else the field's region, else Signet's default."""
    for candidate in (country, field_region):
        if isinstance(candidate, str) and len(candidate) <= 10:
            code = candidate.strip().upper()
            if code in phonenumbers.SUPPORTED_REGIONS:
                return code
    return DEFAULT_REGION


@functools.lru_cache(maxsize=4096)  # office numbers repeat across a team; parsing costs ~40 µs
def phone_forms(text: str, style: FieldFormat, *, region: str) -> tuple[str, str]:
    """A phone number in `style`, and in E.164 for `tel:` links; numbers written without +country
    code are read as `region`'s.

    An unreadable number, or one not valid for its country: the text as it was for international
    and national, empty for E.164 (module docstring); its E.164 form is empty."""
    number = _read_phone(text, region)
    if number is None or not phonenumbers.is_valid_number(number):
        return ("" if style == FieldFormat.PHONE_E164 else text), ""
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if style == FieldFormat.PHONE_E164:
        return e164, e164
    return str(phonenumbers.format_number(number, _PHONE_STYLES[style])), e164


def format_phone(text: str, style: FieldFormat, *, region: str) -> str:
    """A phone number in `style` (`phone_forms`)."""
    return phone_forms(text, style, region=region)[0]


def e164(text: str) -> str:
    """A phone number written with its +country code (any format, as signatures show it) in E.164,
    or "" when it has none or is not a valid number: what a `tel:` link needs."""
    return phone_forms(text, FieldFormat.PHONE_E164, region="")[0] if text.lstrip().startswith("+") else ""


def _read_phone(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """`text` parsed (not checked: `phone_forms` asks whether it is valid, which implies possible)."""
    if not text or len(text) > PHONE_MAX_LENGTH:
        return None
    try:
        return phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException:
        return None


def _parse_phone(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    number = _read_phone(text, region)
    if number is None:
        return None
    # IS_POSSIBLE only: a number dialable only locally (7 US digits) has no international form.
    possible = phonenumbers.is_possible_number_with_reason(number)
    return number if possible == phonenumbers.ValidationResult.IS_POSSIBLE else None


def phone_problem(text: str, *, region: str) -> str | None:
    """Why `text` is not a usable phone number (for the admin), or None if it is a valid one."""
    if not text:
        return None
    number = _parse_phone(text, region)
    if number is None:
        return "not a phone number Signet can read"
    if not phonenumbers.is_valid_number(number):
        return "not a valid number for its country"
    return None


def format_url(text: str) -> str:
    """An http(s) URL (a bare `www.acme.com` or `acme.com/x` gains `https://`); anything else empty:
    other schemes (`javascript:`, `data:`), credentials in the URL, spaces, quotes or angle brackets."""
    if not text or _URL_FORBIDDEN.search(text):
        return ""
    if "://" not in text and _BARE_HOST.fullmatch(text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or "@" in parts.netloc:
        return ""
    if port == 0:
        return ""
    return parts.scheme.lower() + text[len(parts.scheme) :]


def format_email(text: str) -> str:
    """`local@domain` with the domain lower-cased (the local part keeps its case, mail servers may
    care), or empty when it is not shaped like an address (a `mailto:` prefix is dropped)."""
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, domain = text.rpartition("@")
    if not at or len(text) > EMAIL_MAX_LENGTH or len(local) > 64 or not _LOCAL_PART.fullmatch(local):
        return ""
    domain = domain.lower().rstrip(".")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return ""
    if labels[-1].isdigit():  # an IP address is not a work email's domain
        return ""
    return f"{local}@{domain}"


def apply_format(text: str, fmt: str, *, region: str) -> str:
    """Clean text (`clean_text`) in format `fmt` (a `FieldFormat`; an unknown one is plain text)."""
    if not text or fmt == FieldFormat.TEXT:
        return text
    if fmt == FieldFormat.TITLE_CASE:
        return title_case(text)
    if fmt == FieldFormat.UPPER:
        return clean_text(text.upper())
    if fmt in PHONE_FORMATS:
        return format_phone(text, FieldFormat(fmt), region=region)
    if fmt == FieldFormat.URL:
        return format_url(text)
    if fmt == FieldFormat.EMAIL:
        return format_email(text)
    return text


def format_value(value: Any, *, fmt: str, region: str = "US", separator: str = DEFAULT_SEPARATOR) -> str:
    """A raw profile value as a signature shows it: text (`as_text`), cleaned, then formatted."""
    return apply_format(clean_text(as_text(value, separator=separator)), fmt, region=region)


def format_phone_value(
    value: Any, *, fmt: str, region: str, separator: str = DEFAULT_SEPARATOR
) -> tuple[str, str]:
    """A raw value in phone format `fmt` (one of `PHONE_FORMATS`), and its E.164 form ("" if none)."""
    text = clean_text(as_text(value, separator=separator))
    return phone_forms(text, FieldFormat(fmt), region=region) if text else ("", "")


# Formats that never turn non-empty text into "" (unreadable phones are kept as typed).
_NEVER_EMPTIES = frozenset(
    {
        FieldFormat.TEXT,
        FieldFormat.TITLE_CASE,
        FieldFormat.UPPER,
        FieldFormat.PHONE_INTERNATIONAL,
        FieldFormat.PHONE_NATIONAL,
    }
)


def is_filled(value: Any, *, fmt: str, region: str = "US", separator: str = DEFAULT_SEPARATOR) -> bool:
    """Whether `format_value` would give non-empty text, without formatting when the format can't
    empty it (completion counts over thousands of teammates skip parsing their phone numbers)."""
    text = clean_text(as_text(value, separator=separator))
    if not text:
        return False
    return fmt in _NEVER_EMPTIES or bool(apply_format(text, fmt, region=region))
