"""Values from data, suites, parameters and errors reach the report pages as text, never as markup.

The validation results below have GE 1.24's shape (as ``GreatExpectationsEvaluator`` returns it)
with hostile strings in every place a value can come from. The static tests parse the rendered
pages; the Chromium test loads them (network blocked) and checks that no payload ran while every
value still reads as its literal text.

Needs /usr/bin/chromium for the browser test: ``scripts/install-chromium.sh``.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from test_report_offline import run_chromium

from baton.storage import LocalStorage
from quality.report import PAGE_FILE, render_data_docs_page, render_index_page, write_report_site
from quality.report_escaping import escape_once, escape_values
from quality.report_offline import INDEX_FILE

MARK = "document.documentElement.setAttribute('data-pwned','{}')"
SCRIPT = f"<script>{MARK.format('script')}</script>"
IMG = f'<img src=x onerror="{MARK.format("img")}">'
SVG = f'"><svg onload={MARK.format("svg")}>'
CLOSING = f"</td></table></div><script>{MARK.format('closing')}</script>"
LINK = f'<a href="javascript:{MARK.format("link")}">click</a>'
QUOTES = f"'-{MARK.format('quote')}-'"
UNICODE = "ünï ✓ 𝄞 & &amp; \\ \u2028"
HOSTILE = [SCRIPT, IMG, SVG, CLOSING, LINK, QUOTES, UNICODE]
NOTE = f"**bold** {SCRIPT} [x](javascript:{MARK.format('note')})"
COLUMN = f"na{IMG}me"


def unexpected(values: list) -> dict:
    """The ``result`` of a failed column-map expectation with ``values`` unexpected."""
    return {"element_count": 10, "unexpected_count": len(values), "unexpected_percent": 10.0 * len(values),
            "partial_unexpected_list": values, "missing_count": 0, "missing_percent": 0.0,
            "unexpected_percent_total": 10.0 * len(values), "unexpected_percent_nonmissing": 10.0 * len(values),
            "partial_unexpected_counts": [{"value": v, "count": 1} for v in values]}


def result(exp_type: str, kwargs: dict, outcome: dict, meta: dict | None = None, **config) -> dict:
    return {"success": False,
            "expectation_config": {"type": exp_type, "kwargs": kwargs, "meta": meta or {}, **config},
            "result": outcome, "meta": {},
            "exception_info": {"raised_exception": False, "exception_traceback": None, "exception_message": None}}


def hostile_validation() -> dict:
    """A failed validation result with hostile strings wherever a value can come from."""
    error = f'Error: The column "{SCRIPT}" in BatchData does not exist.'
    results = [
        result("expect_column_values_to_be_in_set", {"column": COLUMN, "value_set": ["ok", *HOSTILE]},
               unexpected(HOSTILE[:4]), {"baton": {"name": f"in_set {SVG}", "reason": f"reason {SCRIPT}",
                                                   "on_fail": "warn"}}, notes=NOTE),
        result("expect_column_values_to_match_regex", {"column": COLUMN, "regex": f"^(?<!x){CLOSING}$",
                                                       "row_condition": f'col("origin")=="{IMG}"',
                                                       "condition_parser": "great_expectations"},
               unexpected(HOSTILE[3:]), {"baton": {"name": "regex"}}),
        result("expect_column_values_to_not_be_null", {"column": f"missing{SCRIPT}"}, {},
               {"baton": {"name": "missing"}}),
        result("expect_column_most_common_value_to_be_in_set", {"column": COLUMN, "value_set": [LINK]},
               {"observed_value": [SCRIPT, IMG]}, {"baton": {"name": "most_common"}}),
        result("expect_column_value_lengths_to_equal", {"column": COLUMN, "value": 3},  # keys GE parses elsewhere
               {"observed_value": {"row_condition": SCRIPT}}, {"baton": {"name": "lengths"}}),
        result("expect_column_distinct_values_to_be_in_set", {"column": COLUMN, "value_set": [SVG]},
               {"observed_value": [CLOSING, QUOTES], "details": {"value_counts": [
                   {"value": CLOSING, "count": 1}, {"value": QUOTES, "count": 2}]}},
               {"baton": {"name": "distinct"}}),
    ]
    results[2]["exception_info"] = {"raised_exception": True, "exception_message": error,
                                    "exception_traceback": f"Traceback (most recent call last):\n{error}\n"}
    return {
        "success": False, "results": results, "suite_name": f"suite{SCRIPT}", "suite_parameters": {"codes": HOSTILE},
        "statistics": {"evaluated_expectations": 6, "successful_expectations": 0,
                       "unsuccessful_expectations": 6, "success_percent": 0.0},
        "meta": {"great_expectations_version": "1.24.1",
                 "batch_spec": {"batch_data": "SparkDataFrame", "row_condition": SCRIPT,
                                "data_asset_name": f"asset{CLOSING}"},
                 "active_batch_definition": {"datasource_name": "baton_spark", "data_asset_name": f"asset{IMG}"},
                 "run_id": {"run_name": f"run{SVG}", "run_time": "2026-12-05T20:00:00+00:00"},
                 "validation_time": "2026-12-05T20:00:00+00:00"},
        "id": None,
    }


class Page:
    """The markup of a rendered page, split into the elements and attributes a browser would build."""

    TAG = re.compile(r"<([a-zA-Z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
    ATTRIBUTE = re.compile(r"([^\s=/>]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
    SCRIPT = re.compile(r"(<script\b[^>]*>)(.*?)</script>", re.DOTALL | re.IGNORECASE)

    def __init__(self, markup: str):
        self.scripts = [body for _, body in self.SCRIPT.findall(markup)]
        self.markup = self.SCRIPT.sub(lambda m: m.group(1) + "</script>", markup)

    def tags(self) -> list[tuple[str, dict[str, str]]]:
        return [(name.lower(), {a.lower(): b or c or d for a, b, c, d in self.ATTRIBUTE.findall(attrs)})
                for name, attrs in self.TAG.findall(self.markup)]


URL_OR_CODE = frozenset({"href", "src", "srcdoc", "style", "action", "formaction", "xlink:href"})


def assert_no_payload(markup: str) -> None:
    """No element, handler, URL or script that a hostile value could have made."""
    page = Page(markup)
    for tag, attributes in page.tags():
        for name, value in attributes.items():
            runs = name.startswith("on") or name in URL_OR_CODE
            assert not (runs and "data-pwned" in value), f"<{tag} {name}={value!r}> comes from a value"
            assert not value.strip().lower().startswith("javascript:"), f"<{tag} {name}={value!r}>"
    for script in page.scripts:
        assert "setAttribute('data-pwned'" not in script, f"a value runs as script: {script[:300]!r}"


def test_validation_page_renders_hostile_values_as_text():
    markup = render_data_docs_page(hostile_validation())
    assert_no_payload(markup)
    text = html.unescape(re.sub(r"<[^>]+>", "", Page(markup).markup))
    for value in (*HOSTILE, f"suite{SCRIPT}", f"missing{SCRIPT}", COLUMN):
        assert value in text, value
    assert "&amp;lt;" not in markup  # escaped once, not twice


def test_index_page_renders_hostile_values_as_text():
    markup = render_index_page({"events": hostile_validation()})
    assert_no_payload(markup)
    assert "&amp;lt;" not in markup


def plain_twin(validation: dict) -> dict:
    """``validation`` with a plain word in place of each hostile value (inside longer strings too)."""
    text = json.dumps(validation)
    for index, value in enumerate(sorted([*HOSTILE, NOTE], key=len, reverse=True)):
        text = text.replace(json.dumps(value)[1:-1], f"value{index}")
    return json.loads(text)


def structure(markup: str) -> tuple[list[tuple[str, list[str]]], int]:
    """The elements of a page (tag and attribute names, in order) and its number of scripts."""
    page = Page(markup)
    return [(tag, sorted(attributes)) for tag, attributes in page.tags()], len(page.scripts)


def test_values_never_change_the_structure_of_a_page():
    """Rendered from hostile values or from plain words in their place, a page has the same elements."""
    hostile = hostile_validation()
    plain = plain_twin(hostile)
    assert "data-pwned" not in json.dumps(plain)
    assert structure(render_data_docs_page(hostile)) == structure(render_data_docs_page(plain))
    assert structure(render_index_page({"events": hostile})) == structure(render_index_page({"events": plain}))


def test_template_parameters_are_escaped_once():
    """The views' parameter escaping: raw text is escaped, text escape_values escaped is left as it is."""
    for value in [*HOSTILE, "a & b &amp; c &#38;"]:
        escaped = escape_values(value)
        assert escape_once(escaped) == escaped
        assert html.unescape(escaped) == value
    assert escape_once(SCRIPT) == html.escape(SCRIPT, quote=True)
    assert escape_once("a & b &amp;") == "a &amp; b &amp;"


def test_escaping_leaves_the_validation_result_unchanged():
    validation = hostile_validation()
    render_data_docs_page(validation)
    render_index_page({"events": validation})
    assert validation == hostile_validation()


# --- in Chromium, network blocked ----------------------------------------------------------------

@pytest.mark.slow
def test_no_hostile_value_runs_in_chromium(tmp_path):
    validation = hostile_validation()
    write_report_site(LocalStorage(tmp_path).write_bytes, "quality", {"events": validation})
    for page in (tmp_path / "quality" / "events" / PAGE_FILE, tmp_path / "quality" / INDEX_FILE):
        dom, requests = run_chromium(page, tmp_path / page.parent.name, "--dump-dom")
        assert requests == []
        assert "data-pwned=" not in dom, f"a hostile value ran in {page}"
        assert "bootstrap-table" in dom, f"{page}: GE's scripts did not run"
        text = html.unescape(re.sub(r"<[^>]+>", "", dom))
        shown = ((SCRIPT, IMG, SVG, CLOSING, QUOTES, f"asset{CLOSING}") if page.name == PAGE_FILE
                 else (f"suite{SCRIPT}", f"run{SVG}"))
        for value in shown:
            assert value in text, f"{page} does not show {value!r}"
    assert validation == hostile_validation()
