"""The interactive docs work with no network beyond the service (``api.docs``).

The real server (uvicorn subprocess on 127.0.0.1) and a real headless Chromium (the system
``chromium``, driven by Playwright) whose every request off 127.0.0.1 is blocked twice: the
host resolver maps every other name to nothing, and the page's router aborts (and records)
any request not addressed to the server. Swagger UI must render the operations and run
"Try it out" against ``/v1/score``; ReDoc must render the operation list.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.docs import ASSETS, ASSETS_PATH, CACHE_CONTROL, static_root
from tests.support.paths import REPO
from tests.support.servers import free_port

CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "")
                 if p and Path(p).exists()), None)
EXTERNAL = re.compile(r"(?:src|href)\s*=\s*['\"]([^'\"]+)['\"]")




@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {**os.environ}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("SCORECARD_API_KEY", None)
    log = tmp_path_factory.mktemp("docs") / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host",
         "127.0.0.1", "--port", str(port), "--no-access-log"], cwd=REPO, env=env,
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("page", ["/schema/swagger", "/schema/redoc"])
def test_the_docs_pages_load_every_script_style_and_icon_from_the_service(
        url: str, page: str) -> None:
    html = httpx.get(url + page, timeout=10).text
    refs = EXTERNAL.findall(html)
    assert refs, html[:500]
    assert all(ref.startswith(ASSETS_PATH + "/") for ref in refs), refs
    for host in ("cdn.", "jsdelivr", "unpkg", "googleapis", "redoc.ly"):
        assert host not in html, host
    assert "Content-Security-Policy" in html and "default-src 'self'" in html


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_each_asset_is_the_packaged_file_with_its_type_and_a_long_cache(url: str,
                                                                         name: str) -> None:
    response = httpx.get(f"{url}{ASSETS_PATH}/{name}", timeout=10)
    assert response.status_code == 200
    packaged = (static_root() / ASSETS[name][0]).read_bytes()
    assert hashlib.sha256(response.content).digest() == hashlib.sha256(packaged).digest()
    assert response.headers["content-type"].split(";")[0] == ASSETS[name][1]
    assert response.headers["cache-control"] == CACHE_CONTROL
    head = httpx.head(f"{url}{ASSETS_PATH}/{name}", timeout=10)
    assert head.status_code == 200 and head.content == b""


def test_an_unknown_asset_is_a_json_404(url: str) -> None:
    response = httpx.get(f"{url}{ASSETS_PATH}/../../v1/scorecard", timeout=10)
    assert response.status_code == 404
    response = httpx.get(f"{url}{ASSETS_PATH}/nothing.js", timeout=10)
    assert response.status_code == 404 and "nothing.js" in response.json()["detail"]


@pytest.mark.skipif(CHROMIUM is None, reason="the system chromium is not installed")
def test_swagger_ui_and_redoc_render_and_try_it_out_works_with_the_network_cut(
        url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    errors: list[str] = []
    refused: list[str] = []

    def only_the_service(route, request) -> None:  # type: ignore[no-untyped-def]
        if request.url.startswith(url + "/") or request.url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        try:
            context = browser.new_context()
            context.route("**/*", only_the_service)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # What the pages' Content-Security-Policy kept out (never sent, so not routed).
            page.on("console", lambda msg: refused.append(msg.text)
                    if "Content Security Policy" in msg.text else None)

            page.goto(url + "/schema/swagger")
            score = page.locator("#operations-scoring-score")
            score.locator(".opblock-summary").click()
            score.get_by_role("button", name="Try it out").click()
            score.get_by_role("button", name="Execute").click()
            status = score.locator(".live-responses-table .response .response-col_status")
            status.first.wait_for(timeout=30_000)
            assert status.first.inner_text().strip() == "200"
            body = score.locator(".live-responses-table .microlight").first.inner_text()
            assert '"score"' in body and '"grade"' in body
            page.screenshot(path=str(tmp_path / "swagger.png"))

            page.goto(url + "/schema/redoc")
            # The operation sections of the main panel (the menu's entries start collapsed).
            page.locator("h2", has_text="Score one applicant").first.wait_for(timeout=30_000)
            headings = page.locator("h2").all_inner_texts()
            assert "Score a batch of applicants" in headings, headings
        finally:
            browser.close()
    assert blocked == [], blocked
    assert errors == [], errors
    # Only ReDoc's CDN logo (an <img> in its menu footer) is kept out by the policy.
    assert all("img-src" in text and "logo-mini.svg" in text for text in refused), refused
    assert (tmp_path / "swagger.png").stat().st_size > 10_000  # a rendered page, not blank
