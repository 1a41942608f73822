"""Optional shared API key (header ``X-API-Key``) for ``/v1`` and ``/metrics``; reviewers'
keys (same header) for the oversight routes.

The scoring key is off when none is configured (:func:`configure` stores the key's digest in
the app state; :func:`api.app.create_app` puts :func:`require_api_key` on the guarded
routes' router only when a key is configured). The oversight routes
(:func:`require_reviewer_key`) are never open: they admit only a reviewer's key, which names
the reviewer, and refuse the scoring key (403).
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
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import SecurityScheme

HEADER = b"x-api-key"  # ASGI servers lowercase header names
SCHEME_NAME = "ApiKey"
SECURITY_SCHEME = SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header",
                                 description="the service's shared key (only when configured)")
_STATE_KEY = "api_key_digest"
_REVIEWERS = "reviewer_key_digests"
SCOPE_REVIEWER = "scorecard.reviewer"  # the admitted reviewer's name, for the handler
# RFC 9110 asks a 401 to name the scheme; API keys have no registered one.
CHALLENGE = {"WWW-Authenticate": 'ApiKey realm="scorecard", header="X-API-Key"'}


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def configure(state: State, key: str | None,
              reviewers: tuple[tuple[str, str], ...] = ()) -> None:
    """Require ``key`` on every guarded route of the app owning ``state`` (``None``: off),
    and one of ``reviewers`` (``(name, key)``) on the oversight routes."""
    state[_STATE_KEY] = None if not key else _digest(key.encode())
    state[_REVIEWERS] = tuple((_digest(k.encode()), name) for name, k in reviewers)


def reviewer(connection: ASGIConnection) -> str:
    """The name of the reviewer :func:`require_reviewer_key` admitted."""
    return str(connection.scope[SCOPE_REVIEWER])  # type: ignore[literal-required]


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


async def require_reviewer_key(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The oversight routes' guard: admits only a reviewer's key (every configured key is
    compared, so the time does not tell which matched) and keeps the reviewer's name in
    the scope; the scoring key is refused with 403."""
    reviewers = connection.app.state.get(_REVIEWERS) or ()
    if not reviewers:
        raise PermissionDeniedException("no reviewer keys are configured "
                                        "(SCORECARD_REVIEWER_KEYS): nobody may review")
    provided = next((v for k, v in connection.scope["headers"] if k == HEADER), None)
    if provided is None:
        raise NotAuthorizedException("missing reviewer key (header X-API-Key)",
                                     headers=CHALLENGE)
    digest = _digest(provided)
    name = None
    for expected, who in reviewers:
        if hmac.compare_digest(digest, expected):
            name = who
    if name is None:
        scoring = connection.app.state.get(_STATE_KEY)
        if scoring is not None and hmac.compare_digest(digest, scoring):
            raise PermissionDeniedException("the scoring key may not review decisions: "
                                            "use a reviewer key")
        raise NotAuthorizedException("invalid reviewer key (header X-API-Key)",
                                     headers=CHALLENGE)
    connection.scope[SCOPE_REVIEWER] = name  # type: ignore[literal-required]
