"""Optional shared API key (header ``X-API-Key``) for ``/v1`` and ``/metrics``.

Off when no key is configured (:func:`configure` stores the key's digest in the app state).
Checked by a route guard, which Litestar runs before the body is read: an unauthenticated
request is never parsed nor scored. Keys are compared as SHA-256 digests with
:func:`hmac.compare_digest`, so the comparison takes the same time whatever the provided
key's content or length. The probes (``/health``, ``/ready``) stay open.
"""

from __future__ import annotations

import hashlib
import hmac

from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import SecurityScheme

HEADER = b"x-api-key"  # ASGI servers lowercase header names
SCHEME_NAME = "ApiKey"
SECURITY_SCHEME = SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header",
                                 description="the service's shared key (only when configured)")
_STATE_KEY = "api_key_digest"
# RFC 9110 asks a 401 to name the scheme; API keys have no registered one.
CHALLENGE = {"WWW-Authenticate": 'ApiKey realm="scorecard", header="X-API-Key"'}


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def configure(state: State, key: str | None) -> None:
    """Require ``key`` on every guarded route of the app owning ``state`` (``None``: off)."""
    state[_STATE_KEY] = None if not key else _digest(key.encode())


async def require_api_key(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The guard: admits only requests whose ``X-API-Key`` equals the configured key.
    (A coroutine: Litestar would run a plain function in a thread, a hop per request.)"""
    expected = connection.app.state.get(_STATE_KEY)
    if expected is None:
        return
    provided = next((v for k, v in connection.scope["headers"] if k == HEADER), None)
    if provided is None or not hmac.compare_digest(_digest(provided), expected):
        raise NotAuthorizedException("missing or invalid API key (header X-API-Key)",
                                     headers=CHALLENGE)
