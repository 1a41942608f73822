"""Where the registry's objects live: keys (``cards/<id>/card.json``, ``history/...``,
``live.json``) to bytes.

* :class:`DirStore` — a local folder (``/path`` or ``file:///path``); writes are atomic
  (a temporary file renamed), a create-only write links it so two writers cannot both win.
* :class:`S3Store` — ``s3://bucket/prefix``, by plain HTTPS requests signed with AWS
  Signature V4 (credentials from the environment, or the ECS task role's endpoint);
  create-only writes are conditional (``If-None-Match: *``). ``AWS_ENDPOINT_URL`` points it
  at another S3 (the tests' emulator).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET  # nosec B405: parses only the S3 endpoint's own listings
from pathlib import Path
from typing import Protocol

from scorecard import settings
from scorecard.errors import UsageError


class StoreError(UsageError):
    """The registry's store cannot be opened or used (a bad URL, a missing folder, an S3
    error); the message names the store."""


class Store(Protocol):
    url: str

    def get(self, key: str) -> bytes | None:
        """The object's bytes, ``None`` when there is none."""

    def put(self, key: str, data: bytes) -> None:
        """Write (or replace) the object."""

    def create(self, key: str, data: bytes) -> bool:
        """Write the object only if there is none yet; ``False`` when there was one."""

    def keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted."""


def open_store(url: str) -> Store:
    """The store at ``url``: ``s3://bucket[/prefix]``, ``file:///path`` or a folder path."""
    url = url.strip()
    if not url:
        raise StoreError("registry store: empty location (a folder or s3://bucket/prefix)")
    if url.startswith("s3://"):
        return S3Store(url)
    if "://" in url and not url.startswith("file://"):
        raise StoreError(f"registry store {url!r}: not a folder, file:///path or "
                         "s3://bucket/prefix")
    return DirStore(url)


class DirStore:
    """A registry in a local folder (created when missing)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.root = Path(url.removeprefix("file://"))
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"registry store {url!r}: {self.root} is not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"registry store {url!r}: cannot create {self.root}: "
                             f"{exc.strerror}") from None

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise StoreError(f"registry store: bad key {key!r}")
        return self.root / key

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def _temp(self, path: Path, data: bytes) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return tmp

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = self._temp(path, data)
        os.replace(tmp, path)

    def create(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        tmp = self._temp(path, data)
        try:
            os.link(tmp, path)  # fails when the name exists: one writer wins
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
        return True

    def keys(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/")) if prefix else self.root
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*")
                      if p.is_file() and not p.name.startswith("."))


# ------------------------------------------------------------------------------- S3


def _sign(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class S3Store:
    """A registry under ``s3://bucket/prefix``, through the S3 REST API (path-style)."""

    def __init__(self, url: str) -> None:
        self.url = url
        rest = url.removeprefix("s3://")
        self.bucket, _, prefix = rest.partition("/")
        if not self.bucket:
            raise StoreError(f"registry store {url!r}: no bucket (s3://bucket/prefix)")
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.region = settings.AWS_REGION.read()
        self.endpoint = (settings.AWS_ENDPOINT_URL.read()
                         or f"https://s3.{self.region}.amazonaws.com").rstrip("/")
        if not self.endpoint.startswith(("https://", "http://")):
            raise StoreError(f"registry store {url!r}: endpoint {self.endpoint!r} is not "
                             "an http(s) URL")
        self._creds: tuple[str, str, str | None, float] | None = None

    # -------------------------------------------------------------- credentials

    def _credentials(self) -> tuple[str, str, str | None]:
        now = time.time()
        if self._creds is not None and self._creds[3] > now + 300:
            return self._creds[:3]
        key, secret = settings.AWS_ACCESS_KEY_ID.read(), settings.AWS_SECRET_ACCESS_KEY.read()
        if key and secret:
            self._creds = (key, secret, settings.AWS_SESSION_TOKEN.read(), float("inf"))
            return self._creds[:3]
        relative = settings.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI.read()
        if relative:  # the ECS task role
            with urllib.request.urlopen(  # nosec B310: the fixed link-local ECS endpoint
                    f"http://169.254.170.2{relative}", timeout=5) as resp:
                doc = json.loads(resp.read())
            expires = dt.datetime.fromisoformat(doc["Expiration"].replace("Z", "+00:00"))
            self._creds = (doc["AccessKeyId"], doc["SecretAccessKey"], doc.get("Token"),
                           expires.timestamp())
            return self._creds[:3]
        raise StoreError(f"registry store {self.url!r}: no AWS credentials (set "
                         "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an ECS "
                         "task role)")

    # -------------------------------------------------------------- requests

    def _request(self, method: str, key: str = "", data: bytes = b"",
                 query: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        access, secret, token = self._credentials()
        path = "/" + urllib.parse.quote(f"{self.bucket}/{key}" if key else self.bucket,
                                        safe="/-_.~")
        query_text = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}="
                              f"{urllib.parse.quote(v, safe='-_.~')}"
                              for k, v in sorted((query or {}).items()))
        host = urllib.parse.urlsplit(self.endpoint).netloc
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        payload_hash = hashlib.sha256(data).hexdigest()
        head = {"host": host, "x-amz-date": stamp, "x-amz-content-sha256": payload_hash,
                **{k.lower(): v for k, v in (headers or {}).items()}}
        if method == "PUT":  # else urllib sends a form's content type
            head["content-type"] = "application/octet-stream"
            # A bucket with a default object-lock retention requires an integrity header.
            head["content-md5"] = base64.b64encode(
                hashlib.md5(data, usedforsecurity=False).digest()).decode()
        if token:
            head["x-amz-security-token"] = token
        names = sorted(head)
        canonical = "\n".join([method, path, query_text,
                               "".join(f"{n}:{head[n].strip()}\n" for n in names),
                               ";".join(names), payload_hash])
        scope = f"{stamp[:8]}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        k = _sign(("AWS4" + secret).encode(), stamp[:8])
        for part in (self.region, "s3", "aws4_request"):
            k = _sign(k, part)
        signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        head["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                                 f"SignedHeaders={';'.join(names)}, Signature={signature}")
        del head["host"]
        url = self.endpoint + path + (f"?{query_text}" if query_text else "")
        req = urllib.request.Request(url, data=data if method == "PUT" else None,
                                     method=method, headers=head)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # nosec B310: http(s) only
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            body = b""
            with contextlib.suppress(Exception):
                body = exc.read()
            return exc.code, body
        except (urllib.error.URLError, OSError) as exc:
            raise StoreError(f"registry store {self.url!r}: {self.endpoint} unreachable: "
                             f"{getattr(exc, 'reason', exc)}") from None

    def _fail(self, what: str, status: int, body: bytes) -> StoreError:
        code = ""
        with contextlib.suppress(ET.ParseError):
            node = ET.fromstring(body).find("Code")  # nosec B314: the S3 endpoint's answer
            code = f" {node.text}" if node is not None else ""
        return StoreError(f"registry store {self.url!r}: {what}: HTTP {status}{code}")

    def get(self, key: str) -> bytes | None:
        status, body = self._request("GET", self.prefix + key)
        if status == 404:
            return None
        if status != 200:
            raise self._fail(f"cannot read {key}", status, body)
        return body

    def put(self, key: str, data: bytes) -> None:
        status, body = self._request("PUT", self.prefix + key, data)
        if status != 200:
            raise self._fail(f"cannot write {key}", status, body)

    def create(self, key: str, data: bytes) -> bool:
        status, body = self._request("PUT", self.prefix + key, data,
                                     headers={"If-None-Match": "*"})
        if status in (409, 412):
            return False
        if status != 200:
            raise self._fail(f"cannot write {key}", status, body)
        return True

    def keys(self, prefix: str) -> list[str]:
        out: list[str] = []
        token: str | None = None
        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        while True:
            query = {"list-type": "2", "prefix": self.prefix + prefix}
            if token:
                query["continuation-token"] = token
            status, body = self._request("GET", query=query)
            if status != 200:
                raise self._fail(f"cannot list {prefix}", status, body)
            root = ET.fromstring(body)  # nosec B314: the S3 endpoint's answer
            out += [(el.text or "")[len(self.prefix):] for el in root.iter(f"{ns}Key")]
            token_el = root.find(f"{ns}NextContinuationToken")
            if token_el is None or not token_el.text:
                return sorted(out)
            token = token_el.text
