"""Okta ``search`` and ``filter`` expressions for ``GET /api/v1/users``.

Semantics (SPEC-M ``listUsers``, FACTS.md §2):

* ``search``: operators ``eq sw co gt ge lt le pr``, ``and``/``or`` and parentheses (``and`` binds
  tighter); no ``ne`` or ``not``. ``co`` only on firstName/lastName/email/login. Property names are
  case-sensitive; operators and string values are not. Any profile attribute (base or custom),
  ``id status created activated statusChanged lastUpdated`` and ``type.id`` are searchable.
* ``filter``: only ``status lastUpdated id profile.login profile.email profile.firstName
  profile.lastName``; only ``eq``, except ``lastUpdated`` which also takes ``gt ge lt le``.
  "Filtering is case-sensitive for property names and query values, while operators are
  case-insensitive."

A malformed expression raises :class:`QueryError`; the server turns it into Okta's
``400 E0000031 "Invalid search criteria."`` (seen in okta/okta-powershell-cli#48).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from okta_sandbox.clock import parse_okta_timestamp
from okta_sandbox.models import UserRecord

Predicate = Callable[[UserRecord], bool]


class QueryError(ValueError):
    """The expression cannot be parsed or uses something the parameter does not allow."""


_DATE_FIELDS: dict[str, str] = {
    "created": "created",
    "activated": "activated",
    "statusChanged": "status_changed",
    "lastLogin": "last_login",
    "lastUpdated": "last_updated",
    "passwordChanged": "password_changed",
}
_TOP_FIELDS = frozenset({"id", "status", "type.id", *_DATE_FIELDS})
_CONTAINS_FIELDS = frozenset({"profile.firstName", "profile.lastName", "profile.email", "profile.login"})
_FILTER_FIELDS = frozenset(
    {"status", "lastUpdated", "id", "profile.login", "profile.email", "profile.firstName", "profile.lastName"}
)
_OPERATORS = frozenset({"eq", "sw", "co", "gt", "ge", "lt", "le", "pr"})

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<string>"(?:[^"\\]|\\.)*") |
        (?P<number>-?\d+(?:\.\d+)?(?![\w.])) |
        (?P<word>[A-Za-z_][\w.]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise QueryError(f"Unexpected character at position {pos}")
        kind = match.lastgroup or ""
        tokens.append(_Tok(kind, match.group(kind)))
        pos = match.end()
    return tokens


def compile_query(
    text: str, *, mode: Literal["search", "filter"], profile_attributes: Collection[str]
) -> Predicate:
    """Parse ``text`` and return a predicate over user records.

    ``profile_attributes`` are the names ``profile.X`` may use (base and custom schema attributes).
    """
    if not text.strip():
        raise QueryError("Empty expression")
    parser = _Parser(_tokenize(text), mode, frozenset(profile_attributes))
    predicate = parser.parse_or()
    if parser.pos != len(parser.tokens):
        raise QueryError("Unexpected trailing input")
    return predicate


class _Parser:
    def __init__(self, tokens: list[_Tok], mode: str, profile_attributes: frozenset[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.mode = mode
        self.profile_attributes = profile_attributes

    def _peek_word(self) -> str | None:
        if self.pos < len(self.tokens) and self.tokens[self.pos].kind == "word":
            return self.tokens[self.pos].text.lower()
        return None

    def _next(self) -> _Tok:
        if self.pos >= len(self.tokens):
            raise QueryError("Unexpected end of expression")
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse_or(self) -> Predicate:
        return self._parse_joined("or", self.parse_and, any)

    def parse_and(self) -> Predicate:
        return self._parse_joined("and", self.parse_factor, all)

    def _parse_joined(
        self, word: str, parse_part: Callable[[], Predicate], combine: Callable[[Iterable[bool]], bool]
    ) -> Predicate:
        """One or more `parse_part`s joined by the keyword `word`, combined by `any` or `all`."""
        parts = [parse_part()]
        while self._peek_word() == word:
            self.pos += 1
            parts.append(parse_part())
        if len(parts) == 1:
            return parts[0]
        return lambda user: combine(part(user) for part in parts)

    def parse_factor(self) -> Predicate:
        tok = self._next()
        if tok.kind == "lparen":
            inner = self.parse_or()
            if self._next().kind != "rparen":
                raise QueryError("Missing closing parenthesis")
            return inner
        if tok.kind != "word":
            raise QueryError(f"Expected an attribute, got {tok.text!r}")
        attribute = tok.text
        op_tok = self._next()
        op = op_tok.text.lower()
        if op_tok.kind != "word" or op not in _OPERATORS:
            raise QueryError(f"Unsupported operator {op_tok.text!r}")
        self._check_allowed(attribute, op)
        if op == "pr":
            getter = _getter(attribute)
            return lambda user: getter(user) not in (None, "")
        value = self._literal(self._next())
        return _comparison(attribute, op, value, ignore_case=self.mode == "search")

    def _check_allowed(self, attribute: str, op: str) -> None:
        if attribute.startswith("profile."):
            if attribute[len("profile.") :] not in self.profile_attributes:
                raise QueryError(f"Unknown attribute {attribute!r}")
        elif attribute not in _TOP_FIELDS:
            raise QueryError(f"Unknown attribute {attribute!r}")
        if self.mode == "filter":
            if attribute not in _FILTER_FIELDS:
                raise QueryError(f"Attribute {attribute!r} cannot be used in a filter")
            allowed = {"eq", "gt", "ge", "lt", "le"} if attribute == "lastUpdated" else {"eq"}
            if op not in allowed:
                raise QueryError(f"Operator {op!r} is not supported for {attribute!r} in a filter")
        elif op == "co" and attribute not in _CONTAINS_FIELDS:
            raise QueryError(f"Operator 'co' is not supported for {attribute!r}")

    @staticmethod
    def _literal(tok: _Tok) -> Any:
        if tok.kind == "string":
            return re.sub(r"\\(.)", r"\1", tok.text[1:-1])
        if tok.kind == "number":
            return float(tok.text) if "." in tok.text else int(tok.text)
        if tok.kind == "word" and tok.text.lower() in ("true", "false"):
            return tok.text.lower() == "true"
        if tok.kind == "word" and tok.text.lower() == "null":
            return None
        raise QueryError(f"Expected a value, got {tok.text!r}")


def _getter(attribute: str) -> Callable[[UserRecord], Any]:
    if attribute.startswith("profile."):
        key = attribute[len("profile.") :]
        return lambda user: user.profile.get(key)
    if attribute == "type.id":
        return lambda user: user.type_id
    field = _DATE_FIELDS.get(attribute, attribute)
    return lambda user: getattr(user, field)


def _comparison(attribute: str, op: str, value: Any, *, ignore_case: bool) -> Predicate:
    getter = _getter(attribute)
    if attribute in _DATE_FIELDS:
        if not isinstance(value, str):
            raise QueryError(f"{attribute} needs a quoted timestamp")
        try:
            value = parse_okta_timestamp(value)
        except ValueError as exc:
            raise QueryError(f"Invalid timestamp {value!r}") from exc
    elif isinstance(value, str) and ignore_case:
        # search: "operators and string values are case insensitive"; filter: values are
        # case-sensitive (SPEC-M listUsers `search` and `filter`).
        value = value.casefold()
    compare = _COMPARATORS[op]

    def predicate(user: UserRecord) -> bool:
        actual = getter(user)
        if isinstance(actual, list) and value is not None:
            # "If any element matches the search term, the entire array (object) is returned."
            # (SPEC-M listUsers `search`, after SCIM RFC 7644 §3.4.2.2.)
            return any(_matches(compare, op, element, value, ignore_case) for element in actual)
        return _matches(compare, op, actual, value, ignore_case)

    return predicate


def _matches(
    compare: Callable[[Any, Any], bool], op: str, actual: Any, value: Any, ignore_case: bool
) -> bool:
    """One comparison; values of different kinds (string, number, boolean, date) never match."""
    if actual is None or value is None:
        return op == "eq" and actual is None and value is None
    if isinstance(actual, str) and isinstance(value, str):
        actual = actual.casefold() if ignore_case else actual
    elif isinstance(actual, str) != isinstance(value, str) and not isinstance(actual, datetime):
        return False
    if isinstance(actual, bool) != isinstance(value, bool):
        return False  # `true` is not 1 (Python would say it is)
    try:
        return bool(compare(actual, value))
    except TypeError:
        return False


_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "sw": lambda a, b: isinstance(a, str) and a.startswith(b),
    "co": lambda a, b: isinstance(a, str) and b in a,
}
