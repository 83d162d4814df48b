"""Suite loading, the gate's row split, the verdict policy and GE's reports."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quality.gate import (
    FAILED_COLUMN,
    QUARANTINE_COLUMN,
    GreatExpectationsEvaluator,
    count_rows,
    evaluate,
    make_verdict,
)
from quality.predicates import PredicateError
from quality.report import load_validation_result, render_data_docs_page
from quality.suite import SuiteError, load_suite, suite_from_dict

# --- suite loading ------------------------------------------------------------------------


def _not_null(column, **baton):
    return {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": column},
        "meta": {"baton": baton},
    }


def _write(tmp_path, suite):
    path = tmp_path / "flights_validate.json"
    path.write_text(json.dumps(suite))
    return path


def test_load_suite_reads_hints_and_defaults(tmp_path):
    path = _write(
        tmp_path,
        {
            "name": "flights_validate",
            "id": "5f1c",
            "meta": {"baton": {"tolerance": 0.05, "description": "flights"}},
            "expectations": [
                {"id": "a1", **_not_null("dep_time", name="departed", reason="cancelled flight")},
                {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "flight_id"}},
                {
                    "type": "expect_compound_columns_to_be_unique",
                    "kwargs": {"column_list": ["carrier", "flight"]},
                    "meta": {"baton": {"on_fail": "correct"}},
                },
            ],
        },
    )
    suite = load_suite(path)
    assert (suite.name, suite.tolerance, suite.source) == ("flights_validate", 0.05, str(path))
    departed, unique, compound = suite.expectations
    assert (departed.name, departed.on_fail, departed.reason) == (
        "departed",
        "quarantine",
        "cancelled flight",
    )
    assert unique.name == "expect_column_values_to_be_unique:flight_id"
    assert (compound.name, compound.on_fail) == (
        "expect_compound_columns_to_be_unique:carrier+flight",
        "correct",
    )
    assert "id" not in suite.raw and all("id" not in item for item in suite.raw["expectations"])
    assert [item["meta"]["baton"]["name"] for item in suite.raw["expectations"]] == [
        exp.name for exp in suite.expectations
    ]


@pytest.mark.parametrize(
    "expectations, suite_meta, expected",
    [
        (
            [_not_null("a", on_fail="drop")],
            {},
            r"expectation #0 \('expect_column_values_to_not_be_null:a'\).*"
            r"on_fail must be one of quarantine, correct, warn; got 'drop'",
        ),
        (
            [_not_null("a", name="x"), _not_null("b", name="x")],
            {},
            r"expectation #1 \('x'\): duplicate name, already used by expectation #0",
        ),
        ([_not_null("a")], {"tolerance": 1.5}, r"tolerance must be a number in \[0, 1\].*got 1\.5"),
        ([_not_null("a"), {"kwargs": {"column": "b"}}], {}, r"expectation #1: missing 'type'"),
    ],
    ids=["unknown-on_fail", "duplicate-name", "tolerance", "missing-type"],
)
def test_suite_errors_name_file_expectation_and_fix(tmp_path, expectations, suite_meta, expected):
    path = _write(tmp_path, {"name": "s", "meta": {"baton": suite_meta}, "expectations": expectations})
    with pytest.raises(SuiteError, match=expected) as caught:
        load_suite(path)
    assert str(caught.value).startswith(str(path))


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": "s",\n "expectations": [}')
    with pytest.raises(SuiteError, match=r"broken\.json: invalid JSON at line 2"):
        load_suite(path)


def test_nan_in_a_suite_becomes_null_as_in_ge():
    suite = suite_from_dict(
        {
            "name": "s",
            "expectations": [
                {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": "x", "value_set": [1.0, float("nan")]},
                }
            ],
        }
    )
    assert suite.expectations[0].kwargs["value_set"] == [1.0, None]
    assert suite.raw["expectations"][0]["kwargs"]["value_set"] == [1.0, None]


def _in_set_suite():
    return suite_from_dict(
        {
            "name": "airports",
            "expectations": [
                {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": "dest", "value_set": {"$PARAMETER": "airport_codes"}, "mostly": 0.9},
                    "meta": {"baton": {"name": "dest_in_airports", "on_fail": "correct"}},
                }
            ],
        }
    )


def test_parameters_are_resolved():
    [(exp, kwargs)] = _in_set_suite().resolve({"airport_codes": ["JFK", "LGA"]})
    assert exp.name == "dest_in_airports"
    assert kwargs == {"column": "dest", "value_set": ["JFK", "LGA"], "mostly": 0.9}
    assert exp.kwargs["value_set"] == {"$PARAMETER": "airport_codes"}


def test_missing_parameter_names_suite_expectation_and_parameter():
    with pytest.raises(SuiteError, match="suite 'airports'.*'dest_in_airports' needs parameter 'airport_codes'"):
        _in_set_suite().resolve({"other": 1})


class _NeverCalled:
    def validate(self, df, suite, parameters):
        raise AssertionError("the evaluator must not run when the suite cannot be resolved")


def test_evaluate_checks_parameters_and_columns_before_validating(spark):
    df = spark.createDataFrame([("JFK",)], "dest string")
    with pytest.raises(SuiteError, match="airport_codes"):
        evaluate(df, _in_set_suite(), {}, evaluator=_NeverCalled())
    with pytest.raises(PredicateError, match=r"'dest_in_airports'.*unknown column\(s\) \['dest'\]"):
        evaluate(df.withColumnRenamed("dest", "origin"), _in_set_suite(), {"airport_codes": []}, _NeverCalled())


# --- the gate on a tiny frame (two GE runs on one evaluator) ------------------------------

FLIGHTS = [
    (1, "JFK", 600, "AA"),
    (2, "XXX", None, "AA"),  # fails departed (quarantine) and dest (correct)
    (3, "XXX", 700, "B6"),  # fails dest only: correctable
    (4, "LGA", 800, "??"),  # fails the warn-only carrier regex: stays in the output
    (5, "LGA", 900, "UA"),
]

GATE_SUITE = {
    "name": "flights_validate",
    "meta": {"baton": {"tolerance": 0.25}},
    "expectations": [
        _not_null("dep_time", name="departed", on_fail="quarantine", reason="cancelled flight"),
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "dest", "value_set": {"$PARAMETER": "airport_codes"}},
            "meta": {"baton": {"name": "dest_in_airports", "on_fail": "correct"}},
        },
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "carrier", "regex": "^[A-Z0-9]{2}$"},
            "meta": {"baton": {"name": "carrier_code", "on_fail": "warn"}},
        },
        {
            "type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": 1, "max_value": 100},
            "meta": {"baton": {"name": "some_rows"}},
        },
    ],
}


@pytest.fixture(scope="module")
def gate_suite():
    return suite_from_dict(GATE_SUITE)


@pytest.fixture(scope="module")
def flights(spark):
    return spark.createDataFrame(FLIGHTS, "id int, dest string, dep_time int, carrier string")


@pytest.fixture(scope="module")
def evaluator():
    return GreatExpectationsEvaluator()


@pytest.fixture(scope="module")
def gated(flights, gate_suite, evaluator):
    return evaluate(flights, gate_suite, {"airport_codes": ["JFK", "LGA"]}, evaluator)


def _failed_by_id(df, column):
    return {row["id"]: sorted(row[column]) for row in df.collect()}


def test_flagged_lists_every_routed_expectation_a_row_failed(gated, flights):
    assert gated.flagged.columns == [*flights.columns, FAILED_COLUMN]
    assert gated.flagged.schema[FAILED_COLUMN].dataType.simpleString() == "array<string>"
    assert _failed_by_id(gated.flagged, FAILED_COLUMN) == {
        1: [],
        2: ["departed", "dest_in_airports"],
        3: ["dest_in_airports"],
        4: [],
        5: [],
    }


def test_passing_and_quarantined_split_the_rows(gated, flights):
    passing = gated.passing()
    assert passing.columns == flights.columns
    assert sorted(row["id"] for row in passing.collect()) == [1, 4, 5]
    quarantined = gated.quarantined()
    assert quarantined.columns == [*flights.columns, QUARANTINE_COLUMN]
    assert _failed_by_id(quarantined, QUARANTINE_COLUMN) == {
        2: ["departed", "dest_in_airports"],
        3: ["dest_in_airports"],
    }


def test_expectation_summaries_carry_ge_results(gated):
    by_name = {exp["name"]: exp for exp in gated.expectations}
    assert list(by_name) == ["departed", "dest_in_airports", "carrier_code", "some_rows"]
    assert by_name["departed"] == {
        "name": "departed",
        "type": "expect_column_values_to_not_be_null",
        "columns": ["dep_time"],
        "on_fail": "quarantine",
        "row_level": True,
        "success": False,
        "unexpected_count": 1,
        "reason": "cancelled flight",
        "error": None,
    }
    assert (by_name["carrier_code"]["success"], by_name["carrier_code"]["unexpected_count"]) == (False, 1)
    assert by_name["some_rows"]["observed_value"] == 5
    assert by_name["some_rows"]["unexpected_count"] is None


def test_counts_and_verdict_of_the_gate(gated, gate_suite):
    counts = count_rows(gated.flagged, gate_suite)
    assert counts == (5, 2, 1)
    verdict = gated.verdict(*counts)
    # one uncorrectable row of five (20%) is within the 25% tolerance; one row can be corrected
    assert (verdict.passed, verdict.correctable) == (False, True)
    assert verdict.failed_names() == [
        "departed",
        "dest_in_airports",
        "carrier_code",
    ]
    assert verdict.failed_expectations[2] == {
        "name": "carrier_code",
        "type": "expect_column_values_to_match_regex",
        "onFail": "warn",
        "unexpectedCount": 1,
        "success": False,
    }


def test_evaluator_runs_again_without_clashing(flights, gate_suite, evaluator):
    again = evaluate(flights, gate_suite, {"airport_codes": ["JFK", "LGA", "XXX"]}, evaluator)
    counts = count_rows(again.flagged, gate_suite)
    assert counts == (5, 1, 0)
    assert again.validation["suite_name"] == "flights_validate"
    assert {e["name"]: e["success"] for e in again.expectations}["dest_in_airports"] is True


def test_validation_result_is_json_and_loads_with_ge_classes(gated):
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult

    text = json.dumps(gated.validation)
    loaded = load_validation_result(json.loads(text))
    assert isinstance(loaded, ExpectationSuiteValidationResult)
    assert loaded.suite_name == "flights_validate"
    assert loaded.success is False
    assert len(loaded.results) == 4


def test_data_docs_page_is_html_with_suite_and_expectations(gated):
    html = render_data_docs_page(gated.validation)
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "flights_validate" in html
    assert "values must never be null" in html
    assert "dep_time" in html


def test_flag_column_must_not_exist(flights, gate_suite):
    with pytest.raises(ValueError, match="already has a '_baton_failed' column"):
        evaluate(flights.withColumn(FAILED_COLUMN, flights.id), gate_suite, {"airport_codes": []}, _NeverCalled())


# --- verdict policy (pure) ---------------------------------------------------------------


def _suite(tolerance=0.1):
    return suite_from_dict(
        {
            "name": "policy",
            "meta": {"baton": {"tolerance": tolerance}},
            "expectations": [
                _not_null("a", name="a_present"),
                _not_null("b", name="b_present", on_fail="correct"),
                _not_null("c", name="c_present", on_fail="warn"),
                {
                    "type": "expect_table_row_count_to_be_between",
                    "kwargs": {"min_value": 1},
                    "meta": {"baton": {"name": "rows"}},
                },
            ],
        }
    )


def _summaries(suite, failing=(), table_success=True):
    """Summaries as the gate builds them; expectations in ``failing`` failed with 1 row each."""
    summaries = []
    for exp in suite.expectations:
        row_level = exp.name != "rows"
        success = table_success if not row_level else exp.name not in failing
        summaries.append(
            {
                "name": exp.name,
                "type": exp.type,
                "columns": exp.columns,
                "on_fail": exp.on_fail,
                "row_level": row_level,
                "success": success,
                "reason": exp.reason,
                "error": None,
                "unexpected_count": (0 if success else 1) if row_level else None,
            }
        )
    return summaries


def test_clean_run_passes():
    suite = _suite()
    verdict = make_verdict(suite, _summaries(suite), rows=10, failed_rows=0, correctable_rows=0)
    assert verdict.to_json() == {
        "passed": True,
        "correctable": False,
        "rows": 10,
        "failedRows": 0,
        "correctableRows": 0,
        "failedExpectations": [],
        "tolerance": 0.1,
        "suite": "policy",
        "reason": "All 10 rows passed suite 'policy'.",
    }


def test_quarantined_rows_within_tolerance_and_warnings_still_pass():
    suite = _suite()
    verdict = make_verdict(suite, _summaries(suite, {"a_present", "c_present"}), 10, 1, 0)
    assert (verdict.passed, verdict.correctable) == (True, False)
    assert verdict.failed_names() == ["a_present", "c_present"]
    assert "within the tolerance" in verdict.reason


def test_correctable_rows_make_the_run_correctable():
    suite = _suite()
    verdict = make_verdict(suite, _summaries(suite, {"a_present", "b_present"}), 10, 4, 3)
    assert (verdict.passed, verdict.correctable) == (False, True)
    assert verdict.reason.startswith("3 of 10 rows failed only correctable expectations")


def test_too_many_uncorrectable_rows_fail():
    suite = _suite()
    verdict = make_verdict(suite, _summaries(suite, {"a_present", "b_present"}), 10, 4, 2)
    assert (verdict.passed, verdict.correctable) == (False, False)
    assert (
        verdict.reason
        == "2 of 10 rows (20.0%) failed uncorrectable expectations, above the suite tolerance of 10.0%."
    )


def test_tolerance_boundary_is_inclusive():
    suite = _suite(tolerance=0.05)
    assert make_verdict(suite, _summaries(suite, {"a_present"}), 60, 3, 0).passed is True


def test_failed_table_level_expectation_stops_the_run():
    suite = _suite()
    verdict = make_verdict(suite, _summaries(suite, {"b_present"}, table_success=False), 10, 1, 1)
    assert (verdict.passed, verdict.correctable) == (False, False)
    assert "rows" in verdict.reason and "cannot be settled row by row" in verdict.reason
    assert {
        "name": "rows",
        "type": "expect_table_row_count_to_be_between",
        "onFail": "quarantine",
        "unexpectedCount": None,
        "success": False,
    } in verdict.failed_expectations


def test_failed_warn_table_level_expectation_does_not_stop_the_run():
    suite = suite_from_dict(
        {
            "name": "w",
            "expectations": [
                {
                    "type": "expect_table_row_count_to_be_between",
                    "kwargs": {"min_value": 100},
                    "meta": {"baton": {"on_fail": "warn"}},
                }
            ],
        }
    )
    summaries = [
        {
            "name": suite.expectations[0].name,
            "type": suite.expectations[0].type,
            "on_fail": "warn",
            "row_level": False,
            "success": False,
            "unexpected_count": None,
            "error": None,
        }
    ]
    assert make_verdict(suite, summaries, 10, 0, 0).passed is True


def test_empty_input_passes_only_without_failures():
    suite = _suite(tolerance=1.0)
    assert make_verdict(suite, _summaries(suite), 0, 0, 0).passed is True


@given(
    rows=st.integers(0, 1000),
    data=st.data(),
    tolerance=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
)
def test_verdict_is_never_both_passed_and_correctable(rows, data, tolerance):
    failed = data.draw(st.integers(0, rows))
    correctable = data.draw(st.integers(0, failed))
    suite = _suite(tolerance)
    verdict = make_verdict(suite, _summaries(suite), rows, failed, correctable)
    assert not (verdict.passed and verdict.correctable)
    if verdict.passed or verdict.correctable:
        assert failed - correctable <= tolerance * rows + 1e-9
    assert verdict.correctable == (correctable > 0 and (failed - correctable) <= tolerance * rows + 1e-9)
