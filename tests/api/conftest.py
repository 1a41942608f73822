"""The API tests' one client factory: the real app in process (Litestar's ``TestClient``).

``api_client(**settings)`` is a context manager serving the committed card (or
``artifact=...``) with :class:`api.settings.Settings` fields as keyword arguments; ``client``
is the module-wide client with the default settings. Servers in a subprocess (real sockets)
come from :mod:`tests.support.servers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings

ClientFactory = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture(scope="session")
def api_client(artifact_path: Path) -> ClientFactory:
    """``with api_client(max_batch=3) as c: ...``: the app with those settings."""

    @contextmanager
    def make(**settings: Any) -> Iterator[TestClient]:
        settings.setdefault("artifact", artifact_path)
        with TestClient(create_app(Settings(**settings))) as c:
            yield c

    return make


@pytest.fixture(scope="module")
def client(api_client: ClientFactory) -> Iterator[TestClient]:
    with api_client() as c:
        yield c
