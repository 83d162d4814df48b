"""What a report page says beyond GE's own result: Baton's verdict, the run's names, readable samples.

Validation results in GE 1.24's shape (as ``GreatExpectationsEvaluator`` returns them), rendered
without Spark.
"""

from __future__ import annotations

import html
import json
import logging
import re
from types import SimpleNamespace

from baton.stage import StageContext
from baton.storage import LocalStorage
from quality import checkpoint
from quality.report import render_data_docs_page, render_index_page, run_name, with_names
from quality.verdict import Verdict

SAMPLES = [{"id": 1, "code": "apar", "airport": "ilu"}, {"id": 1, "code": "apar", "airport": "ilu"},
           {"id": 19620, "code": "x", "airport": None}]


def validation(results: list[dict], success: bool = False) -> dict:
    return {
        "success": success, "results": results, "suite_name": "flights_conform", "suite_parameters": {},
        "statistics": {"evaluated_expectations": len(results), "successful_expectations": 0,
                       "unsuccessful_expectations": len(results), "success_percent": 0.0},
        "meta": {"great_expectations_version": "1.24.1", "batch_spec": {"batch_data": "SparkDataFrame"},
                 "run_id": {"run_name": None, "run_time": "2026-12-05T20:00:00+00:00"},
                 "validation_time": "2026-12-05T20:00:00+00:00"},
    }


def compound(exp_type: str, samples: list[dict], name: str, on_fail: str = "quarantine") -> dict:
    """A failed multicolumn expectation with ``samples`` as GE reports them (dicts; counts of lists)."""
    counts = [{"value": list(s.values()), "count": samples.count(s)} for s in samples if samples.count(s)]
    return {
        "success": False,
        "expectation_config": {"type": exp_type, "kwargs": {"column_list": list(samples[0])},
                               "meta": {"baton": {"name": name, "on_fail": on_fail}}},
        "result": {"element_count": 10, "unexpected_count": len(samples), "unexpected_percent": 30.0,
                   "partial_unexpected_list": samples, "missing_count": 0, "missing_percent": 0.0,
                   "unexpected_percent_total": 30.0, "unexpected_percent_nonmissing": 30.0,
                   "partial_unexpected_counts": counts},
        "meta": {}, "exception_info": {"raised_exception": False, "exception_traceback": None,
                                       "exception_message": None},
    }


def page_text(markup: str) -> str:
    markup = re.sub(r"<script\b.*?</script>", "", markup, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def test_compound_key_samples_render_as_tuples():
    results = [compound("expect_compound_columns_to_be_unique", SAMPLES, "unique_key"),
               compound("expect_select_column_values_to_be_unique_within_record", SAMPLES[2:], "distinct")]
    results[1]["result"].pop("partial_unexpected_counts")
    text = page_text(render_data_docs_page(validation(results)))
    assert "(1, 'apar', 'ilu')" in text
    assert "(19620, 'x', None)" in text
    assert "1 apar ilu" not in text and "19620 x" not in text


def in_set(name: str, on_fail: str, success: bool = False) -> dict:
    return {
        "success": success,
        "expectation_config": {"type": "expect_column_values_to_be_in_set",
                               "kwargs": {"column": "origin", "value_set": ["EWR", "JFK", "LGA"]},
                               "meta": {"baton": {"name": name, "on_fail": on_fail}}},
        "result": {"element_count": 10, "unexpected_count": 0 if success else 1, "unexpected_percent": 10.0,
                   "partial_unexpected_list": [] if success else ["XXX"], "missing_count": 0,
                   "missing_percent": 0.0, "unexpected_percent_total": 10.0, "unexpected_percent_nonmissing": 10.0},
        "meta": {}, "exception_info": {"raised_exception": False, "exception_traceback": None,
                                       "exception_message": None},
    }


WARN_ONLY = {"suite": "flights_conform", "passed": True, "correctable": False, "rows": 10, "failedRows": 0,
             "correctableRows": 0, "tolerance": 0.0, "reason": "All 10 rows passed suite 'flights_conform'.",
             "failedExpectations": [{"name": "origin_known", "type": "expect_column_values_to_be_in_set",
                                     "onFail": "warn", "unexpectedCount": 1, "success": False}]}
WITHIN = dict(WARN_ONLY, failedRows=1, failedExpectations=[
    {"name": "origin_known", "type": "expect_column_values_to_be_in_set", "onFail": "quarantine",
     "unexpectedCount": 1, "success": False}],
    reason="1 of 10 rows (10.0%) failed uncorrectable expectations and are quarantined, within the tolerance "
           "of 20.0%.")
FAILED = dict(WITHIN, passed=False, reason="1 of 10 rows (10.0%) failed uncorrectable expectations, above "
                                           "the suite tolerance of 0.0%.")


def test_page_shows_the_baton_verdict_beside_ge_status():
    failed_warn = validation([in_set("origin_known", "warn")])
    text = page_text(render_data_docs_page(failed_warn, verdict=WARN_ONLY))
    assert "Status: Failed" in text  # GE's status stays: the expectation did fail
    assert "Baton verdict: passed" in text
    assert "on_fail warn (reported, not blocking): origin_known" in text
    within = page_text(render_data_docs_page(validation([in_set("origin_known", "quarantine")]), verdict=WITHIN))
    assert "Baton verdict: passed within tolerance" in within and WITHIN["reason"] in within
    failed = page_text(render_data_docs_page(validation([in_set("origin_known", "quarantine")]), verdict=FAILED))
    assert "Baton verdict: failed" in failed and "on_fail warn" not in failed


def test_index_shows_the_baton_verdict_of_each_page():
    pages = {"flights": validation([in_set("origin_known", "warn")]),
             "airports": validation([in_set("origin_known", "quarantine")])}
    markup = render_index_page(pages, verdicts={"flights": WARN_ONLY, "airports": FAILED})
    columns = re.search(r"columns: (\[.*?\]),\n", markup).group(1)
    assert columns.index("'Status'") < columns.index("'Baton verdict'") < columns.index("'Run Time'")
    rows = dict(re.findall(r"'_table_row_link_path': '(\w+)/data_docs.html'.*?'baton_verdict': '([^']*)'", markup))
    assert rows.keys() == {"flights", "airports"}, markup
    assert "passed" in rows["flights"] and "origin_known" in rows["flights"]
    assert "failed" in rows["airports"]
    assert "Baton verdict" not in render_index_page(pages)  # no verdicts, no column


def test_pages_name_the_data_asset_and_the_run():
    named = with_names(validation([in_set("origin_known", "warn")]), "flights", run_name("flights_conform",
                                                                                         "Conform", "e-1"))
    text = page_text(render_data_docs_page(named))
    assert "Data asset: flights" in text and "None" not in text
    assert "Run Name flights_conform/Conform/e-1" in text
    index = render_index_page({"flights": named})
    assert "'run_name': 'flights_conform/Conform/e-1'" in index


def test_stage_reports_carry_names_and_verdicts(spark, tmp_path, caplog):
    ctx = StageContext(spark, {"execution-id": "e-1", "current-stage": "Validate", "workflow-bucket": str(tmp_path)},
                       "flights_validate", storage=LocalStorage(tmp_path))
    checkpoint.write_reports(ctx, "flights", SimpleNamespace(validation=validation([in_set("origin_known", "warn")])))
    with caplog.at_level(logging.INFO, logger="baton"):
        checkpoint.write_stage_verdict(ctx, {"flights": Verdict.from_json(WARN_ONLY)})
    assert any(m.startswith('Validate verdict: {"passed": true, "correctable": false, "rows": 10')
               for m in caplog.messages)  # messages, whatever format a handler installed by another test uses
    quality = tmp_path / "executions" / "e-1" / "Validate" / "quality"
    stored = json.loads((quality / "flights" / checkpoint.VALIDATION_FILE).read_text())
    assert stored["meta"]["run_id"]["run_name"] == "flights_validate/Validate/e-1"
    assert stored["meta"]["batch_spec"]["data_asset_name"] == "flights"
    page = page_text((quality / "flights" / "data_docs.html").read_text())
    assert "Data asset: flights" in page and "Run Name flights_validate/Validate/e-1" in page
    assert "Baton verdict: passed" in page and "on_fail warn (reported, not blocking): origin_known" in page
    assert "'baton_verdict': '" in (quality / "index.html").read_text()
