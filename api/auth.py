"""Optional shared API key (header ``X-API-Key``) for the ``/v1`` routes.

Off when no key is configured. Checked by a route guard, which Litestar runs before the body
is read: an unauthenticated request is never parsed nor scored. Keys are compared as SHA-256
digests with :func:`hmac.compare_digest`, so the comparison takes the same time whatever the
provided key's content or length.
"""

from __future__ import annotations

import hashlib
import hmac

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import SecurityScheme
from litestar.types import Guard

HEADER = b"x-api-key"  # ASGI servers lowercase header names
SCHEME_NAME = "ApiKey"
SECURITY_SCHEME = SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header",
                                 description="the service's shared key (only when configured)")


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def api_key_guard(key: str) -> Guard:
    """A guard admitting only requests whose ``X-API-Key`` equals ``key``."""
    expected = _digest(key.encode())

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        provided = next((v for k, v in connection.scope["headers"] if k == HEADER), None)
        if provided is None or not hmac.compare_digest(_digest(provided), expected):
            raise NotAuthorizedException("missing or invalid API key (header X-API-Key)")

    return guard
