"""The request log: what reached the sandbox, for tests that count calls (control API excluded)."""

from __future__ import annotations

from collections import deque

from okta_sandbox.core import SandboxCore
from okta_sandbox.models import RequestRecord

REQUEST_LOG_SIZE = 10_000


class RequestLogMixin(SandboxCore):
    """The last ``REQUEST_LOG_SIZE`` requests, oldest first."""

    _log: deque[RequestRecord]

    def _init_request_log(self) -> None:
        self._log = deque(maxlen=REQUEST_LOG_SIZE)

    def record_request(self, record: RequestRecord) -> None:
        """Append to the request log (the server calls this for every non-control request)."""
        with self._lock:
            self._log.append(record)

    def request_log(self) -> list[RequestRecord]:
        """Requests that reached the sandbox, oldest first (the last 10,000)."""
        with self._lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        """Forget recorded requests."""
        with self._lock:
            self._log.clear()

    def count_requests(self, *, path: str, grant_type: str | None = None, method: str | None = None) -> int:
        """How many logged requests hit ``path`` (and had that ``grant_type``/``method``, if given)."""
        with self._lock:
            return sum(
                1
                for record in self._log
                if record.path == path
                and (grant_type is None or record.grant_type == grant_type)
                and (method is None or record.method == method.upper())
            )
