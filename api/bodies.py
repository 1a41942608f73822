"""Request bodies: read (:func:`read`), then JSON-decoded with bounded work.

:func:`read` reads a body as Litestar's ``Request.body`` does (the route's size limit on the
announced and on the received length, 413 beyond it; a client gone before the end, 500) but
straight from the ASGI messages: Litestar builds the header map and an async generator for
every body, a few percent of a single score, while a scoring body is almost always one
message.

A single applicant's body is capped at ``SINGLE_BODY_BYTES`` by Litestar, so it is simply
decoded. A batch body may be 32 MiB: decoded blindly, ``[{},{},...]`` is ~11 million dicts
(gigabytes, and seconds of GIL-holding C code that stall every other request). So
:func:`decode_batch` first walks the raw bytes item by item with a compiled, possessive
(backtracking-free) regular expression and refuses, before any object exists, a batch with
more than ``max_items`` items (422) or an item larger than ``max_item_bytes`` (413). Items
at most two levels deep are skipped by one regex match each; a deeper item by a token walk
that stops at ``max_item_bytes``. The walk stops at item ``max_items + 1``, so its cost is
bounded by the items it admits; only then does msgspec decode the body (and judge its
syntax). A body of at most :data:`SPLIT_BYTES` (a few hundred applicants, the common
case) is split instead by msgspec into raw items (slices of the body, no objects), whose
count and sizes are checked the same way: its worst case is bounded by its size, and it
costs a tenth of the walk.
"""

from __future__ import annotations

import math
import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import InternalServerException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from api.errors import MalformedBodyError, PayloadTooLargeError
from api.overload import content_length
from scorecard.data.records import InvalidRecordsError, Issue, too_many

_decode = msgspec.json.Decoder().decode
_decode_array = msgspec.json.Decoder(list).decode
_split = msgspec.json.Decoder(list[msgspec.Raw]).decode
# Up to this size a batch body is split into raw items by msgspec instead of walked: at
# worst (``[1,1,...]``) 256 Ki raw slices, ~17 MB for a moment.
SPLIT_BYTES = 512 * 1024

_WS = rb"[ \t\n\r]*"
_STR = rb'"(?:[^"\\]++|\\.)*+"'
_FLAT = rb'(?:[^"\[\]{}]++|' + _STR + rb")*+"  # scalars, strings, commas, colons
_INNER = rb"(?:\{" + _FLAT + rb"\}|\[" + _FLAT + rb"\])"  # one container of scalars
_BODY2 = rb'(?:[^"\[\]{}]++|' + _STR + rb"|" + _INNER + rb")*+"
# One item: a scalar, a string, or an object/array whose values are at most one level deep
# (an applicant's are scalars; one level more still gets a per-field 422 from the validator).
_ITEM = re.compile(_WS + rb'(?:\{' + _BODY2 + rb"\}|\[" + _BODY2 + rb'\]|' + _STR
                   + rb'|[^"\[\]{},\s]++)' + _WS)
_SPACE = re.compile(_WS)
_TOKEN = re.compile(_STR + rb"|[\[\]{}]")  # what changes the nesting depth
NOT_AN_ARRAY = Issue("$", "type", "the body must be a JSON array of applicants")


async def read(request: Request[Any, Any, Any]) -> bytes:
    """The whole body of ``request`` (bytes; once per request)."""
    limit = request.route_handler.resolve_request_max_body_size() or math.inf
    announced = content_length(request.scope["headers"])
    if announced is not None and announced > limit:
        raise RequestEntityTooLarge
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                total += len(chunk)
                if total > limit:
                    raise RequestEntityTooLarge
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            raise InternalServerException("client disconnected prematurely")
    request.is_connected = False
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def decode(body: bytes) -> Any:
    """Decode a JSON body into plain objects; raises :class:`MalformedBodyError`."""
    try:
        return _decode(body)
    except msgspec.DecodeError as exc:
        raise MalformedBodyError(f"the body is not valid JSON ({exc})") from None
    except RecursionError:  # e.g. 60,000 nested brackets: fits in 64 KiB, not in the stack
        raise MalformedBodyError("the body is nested too deeply to be an applicant") from None
    except UnicodeDecodeError as exc:  # msgspec raises this (not DecodeError) for non-UTF-8
        raise MalformedBodyError(f"the body is not UTF-8 JSON ({exc.reason})") from None


def count_items(body: bytes, max_items: int, max_item_bytes: int) -> int:
    """The number of top-level items of a JSON array body, walking at most
    ``max_items + 1`` items. Raises InvalidRecordsError (too many items),
    PayloadTooLargeError (an item over ``max_item_bytes``) or MalformedBodyError (not an
    array of items an applicant batch could hold)."""
    pos = _SPACE.match(body).end()  # type: ignore[union-attr]
    end = len(body)
    pos += 1  # the caller checked body[pos] == "["
    after = _SPACE.match(body, pos).end()  # type: ignore[union-attr]
    if body[after:after + 1] == b"]":
        pos, count = after + 1, 0
    else:
        count = 0
        while True:
            item = _ITEM.match(body, pos)
            item_end = item.end() if item is not None else _deep_item_end(body, pos,
                                                                          max_item_bytes)
            if item_end == pos:
                raise MalformedBodyError(f"the body is not valid JSON: no value at byte {pos}")
            count += 1
            if count > max_items:
                raise InvalidRecordsError([too_many(max_items, f"more than {max_items}")])
            if item_end - pos > max_item_bytes:
                raise PayloadTooLargeError(f"item {count - 1} of the batch exceeds "
                                           f"{max_item_bytes} bytes (one applicant is ~1.5 KB)")
            pos = item_end
            sep = body[pos:pos + 1]
            pos += 1
            if sep == b"]":
                break
            if sep != b",":
                raise MalformedBodyError(f"the body is not valid JSON: expected ',' or ']' "
                                         f"at byte {pos - 1}")
    if _SPACE.match(body, pos).end() != end:  # type: ignore[union-attr]
        raise MalformedBodyError("the body is not valid JSON: trailing characters after the "
                                 "array")
    return count


def _deep_item_end(body: bytes, pos: int, max_item_bytes: int) -> int:
    """The end (trailing blanks included) of the container item at ``pos`` that nests
    deeper than :data:`_ITEM` follows: a walk over its strings and brackets, stopped
    (413) once it passes ``max_item_bytes``."""
    start = _SPACE.match(body, pos).end()  # type: ignore[union-attr]
    limit = pos + max_item_bytes
    depth = 0
    for token in _TOKEN.finditer(body, start):
        if token.start() > limit:
            break
        char = body[token.start()]
        if char in b"[{":
            depth += 1
        elif char in b"]}":
            depth -= 1
        if depth <= 0:
            if depth < 0 or (token.start() == start and char not in b"[{"):
                raise MalformedBodyError(f"the body is not valid JSON: unexpected "
                                         f"{chr(char)!r} at byte {token.start()}")
            return _SPACE.match(body, token.end()).end()  # type: ignore[union-attr]
    if body[start:start + 1] not in (b"[", b"{"):
        raise MalformedBodyError(f"the body is not valid JSON: no value at byte {start}")
    raise PayloadTooLargeError(f"an item of the batch (byte {pos}) exceeds {max_item_bytes} "
                               "bytes or is not closed")


def decode_batch(body: bytes, max_items: int, max_item_bytes: int,
                 split_bytes: int = SPLIT_BYTES) -> Any:
    """Decode a batch body with bounded work (module docstring); bodies of at most
    ``split_bytes`` are split by msgspec, larger ones walked."""
    start = _SPACE.match(body).end()  # type: ignore[union-attr]
    if body[start:start + 1] != b"[":
        # Not an array: a small body is decoded (a syntax error is then a 400, as for a
        # single applicant); a large one is judged by a typed decode, which fails at the
        # first value and builds nothing.
        if len(body) <= max_item_bytes:
            decode(body)
        else:
            try:
                _decode_array(body)
            except msgspec.ValidationError:  # (a DecodeError subclass) valid JSON, no array
                pass
            except msgspec.DecodeError as exc:
                raise MalformedBodyError(f"the body is not valid JSON ({exc})") from None
            except UnicodeDecodeError as exc:
                raise MalformedBodyError(f"the body is not UTF-8 JSON ({exc.reason})") from None
        raise InvalidRecordsError([NOT_AN_ARRAY])
    if len(body) <= split_bytes:
        _check_items(body, max_items, max_item_bytes)
    else:
        count_items(body, max_items, max_item_bytes)
    return decode(body)


def _check_items(body: bytes, max_items: int, max_item_bytes: int) -> None:
    """:func:`count_items`'s checks for a small body (at most :data:`SPLIT_BYTES`), ~10x
    faster: msgspec splits the array into raw items (slices of ``body``, no objects)."""
    try:
        items = _split(body)
    except msgspec.DecodeError as exc:
        raise MalformedBodyError(f"the body is not valid JSON ({exc})") from None
    except RecursionError:
        raise MalformedBodyError("the body is nested too deeply to be a batch") from None
    except UnicodeDecodeError as exc:
        raise MalformedBodyError(f"the body is not UTF-8 JSON ({exc.reason})") from None
    for i, item in enumerate(items[:max_items]):
        if len(item) > max_item_bytes:
            raise PayloadTooLargeError(f"item {i} of the batch exceeds {max_item_bytes} "
                                       "bytes (one applicant is ~1.5 KB)")
    if len(items) > max_items:
        raise InvalidRecordsError([too_many(max_items, f"more than {max_items}")])
