"""Private-link tokens, and query strings in servers' request lines, never reach a log (PITFALLS 7.3).

A private link is `/s/<token>`: a path, because that is what a teammate expects to click. Paths end up
in logs: Werkzeug's request log (`flask run`, the test server), gunicorn's access log (`%(U)s` in
`scripts/serve.py`), gunicorn's error log and the app's own messages (`Unhandled error on GET
/s/...`). Rather than trusting every one of those formats, Signet installs a log-record factory: every
record created in the process, whichever logger or handler it goes to, has `/s/<anything>` in its
message and arguments replaced by `/s/[redacted]` before any handler formats it, and the request
line of gunicorn's "Error handling request" and of Werkzeug's request log loses its query string, as
the access log's format already does.
https://docs.python.org/3/library/logging.html#logging.setLogRecordFactory
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

PRIVATE_PATH_PREFIX = "/s/"
REDACTED_PATH = PRIVATE_PATH_PREFIX + "[redacted]"
# Everything up to the end of the path segment: a real token, a guess, or the token URL-encoded.
_TOKEN_IN_PATH = re.compile(r"/s/[^\s/?#\"'<>]+")
# A request target's query string in a server's own request line. The access log leaves query strings
# out (`%(U)s` in `scripts/serve.py`: Okta's callback carries its one-time code there); gunicorn's
# "Error handling request GET /path?query" and Werkzeug's '"GET /path?query HTTP/1.1" 200' lines would
# still quote them. The query ends at whitespace, a quote or an ANSI colour escape (Werkzeug's).
REDACTED_QUERY = "?[redacted]"
_QUERY = re.compile(r"\?[^\s\"'\x1b]*")
_REQUEST_LINE_MESSAGES = {
    "gunicorn.error": ("Error handling request",),
    "werkzeug": ('"%s" %s %s',),
}
_lock = threading.Lock()


def redact(text: str) -> str:
    """`text` with the token of every private-link path in it replaced by `[redacted]`."""
    if PRIVATE_PATH_PREFIX not in text:
        return text
    return _TOKEN_IN_PATH.sub(REDACTED_PATH, text)


def without_query(text: str) -> str:
    """`text` (a request target or line) with its query string replaced by `?[redacted]`."""
    return _QUERY.sub(REDACTED_QUERY, text) if "?" in text else text


def _is_request_line(record: logging.LogRecord) -> bool:
    messages = _REQUEST_LINE_MESSAGES.get(record.name)
    return messages is not None and isinstance(record.msg, str) and any(m in record.msg for m in messages)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes) and PRIVATE_PATH_PREFIX.encode() in value:
        return redact(value.decode("latin-1")).encode("latin-1")
    return value


def redact_record(record: logging.LogRecord) -> None:
    """Redact private-link tokens in a record's message and arguments, and the query string of a
    server's request line, in place."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    args = record.args
    if isinstance(args, tuple):
        record.args = tuple(_redact_value(value) for value in args)
        if _is_request_line(record):
            record.args = tuple(
                without_query(value) if isinstance(value, str) else value for value in record.args
            )
    elif isinstance(args, Mapping):
        changed = {key: new for key, value in args.items() if (new := _redact_value(value)) is not value}
        if changed:
            record.args = _with(args, changed)
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # An exception's message may quote the path; handlers reuse `exc_text` once it is set.
        text = logging.Formatter().formatException(record.exc_info)
        if PRIVATE_PATH_PREFIX in text:
            record.exc_text = redact(text)


def _with(args: Mapping[str, Any], changed: Mapping[str, Any]) -> Mapping[str, Any]:
    # gunicorn's access log passes its atoms as a dict subclass that answers "-" for unknown keys;
    # a copy of the same class keeps that behaviour. Anything that can't be copied becomes a dict.
    try:
        redacted = copy.copy(args)
        redacted.update(changed)  # type: ignore[attr-defined]
    except (TypeError, AttributeError):
        return {**args, **changed}
    return redacted


class _RedactingFactory:
    """Wraps the record factory in place when installed; marks itself so it is installed once."""

    def __init__(self, previous: Callable[..., logging.LogRecord]) -> None:
        self.previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.previous(*args, **kwargs)
        redact_record(record)
        return record


def install_log_redaction() -> None:
    """Make every log record of this process redact private-link tokens (idempotent)."""
    with _lock:
        current = logging.getLogRecordFactory()
        if isinstance(current, _RedactingFactory):
            return
        logging.setLogRecordFactory(_RedactingFactory(current))
