"""Data Docs pages made to work offline, for :mod:`quality.report`.

GE's templates load CSS/JS from public CDNs and the navbar logo from GX's S3 bucket; :func:`make_offline`
rewrites those references to files vendored from npm at the exact versions GE links to
(``quality/report_assets/``, made by ``scripts/vendor-report-assets.sh``) and to GE's own logo from
the installed package; :func:`static_files` gives the files a set of pages needs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from importlib import resources
from typing import Any

INDEX_FILE = "index.html"

# Each URL GE 1.24's templates link to, and the vendored file (under static/) that replaces it.
# bootstrap-prefers-dark: GE links the 883 KB unminified build (mostly an inline source map); the
# package's own minified build of the same version is used instead.
VENDORED = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "vendor/bootstrap@4.3.1/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "vendor/bootstrap@4.3.1/dist/js/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "vendor/jquery@3.7.1/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        "vendor/popper.js@1.12.9/dist/umd/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "vendor/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "vendor/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "vendor/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "vendor/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "vendor/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "vendor/bootstrap-datepicker@1.9.0/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "vendor/bootstrap-datepicker@1.9.0/dist/js/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "vendor/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "vendor/fontawesome-free@6.6.0/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vendor/vega@5.33.1/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vendor/vega-lite@5.23.0/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vendor/vega-embed@6.29.0/build/vega-embed.min.js",
}
# Only pages with a chart (``vegaEmbed(...)``, e.g. a KL-divergence result) need vega; others skip 830 KB of JS.
CHART_SCRIPTS = ("https://cdn.jsdelivr.net/npm/vega@5", "https://cdn.jsdelivr.net/npm/vega-lite@5",
                 "https://cdn.jsdelivr.net/npm/vega-embed@6")
GE_IMAGES = "render/view/static/images"  # inside the great_expectations package
GX_S3_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"'\s]*/logo-long\.png[^\"'\s]*")
GX_S3_DARK_LOGO = re.compile(r"url\(\s*'https://great-expectations-web-assets\.s3[^']*'\s*\)")
INTEGRITY_ATTRIBUTE = re.compile(r"\s+(?:integrity|crossorigin)=\"[^\"]*\"")
FAVICON_HREF = re.compile(r"href=\"(?:\.{1,2}/)*static/images/favicon\.ico\"")
HOME_HREF = re.compile(r"href=\"(?:\.\./)+index\.html\"")
SUITE_PAGE_HREF = re.compile(r"\s+href=\"(?:\.\./)+expectations/[^\"]*\.html\"")  # no suite pages here
LOCAL_STATIC = re.compile(r"(?:src|href)=\"(?:\.{1,2}/)*static/((?:vendor|images)/[^\"?#]+)\"")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]+)|@import\s+['\"]([^'\"]+)")
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


class ExternalReferenceError(RuntimeError):
    """A rendered page still loads something from the network (GE's templates changed)."""


def make_offline(html: str, root: str) -> str:
    """``html`` of a GE page with every CDN/S3 reference replaced by files under ``{root}static/``.

    Drops ``integrity``/``crossorigin`` (the files are local) and the vega scripts on pages
    without charts, points "Home" at ``{root}index.html`` and unlinks the suite name (a report
    site has no suite pages). Raises :class:`ExternalReferenceError` if anything would still be fetched.
    """
    static = f"{root}static/"
    if "vegaEmbed(" not in html:
        for url in CHART_SCRIPTS:
            html = html.replace(f'<script src="{url}"></script>', "")
    for url, path in VENDORED.items():
        html = html.replace(f'"{url}"', f'"{static}{path}"')
    html = INTEGRITY_ATTRIBUTE.sub("", html)
    html = GX_S3_LOGO.sub(f"{static}images/logo-long.png", html)
    html = GX_S3_DARK_LOGO.sub("none", html)
    html = FAVICON_HREF.sub(f'href="{static}images/favicon.ico"', html)
    html = HOME_HREF.sub(f'href="{root}{INDEX_FILE}"', html)
    html = SUITE_PAGE_HREF.sub("", html)
    remaining = external_references(html)
    if remaining:
        raise ExternalReferenceError(
            f"the Data Docs page still loads {remaining}: GE's templates link to files Baton does not vendor; "
            "add them to VENDORED in quality/report_offline.py and to scripts/vendor-report-assets.sh")
    return html


def external_references(html: str) -> list[str]:
    """What a browser would fetch from the network for ``html``: remote ``src``/``href``/CSS ``url()``.

    Plain ``<a href>`` links are navigation, not fetches, and are not reported.
    """
    finder = _ReferenceFinder()
    finder.feed(html)
    finder.close()
    return [ref for ref in finder.references if REMOTE.match(ref)]


class _ReferenceFinder(HTMLParser):
    """Collects the resource references of tag attributes and of ``<style>`` blocks and attributes."""

    FETCHING_ATTRIBUTES = frozenset({"src", "href", "srcset", "poster", "data", "background"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in self.FETCHING_ATTRIBUTES and not (tag == "a" and name == "href"):
                self.references.append(value)
            elif value and name == "style":
                self.references += css_references(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.references += css_references(data)


def css_references(css: str) -> list[str]:
    """The ``url(...)`` and ``@import`` targets of a piece of CSS (``data:`` URIs excluded)."""
    refs = [url or imported for url, imported in CSS_URL.findall(css)]
    return [ref for ref in refs if not ref.startswith("data:")]


def static_files(documents: Iterable[str]) -> dict[str, bytes]:
    """The files under ``static/`` that ``documents`` reference, plus the fonts their CSS loads."""
    wanted = {ref for html in documents for ref in LOCAL_STATIC.findall(html)}
    wanted |= {dep for ref in wanted if ref.endswith(".css") for dep in _css_dependencies(ref)}
    return {f"static/{ref}": _read_static(ref) for ref in sorted(wanted)}


def _css_dependencies(css_ref: str) -> list[str]:
    """The vendored files a vendored stylesheet loads (only those vendored: e.g. Font Awesome's solid font).

    A browser only fetches a font face when text uses it; GE's pages use only Font Awesome's solid icons.
    """
    text = _read_static(css_ref).decode("utf-8")
    paths = [posixpath.normpath(posixpath.join(posixpath.dirname(css_ref), ref))
             for ref in css_references(text) if not REMOTE.match(ref)]
    return sorted({path for path in paths if path.startswith("vendor/") and _packaged(path).is_file()})


def _read_static(ref: str) -> bytes:
    """The bytes of the packaged file behind ``static/{ref}``, or an error that says how to restore it."""
    path = _packaged(ref)
    if not path.is_file():
        raise FileNotFoundError(
            f"report asset {ref!r} is missing at {path}: run scripts/vendor-report-assets.sh, and check that "
            "quality/report_assets/** is in the package data")
    return path.read_bytes()


def _packaged(ref: str) -> Any:
    """Where ``static/{ref}`` comes from: GE's own images, or Baton's vendored assets."""
    folder, _, rest = ref.partition("/")
    if folder == "images":
        return resources.files("great_expectations").joinpath(*GE_IMAGES.split("/"), *rest.split("/"))
    return resources.files("quality").joinpath("report_assets", *ref.split("/"))
