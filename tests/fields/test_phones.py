"""Phone numbers read in the teammate's own country (Okta's `countryCode`, then the field's region,
then Signet's default), invalid numbers shown as typed and listed on Missing data, and each valid
number's E.164 form carried with the values for `tel:` links (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fields.factories import gen_field, gen_schema
from tests.fields.test_pages import usage
from tests.helpers import visible_text
from tests.teammates.factories import gen_connection, gen_teammate
from webapp.extensions import db
from webapp.fields.completion import completion
from webapp.fields.formats import phone_region
from webapp.fields.models import DEFAULT_REGION, FieldFormat, FieldSource, SmartField
from webapp.fields.pages import INVALID_NUMBER, NO_VALUE, missing_groups
from webapp.fields.usage import FieldUsage
from webapp.fields.values import ValueMap, compute_field_values, known_fields

INTL, NATIONAL, E164 = FieldFormat.PHONE_INTERNATIONAL, FieldFormat.PHONE_NATIONAL, FieldFormat.PHONE_E164


def _phone(fmt: str = INTL, region: str = "US", **settings: Any) -> SmartField:
    return SmartField(
        key="mobile_phone",
        label="Mobile",
        source=FieldSource.OKTA,
        attribute="mobilePhone",
        format=fmt,
        phone_region=region,
        **settings,
    )


@pytest.mark.parametrize(
    ("country", "field_region", "expected"),
    [
        ("GB", "US", "GB"),
        (" gb ", "US", "GB"),  # untrusted: trimmed, any case
        (None, "FR", "FR"),
        ("", "FR", "FR"),
        ("United Kingdom", "FR", "FR"),  # not an ISO 3166-1 alpha-2 code: the field's region
        ("GBR", "FR", "FR"),
        (42, "FR", "FR"),
        (None, "", DEFAULT_REGION),
        ("ZZ", "XX", DEFAULT_REGION),
    ],
)
def test_region_order_country_code_then_field_then_default(
    country: Any, field_region: str, expected: str
) -> None:
    """The teammate's own countryCode wins, then the field's region, then Signet's default."""
    assert phone_region(country, field_region) == expected


@pytest.mark.parametrize(
    ("profile", "fmt", "expected", "tel"),
    [
        # A national number is read in the teammate's country, not the field's (US) region.
        ({"mobilePhone": "020 7946 0958", "countryCode": "GB"}, INTL, "+44 20 7946 0958", "+442079460958"),
        ({"mobilePhone": "020 7946 0958", "countryCode": "GB"}, NATIONAL, "020 7946 0958", "+442079460958"),
        ({"mobilePhone": "020 7946 0958", "countryCode": "GB"}, E164, "+442079460958", "+442079460958"),
        # Issue 16's number: a US number only for a teammate in the US.
        ({"mobilePhone": "9798901252", "countryCode": "IN"}, INTL, "+91 97989 01252", "+919798901252"),
        ({"mobilePhone": "9798901252", "countryCode": "US"}, INTL, "+1 979-890-1252", "+19798901252"),
        ({"mobilePhone": "9798901252"}, INTL, "+1 979-890-1252", "+19798901252"),  # the field's region
        # A number with its +country code is that country's, whatever the teammate's countryCode.
        (
            {"mobilePhone": "+33 1 42 68 53 00", "countryCode": "GB"},
            INTL,
            "+33 1 42 68 53 00",
            "+33142685300",
        ),
        (
            {"mobilePhone": "(415) 555-2671", "countryCode": "nowhere"},
            INTL,
            "+1 415-555-2671",
            "+14155552671",
        ),
    ],
)
def test_national_numbers_are_read_in_the_teammates_country(
    profile: dict[str, Any], fmt: str, expected: str, tel: str
) -> None:
    """The shown value, and its E.164 form carried for `|tel`, for the value shown."""
    values = compute_field_values([_phone(fmt)], profile, {}).values
    assert values == {"mobile_phone": expected}
    assert isinstance(values, ValueMap) and values.tel == {expected: tel}


def test_a_field_region_applies_to_teammates_without_a_country_code() -> None:
    """Field region GB: a teammate without countryCode gets a GB number; a US teammate a US one."""
    field = _phone(region="GB")
    assert compute_field_values([field], {"mobilePhone": "020 7946 0958"}, {}).values == {
        "mobile_phone": "+44 20 7946 0958"
    }
    us = compute_field_values([field], {"mobilePhone": "(415) 555-2671", "countryCode": "US"}, {})
    assert us.values == {"mobile_phone": "+1 415-555-2671"}


def test_kept_phone_numbers_use_the_teammates_country_too() -> None:
    """A phone field kept in Signet reads its numbers in the teammate's Okta country as well."""
    field = SmartField(key="desk", label="Desk", source=FieldSource.SIGNET, format=INTL, phone_region="US")
    values = compute_field_values([field], {"countryCode": "FR"}, {"desk": "01 42 68 53 00"}).values
    assert values == {"desk": "+33 1 42 68 53 00"}
    assert values.tel == {"+33 1 42 68 53 00": "+33142685300"}  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", [INTL, NATIONAL])
@pytest.mark.parametrize("raw", ["1112223333", "+1 1112223333", "+1 555 000 0001", "call me"])
def test_invalid_numbers_are_shown_as_typed_without_a_tel_form(raw: str, fmt: str) -> None:
    """Never a made-up `+1 111-222-3333`: the text as typed, no E.164 form, not missing."""
    result = compute_field_values([_phone(fmt)], {"mobilePhone": raw, "countryCode": "US"}, {})
    assert result.values == {"mobile_phone": raw}
    assert result.values.tel == {}  # type: ignore[attr-defined]
    assert result.missing == frozenset()


def test_invalid_numbers_in_e164_give_the_fallback_and_its_tel_form() -> None:
    """E.164 never shows free text: the fallback (a valid number here), with its own E.164 form."""
    field = _phone(E164, fallback="+1 415 555 0100")
    result = compute_field_values([field], {"mobilePhone": "1112223333"}, {})
    assert result.values == {"mobile_phone": "+14155550100"}
    assert result.values.tel == {"+14155550100": "+14155550100"}  # type: ignore[attr-defined]
    assert result.missing == frozenset({"mobile_phone"})


def _seed_phones(app: Flask) -> dict[str, int]:
    with app.app_context(), db.session_scope() as session:
        gen_connection(session)
        gen_schema(session)
        gen_field(session, "mobile", "mobilePhone", fmt=INTL, label="Mobile")
        people = [
            gen_teammate(
                session, name="Valid Person", profile={"mobilePhone": "020 7946 0958", "countryCode": "GB"}
            ),
            gen_teammate(
                session, name="Invalid Person", profile={"mobilePhone": "1112223333", "countryCode": "US"}
            ),
            gen_teammate(session, name="Unreadable Person", profile={"mobilePhone": "call me"}),
            gen_teammate(session, name="Empty Person"),
            gen_teammate(session, name="Gone Person", profile={"mobilePhone": "1112223333"}, active=False),
        ]
        return {person.display_name: person.id for person in people if person.id is not None}


def test_completion_lists_invalid_numbers_apart(app: Flask) -> None:
    """Invalid numbers are shown (counted as filled) and listed apart from the teammates lacking one."""
    ids = _seed_phones(app)
    with app.app_context(), db.session_scope(writer=False) as session:
        result = completion(session=session, fields=known_fields(session=session), watch=["mobile"])
    assert result.filled == {"mobile": 3}
    assert result.lacking == {"mobile": [ids["Empty Person"]]}
    assert result.invalid == {"mobile": [ids["Invalid Person"], ids["Unreadable Person"]]}
    assert result.invalid_count == {"mobile": 2}


def test_missing_data_lists_numbers_that_are_not_valid(
    app: Flask, client: FlaskClient, signed_in: object
) -> None:
    """The Missing data view: lacking teammates, then "not a valid number" ones, each with its reason."""
    _seed_phones(app)
    provided = {"mobile": [FieldUsage(1, "Everyone", "/signatures/1", published=True)]}
    with usage(provided):
        with app.app_context(), db.session_scope(writer=False) as session:
            [group] = missing_groups(session=session, okta_origin="https://dev-123.okta.com")
        page = visible_text(client.get("/smart-fields/missing"))
    assert (group.count, group.invalid_count) == (1, 2)
    assert [(m.teammate.display_name, m.problem) for m in group.teammates] == [
        ("Empty Person", NO_VALUE),
        ("Invalid Person", INVALID_NUMBER),
        ("Unreadable Person", INVALID_NUMBER),
    ]
    assert "1 teammate, 2 with a number that is not valid" in page
    assert (
        "Invalid Person" in page
        and "Not a valid number" in page
        and "Valid Person" not in page.replace("Invalid Person", "")
    )
    assert "Gone Person" not in page


def test_edit_page_sample_reads_numbers_in_the_teammates_country(
    app: Flask, client: FlaskClient, signed_in: object
) -> None:
    """The field's sample formats a GB teammate's national number as GB's and flags the invalid one."""
    _seed_phones(app)
    with app.app_context(), db.session_scope(writer=False) as session:
        [field] = known_fields(session=session)
    page = visible_text(client.get(f"/smart-fields/{field.id}/edit"))
    assert "+44 20 7946 0958" in page
    assert "Warning: not a valid number for its country" in page
