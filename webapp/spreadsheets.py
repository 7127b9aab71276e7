"""CSV cells a spreadsheet opens safely: every CSV Signet writes (private links, `flask teammates
export`) holds names and Okta values that anyone able to edit a profile controls.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by Excel,
LibreOffice and Google Sheets (CSV injection); a leading apostrophe makes it plain text.
https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: str) -> str:
    """`value` as a CSV cell no spreadsheet runs as a formula (a leading `'` when it could be one)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
