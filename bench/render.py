"""Benchmark the signature renderer: every teammate's signature from their Okta profile.

Builds N synthetic, varied Okta profiles (names with accents, several countries' phone numbers,
missing titles and phones, long departments, a few hostile values) and the default smart fields
(`webapp.fields.defaults`, as `SmartField` objects in memory: no database), then times, for every
teammate, what a re-render does: the field values (`compute_prepared` on fields prepared once, as
`teammate_field_values` does: formats, phone numbers, fallbacks), the sandboxed render, CSS
inlining, nh3 cleaning and the plain text (`render_signature`) with one realistic starter template
(table layout, a `<style>` block, a logo, conditions).

Run: ``.venv/bin/python -m bench.render [--teammates 10000]``

Prints one JSON line: teammates, render_all_s (the whole loop, wall clock), per_signature_us,
cpu_s (this process's CPU time over the loop: the figure to trust on a machine shared with other
work), the split values_s (smart-field values) and render_s (render_signature), distinct_hashes,
html_chars_mean, and style_inlined_once (the template's <style> block was inlined at compile time).

Figures (2-core development container, quiet moment, N = 10,000): render_all_s 1.88-1.90 s
(188-190 µs per signature): values 0.56 s, render_signature 1.31-1.34 s. With the
machine loaded by other test suites, 3-12 s of wall time for 1.9-2.5 s of CPU (cpu_s).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

from webapp.fields.defaults import DEFAULT_FIELDS
from webapp.fields.models import FieldSource, SmartField
from webapp.fields.values import compute_prepared, prepare_fields
from webapp.signature_templates.renderer import compile_template, render_signature

BASE_URL = "https://signet.example.com"
STARTER = """<style>
.name { font-family: Arial, Helvetica, sans-serif; font-size: 16px; font-weight: bold; color: #111111; }
.title { font-family: Arial, Helvetica, sans-serif; font-size: 13px; color: #444444; }
td.line { font-family: Arial, Helvetica, sans-serif; font-size: 12px; color: #333333; padding: 1px 0; }
a { color: #1a56db; text-decoration: none; }
</style>
<table role="presentation" cellpadding="0" cellspacing="0" border="0">
  <tr>
    <td valign="top" style="padding: 0 16px 0 0; border-right: 2px solid #1a56db;">
      <img src="/images/3f7a9c2e.png" alt="Acme" width="96" height="40" style="display: block; border: 0;">
    </td>
    <td valign="top" style="padding: 0 0 0 16px;">
      <table role="presentation" cellpadding="0" cellspacing="0" border="0">
        <tr><td class="name">{{ display_name|default(first_name ~ " " ~ last_name) }}
          {% if pronouns %}<span style="font-weight: normal; color: #666666;">({{ pronouns }})</span>
          {% endif %}</td></tr>
        {% if job_title %}<tr><td class="title">{{ job_title }}
          {%- if department %}, {{ department }}{% endif %}</td></tr>{% endif %}
        {% if organization %}<tr><td class="title"><b>{{ organization|upper }}</b></td></tr>{% endif %}
        {% if mobile_phone %}<tr><td class="line">
          M <a href="tel:{{ mobile_phone|replace(' ', '') }}">{{ mobile_phone }}</a></td></tr>{% endif %}
        {% if primary_phone %}<tr><td class="line">
          T <a href="tel:{{ primary_phone|replace(' ', '') }}">{{ primary_phone }}</a></td></tr>{% endif %}
        {% if email %}<tr><td class="line"><a href="mailto:{{ email }}">{{ email }}</a></td></tr>{% endif %}
        {% if city %}<tr><td class="line">{{ street_address }}{% if street_address %}, {% endif %}
          {{- city }} {{ zip_code }}{% if country %}, {{ country }}{% endif %}</td></tr>{% endif %}
        {% if linkedin %}<tr><td class="line"><a href="{{ linkedin }}">LinkedIn</a></td></tr>{% endif %}
      </table>
    </td>
  </tr>
</table>
"""

FIRST = ["Ada", "Grace", "José", "Zoë", "Mei", "Olúwaseun", "Łukasz", "François", "Anaïs", "Søren", "Priya"]
LAST = ["Lovelace", "Hopper", "Núñez", "O'Brien", "Müller", "Nakamura", "Okafor", "Dubois", "Kowalski"]
TITLES = ["Engineer", "Senior Account Executive", "VP, People & Culture", "Designer", "", "Head of R&D"]
DEPARTMENTS = ["Sales", "Engineering", "Marketing <EMEA>", "Customer Success", "", "Finance & Legal"]
PHONES = [
    ("+1 415 555 {n:04d}", "US"),
    ("020 7946 {n:04d}", "GB"),
    ("+33 1 42 68 {n:04d}", "FR"),
    ("030 12{n:04d}", "DE"),
    ("03-1234-{n:04d}", "JP"),
    ("+61 2 9374 {n:04d}", "AU"),
    ("not a phone", "US"),
    ("", "US"),
]  # {n}: each teammate's own number (no cache in the formatting path gets an easy ride)
HOSTILE = ['"><script>alert(1)</script>', "javascript:alert(1)", "{{ 7*7 }}", "<img src=x onerror=alert(1)>"]


def default_fields() -> list[SmartField]:
    """The default smart fields, in memory, mapped to Okta's base attribute names."""
    fields = []
    for position, default in enumerate(DEFAULT_FIELDS):
        attribute = default.attributes[0] if default.attributes else "linkedInUrl"
        fields.append(
            SmartField(
                id=position + 1,
                key=default.key,
                label=default.label,
                source=FieldSource.OKTA,
                attribute=attribute,
                format=default.format,
                position=position,
            )
        )
    return fields


def profile(number: int, rng: random.Random) -> dict[str, Any]:
    """One synthetic, varied Okta profile."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    mobile, region = rng.choice(PHONES)
    mobile = mobile.format(n=number % 10_000)
    result: dict[str, Any] = {
        "firstName": first,
        "lastName": last,
        "displayName": f"{first} {last}" if number % 7 else None,
        "title": rng.choice(TITLES),
        "department": rng.choice(DEPARTMENTS),
        "organization": "Acme Corporation",
        "email": f"{first.lower()}.{number}@acme.example.com",
        "mobilePhone": mobile,
        "primaryPhone": rng.choice(PHONES)[0].format(n=(number * 7) % 10_000) if number % 3 == 0 else None,
        "streetAddress": f"{number % 900 + 1} Market Street",
        "city": rng.choice(["San Francisco", "London", "Paris", "Tokyo", ""]),
        "zipCode": f"{10000 + number % 89999}",
        "countryCode": region,
        "employeeNumber": number,
        "pronouns": rng.choice(["she/her", "he/him", "they/them", None, None]),
        "linkedInUrl": f"https://www.linkedin.com/in/person-{number}" if number % 2 else "",
    }
    if number % 500 == 0:  # a few hostile values, rendered inert
        result["title"] = rng.choice(HOSTILE)
        result["department"] = rng.choice(HOSTILE)
    return result


def main() -> None:
    """Render every synthetic teammate's signature once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teammates", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    fields = default_fields()
    profiles = [profile(number, rng) for number in range(args.teammates)]
    compiled = compile_template(STARTER)
    # Once per batch, and only the fields the template uses, as a re-render does
    # (`webapp.signatures.service` passes the templates' placeholders to `teammate_field_values`).
    prepared = prepare_fields([field for field in fields if field.key in compiled.names])
    values_s = render_s = 0.0
    hashes, sizes = set(), []
    started, cpu_started = time.perf_counter(), time.process_time()
    for okta_profile in profiles:
        before = time.perf_counter()
        values = compute_prepared(prepared, okta_profile, {}).values
        between = time.perf_counter()
        rendered = render_signature(compiled, values, base_url=BASE_URL)
        after = time.perf_counter()
        values_s += between - before
        render_s += after - between
        hashes.add(rendered.content_hash)
        sizes.append(len(rendered.html))
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    result = {
        "teammates": args.teammates,
        "render_all_s": round(total, 3),
        "per_signature_us": round(total / max(1, args.teammates) * 1e6, 1),
        "cpu_s": round(cpu, 3),
        "values_s": round(values_s, 3),
        "render_s": round(render_s, 3),
        "distinct_hashes": len(hashes),
        "html_chars_mean": round(statistics.fmean(sizes)) if sizes else 0,
        "style_inlined_once": not compiled.inline_when_rendering,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
