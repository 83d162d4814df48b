"""CompiledEvaluator returns Great Expectations' own validation result, in fewer Spark passes.

Differential tests: hypothesis draws DataFrames (nulls, NaN, ±inf, ±1e308, -0.0, unicode and
long strings, empty frames, all-null columns, duplicate keys) and each family of expectation
types is validated as ONE suite by GE itself and by the compiled evaluator; every result must
be equal field by field, except what is new per run by nature (expectation ids, the batch id,
the evaluator marker, traceback text).

Floats are compared exactly: the compiled aggregation visits rows in the order GE's does, so
Spark computes the same sums, means and stdevs, also next to uniqueness expectations (their
duplicates are found after the aggregation, see ``test_float_aggregates_next_to_uniqueness``).
Uniqueness is tested on both of its paths: hashes sorted on the driver, and one Spark shuffle.
"""

from __future__ import annotations

import contextlib
import math
from datetime import date
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark import StorageLevel
from pyspark.sql import functions as F

from baton.errors import ArgumentError
from quality.compiled import (
    COMPILED,
    COMPILED_TYPES,
    DRIVER_HASHES,
    GREAT_EXPECTATIONS,
    CompiledEvaluator,
    CompileError,
)
from quality.gate import (
    FAILED_COLUMN,
    Evaluators,
    GreatExpectationsEvaluator,
    count_rows,
    evaluate,
    flag_rows,
    routed_conditions,
)
from quality.report import load_validation_result, render_data_docs_page
from quality.spark_metrics import measure
from quality.suite import suite_from_dict

SCHEMA = "id long, x double, y double, n int, m int, s string, u string, d date"
SCHEMA_COLUMNS = [part.split()[0] for part in SCHEMA.split(", ")]
EXTREME_FLOATS = [0.0, -0.0, 1.0, -1.0, 2.5, 10.0, 1e308, -1e308, 5e-324, math.nan, math.inf, -math.inf]
EXTREME_INTS = [0, 1, -1, 2, 7, 2**31 - 1, -(2**31)]
STRINGS = ["a", "b", "ab", "é", "日本語", "", "ü" * 70, "a" * 1000, "AB12", "😀", "a1"]

floats = st.none() | st.sampled_from(EXTREME_FLOATS) | st.floats(allow_nan=True, allow_infinity=True)
ints = st.none() | st.sampled_from(EXTREME_INTS) | st.integers(-(2**31), 2**31 - 1)
strings = st.none() | st.sampled_from(STRINGS) | st.text(max_size=6)
rows = st.lists(
    st.tuples(
        st.none() | st.integers(0, 25),
        floats,
        floats,
        ints,
        ints,
        strings,
        st.none() | st.sampled_from(STRINGS[:6]),
        st.none() | st.dates(date(1990, 1, 1), date(2040, 12, 31)),
    ),
    max_size=45,
)
DIFFERENTIAL = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def _exp(exp_type, name, **kwargs):
    return {"type": exp_type, "kwargs": kwargs, "meta": {"baton": {"name": name, "on_fail": "warn"}}}


RC = {"condition_parser": "spark"}

COLUMN_MAP = [
    _exp("expect_column_values_to_not_be_null", "not_null_x", column="x"),
    _exp("expect_column_values_to_not_be_null", "not_null_s_mostly", column="s", mostly=0.6),
    _exp("expect_column_values_to_not_be_null", "not_null_x_empty_domain", column="x", row_condition="id > 99", **RC),
    _exp("expect_column_values_to_be_null", "null_u", column="u"),
    _exp("expect_column_values_to_be_in_set", "in_set_s", column="s", value_set=["a", "b", "é", ""]),
    _exp("expect_column_values_to_be_in_set", "in_set_x", column="x", value_set=[0.0, 1.0, 10.0]),
    _exp(
        "expect_column_values_to_be_in_set",
        "in_set_n_rc",
        column="n",
        value_set=[1, 2, 7],
        row_condition="id > 5",
        **RC,
    ),
    _exp("expect_column_values_to_be_in_set", "in_set_x_param", column="x", value_set={"$PARAMETER": "with_nan"}),
    _exp("expect_column_values_to_not_be_in_set", "not_in_set_s", column="s", value_set=["a", ""]),
    _exp("expect_column_values_to_be_between", "between_x", column="x", min_value=0, max_value=10),
    _exp(
        "expect_column_values_to_be_between",
        "between_x_strict",
        column="x",
        min_value=-1,
        max_value=1e308,
        strict_min=True,
        strict_max=True,
        mostly=0.5,
    ),
    _exp("expect_column_values_to_be_between", "between_n_min", column="n", min_value=0),
    _exp("expect_column_values_to_be_between", "between_d", column="d", min_value="2000-01-01", max_value="2030-12-31"),
    _exp("expect_column_values_to_match_regex", "regex_s", column="s", regex="^[a-z]+$"),
    _exp("expect_column_values_to_not_match_regex", "not_regex_u", column="u", regex="b"),
    _exp("expect_column_value_lengths_to_be_between", "lengths_s", column="s", min_value=1, max_value=3),
    _exp("expect_column_value_lengths_to_be_between", "lengths_u_strict", column="u", min_value=1, strict_min=True),
    _exp("expect_column_pair_values_a_to_be_greater_than_b", "a_gt_b", column_A="n", column_B="m"),
    _exp(
        "expect_column_pair_values_a_to_be_greater_than_b",
        "a_ge_b_either",
        column_A="x",
        column_B="y",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    ),
    _exp("expect_select_column_values_to_be_unique_within_record", "within_xy", column_list=["x", "y"]),
    _exp(
        "expect_select_column_values_to_be_unique_within_record",
        "within_nm_any",
        column_list=["n", "m"],
        ignore_row_if="any_value_is_missing",
    ),
]

UNIQUENESS = [
    _exp("expect_column_values_to_be_unique", "unique_id", column="id"),
    _exp("expect_column_values_to_be_unique", "unique_x", column="x"),
    _exp("expect_column_values_to_be_unique", "unique_s_rc", column="s", row_condition="n > 0", mostly=0.5, **RC),
    _exp("expect_compound_columns_to_be_unique", "compound_id_s", column_list=["id", "s"]),
    _exp(
        "expect_compound_columns_to_be_unique",
        "compound_nm_any",
        column_list=["n", "m"],
        ignore_row_if="any_value_is_missing",
    ),
    _exp("expect_compound_columns_to_be_unique", "compound_su_never", column_list=["s", "u"], ignore_row_if="never"),
]

AGGREGATES = [
    _exp("expect_table_row_count_to_be_between", "rows_between", min_value=1, max_value=30),
    _exp("expect_table_row_count_to_equal", "rows_equal", value=10),
    _exp("expect_table_columns_to_match_set", "columns_set", column_set=["id", "x", "s", "zz"], exact_match=False),
    _exp("expect_table_columns_to_match_set", "columns_set_exact", column_set=SCHEMA_COLUMNS),
    _exp("expect_table_columns_to_match_ordered_list", "columns_ordered", column_list=["id", "y", "x"]),
    _exp("expect_table_column_count_to_equal", "column_count", value=8),
    _exp("expect_table_column_count_to_be_between", "column_count_between", min_value=9),
    _exp("expect_column_to_exist", "exists_s", column="s"),
    _exp("expect_column_to_exist", "exists_zz", column="zz"),
    _exp("expect_column_values_to_be_of_type", "type_x", column="x", type_="DoubleType"),
    _exp("expect_column_values_to_be_in_type_list", "types_n", column="n", type_list=["LongType", "StringType"]),
    _exp("expect_column_min_to_be_between", "min_x", column="x", min_value=-1, max_value=1),
    _exp("expect_column_max_to_be_between", "max_n", column="n", min_value=0, strict_min=True),
    _exp("expect_column_max_to_be_between", "max_d", column="d", max_value="2030-01-01"),
    _exp("expect_column_mean_to_be_between", "mean_x", column="x", min_value=-1e300, max_value=1e300),
    _exp("expect_column_mean_to_be_between", "mean_n_rc", column="n", min_value=0, row_condition="id > 5", **RC),
    _exp("expect_column_sum_to_be_between", "sum_x", column="x", max_value=1e307),
    _exp("expect_column_sum_to_be_between", "sum_n", column="n", min_value=-5, max_value=5e9),
    _exp("expect_column_stdev_to_be_between", "stdev_x", column="x", min_value=0, max_value=1e10),
    _exp("expect_column_stdev_to_be_between", "stdev_m", column="m", max_value=1e9, strict_max=True),
    _exp("expect_column_proportion_of_unique_values_to_be_between", "unique_share_s", column="s", min_value=0.5),
    _exp("expect_column_unique_value_count_to_be_between", "distinct_u", column="u", min_value=1, max_value=4),
    _exp("expect_column_distinct_values_to_be_in_set", "distinct_in_set_s", column="s", value_set=["a", "b", "ab"]),
    _exp("expect_column_distinct_values_to_be_in_set", "distinct_in_set_x", column="x", value_set=[0.0, 1.0]),
]
PARAMETERS = {"with_nan": [1.0, math.nan]}
BY_NAME = {item["meta"]["baton"]["name"]: item for item in COLUMN_MAP + UNIQUENESS + AGGREGATES}


def _pick(*names):
    return [BY_NAME[name] for name in names]


def _suite(name, expectations):
    return suite_from_dict({"name": name, "expectations": expectations})


def _name(result):
    return result["expectation_config"]["meta"]["baton"]["name"]


def _evaluator(result):
    return result["expectation_config"]["meta"]["baton"]["evaluator"]


def _comparable(result):
    """A result without what is new per run by nature: ids, the batch id, evaluator, traceback text."""
    config = dict(result["expectation_config"])
    config.pop("id")
    config["kwargs"] = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
    own = ("evaluator", "delegated_because")
    config["meta"] = dict(config["meta"], baton={k: v for k, v in config["meta"]["baton"].items() if k not in own})
    info = result["exception_info"]
    if "raised_exception" in info:
        info = dict(info, exception_traceback=bool(info["exception_traceback"]),
                    exception_message=_message(info["exception_message"]))
    else:  # keyed by metric configuration ids, which contain the batch id
        info = sorted(_message(item["exception_message"]) for item in info.values())
    return dict(result, expectation_config=config, exception_info=info)


def _message(message):
    """An error message's first line: Spark appends the plan (with per-run expression ids) or the JVM stack."""
    return message if message is None else message.split("\n")[0]


def _assert_same_as_ge(ge_result, compiled_result, suite):
    """Every result field equal; the compiled results in suite order."""
    assert [_name(r) for r in compiled_result["results"]] == [exp.name for exp in suite.expectations]
    expected = {_name(r): _comparable(r) for r in ge_result["results"]}
    for result in compiled_result["results"]:
        assert _comparable(result) == expected[_name(result)], _name(result)
    for key in ("success", "statistics", "suite_name", "suite_parameters"):
        assert compiled_result[key] == ge_result[key], key


def _differential(spark, ge, compiled, data, expectations, name, variants=None):
    """GE's result and the compiled one on the same rows; ``variants`` (name: patch) each get a compiled run."""
    suite = _suite(name, expectations)
    df = spark.createDataFrame(data, SCHEMA)
    expected = ge.validate(df, suite, PARAMETERS)
    actual = None
    for variant, patch in (variants or {None: contextlib.nullcontext()}).items():
        with patch:
            actual = compiled.validate(df, suite, PARAMETERS)
        try:
            _assert_same_as_ge(expected, actual, suite)
        except AssertionError as exc:
            if variant is None:
                raise
            raise AssertionError(f"{variant}: {exc}") from exc
    return actual


@DIFFERENTIAL
@given(data=rows)
def test_column_map_pair_and_multicolumn_types_equal_ge(spark, ge, compiled, data):
    actual = _differential(spark, ge, compiled, data, COLUMN_MAP, "column_map")
    assert {_evaluator(r) for r in actual["results"]} == {COMPILED}


HASH_PATHS = pytest.mark.parametrize("driver_hashes", [DRIVER_HASHES, 0], ids=["driver-sort", "shuffle"])


@DIFFERENTIAL
@given(data=rows)
def test_uniqueness_types_equal_ge(spark, ge, compiled, data):
    """Both ways of finding duplicated hashes (sorted on the driver, a shuffle) against one GE run."""
    paths = {"driver-sort": mock.patch("quality.compiled.uniqueness.DRIVER_HASHES", DRIVER_HASHES),
             "shuffle": mock.patch("quality.compiled.uniqueness.DRIVER_HASHES", 0)}
    actual = _differential(spark, ge, compiled, data, UNIQUENESS, "uniqueness", paths)
    assert {_evaluator(r) for r in actual["results"]} == {COMPILED}


@DIFFERENTIAL
@given(data=rows)
def test_aggregate_and_schema_types_equal_ge(spark, ge, compiled, data):
    actual = _differential(spark, ge, compiled, data, AGGREGATES, "aggregates")
    assert {_evaluator(r) for r in actual["results"]} == {COMPILED}


def test_every_compiled_type_is_tested():
    tested = {item["type"] for item in COLUMN_MAP + UNIQUENESS + AGGREGATES}
    assert tested == COMPILED_TYPES


def test_more_than_twenty_unexpected_rows_list_what_ge_lists(spark, ge, compiled):
    """GE keeps the first 20 unexpected values in its own query order; so does the compiled path."""
    data = [(i % 7, float(-i), float(i), i, i % 3, f"v{i % 4}", None, None) for i in range(60)]
    expectations = _pick("between_x", "unique_id", "compound_id_s", "a_gt_b", "distinct_in_set_s")
    actual = _differential(spark, ge, compiled, data, expectations, "long_lists")
    lists = {_name(r): r["result"]["partial_unexpected_list"] for r in actual["results"]}
    assert len(lists["between_x"]) == len(lists["unique_id"]) == 20


@pytest.mark.parametrize("broadcast_keys", [200_000, 0], ids=["join", "window"])
def test_float_aggregates_next_to_uniqueness(spark, ge, compiled, broadcast_keys):
    """Duplicates are found after the aggregation, so sums are added in the scan's order, as GE adds them,
    whether the uniqueness flag then joins the duplicated keys or keeps GE's window."""
    data = [(i % 11, (i * 0.1) ** 3 - 7.3, i * 1.7, i, -i, f"s{i}", None, None) for i in range(40)]
    with mock.patch("quality.compiled.uniqueness.BROADCAST_KEYS", broadcast_keys):
        actual = _differential(spark, ge, compiled, data, _pick("unique_id", "mean_x", "sum_x", "stdev_x", "min_x"),
                               "mixed")
    assert actual["results"][0]["result"]["unexpected_count"] == 40


# --- delegation, errors, reports ------------------------------------------------------------

DELEGATED = [
    _exp("expect_column_most_common_value_to_be_in_set", "most_common_s", column="s", value_set=["a"]),
    _exp("expect_column_values_to_not_be_null", "missing_column", column="nope"),
    _exp("expect_column_mean_to_be_between", "mean_of_strings", column="s", min_value=0),
]


def test_unsupported_types_and_columns_run_through_ge_in_suite_order(spark, ge, compiled):
    data = [
        (1, 1.0, 2.0, 1, 2, "a", "b", None),
        (2, None, 1.0, 3, 1, "b", None, None),
        (3, 1.0, 1.0, 3, 3, "a", "", None),
    ]
    expectations = [
        BY_NAME["not_null_x"],
        DELEGATED[0],
        BY_NAME["mean_x"],
        DELEGATED[1],
        BY_NAME["unique_id"],
        DELEGATED[2],
    ]
    actual = _differential(spark, ge, compiled, data, expectations, "mixed_paths")
    assert [_evaluator(r) for r in actual["results"]] == [
        COMPILED,
        GREAT_EXPECTATIONS,
        COMPILED,
        GREAT_EXPECTATIONS,
        COMPILED,
        GREAT_EXPECTATIONS,
    ]
    assert actual["meta"]["baton"]["expectations_by_evaluator"] == {COMPILED: 3, GREAT_EXPECTATIONS: 3}
    reasons = [r["expectation_config"]["meta"]["baton"].get("delegated_because") for r in actual["results"]]
    assert reasons[1] == "expect_column_most_common_value_to_be_in_set is not compiled"
    assert reasons[3] == "column(s) ['nope'] are not columns of the DataFrame"
    assert reasons[5] == "column 's' has type string"
    assert actual["results"][3]["exception_info"]  # GE's own error for the missing column
    assert actual["results"][5]["exception_info"]  # GE's TypeError: mean of a string column


def test_an_aggregate_spark_rejects_at_run_time_sends_only_its_expectation_to_ge(spark, ge, compiled):
    """Comparing strings with numbers fails under ANSI mode only when rows are read: that expectation
    alone goes to GE, the rest of the suite stays compiled."""
    data = [(1, 1.0, 1.0, 1, 1, "x", None, None), (2, 2.0, 1.0, 1, 1, "3", None, None)]
    expectations = [
        BY_NAME["not_null_x"],
        _exp("expect_column_distinct_values_to_be_in_set", "distinct_s_numbers", column="s", value_set=[1, 3]),
        BY_NAME["mean_x"],
    ]
    actual = _differential(spark, ge, compiled, data, expectations, "run_time_error")
    assert [_evaluator(r) for r in actual["results"]] == [COMPILED, GREAT_EXPECTATIONS, COMPILED]
    assert actual["meta"]["baton"]["fallback"] is None
    assert "Spark raised" in actual["results"][1]["expectation_config"]["meta"]["baton"]["delegated_because"]


def test_rejected_kwargs_name_suite_and_expectation(spark, compiled):
    suite = _suite("bad", [_exp("expect_column_values_to_be_between", "bounds", column="x", mostly=2)])
    df = spark.createDataFrame([], SCHEMA)
    with pytest.raises(CompileError, match=r"suite 'bad'.*expectation 'bounds'.*rejects its configuration"):
        compiled.validate(df, suite, {})


def test_result_formats_that_need_rows_are_refused():
    with pytest.raises(ValueError, match="use GreatExpectationsEvaluator"):
        CompiledEvaluator({"result_format": "COMPLETE"})


def test_result_loads_with_ge_classes_and_renders_as_data_docs(spark, compiled):
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult

    data = [(1, 1.0, 2.0, 1, 2, "a", "b", None), (1, -5.0, 1.0, None, 1, "zz", None, None)]
    suite = _suite("docs", COLUMN_MAP[:3] + UNIQUENESS[:1] + AGGREGATES[:4] + DELEGATED[:1])
    validation = compiled.validate(spark.createDataFrame(data, SCHEMA), suite, PARAMETERS)
    loaded = load_validation_result(validation)
    assert isinstance(loaded, ExpectationSuiteValidationResult)
    assert (loaded.suite_name, loaded.success, len(loaded.results)) == ("docs", False, 9)
    html = render_data_docs_page(validation)
    assert html.lstrip().startswith("<!DOCTYPE html>") and "values must never be null" in html


# --- cost and the gate ------------------------------------------------------------------------


def _notes_suite():
    """The 14-expectation suite of the GE-on-Spark notes (two of them fail)."""
    return _suite(
        "events",
        [
            _exp("expect_table_row_count_to_be_between", "rows", min_value=1900, max_value=2100),
            _exp(
                "expect_table_columns_to_match_set", "columns", column_set=["id", "amount", "category", "ts", "email"]
            ),
            _exp("expect_column_values_to_not_be_null", "id_present", column="id"),
            _exp("expect_column_values_to_not_be_null", "ts_present", column="ts"),
            _exp("expect_column_values_to_not_be_null", "amount_present", column="amount", mostly=0.98),
            _exp("expect_column_values_to_be_unique", "id_unique", column="id"),
            _exp("expect_column_values_to_be_between", "amount_range", column="amount", min_value=0, max_value=10000),
            _exp("expect_column_mean_to_be_between", "amount_mean", column="amount", min_value=4000, max_value=6000),
            _exp(
                "expect_column_values_to_be_in_set",
                "category_known",
                column="category",
                value_set=[f"cat_{i:02d}" for i in range(20)],
            ),
            _exp(
                "expect_column_unique_value_count_to_be_between",
                "categories",
                column="category",
                min_value=20,
                max_value=20,
            ),
            _exp("expect_column_values_to_match_regex", "email_shape", column="email", regex=r"^user\d+@example\.com$"),
            _exp(
                "expect_column_value_lengths_to_be_between", "email_length", column="email", min_value=5, max_value=64
            ),
            _exp(
                "expect_column_max_to_be_between", "ts_max", column="ts", min_value="2020-01-01", max_value="2030-01-01"
            ),
            _exp("expect_compound_columns_to_be_unique", "category_email", column_list=["category", "email"]),
        ],
    )


def events(spark, rows=2000):
    """The notes' synthetic events: 1% null amounts, 4 out-of-range amounts, 2 malformed emails."""
    return spark.range(rows).select(
        F.col("id"),
        F.when(F.col("id") % 100 == 7, None)
        .when(F.col("id") % 500 == 3, -1.0)
        .otherwise((F.col("id") * 7919) % 1_000_000 / 100.0)
        .alias("amount"),
        F.format_string("cat_%02d", F.col("id") % 20).alias("category"),
        F.timestamp_seconds(F.lit(1_700_000_000) + F.col("id")).alias("ts"),
        F.when(F.col("id") % 1000 == 1, F.format_string("bad_email_%d", F.col("id")))
        .otherwise(F.format_string("user%d@example.com", F.col("id")))
        .alias("email"),
    )


def test_cost_helper_counts_jobs_and_sql_executions(spark):
    with measure(spark) as cost:
        spark.range(100).groupBy((F.col("id") % 3).alias("k")).count().collect()
    assert cost.spark_jobs >= 1 and cost.sql_executions == 1


def test_compiled_gate_costs_fewer_sql_executions_than_ge(spark, ge, compiled):
    df = events(spark)
    suite = _notes_suite()
    with_ge = evaluate(df, suite, {}, ge)
    with_compiled = evaluate(df, suite, {}, compiled)
    assert [e["success"] for e in with_compiled.expectations] == [e["success"] for e in with_ge.expectations]
    assert {_evaluator(r) for r in with_compiled.validation["results"]} == {COMPILED}
    assert with_compiled.cost["sparkJobs"] >= 1
    assert with_compiled.cost["sqlExecutions"] < with_ge.cost["sqlExecutions"]
    # one aggregation of the uniqueness hashes (no candidate: no exact-key query), one aggregation
    # of everything else (the verdict's row counts included), plus ONE query listing the unexpected
    # values of amount out of range and of malformed emails; the amount nulls (passing thanks to
    # mostly) are listed as None without a query
    assert with_compiled.cost["sqlExecutions"] == 3
    assert with_compiled.row_counts() == count_rows(with_compiled.flagged, suite)


def _routed(item, on_fail):
    return dict(item, meta={"baton": dict(item["meta"]["baton"], on_fail=on_fail)})


GATE_SUITE = [
    _routed(BY_NAME["between_x"], "quarantine"),
    _routed(BY_NAME["unique_id"], "correct"),
    _routed(BY_NAME["compound_nm_any"], "quarantine"),
    BY_NAME["regex_s"],  # warn-only: never in the flags
    _routed(BY_NAME["mean_x"], "quarantine"),  # table-level: no flag
]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=rows)
def test_flags_from_the_compiled_projection_equal_the_predicates_flags(spark, compiled, data):
    suite = _suite("gate", GATE_SUITE)
    df = spark.createDataFrame(data, SCHEMA).withColumn("row", F.monotonically_increasing_id())
    result = evaluate(df, suite, {}, compiled)
    expected = flag_rows(df, routed_conditions(suite, {}, df))
    assert result.flagged.columns == [*df.columns, FAILED_COLUMN]
    flags = {row["row"]: sorted(row[FAILED_COLUMN]) for row in result.flagged.collect()}
    assert flags == {row["row"]: sorted(row[FAILED_COLUMN]) for row in expected.collect()}
    assert result.row_counts() == count_rows(expected, suite)  # from the evaluation's own aggregation


def test_uniqueness_flags_join_the_duplicated_keys_found_in_one_aggregation(spark, compiled):
    suite = _suite("gate", GATE_SUITE)
    # both rows repeat id 1 (correct); the first also has x < 0 (quarantine), so only the second is correctable
    df = spark.createDataFrame([(1, -1.0, 0.0, 1, 1, "a", None, None), (1, 2.0, 0.0, 2, 1, "b", None, None)], SCHEMA)
    result = evaluate(df, suite, {}, compiled, storage_level=StorageLevel.MEMORY_AND_DISK)
    try:
        assert result.cached is None  # no window left: the projection is cheaper to recompute
        (keys,) = result.keys  # unique_id's duplicated ids, exactly: one
        assert keys.is_cached and [row["k"]["c0"] for row in keys.collect()] == [1]
        plan = result.flagged._jdf.queryExecution().executedPlan().toString()
        assert "BroadcastHashJoin" in plan and "Window" not in plan
        assert count_rows(result.flagged, suite) == result.row_counts() == (2, 2, 1)
    finally:
        result.release()
    assert not keys.is_cached


@HASH_PATHS
def test_hash_collisions_never_flag_a_row(spark, ge, compiled, driver_hashes):
    """Every key hashes alike: all rows are candidates, and the exact keys decide (two ids repeat)."""
    data = [(i if i < 8 else 3, float(i), 0.0, i, i, f"s{i}", None, None) for i in range(10)]
    with mock.patch("quality.compiled.uniqueness.DRIVER_HASHES", driver_hashes), \
            mock.patch("quality.compiled.uniqueness._key_hash", lambda key: F.lit(7).cast("long")):
        actual = _differential(spark, ge, compiled, data, _pick("unique_id", "compound_id_s", "unique_x"), "collide")
    assert [r["result"]["unexpected_count"] for r in actual["results"]] == [3, 0, 0]


def test_kept_rows_serve_the_quarantine(spark, compiled):
    """The rows to quarantine are persisted by the query that lists unexpected values; the split reads them back."""
    suite = _suite("gate", [e for e in GATE_SUITE if "unique" not in e["type"]])
    data = [(i, -1.0 if i == 3 else 1.0, 0.0, i, i % 7, "a", None, None) for i in range(40)]
    df = spark.createDataFrame(data, SCHEMA)
    result = evaluate(df, suite, {}, compiled, storage_level=StorageLevel.MEMORY_AND_DISK)
    try:
        assert result.kept.is_cached
        assert "InMemoryRelation" in result.quarantined()._jdf.queryExecution().optimizedPlan().toString()
        assert [row["id"] for row in result.quarantined().collect()] == [3]
        assert result.passing().count() == 39
    finally:
        result.release()
    assert not result.kept.is_cached


def test_when_no_row_fails_the_split_is_the_input_and_nothing(spark, compiled):
    """No filter to evaluate for the passing rows, no scan for an empty quarantine; ``drop`` columns are gone."""
    suite = _suite("gate", [e for e in GATE_SUITE if "unique" not in e["type"]])
    df = spark.createDataFrame([(i, 1.0, 0.0, i, i % 7, "a", None, None) for i in range(10)], SCHEMA)
    result = evaluate(df.withColumn("helper", F.lit(True)), suite, {}, compiled, drop=["helper"])
    assert result.row_counts() == (10, 0, 0)
    plan = result.passing()._jdf.queryExecution().optimizedPlan()
    assert plan.canonicalized().equals(df._jdf.queryExecution().optimizedPlan().canonicalized())
    assert result.passing().columns == df.columns
    assert "LocalRelation <empty>" in result.quarantined()._jdf.queryExecution().optimizedPlan().toString()
    assert result.quarantined().columns == [*df.columns, "_baton_failed_expectations"]


def test_a_persisted_projection_serves_the_split(spark, compiled, monkeypatch):
    monkeypatch.setattr("quality.compiled.uniqueness.BROADCAST_KEYS", 0)  # too many duplicated keys: windows, persisted
    suite = _suite("gate", GATE_SUITE)
    # both rows repeat id 1 (correct); the first also has x < 0 (quarantine), so only the second is correctable
    df = spark.createDataFrame([(1, -1.0, 0.0, 1, 1, "a", None, None), (1, 2.0, 0.0, 2, 1, "b", None, None)], SCHEMA)
    result = evaluate(df, suite, {}, compiled, storage_level=StorageLevel.MEMORY_AND_DISK)
    try:
        assert result.cached.is_cached
        assert "InMemoryRelation" in result.flagged._jdf.queryExecution().optimizedPlan().toString()
        assert count_rows(result.flagged, suite) == result.row_counts() == (2, 2, 1)
    finally:
        result.release()
    assert not result.cached.is_cached


def test_a_projection_without_shuffle_is_recomputed_not_persisted(spark, compiled):
    suite = _suite("gate", [e for e in GATE_SUITE if "unique" not in e["type"]])
    df = spark.createDataFrame([(1, -1.0, 0.0, 1, 1, "a", None, None), (1, 2.0, 0.0, 2, 1, "b", None, None)], SCHEMA)
    result = evaluate(df, suite, {}, compiled, storage_level=StorageLevel.MEMORY_AND_DISK)
    assert result.cached is None
    assert result.row_counts() == count_rows(result.flagged, suite) == (2, 1, 0)


def test_compiled_is_the_default_and_ge_stays_selectable():
    evaluators = Evaluators()
    compiled = evaluators.get()
    assert isinstance(compiled, CompiledEvaluator) and evaluators.get("compiled") is compiled
    assert compiled.fallback is evaluators.get("great_expectations")  # one GE context per holder
    assert isinstance(Evaluators("great_expectations").get(), GreatExpectationsEvaluator)
    assert Evaluators().get() is not compiled  # no state shared between holders
    with pytest.raises(ArgumentError, match="unknown gate evaluator 'pandas'"):
        Evaluators("pandas")
