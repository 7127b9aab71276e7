"""The sandbox over real HTTP: a small Flask app and a threaded werkzeug server.

Routes live in one blueprint per area: :mod:`okta_sandbox.routes_authorize` (authorize, sign-in,
consent), :mod:`okta_sandbox.routes_token` (discovery, keys, token, revoke, userinfo, logout),
:mod:`okta_sandbox.routes_api` (Management API) and, only when asked for,
:mod:`okta_sandbox.control` (``/__sandbox/``). This module adds what applies to every request:
rate limits, injected faults and the request log (FACTS.md §4).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request as WerkzeugRequest

from okta_sandbox import errors, routes_api, routes_authorize, routes_token
from okta_sandbox.discovery import OKTA_RESPONSE_MODES, OKTA_RESPONSE_TYPES
from okta_sandbox.errors import ApiError
from okta_sandbox.http_util import (
    EXTENSION_KEY,
    JSON_TYPE,
    NO_CACHE,
    SESSION_COOKIE,
    api_error_response,
    sandbox_of,
)
from okta_sandbox.limits import RateLimitStatus, rate_limit_buckets, rate_limit_family
from okta_sandbox.models import RequestRecord
from okta_sandbox.routes_api import MAX_LIMIT
from okta_sandbox.sandbox import OktaSandbox

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "MAX_LIMIT",
    "OKTA_RESPONSE_MODES",
    "OKTA_RESPONSE_TYPES",
    "SESSION_COOKIE",
    "SandboxServer",
    "create_app",
    "rate_limit_buckets",
    "rate_limit_family",
    "run_sandbox",
]

CONTROL_PREFIX = "/__sandbox"
_FAULT_KEY = "okta_sandbox.fault"


class _FaultMiddleware:
    """Applies ``latency`` and ``drop`` faults below Flask, where a connection can be cut."""

    def __init__(self, app: WSGIApplication, sandbox: OktaSandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            fault = self.sandbox.take_fault(path)
            if fault is not None:
                environ[_FAULT_KEY] = fault
                if fault.kind == "latency":
                    time.sleep(fault.latency_seconds)
                elif fault.kind == "drop":
                    self._drop(environ)
        return self.app(environ, start_response)

    def _drop(self, environ: WSGIEnvironment) -> None:
        req = WerkzeugRequest(environ)
        self.sandbox.record_request(_record(req, 0, "drop", self.sandbox))
        sock = environ.get("werkzeug.socket")
        if isinstance(sock, socket.socket):
            # Shut the socket so the client sees EOF at once instead of waiting on keep-alive;
            # werkzeug then treats the ConnectionError as a dropped client.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("okta_sandbox: injected dropped connection")


def _record(req: WerkzeugRequest, status: int, fault: str | None, sandbox: OktaSandbox) -> RequestRecord:
    form: dict[str, str] = {}
    if req.method == "POST" and req.mimetype == "application/x-www-form-urlencoded":
        form = dict(req.form.items(multi=False))
        if "password" in form:
            form["password"] = "***"  # noqa: S105 - the only field the log hides
    return RequestRecord(
        at=sandbox.clock.now(),
        method=req.method,
        path=req.path,
        query=dict(req.args.items(multi=False)),
        form=form,
        status=status,
        fault=fault,
    )


def create_app(sandbox: OktaSandbox, *, control_api: bool = False) -> Flask:
    """Build the Flask app serving ``sandbox`` (mount ``/__sandbox/`` only if ``control_api``)."""
    app = Flask("okta_sandbox")
    app.config["JSON_SORT_KEYS"] = False
    app.extensions[EXTENSION_KEY] = sandbox
    app.wsgi_app = _FaultMiddleware(app.wsgi_app, sandbox)  # type: ignore[method-assign]
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.register_error_handler(ApiError, api_error_response)
    app.register_blueprint(routes_token.bp)
    app.register_blueprint(routes_authorize.bp)
    app.register_blueprint(routes_api.bp)
    if control_api:
        from okta_sandbox.control import control_blueprint

        app.register_blueprint(control_blueprint(sandbox))
    return app


def _before_request() -> Response | None:
    """Injected ``http_error``/``rate_limit`` faults, then the request's rate-limit bucket."""
    if request.path.startswith(CONTROL_PREFIX):
        return None
    sandbox = sandbox_of()
    buckets = rate_limit_buckets(request.method, request.path)
    family = buckets[0] if buckets else None
    g.family = family
    fault = request.environ.get(_FAULT_KEY)
    if fault is not None and fault.kind == "http_error":
        status = fault.status or 500
        # E0000009 "Internal Server Error" (SPEC-M); other statuses use their own reason phrase.
        return api_error_response(ApiError(status, "E0000009", HTTPStatus(status).phrase))
    if fault is not None and fault.kind == "rate_limit":
        if family is not None:
            peek = sandbox.peek_rate_limit(family)
            g.rate = RateLimitStatus(family, False, peek.limit, 0, peek.reset_epoch)
        return api_error_response(ApiError(429, "E0000047", errors.RATE_LIMIT_SUMMARY))
    if buckets and request.method != "OPTIONS":
        g.rate = sandbox.consume_rate_limits(buckets)
        if not g.rate.allowed:
            return api_error_response(ApiError(429, "E0000047", errors.RATE_LIMIT_SUMMARY))
    return None


def _after_request(response: Response) -> Response:
    """Okta's common headers, rate-limit headers, the ``malformed_json`` fault, the request log."""
    if request.path.startswith(CONTROL_PREFIX):
        return response
    sandbox = sandbox_of()
    _okta_headers(response)
    family = g.get("family")
    if family is not None:
        rate = g.get("rate") or sandbox.peek_rate_limit(family)
        response.headers["X-Rate-Limit-Limit"] = str(rate.limit)
        response.headers["X-Rate-Limit-Remaining"] = str(rate.remaining)
        response.headers["X-Rate-Limit-Reset"] = str(rate.reset_epoch)
    fault = request.environ.get(_FAULT_KEY)
    fault_kind = fault.kind if fault is not None else None
    if fault_kind == "malformed_json":
        body = response.get_data() or b'{"errorCode":"E0000009"}'
        # Half a JSON document: parsable by nobody, as a truncated proxy response would be.
        response.set_data(body[: max(1, len(body) // 2)])
        response.status_code = 200
        response.content_type = JSON_TYPE
    sandbox.record_request(_record(request, response.status_code, fault_kind, sandbox))
    return response


def _okta_headers(response: Response) -> None:
    """What every recorded Okta response carries (FACTS.md §8): a unique ``X-Okta-Request-Id`` and,
    unless the endpoint says otherwise (the JWKS), ``Cache-Control: no-cache, no-store``,
    ``Pragma: no-cache`` and ``Expires: 0``."""
    response.headers["X-Okta-Request-Id"] = secrets.token_hex(16)
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = NO_CACHE
        response.headers["Pragma"] = "no-cache"
        response.headers["Expires"] = "0"


# ---------------------------------------------------------------------- server


class _QuietHandler(WSGIRequestHandler):
    """No per-request access log (tests run hundreds of requests); the CLI turns it back on."""

    verbose = False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.verbose:
            super().log_request(code, size)


class _VerboseHandler(_QuietHandler):
    verbose = True


class SandboxServer:
    """Serve an :class:`OktaSandbox` over real HTTP from a background thread.

    ``port=0`` picks a free port. ``sandbox.origin`` is set to this server's origin so the
    issuer, audiences and links match the address clients use.
    """

    def __init__(
        self,
        sandbox: OktaSandbox | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        control_api: bool = False,
        access_log: bool = False,
    ) -> None:
        self.sandbox = sandbox if sandbox is not None else OktaSandbox()
        self.host = host
        self.control_api = control_api
        self.app = create_app(self.sandbox, control_api=control_api)
        handler = _VerboseHandler if access_log else _QuietHandler
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=handler
        )
        self.port = self._server.server_port
        display_host = f"[{host}]" if ":" in host else host
        self.origin = f"http://{display_host}:{self.port}"
        self.sandbox.origin = self.origin
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        """Start serving in a daemon thread; returns ``self``."""
        if self._thread is None:
            # A short poll interval keeps stop() fast (shutdown waits for the next poll).
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"okta-sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` (or Ctrl-C) - used by the CLI."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving, close the listening socket, and save pending state (with a state file)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self.sandbox.flush_state()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_sandbox(
    *,
    seed: int = 1,
    users: int = 25,
    host: str = "127.0.0.1",
    port: int = 0,
    control_api: bool = False,
    configure: Callable[[OktaSandbox], None] | None = None,
    state_file: str | os.PathLike[str] | None = None,
) -> SandboxServer:
    """Build a sandbox (loading ``state_file`` if it exists), let ``configure`` adjust it, and
    return a started :class:`SandboxServer`."""
    sandbox = OktaSandbox(seed=seed, users=users, state_file=state_file)
    if configure is not None:
        configure(sandbox)
    return SandboxServer(sandbox, host=host, port=port, control_api=control_api).start()
