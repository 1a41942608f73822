"""A real PostgreSQL for the tests: ``initdb`` a temporary folder, ``postgres`` on a free
loopback port, stopped and removed at the end.

PostgreSQL refuses to run as root. As root (CI, the developers' machines) the server runs as
the ``postgres`` user the Debian package creates (``nobody`` when it is absent) through
``runuser``; its folder lives under ``/tmp`` so that user can reach it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BINARIES = ("initdb", "pg_ctl", "postgres")
MISSING = "PostgreSQL's initdb, pg_ctl and postgres are not on the PATH"
USER = "scorecard"


def available() -> bool:
    return all(shutil.which(b) for b in BINARIES)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner() -> tuple[list[str], str | None]:
    """The command prefix running a program as the server's owner, and that owner."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], name
    raise RuntimeError("running as root and neither user postgres nor nobody exists")


@contextmanager
def server() -> Iterator[str]:
    """A running PostgreSQL; yields the URL of its ``postgres`` database (user
    ``scorecard``, trust authentication on loopback)."""
    prefix, owner = _as_owner()
    root = Path(tempfile.mkdtemp(prefix="scorecard-pg-", dir="/tmp"))
    if owner is not None:
        shutil.chown(root, owner)
    data, port = root / "data", _free_port()
    run = {"check": True, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT,
           "timeout": 120}
    try:
        subprocess.run([*prefix, "initdb", "-D", str(data), "-U", USER, "-A", "trust",
                        "-E", "UTF8", "--locale=C", "--no-sync"], **run)
        subprocess.run([*prefix, "pg_ctl", "-D", str(data), "-l", str(root / "log"), "-w",
                        "-o", f"-k {data} -p {port} -c listen_addresses=127.0.0.1 "
                        "-c max_connections=200", "start"], **run)
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stdout.decode()}\n{log}") from exc
    try:
        yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, "pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
                       check=False)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(url: str) -> str:
    """A new empty database on the server of ``url``; returns its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return url.rsplit("/", 1)[0] + f"/{name}"
