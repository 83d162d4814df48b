"""Human-readable reports of validation results, rendered by Great Expectations itself, that work offline.

The pages are GE's own Data Docs pages (``ValidationResultsPageRenderer`` / ``SiteIndexPageRenderer``
with GE's Jinja views), built from the JSON dicts the gate keeps, so no data context or docs site is
needed. GE's templates load CSS/JS from public CDNs and the navbar logo from GX's S3 bucket; Baton
rewrites those references to files vendored from npm at the exact versions GE links to
(``quality/report_assets/``, made by ``scripts/vendor-report-assets.sh``) and to GE's own logo from
the installed package, so a published report renders without network and sends nothing anywhere
(:mod:`quality.report_offline`).

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

Escaping: every string of a validation result is HTML-escaped before GE renders it, and the views
leave character references alone (:mod:`quality.report_escaping` says why and how).
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

from baton.paths import validate_name
from quality.report_escaping import escape_once, escape_validation, readable_samples
from quality.report_offline import INDEX_FILE, make_offline, static_files

PAGE_FILE = "data_docs.html"
SITE_NAME = "Baton quality"

# GE's dark-mode CSS swaps the navbar logo <img> for a background image on GX's S3 (removed):
# keep the bundled logo visible instead, inverted for the dark background.
DARK_MODE_LOGO_CSS = """
@media (prefers-color-scheme: dark) {
  .navbar-brand a img { visibility: visible; filter: invert(1); }
}
"""


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


