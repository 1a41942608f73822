"""Exception handlers: every error the app answers is an :class:`~api.responses.ErrorBody`.

Contract violations -> 422 naming every offending field; a body that is not JSON -> 400;
Litestar's own HTTP errors (401, 404, 405, 413, ...) keep their status with a JSON body; a
client that went away before the response started -> 499 (nobody reads it; the status is for
the access log and metrics, never a 500); anything else -> 500, logged without its message.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from api.access_log import (
    CLIENT_CLOSED_REQUEST,
    SCOPE_DISCONNECTED,
    SCOPE_REQUEST_ID,
    UNMATCHED,
    access_log,
    log_exception,
    new_request_id,
)
from api.responses import ErrorBody, FieldIssue
from scorecard.data.records import InvalidRecordsError


class MalformedBodyError(ValueError):
    """The body is not JSON (or not JSON an applicant batch could be)."""


class PayloadTooLargeError(ValueError):
    """One part of the body exceeds its size budget (413)."""


def error_response(request: Request, status: int, detail: str,
                   errors: list[FieldIssue] | None = None, truncated: bool = False,
                   headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    request_id = request.scope.get(SCOPE_REQUEST_ID)  # type: ignore[call-overload]
    if request_id is None:
        # Not routed (404/405): the access middleware never saw it, so log it here.
        request_id = new_request_id(request.scope["headers"])
        access_log(request.method, request.scope["path"], UNMATCHED, status, 0.0, request_id)
        headers = {**(headers or {}), "x-request-id": request_id}
    return Response(ErrorBody(status, detail, errors or [], truncated), status_code=status,
                    headers=headers)


def on_invalid(request: Request, exc: InvalidRecordsError) -> Response[ErrorBody]:
    issues = [FieldIssue(i.field, i.rule, i.message, i.index) for i in exc.issues]
    fields = sorted({i.field for i in exc.issues})
    detail = (f"the request breaks the data contract in {len(exc.issues)} place(s): "
              f"{', '.join(fields[:20])}{' ...' if len(fields) > 20 else ''}")
    return error_response(request, HTTP_422_UNPROCESSABLE_ENTITY, detail, issues,
                          exc.truncated)


def on_malformed(request: Request, exc: MalformedBodyError) -> Response[ErrorBody]:
    return error_response(request, HTTP_400_BAD_REQUEST, str(exc))


def on_too_large(request: Request, exc: PayloadTooLargeError) -> Response[ErrorBody]:
    return error_response(request, 413, str(exc))


def _disconnected(request: Request) -> bool:
    return bool(request.scope.get(SCOPE_DISCONNECTED))  # type: ignore[call-overload]


def on_http(request: Request, exc: HTTPException) -> Response[ErrorBody]:
    if _disconnected(request):
        return error_response(request, CLIENT_CLOSED_REQUEST, "client closed the request")
    return error_response(request, exc.status_code, exc.detail, headers=exc.headers)


def on_unexpected(request: Request, exc: Exception) -> Response[ErrorBody]:
    if _disconnected(request):
        return error_response(request, CLIENT_CLOSED_REQUEST, "client closed the request")
    log_exception(exc, request.scope.get(SCOPE_REQUEST_ID), request.scope["path"])  # type: ignore[call-overload]
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal error")


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    InvalidRecordsError: on_invalid,
    MalformedBodyError: on_malformed,
    PayloadTooLargeError: on_too_large,
    HTTPException: on_http,
    Exception: on_unexpected,
}
