"""Formatting raw Okta values: every JSON type, every format, phones by country, hostile values."""

from __future__ import annotations

from typing import Any

import pytest

from webapp.fields.formats import (
    apply_format,
    as_text,
    clean_text,
    format_email,
    format_url,
    format_value,
    phone_problem,
    title_case,
)
from webapp.fields.models import VALUE_MAX_LENGTH, FieldFormat

INTL, NATIONAL, E164 = FieldFormat.PHONE_INTERNATIONAL, FieldFormat.PHONE_NATIONAL, FieldFormat.PHONE_E164


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Engineer", "Engineer"),
        (["en", "fr", "de"], "en, fr, de"),
        (["a", None, "", "b"], "a, b"),
        ([["x"], [1, 2.0]], "x, 1, 2"),
        ([], ""),
        (42, "42"),
        (-7, "-7"),
        (3.0, "3"),
        (2.5, "2.5"),
        (0.1, "0.1"),
        (True, "Yes"),
        (False, "No"),
        (None, ""),
        ("", ""),
        ({"nested": "object"}, ""),
        (float("nan"), ""),
        (float("inf"), ""),
    ],
)
def test_every_json_type_has_a_text_form(value: Any, expected: str) -> None:
    """Strings, arrays, integers, numbers, booleans, null and objects all become sensible text (FACTS §8)."""
    assert as_text(value) == expected


def test_lists_are_joined_with_the_fields_separator() -> None:
    """The admin's separator joins list items."""
    assert format_value(["Sales", "EMEA"], fmt=FieldFormat.TEXT, separator=" / ") == "Sales / EMEA"
    assert format_value(["Sales", "EMEA"], fmt=FieldFormat.TEXT, separator=" · ") == "Sales · EMEA"


def test_text_is_trimmed_collapsed_stripped_of_controls_and_capped() -> None:
    """Whitespace runs and line breaks become one space; controls, bidi overrides, BOMs go; capped."""
    assert clean_text("  Head\n\tof\r\n  Sales  ") == "Head of Sales"
    assert clean_text("a\x00b\x1b[31mc\x7f") == "ab[31mc"
    assert clean_text("ada\u202eelpmaxe\ufeff\u200b") == "adaelpmaxe"
    assert clean_text("👩‍💻 dev") == "👩‍💻 dev"  # the zero-width joiner inside the emoji stays
    assert len(format_value("x" * 5000, fmt=FieldFormat.TEXT)) == VALUE_MAX_LENGTH


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [
        (FieldFormat.TEXT, "vp of SALES", "vp of SALES"),
        (FieldFormat.TITLE_CASE, "vp of SALES", "Vp Of Sales"),
        (FieldFormat.TITLE_CASE, "o'neil-smith", "O'neil-Smith"),
        (FieldFormat.TITLE_CASE, "élodie durand", "Élodie Durand"),
        (FieldFormat.UPPER, "Paris", "PARIS"),
        (FieldFormat.UPPER, "straße", "STRASSE"),
        (FieldFormat.URL, "www.acme.example", "https://www.acme.example"),
        (FieldFormat.EMAIL, "Ada@ACME.Example", "Ada@acme.example"),
        (FieldFormat.TEXT, 1234, "1234"),
        (FieldFormat.UPPER, ["fr", "en"], "FR, EN"),
    ],
)
def test_text_formats(fmt: FieldFormat, value: Any, expected: str) -> None:
    """As is, Title Case and UPPER (and the other formats on plain values)."""
    assert format_value(value, fmt=fmt) == expected


def test_title_case_keeps_words_after_apostrophes_lower() -> None:
    """ "don't" does not become "Don'T"."""
    assert title_case("don't stop") == "Don't Stop"


PHONES = [
    # region, raw, international, national, E.164
    ("US", "(415) 555-2671", "+1 415-555-2671", "(415) 555-2671", "+14155552671"),
    ("US", "+1 650-253-0000", "+1 650-253-0000", "(650) 253-0000", "+16502530000"),
    ("US", "+1 415 555 2671 ext. 12", "+1 415-555-2671 ext. 12", "(415) 555-2671 ext. 12", "+14155552671"),
    ("GB", "020 7946 0018", "+44 20 7946 0018", "020 7946 0018", "+442079460018"),
    ("GB", "+44 7911 123456", "+44 7911 123456", "07911 123456", "+447911123456"),
    ("FR", "01 42 68 53 00", "+33 1 42 68 53 00", "01 42 68 53 00", "+33142685300"),
    ("FR", "+33 6 12 34 56 78", "+33 6 12 34 56 78", "06 12 34 56 78", "+33612345678"),
    ("DE", "030 901820", "+49 30 901820", "030 901820", "+4930901820"),
    ("DE", "+49 1512 3456789", "+49 1512 3456789", "01512 3456789", "+4915123456789"),
    ("JP", "03-1234-5678", "+81 3-1234-5678", "03-1234-5678", "+81312345678"),
    ("JP", "090-1234-5678", "+81 90-1234-5678", "090-1234-5678", "+819012345678"),
    ("IN", "+91 98765 43210", "+91 98765 43210", "098765 43210", "+919876543210"),
    ("IN", "022 2278 0000", "+91 22 2278 0000", "022 2278 0000", "+912222780000"),
    ("BR", "(11) 91234-5678", "+55 11 91234-5678", "(11) 91234-5678", "+5511912345678"),
    ("BR", "+55 21 2345-6789", "+55 21 2345-6789", "(21) 2345-6789", "+552123456789"),
    # A number with its +country code is read as that country's whatever the default region.
    ("US", "+33 1 42 68 53 00", "+33 1 42 68 53 00", "01 42 68 53 00", "+33142685300"),
]


@pytest.mark.parametrize(("region", "raw", "international", "national", "e164"), PHONES)
def test_phone_numbers_from_several_countries(
    region: str, raw: str, international: str, national: str, e164: str
) -> None:
    """Each number in the three phone formats, read with the field's default region."""
    assert format_value(raw, fmt=INTL, region=region) == international
    assert format_value(raw, fmt=NATIONAL, region=region) == national
    assert format_value(raw, fmt=E164, region=region) == e164
    assert phone_problem(raw, region=region) is None


@pytest.mark.parametrize(
    "raw", ["call me", "12", "555-0100", "++++", "0" * 40, "+999 123", "1" * 300, "<script>alert(1)</script>"]
)
def test_malformed_phone_numbers_are_kept_as_text_but_never_in_e164(raw: str) -> None:
    """Unreadable numbers: shown as typed (cleaned) in the human formats, empty in E.164, and flagged."""
    cleaned = clean_text(raw)
    assert format_value(raw, fmt=INTL, region="US") == cleaned
    assert format_value(raw, fmt=NATIONAL, region="US") == cleaned
    assert format_value(raw, fmt=E164, region="US") == ""
    assert phone_problem(cleaned, region="US") == "not a phone number Signet can read"


@pytest.mark.parametrize("raw", ["+1 555 000 0001", "1112223333", "+1 1112223333"])
def test_possible_but_invalid_numbers_are_shown_as_typed_and_flagged(raw: str) -> None:
    """A number of the right length that is not a valid one (a fictional 555 number, issue 16's
    `1112223333`) is shown as typed, never given a made-up `+1` form; empty in E.164; flagged."""
    assert format_value(raw, fmt=INTL, region="US") == raw
    assert format_value(raw, fmt=NATIONAL, region="US") == raw
    assert format_value(raw, fmt=E164, region="US") == ""
    assert phone_problem(raw, region="US") == "not a valid number for its country"


def test_phone_formats_read_numbers_okta_sends_as_integers() -> None:
    """A custom attribute typed `integer` still formats as a phone number."""
    assert format_value(4155552671, fmt=E164, region="US") == "+14155552671"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://acme.example/team", "https://acme.example/team"),
        ("HTTP://acme.example", "http://acme.example"),
        ("www.acme.example", "https://www.acme.example"),
        ("linkedin.com/in/ada-lovelace", "https://linkedin.com/in/ada-lovelace"),
        ("https://acme.example/a?b=1#c", "https://acme.example/a?b=1#c"),
        ("http://[::1]:8080/", "http://[::1]:8080/"),
        ("javascript:alert(1)", ""),
        ("JaVaScRiPt:alert(1)", ""),
        (" javascript:alert(1)", ""),
        ("java\tscript:alert(1)", ""),
        ("java\nscript:alert(1)", ""),
        ("data:text/html;base64,PHNjcmlwdD4=", ""),
        ("vbscript:msgbox(1)", ""),
        ("ftp://acme.example", ""),
        ("mailto:ada@acme.example", ""),
        ("//evil.example", ""),
        ("https://user:pass@evil.example", ""),
        ('https://acme.example/"onmouseover="alert(1)', ""),
        ("https://acme.example/<script>", ""),
        ("https://acme.example\\@evil.example", ""),
        ("https://", ""),
        ("https://acme.example:99999", ""),
        ("Engineering", ""),
        ("", ""),
    ],
)
def test_url_format_keeps_only_http_and_https(raw: str, expected: str) -> None:
    """http(s) only; a bare host gains https://; every other scheme and every hostile shape is empty."""
    assert format_value(raw, fmt=FieldFormat.URL) == expected
    assert format_url(clean_text(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ada@acme.example", "ada@acme.example"),
        ("Ada.Lovelace@ACME.Example", "Ada.Lovelace@acme.example"),
        ("mailto:ada@acme.example", "ada@acme.example"),
        ("ada+signatures@acme.example", "ada+signatures@acme.example"),
        ("ada@bücher.example", "ada@bücher.example"),
        ("ada@acme", ""),
        ("ada@@acme.example", ""),
        ("ada@acme..example", ""),
        (".ada@acme.example", ""),
        ("a..b@acme.example", ""),
        ("ada lovelace@acme.example", ""),
        ('"><script>@acme.example', ""),
        ("ada@1.2.3.4", ""),
        ("ada@-acme.example", ""),
        ("a" * 65 + "@acme.example", ""),
        ("not an email", ""),
    ],
)
def test_email_format(raw: str, expected: str) -> None:
    """A validated shape with the domain lower-cased; anything else is empty."""
    assert format_value(raw, fmt=FieldFormat.EMAIL) == expected
    assert format_email(clean_text(raw)) == expected


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '"onmouseover="alert(1)',
        "{{ 7*7 }}{% for x in y %}",
        "expression(alert(1))",
        "\x00\x01\x02",
        "invoice\u202e fdp.exe",
    ],
)
def test_hostile_values_come_out_as_plain_text(hostile: str) -> None:
    """Never markup: text formats pass them on as text (the renderer escapes), without controls."""
    for fmt in (FieldFormat.TEXT, FieldFormat.UPPER, FieldFormat.TITLE_CASE):
        out = format_value(hostile, fmt=fmt)
        assert "\x00" not in out and "\u202e" not in out
        assert isinstance(out, str)
    assert format_value(hostile, fmt=FieldFormat.URL) == ""
    assert format_value(hostile, fmt=FieldFormat.EMAIL) == ""


def test_unknown_format_is_plain_text() -> None:
    """A format value not in FieldFormat (an old row) shows the cleaned text."""
    assert apply_format("Ada", "fancy", region="US") == "Ada"
