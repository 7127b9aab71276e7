"""okta_sandbox: a local Okta-compatible org (org authorization server + Management API).

Used by the test suite, the benchmarks and ``make demo``; see ``okta_sandbox/README.md``.
"""

from okta_sandbox.clock import SandboxClock
from okta_sandbox.errors import ApiError, OAuthError
from okta_sandbox.models import RequestRecord, SandboxApp
from okta_sandbox.sandbox import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    DEFAULT_RATE_LIMITS,
    DEFAULT_REDIRECT_URI,
    RATE_LIMIT_BUCKETS,
    RATE_LIMIT_PRESETS,
    OktaSandbox,
    pkce_challenge,
)
from okta_sandbox.seed import USER_PASSWORD
from okta_sandbox.server import SandboxServer, create_app, run_sandbox
from okta_sandbox.state_codec import StateFileError

__all__ = [
    "ADMIN_LOGIN",
    "ADMIN_PASSWORD",
    "DEFAULT_RATE_LIMITS",
    "DEFAULT_REDIRECT_URI",
    "RATE_LIMIT_BUCKETS",
    "RATE_LIMIT_PRESETS",
    "USER_PASSWORD",
    "ApiError",
    "OAuthError",
    "OktaSandbox",
    "RequestRecord",
    "SandboxApp",
    "SandboxClock",
    "SandboxServer",
    "StateFileError",
    "create_app",
    "pkce_challenge",
    "run_sandbox",
]
