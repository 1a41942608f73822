"""The interactive docs (``/schema/swagger``, ``/schema/redoc``) with no request off the host.

Litestar's render plugins load Swagger UI, ReDoc, Google fonts and a favicon from public
CDNs by default: behind a firewall, or offline, the pages stay blank. Here the plugins point
at ``/schema/assets/<version>/<file>``, served by the app itself from the PyPI package
``drf-spectacular-sidecar`` (the swagger-ui-dist and ReDoc standalone bundles; hash-pinned in
the locks). Only its files are read: its ``__init__`` imports Django, which the API never
imports. ReDoc's Google fonts are off (it falls back to the system fonts), and the pages carry
a Content-Security-Policy that confines the browser to this origin.

The version is in the URL, so the assets are cached as immutable for a year: an upgrade of
the package changes the URLs. Bytes are read on first use and kept (about 3 MB).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from functools import cache
from pathlib import Path

from litestar import Response, route
from litestar.enums import HttpMethod
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin

PACKAGE = "drf_spectacular_sidecar"
VERSION = importlib.metadata.version("drf-spectacular-sidecar")
ASSETS_PATH = f"/schema/assets/{VERSION}"
CACHE_CONTROL = "public, max-age=31536000, immutable"

# URL name -> (file inside the package's static folder, content type; Litestar adds the
# charset of text types)
ASSETS: dict[str, tuple[str, str]] = {
    "swagger-ui-bundle.js": ("swagger-ui-dist/swagger-ui-bundle.js",
                             "text/javascript"),
    "swagger-ui-standalone-preset.js": ("swagger-ui-dist/swagger-ui-standalone-preset.js",
                                        "text/javascript"),
    "swagger-ui.css": ("swagger-ui-dist/swagger-ui.css", "text/css"),
    "favicon-32x32.png": ("swagger-ui-dist/favicon-32x32.png", "image/png"),
    "redoc.standalone.js": ("redoc/bundles/redoc.standalone.js",
                            "text/javascript"),
}


def static_root() -> Path:
    """The package's static folder, located without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{PACKAGE} is not installed: the docs assets are missing")
    return Path(next(iter(spec.submodule_search_locations))) / "static" / PACKAGE


@cache
def asset_bytes(name: str) -> bytes:
    return (static_root() / ASSETS[name][0]).read_bytes()


def asset_url(name: str) -> str:
    return f"{ASSETS_PATH}/{name}"


# ReDoc's menu footer shows a logo from its CDN, with no option to turn it off: the pages'
# Content-Security-Policy keeps the browser on this origin (that image just stays out).
# Inline scripts and styles: the plugins' page templates and the UIs' own styling need them.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
       "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
       "worker-src 'self' blob:")
# The render plugins put ``favicon`` first in <head>, so the policy covers all that follows.
FAVICON = (f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
           f"<link rel='icon' type='image/png' href='{asset_url('favicon-32x32.png')}'>")


def render_plugins() -> list[SwaggerRenderPlugin | RedocRenderPlugin]:
    """Swagger UI and ReDoc, every script, stylesheet and icon from :func:`serve_asset`."""
    return [
        SwaggerRenderPlugin(js_url=asset_url("swagger-ui-bundle.js"),
                            css_url=asset_url("swagger-ui.css"),
                            standalone_preset_js_url=asset_url(
                                "swagger-ui-standalone-preset.js"),
                            favicon=FAVICON),
        RedocRenderPlugin(js_url=asset_url("redoc.standalone.js"), google_fonts=False,
                          favicon=FAVICON),
    ]


@route(f"{ASSETS_PATH}/{{name:str}}", http_method=[HttpMethod.GET, HttpMethod.HEAD],
       include_in_schema=False, sync_to_thread=False)
def serve_asset(name: str) -> Response[bytes]:
    """One docs asset with its content type, cached as immutable (the URL has the version)."""
    entry = ASSETS.get(name)
    if entry is None:
        raise NotFoundException(f"no docs asset {name!r}")
    return Response(asset_bytes(name), media_type=entry[1],
                    headers={"cache-control": CACHE_CONTROL})
