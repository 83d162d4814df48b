"""What a report page says beyond GE's own result: Baton's verdict, the run's names, readable samples.

Validation results in GE 1.24's shape (as ``GreatExpectationsEvaluator`` returns them), rendered
without Spark.
"""

from __future__ import annotations

import html
import re

from quality.report import render_data_docs_page

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
