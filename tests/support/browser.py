"""Headless Chromium from the command line (the report, monitoring and model pages)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


CHROMIUM = next((p for p in map(shutil.which, BROWSERS) if p), None)


DRAWABLE = {"path", "line", "rect", "polyline", "polygon", "circle", "ellipse", "text", "use"}


# Lines Chromium logs for page problems (console messages, failed or blocked loads).
PAGE_ERROR = re.compile(r"CONSOLE|Failed to load resource|net::ERR_|Refused to|Uncaught",
                        re.I)


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def chromium(page: Path, tmp: Path, size: tuple[int, int], *args: str
             ) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on the file ``page`` with name resolution mapped to nothing (no
    request can leave the machine), a profile and caches under ``tmp``, the window
    ``size`` (width, height) in CSS pixels and ``args`` (``--dump-dom``, ``--screenshot=``,
    ``--log-net-log=``, ...)."""
    assert CHROMIUM is not None
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", "--hide-scrollbars",
           "--force-device-scale-factor=1", "--host-resolver-rules=MAP * ~NOTFOUND",
           f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--v=0",
           f"--window-size={size[0]},{size[1]}", *args, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(tmp)}, check=False)


def render(page: Path, tmp: Path, size: tuple[int, int]) -> dict[str, Any]:
    """The page rendered twice by :func:`chromium`: its DOM with a NetLog, and a
    screenshot. Returns ``page``, ``dom`` (text), ``log`` (Chromium's stderr of both runs),
    ``png`` and ``netlog`` (paths)."""
    netlog, png = tmp / "netlog.json", tmp / "screenshot.png"
    dom = chromium(page, tmp, size, "--dump-dom", f"--log-net-log={netlog}")
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = chromium(page, tmp, size, f"--screenshot={png}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    return {"page": page, "dom": dom.stdout, "log": dom.stderr + shot.stderr, "png": png,
            "netlog": netlog}


def page_requests(netlog: Path) -> set[str]:
    """Network URLs requested on behalf of a ``file://`` page, from Chromium's NetLog. The
    browser's own service traffic (update checks, account probes) carries another network
    isolation key and is left out: it is Chromium's, not the page's."""
    events = json.loads(netlog.read_text(encoding="utf-8"))["events"]
    urls = set()
    for e in events:
        p = e.get("params") or {}
        url, nik = str(p.get("url", "")), str(p.get("network_isolation_key", ""))
        if nik.startswith("file://") and re.match(r"(?:https?|wss?|ftp)://", url):
            urls.add(url)
    return urls


@dataclass
class LocalPage:
    """A playwright page that may load only from ``base`` (anything else is aborted and
    listed in ``off_machine``), with the page's console errors and uncaught exceptions in
    ``errors``."""

    page: Any
    errors: list[str] = field(default_factory=list)
    off_machine: list[str] = field(default_factory=list)


@contextlib.contextmanager
def local_page(base: str, size: tuple[int, int] = (1280, 800)) -> Iterator[LocalPage]:
    """Headless Chromium driven by playwright, on one page confined to ``base``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            local = LocalPage(page)

            def route(r: Any) -> None:
                if r.request.url.startswith(base + "/"):
                    r.continue_()
                else:
                    local.off_machine.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("console",
                    lambda m: local.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: local.errors.append(str(e)))
            yield local
        finally:
            browser.close()
