"""Gate correctness (issue 13): never a success GE would not give, never a crash where rows should be quarantined.

Each test reproduces one finding of the independent check against Great Expectations 1.24.1 on Spark 4:
string columns with numeric or date bounds (GE refuses them), a row split that raised
``CAST_INVALID_INPUT`` under ANSI mode, ``$PARAMETER`` expressions, and one incomparable expectation
that sent the whole suite through GE.
"""

from __future__ import annotations

import datetime

import pytest
from test_quality_compiled import _assert_same_as_ge, _evaluator, _name

from quality.compiled import COMPILED, GREAT_EXPECTATIONS
from quality.gate import evaluate
from quality.suite import suite_from_dict


def _exp(exp_type, name, on_fail="quarantine", **kwargs):
    return {"type": exp_type, "kwargs": kwargs, "meta": {"baton": {"name": name, "on_fail": on_fail}}}


def _suite(*expectations):
    return suite_from_dict({"name": "correctness", "expectations": list(expectations)})


BETWEEN = "expect_column_values_to_be_between"
NOT_NULL = "expect_column_values_to_not_be_null"


@pytest.mark.parametrize(
    ("values", "kwargs"),
    [
        (["5", "6", None], {"min_value": 1, "max_value": 10}),
        (["5", "60", "7"], {"min_value": 1, "max_value": 10, "mostly": 0.5}),
        (["2001-01-01", "2002-06-30", None], {"min_value": "2000-01-01", "max_value": "2030-12-31"}),
    ],
    ids=["numbers", "mostly", "iso-dates"],
)
def test_between_on_a_string_column_gives_ges_exception_result(spark, ge, compiled, values, kwargs):
    df = spark.createDataFrame([(v,) for v in values], "s string")
    suite = _suite(
        _exp(NOT_NULL, "not_null_s", column="s", mostly=0.1), _exp(BETWEEN, "between_s", column="s", **kwargs)
    )
    expected, actual = ge.validate(df, suite, {}), compiled.validate(df, suite, {})
    _assert_same_as_ge(expected, actual, suite)
    between = actual["results"][1]
    assert between["success"] is False
    assert "cannot be computed on column of type StringType()" in str(between["exception_info"])
    assert [_evaluator(r) for r in actual["results"]] == [COMPILED, GREAT_EXPECTATIONS]


def test_only_the_incomparable_expectation_goes_to_ge(spark, ge, compiled):
    """A string column compared with numbers fails in GE when rows are read: that one expectation is GE's."""
    df = spark.createDataFrame([(1, "5"), (2, "abc"), (None, None)], "n int, s string")
    suite = _suite(
        _exp(NOT_NULL, "not_null_n", column="n"),
        _exp("expect_column_values_to_be_in_set", "in_set_s", column="s", value_set=[5, 6]),
        _exp("expect_column_values_to_be_unique", "unique_n", column="n"),
    )
    expected, actual = ge.validate(df, suite, {}), compiled.validate(df, suite, {})
    _assert_same_as_ge(expected, actual, suite)
    assert [_evaluator(r) for r in actual["results"]] == [COMPILED, GREAT_EXPECTATIONS, COMPILED]
    assert actual["meta"]["baton"]["fallback"] is None
    assert actual["results"][1]["success"] is False


@pytest.mark.parametrize("evaluator_name", ["compiled", "great_expectations"])
def test_the_row_split_never_raises_on_data(spark, ge, compiled, evaluator_name):
    """'abc' cannot be compared with a number: its row is quarantined, and the stage is blocked by GE's error."""
    evaluator = compiled if evaluator_name == "compiled" else ge
    df = spark.createDataFrame([(1, "5"), (2, "abc"), (3, None), (4, "12")], "id int, s string")
    suite = _suite(
        _exp(BETWEEN, "between_s", column="s", min_value=1, max_value=10),
        _exp("expect_column_values_to_be_in_set", "in_set_s", column="s", value_set=[5, 12]),
    )
    gated = evaluate(df, suite, evaluator=evaluator)
    passing = sorted(row.id for row in gated.passing().collect())
    quarantined = {row.id: row._baton_failed_expectations for row in gated.quarantined().collect()}
    assert len(passing) + len(quarantined) == 4
    assert quarantined[2] == ["between_s", "in_set_s"]
    assert 3 in passing
    verdict = gated.verdict(*gated.row_counts())
    assert verdict.passed is False and verdict.correctable is False
    assert "between_s" in verdict.reason


def test_pair_of_a_string_and_a_number_column_never_raises(spark, compiled):
    df = spark.createDataFrame([(1, "0"), (2, "x"), (3, "9")], "n int, s string")
    suite = _suite(_exp("expect_column_pair_values_a_to_be_greater_than_b", "n_gt_s", column_A="n", column_B="s"))
    gated = evaluate(df, suite, evaluator=compiled)
    assert gated.passing().count() + gated.quarantined().count() == 3
    assert sorted(row.n for row in gated.quarantined().collect()) == [2, 3]


@pytest.mark.parametrize(
    ("expression", "parameters"),
    [
        ("now() - timedelta(weeks=52)", {}),
        ("datetime(2003, 1, 1)", {}),
        ("limit * 2", {"limit": 3}),
    ],
    ids=["now", "datetime", "arithmetic"],
)
def test_parameter_expressions_are_evaluated_as_ge_does(spark, ge, compiled, expression, parameters):
    column, rows = ("d", [(datetime.datetime(2001, 1, 1),), (datetime.datetime(2030, 1, 1),)])
    if expression == "limit * 2":
        column, rows = "n", [(1,), (7,)]
    df = spark.createDataFrame(rows, f"{column} {'timestamp' if column == 'd' else 'int'}")
    suite = _suite(_exp(BETWEEN, "bounded", column=column, min_value={"$PARAMETER": expression}, on_fail="warn"))
    expected, actual = ge.validate(df, suite, parameters), compiled.validate(df, suite, parameters)
    if expression.startswith("now()"):  # evaluated once per run, by each evaluator: a few ms apart
        bounds = [r["results"][0]["expectation_config"]["kwargs"].pop("min_value") for r in (expected, actual)]
        apart = datetime.datetime.fromisoformat(bounds[1]) - datetime.datetime.fromisoformat(bounds[0])
        assert datetime.timedelta(0) <= apart < datetime.timedelta(minutes=1)
    _assert_same_as_ge(expected, actual, suite)
    assert actual["results"][0]["result"]["unexpected_count"] == 1
    gated = evaluate(df, suite, parameters, evaluator=compiled)
    assert gated.expectations[0]["success"] is False


def test_a_parameter_expression_ge_cannot_evaluate_names_suite_and_expectation():
    from quality.suite import SuiteError

    suite = _suite(_exp(BETWEEN, "bounded", column="n", min_value={"$PARAMETER": "limit * 2"}))
    with pytest.raises(SuiteError, match=r"suite 'correctness'.*expectation 'bounded'.*limit \* 2"):
        suite.resolve({})


def test_aggregates_that_fail_together_on_a_column_give_ges_error_text(spark, ge, compiled):
    """GE computes a graph round's column aggregates in one Spark query; when it fails, GE retries each alone
    and gives every failing one the last error. Here they fail with one text, so GE's text is determined."""
    df = spark.createDataFrame([(1, "5", 1.5), (2, "abc", 2.5), (3, None, 4.0)], "id int, s string, n double")
    aggregates = [
        _exp(f"expect_column_{metric}_to_be_between", f"{metric}_{column}", on_fail="warn", column=column,
             min_value=-1e9, max_value=1e9)
        for column in ("s", "n") for metric in ("min", "max", "mean", "sum", "stdev", "median")
    ]
    suite = _suite(
        _exp(NOT_NULL, "not_null_id", column="id"),
        *aggregates,
        _exp("expect_column_quantile_values_to_be_between", "quantiles_s", on_fail="warn", column="s",
             quantile_ranges={"quantiles": [0.5], "value_ranges": [[0, 10]]}),
        _exp(BETWEEN, "between_s", column="s", min_value=1, max_value=10),
        _exp("expect_column_unique_value_count_to_be_between", "distinct_id", column="id", min_value=1),
    )
    expected, actual = ge.validate(df, suite, {}), compiled.validate(df, suite, {})
    _assert_same_as_ge(expected, actual, suite)
    evaluators = {_name(r): _evaluator(r) for r in actual["results"]}
    assert evaluators["not_null_id"] == evaluators["distinct_id"] == COMPILED
    assert evaluators["min_n"] == evaluators["sum_n"] == COMPILED
    assert evaluators["sum_s"] == evaluators["stdev_s"] == GREAT_EXPECTATIONS


@pytest.mark.parametrize(
    ("schema", "rows"),
    [("id int, v double", [(0, None), (1, None)]), ("id int, v double", [])],
    ids=["all-null", "empty"],
)
@pytest.mark.parametrize("exp_type", ["expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
                                      "expect_column_distinct_values_to_be_in_set"])
def test_a_value_set_string_that_cannot_be_cast_is_ges_error_whatever_the_rows(spark, ge, compiled, schema, rows,
                                                                            exp_type):
    """GE's query casts 'abc' to the column's type and raises even when no row is compared (all null, none)."""
    df = spark.createDataFrame(rows, schema)
    suite = _suite(_exp(NOT_NULL, "not_null_id", column="id"),
                   _exp(exp_type, "set_v", column="v", value_set=["5", "abc", "é", "true"]))
    expected, actual = ge.validate(df, suite, {}), compiled.validate(df, suite, {})
    _assert_same_as_ge(expected, actual, suite)
    assert actual["results"][1]["success"] is False
    assert [_evaluator(r) for r in actual["results"]] == [COMPILED, GREAT_EXPECTATIONS]
