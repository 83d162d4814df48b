"""Human-readable reports of validation results, rendered by Great Expectations itself, that work offline.

The pages are GE's own Data Docs pages (``ValidationResultsPageRenderer`` / ``SiteIndexPageRenderer``
with GE's Jinja views), built from the JSON dicts the gate keeps, so no data context or docs site is
needed. GE's templates load CSS/JS from public CDNs and the navbar logo from GX's S3 bucket; Baton
rewrites those references to files vendored from npm at the exact versions GE links to
(``quality/report_assets/``, made by ``scripts/vendor-report-assets.sh``) and to GE's own logo from
the installed package, so a published report renders without network and sends nothing anywhere.

A report site under a quality prefix looks like this (every link relative)::

    index.html                  GE's index page: a bootstrap-table of the validations
    {name}/data_docs.html       one GE validation page per validation
    static/vendor/...           the vendored CSS/JS/fonts these pages use
    static/images/...           GE's logo and favicon

``write_report_site(storage.write_bytes, "executions/{id}/{stage}/quality", {dataset: validation},
verdicts={dataset: verdict})`` writes it to local or S3 storage alike. GE's status says whether every
expectation succeeded; Baton's verdict (passed, passed within tolerance, correctable, failed, and the
``on_fail: warn`` failures that block nothing) is shown beside it on each page and in the index.
:func:`with_names` names a result's data asset and run, which GE's pages otherwise show as "None".
Compound-key samples are shown as tuples (:func:`readable_samples`).

Escaping. GE's Jinja templates are ``.j2`` files, so Jinja's autoescape (``.html``/``.xml`` only) never
applies: GE escapes only the string parameters of its string templates. Table cells, headers, the
breadcrumb, exception tracebacks, values inside a list, and the index table (a Python ``repr`` inside
a ``<script>``, which bootstrap-table then inserts as HTML) all reach the page raw. Baton therefore
escapes the *inputs* of GE's renderers: :func:`escape_validation` HTML-escapes (quotes included) every
string of the validation result, dict keys too, once, and the views Baton renders with replace GE's
parameter escaping (which would escape them a second time) by one that leaves character references
alone. ``row_condition`` is the exception: GE parses it while rendering, so it stays as written and
reaches the page only as string-template parameters, which that escaping covers. Every character that came from data, a
suite, a parameter or an error message then reaches the page as an entity or as itself, never as
``<``, ``>``, ``&``, ``"`` or ``'``, in whichever context GE puts it: text, a quoted attribute, or a
quoted string in a script whose content is used as HTML. (Expectation ``notes``, the one Markdown
input, appear only on suite pages, which a report site does not have. Vega charts show the escaped
text of values holding those characters: ``A&amp;B``.) This was preferred over sanitising the
rendered page: a parser cannot tell GE's own scripts and handlers from injected ones, while an
input pass is complete by construction (GE's structural strings, such as expectation types and
result keys, contain none of the escaped characters, so escaping leaves them unchanged).
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from html.parser import HTMLParser
from importlib import resources
from typing import Any
from urllib.parse import quote, unquote

from baton.paths import validate_name

PAGE_FILE = "data_docs.html"
INDEX_FILE = "index.html"
SITE_NAME = "Baton quality"

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

PARSED_BY_GE = frozenset({"row_condition"})  # expectation kwargs GE parses while rendering: escaped when shown
BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")

# GE's dark-mode CSS swaps the navbar logo <img> for a background image on GX's S3 (removed):
# keep the bundled logo visible instead, inverted for the dark background.
DARK_MODE_LOGO_CSS = """
@media (prefers-color-scheme: dark) {
  .navbar-brand a img { visibility: visible; filter: invert(1); }
}
"""


class ExternalReferenceError(RuntimeError):
    """A rendered page still loads something from the network (GE's templates changed)."""


def load_validation_result(d: Mapping[str, Any]) -> Any:
    """GE's ``ExpectationSuiteValidationResult`` loaded from its JSON dict through GE's schema."""
    from great_expectations.core.expectation_validation_result import (
        expectationSuiteValidationResultSchema,
    )

    return expectationSuiteValidationResultSchema.load(dict(d))


def render_data_docs_page(validation: Mapping[str, Any], root: str = "../",
                          verdict: Mapping[str, Any] | None = None) -> str:
    """The HTML of GE's Data Docs page for one validation result dict, with no network references.

    ``root`` is the report site's root relative to the page: the default fits
    ``{quality prefix}/{dataset}/data_docs.html`` with the site's ``static/`` in the quality prefix.
    ``verdict`` (Baton's verdict of the dataset) is shown right under GE's status.
    """
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    result = load_validation_result(escape_validation(readable_samples(validation)))
    document = ValidationResultsPageRenderer().render(result)
    if verdict is not None:
        document.sections[0].content_blocks.insert(1, _verdict_block(verdict))
    return make_offline(_view(DefaultJinjaPageView).render(document), root)


def render_index_page(pages: Mapping[str, Mapping[str, Any]], site_name: str = SITE_NAME,
                      verdicts: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """GE's Data Docs index page listing the validation results ``pages`` (name -> result dict).

    With ``verdicts`` (name -> Baton's verdict), a "Baton verdict" column follows GE's status.
    """
    from great_expectations.render.renderer import SiteIndexPageRenderer
    from great_expectations.render.view import DefaultJinjaIndexPageView

    links = [_index_link(name, load_validation_result(escape_validation(validation)))
             for name, validation in pages.items()]
    document = SiteIndexPageRenderer.render({"site_name": html.escape(site_name), "validations_links": links})
    if verdicts is not None:
        for table in _tables(document):
            _add_verdict_column(table, verdicts)
    return make_offline(_view(DefaultJinjaIndexPageView).render(document), "")


def run_name(pipeline: str, stage: str, execution_id: str) -> str:
    """The run name of a stage's reports: ``{pipeline}/{stage}/{execution id}``."""
    return f"{pipeline}/{stage}/{execution_id}"


def with_names(validation: Mapping[str, Any], asset: str, run: str) -> dict[str, Any]:
    """A copy of ``validation`` naming its data asset and its run, as GE's pages show them.

    GE's page header reads ``meta.batch_spec.data_asset_name`` ("Data asset: None" without it) and
    the run name from ``meta.run_id.run_name``.
    """
    meta = dict(validation.get("meta") or {})
    meta["batch_spec"] = dict(meta.get("batch_spec") or {}, data_asset_name=asset)
    meta["run_id"] = dict(meta.get("run_id") or {}, run_name=run)
    meta["run_id"].setdefault("run_time", meta.get("validation_time"))
    return dict(validation, meta=meta)


def verdict_status(verdict: Mapping[str, Any]) -> str:
    """passed, passed within tolerance (rows quarantined), correctable, or failed."""
    if verdict.get("passed"):
        return "passed within tolerance" if verdict.get("failedRows") else "passed"
    return "correctable" if verdict.get("correctable") else "failed"


def warned(verdict: Mapping[str, Any]) -> list[str]:
    """The failed expectations whose ``on_fail`` is ``warn``: reported, never blocking nor quarantining."""
    return [str(e.get("name")) for e in verdict.get("failedExpectations") or [] if e.get("onFail") == "warn"]


VERDICT_STYLES = {"passed": ("fa-check-circle text-success", "alert-success"),
                  "passed within tolerance": ("fa-check-circle text-warning", "alert-warning"),
                  "correctable": ("fa-wrench text-warning", "alert-warning"),
                  "failed": ("fa-times text-danger", "alert-danger")}


def _verdict_block(verdict: Mapping[str, Any]) -> Any:
    """A GE string-template block: Baton's verdict, its reason, and the ``warn`` failures.

    Each parameter is escaped here (the view's :func:`escape_once` then leaves it as it is).
    """
    from great_expectations.render import RenderedStringTemplateContent

    status = verdict_status(verdict)
    icon, alert = VERDICT_STYLES[status]
    warn = warned(verdict)
    params = {"title": "Baton verdict:", "status": status, "reason": str(verdict.get("reason") or ""),
              "warned": f"on_fail warn (reported, not blocking): {', '.join(warn)}" if warn else ""}
    params = {k: html.escape(v, quote=True) for k, v in params.items()}
    # GE's name for a trusted icon parameter: its views leave it raw
    params["html_success_icon"] = f'<i class="fas {icon}" aria-hidden="true"></i>'
    return RenderedStringTemplateContent(
        content_block_type="string_template",
        string_template={"template": "$title $html_success_icon $status\n$reason\n$warned", "params": params,
                         "styling": {"params": {"title": {"classes": ["h6"]}, "status": {"classes": ["h6"]}}}},
        styling={"classes": ["col-12", "alert", alert, "mb-2"]})


def _tables(document: Any) -> list[Any]:
    """GE's bootstrap tables anywhere in a rendered document (the index nests them in tabs)."""
    if hasattr(document, "table_columns"):
        return [document]
    if isinstance(document, Mapping):
        children: Iterable[Any] = document.values()
    elif isinstance(document, list | tuple):
        children = document
    elif hasattr(document, "__dict__"):
        children = vars(document).values()
    else:
        return []
    return [table for child in children for table in _tables(child)]


def _add_verdict_column(table: Any, verdicts: Mapping[str, Mapping[str, Any]]) -> None:
    """Add "Baton verdict" after GE's status column of the validations table, one cell per page."""
    fields = [column.get("field") for column in table.table_columns]
    if "validation_success" not in fields:
        return
    table.table_columns.insert(fields.index("validation_success") + 1, {
        "field": "baton_verdict", "title": "Baton verdict", "sortable": "true", "filterControl": "input"})
    for row in table.table_data:
        name = posixpath.dirname(unquote(row.get("_table_row_link_path") or ""))
        verdict = verdicts.get(name)
        row["baton_verdict"] = _verdict_cell(verdict) if verdict is not None else ""


def _verdict_cell(verdict: Mapping[str, Any]) -> str:
    """Escaped HTML of an index cell: icon, status, and the ``warn`` failures."""
    status = verdict_status(verdict)
    warn = warned(verdict)
    text = f"{status}; on_fail warn: {', '.join(warn)}" if warn else status
    return f'<i class="fas {VERDICT_STYLES[status][0]}" aria-hidden="true"></i> {html.escape(text, quote=True)}'


def readable_samples(validation: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``validation`` whose multi-value samples read as tuples: ``(1, 'apar', 'ilu')``.

    GE reports a compound-key sample (multicolumn expectations) as a dict (``partial_unexpected_list``)
    or a list (the values of ``partial_unexpected_counts``) and renders the one as a dict and the
    other glued together (``1aparilu``).
    """
    copied = dict(validation)
    copied["results"] = [_with_readable_samples(result) for result in validation.get("results") or []]
    return copied


def _with_readable_samples(result: Mapping[str, Any]) -> dict[str, Any]:
    details = result.get("result")
    if not isinstance(details, Mapping):
        return dict(result)
    readable = dict(details)
    for key in ("partial_unexpected_list", "unexpected_list"):
        if isinstance(details.get(key), list):
            readable[key] = [_as_tuple(value) for value in details[key]]
    if isinstance(details.get("partial_unexpected_counts"), list):
        readable["partial_unexpected_counts"] = [
            dict(count, value=_as_tuple(count["value"])) if isinstance(count, Mapping) and "value" in count else count
            for count in details["partial_unexpected_counts"]]
    return dict(result, result=readable)


def _as_tuple(value: Any) -> Any:
    """A compound sample (dict of column -> value, or list of values) as tuple text; anything else as is."""
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list):
        return f"({', '.join(map(repr, value))}{',' if len(value) == 1 else ''})"
    return value


def escape_validation(validation: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a validation result dict with every string and dict key HTML-escaped (:func:`escape_values`).

    Only the expectations' ``kwargs.row_condition`` stays as written: GE parses it while rendering,
    and shows it only as string-template parameters, which the views of :func:`_view` escape.
    """
    escaped = escape_values(validation)
    for original, result in zip(validation.get("results") or [], escaped.get("results") or [], strict=True):
        kwargs = (original.get("expectation_config") or {}).get("kwargs") or {}
        for key in PARSED_BY_GE & kwargs.keys():
            result["expectation_config"]["kwargs"][key] = kwargs[key]
    return escaped


def escape_values(value: Any) -> Any:
    """A copy of ``value`` with every string, and every dict key, HTML-escaped (quotes included)."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, Mapping):
        return {escape_values(key): escape_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [escape_values(item) for item in value]
    return value


def escape_once(value: Any) -> Any:
    """``value`` HTML-escaped if a string, leaving character references as they are.

    Idempotent: a string :func:`escape_values` escaped is returned unchanged, a raw one is escaped.
    """
    if not isinstance(value, str):
        return value
    escaped = BARE_AMPERSAND.sub("&amp;", value)
    return escaped.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#x27;")


def _view(view_class: type) -> Any:
    """A GE Jinja view for escaped inputs, whose custom styles fix the dark-mode logo.

    GE's own escaping of string-template parameters would escape :func:`escape_validation`'s output a
    second time: :func:`escape_once` replaces it. The styles use GE's ``data_docs_custom_styles.css`` hook.
    """
    from jinja2 import ChoiceLoader, DictLoader

    escaped_inputs = type(view_class.__name__, (view_class,),
                          {"_escape_template_param_value": staticmethod(escape_once)})
    view = escaped_inputs()
    styles = DictLoader({"data_docs_custom_styles.css": DARK_MODE_LOGO_CSS})
    view.env.loader = ChoiceLoader([view.env.loader, styles])
    return view


def _index_link(name: str, result: Any) -> dict[str, Any]:
    """One row of GE's validation index table, linking to ``{name}/data_docs.html``."""
    run_id = result.meta.get("run_id") or {}
    batch = result.meta.get("active_batch_definition") or {}
    page = f"{quote(name)}/{PAGE_FILE}"
    return {
        "expectation_suite_name": result.suite_name,
        "filepath": page,
        "expectation_suite_filepath": page,
        "validation_success": result.success,
        "run_time": run_id.get("run_time") or result.meta.get("validation_time"),
        "run_name": run_id.get("run_name"),
        "asset_name": name,
        "batch_identifier": batch.get("data_asset_name") or name,
        "batch_spec": result.meta.get("batch_spec", {}),
    }


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
            "add them to VENDORED in quality/report.py and to scripts/vendor-report-assets.sh")
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


def site_files(pages: Mapping[str, Mapping[str, Any]],
               verdicts: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, bytes]:
    """Every file of a report site for ``pages`` (name -> validation result dict), by relative path.

    ``verdicts`` (name -> Baton's verdict) are shown on the pages and the index. Static files come
    first and the index last, so a site written in this order never links to a file not written yet.
    """
    documents = {f"{validate_name(name, 'report page name')}/{PAGE_FILE}":
                 render_data_docs_page(validation, verdict=(verdicts or {}).get(name))
                 for name, validation in pages.items()}
    documents[INDEX_FILE] = render_index_page(pages, verdicts=verdicts)
    return static_files(documents.values()) | {path: html.encode() for path, html in documents.items()}


def write_report_site(write_bytes: Callable[[str, bytes], None], prefix: str,
                      pages: Mapping[str, Mapping[str, Any]],
                      verdicts: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Write the report site of ``pages`` under ``prefix`` with ``write_bytes(key, data)``; return the keys.

    ``write_bytes`` is e.g. ``LocalStorage.write_bytes`` or ``S3Storage.write_bytes``; ``verdicts``
    as for :func:`site_files`.
    """
    keys = []
    for path, data in site_files(pages, verdicts).items():
        key = posixpath.join(prefix, path) if prefix else path
        write_bytes(key, data)
        keys.append(key)
    return keys


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
