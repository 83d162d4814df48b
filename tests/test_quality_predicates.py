"""Baton's Spark predicates select exactly the rows GE 1.24 counts as unexpected.

All cases are expectations of ONE suite, validated once by Great Expectations (GE runs take
seconds); each case then compares its predicate's row count with GE's ``unexpected_count``.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from quality.gate import GreatExpectationsEvaluator
from quality.predicate_columns import is_in
from quality.predicates import PredicateError, filter_unexpected, unexpected_condition
from quality.suite import suite_from_dict

NAN = float("nan")

SCHEMA = "id long, x double, n int, s string, u string, a int, b int, c int, t timestamp"
ROWS = [
    (1, 1.0, 1, "a", "é", 1, 2, 3, datetime(2024, 1, 1)),
    (2, NAN, 2, "b", "ab", 2, 2, 1, datetime(2024, 1, 2, 12)),
    (3, None, None, None, "日本語", None, 1, None, None),
    (4, 5.0, 4, "a", None, 3, None, 3, datetime(2024, 1, 3)),
    (5, NAN, None, "zz", "x", None, None, None, datetime(2023, 12, 31)),
    (6, 10.0, 6, "b", "abcd", 4, 1, 2, datetime(2024, 1, 2)),
    (7, -1.0, 7, "ü", "", 5, 5, 5, datetime(2024, 2, 1)),
    (8, 10.0, 7, "a", "ÄÖ", None, 1, None, datetime(2024, 1, 2)),
]

CASES = {
    # nulls count only for the null expectations; NaN is a value, not a null
    "not_null_x": ("expect_column_values_to_not_be_null", {"column": "x"}),
    "not_null_x_mostly": ("expect_column_values_to_not_be_null", {"column": "x", "mostly": 0.5}),
    "null_u": ("expect_column_values_to_be_null", {"column": "u"}),
    "in_set_x": ("expect_column_values_to_be_in_set", {"column": "x", "value_set": [1.0, 10.0]}),
    "in_set_s_unicode": ("expect_column_values_to_be_in_set", {"column": "s", "value_set": ["a", "ü"]}),
    "in_set_empty": ("expect_column_values_to_be_in_set", {"column": "n", "value_set": []}),
    "in_set_rc": (
        "expect_column_values_to_be_in_set",
        {"column": "s", "value_set": ["a"], "row_condition": "id >= 4", "condition_parser": "spark"},
    ),
    # NaN written in a suite is null to GE: "x IN (1.0, NULL)" is never false, so nothing is unexpected
    "in_set_x_nan_in_suite": ("expect_column_values_to_be_in_set", {"column": "x", "value_set": [1.0, NAN]}),
    "not_in_set_x_nan_in_suite": ("expect_column_values_to_not_be_in_set", {"column": "x", "value_set": [NAN]}),
    # NaN passed as a suite parameter stays NaN and matches NaN
    "in_set_x_nan_parameter": (
        "expect_column_values_to_be_in_set",
        {"column": "x", "value_set": {"$PARAMETER": "with_nan"}},
    ),
    "not_in_set_s": ("expect_column_values_to_not_be_in_set", {"column": "s", "value_set": ["a", "zz"]}),
    "between_x": ("expect_column_values_to_be_between", {"column": "x", "min_value": 0, "max_value": 10}),
    "between_x_strict": (
        "expect_column_values_to_be_between",
        {"column": "x", "min_value": 1, "max_value": 10, "strict_min": True, "strict_max": True},
    ),
    "between_x_min_only": ("expect_column_values_to_be_between", {"column": "x", "min_value": 0}),
    "between_x_max_only": ("expect_column_values_to_be_between", {"column": "x", "max_value": 5.0}),
    "between_n_strict_max": (
        "expect_column_values_to_be_between",
        {"column": "n", "min_value": None, "max_value": 7, "strict_max": True, "mostly": 0.1},
    ),
    "between_rc_spark": (
        "expect_column_values_to_be_between",
        {
            "column": "x",
            "min_value": 0,
            "max_value": 9,
            "row_condition": "n > 1",
            "condition_parser": "spark",
        },
    ),
    "between_rc_ge_parser": (
        "expect_column_values_to_be_between",
        {
            "column": "x",
            "min_value": 0,
            "max_value": 9,
            "row_condition": 'col("id")>2',
            "condition_parser": "great_expectations",
        },
    ),
    # on Spark, GE passes any string condition through as Spark SQL, even for the pandas parser
    "between_rc_pandas_parser": (
        "expect_column_values_to_be_between",
        {
            "column": "x",
            "min_value": 0,
            "max_value": 9,
            "row_condition": "n > 1",
            "condition_parser": "pandas",
        },
    ),
    "between_rc_condition_dict": (
        "expect_column_values_to_be_between",
        {
            "column": "n",
            "min_value": 3,
            "row_condition": {
                "type": "or",
                "conditions": [
                    {"type": "comparison", "column": {"name": "s"}, "operator": "==", "parameter": "a"},
                    {"type": "nullity", "column": {"name": "u"}, "is_null": True},
                ],
            },
        },
    ),
    # GE coerces bounds with its pydantic model: ISO strings become dates/datetimes ...
    "between_t_iso_date": (
        "expect_column_values_to_be_between",
        {"column": "t", "min_value": "2024-01-02", "strict_min": True},
    ),
    "between_t_iso_datetime": (
        "expect_column_values_to_be_between",
        {"column": "t", "min_value": "2024-01-01T12:00:00", "max_value": "2024-01-31 23:59:59"},
    ),
    # ... numeric strings become floats and "false" becomes False
    "between_n_string_bounds": (
        "expect_column_values_to_be_between",
        {"column": "n", "min_value": "2", "max_value": "6.5", "strict_min": "false"},
    ),
    "regex_u_unicode": ("expect_column_values_to_match_regex", {"column": "u", "regex": "^[a-zé]+$"}),
    "regex_x_numeric": ("expect_column_values_to_match_regex", {"column": "x", "regex": "^[0-9.]+$"}),
    "not_regex_s": ("expect_column_values_to_not_match_regex", {"column": "s", "regex": "^[ab]"}),
    "lengths_u": (
        "expect_column_value_lengths_to_be_between",
        {"column": "u", "min_value": 1, "max_value": 2},
    ),
    # length bounds become ints by truncation: 1.5 -> 1, 2.9 -> 2
    "lengths_u_float_bounds": (
        "expect_column_value_lengths_to_be_between",
        {"column": "u", "min_value": 1.5, "max_value": 2.9},
    ),
    "lengths_u_strict_min": (
        "expect_column_value_lengths_to_be_between",
        {"column": "u", "min_value": 2, "strict_min": True},
    ),
    "unique_s": ("expect_column_values_to_be_unique", {"column": "s"}),
    # NaN values are equal to each other, so two NaNs are duplicates
    "unique_x_nan": ("expect_column_values_to_be_unique", {"column": "x"}),
    "unique_s_rc": (
        "expect_column_values_to_be_unique",
        {"column": "s", "row_condition": "id > 3", "condition_parser": "spark"},
    ),
    "compound_ab": ("expect_compound_columns_to_be_unique", {"column_list": ["a", "b"]}),
    "compound_bc": ("expect_compound_columns_to_be_unique", {"column_list": ["b", "c"]}),
    "compound_bc_any_missing": (
        "expect_compound_columns_to_be_unique",
        {"column_list": ["b", "c"], "ignore_row_if": "any_value_is_missing"},
    ),
    "a_gt_b": ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "a", "column_B": "b"}),
    "a_ge_b": (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "a", "column_B": "b", "or_equal": True},
    ),
    "a_ge_b_neither": (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "a", "column_B": "b", "or_equal": True, "ignore_row_if": "neither"},
    ),
    "a_gt_b_either": (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "a", "column_B": "b", "ignore_row_if": "either_value_is_missing"},
    ),
    "within_record_abc": (
        "expect_select_column_values_to_be_unique_within_record",
        {"column_list": ["a", "b", "c"]},
    ),
    "within_record_ac_never": (
        "expect_select_column_values_to_be_unique_within_record",
        {"column_list": ["a", "c"], "ignore_row_if": "never"},
    ),
    "within_record_bc_any": (
        "expect_select_column_values_to_be_unique_within_record",
        {"column_list": ["b", "c"], "ignore_row_if": "any_value_is_missing"},
    ),
}


@pytest.fixture(scope="module")
def frame(spark):
    return spark.createDataFrame(ROWS, SCHEMA)


# Suite parameters reach GE unchanged, unlike values written in the suite (NaN there becomes null).
PARAMETERS = {"with_nan": [1.0, NAN]}


@pytest.fixture(scope="module")
def suite():
    return suite_from_dict(
        {
            "name": "predicate_cases",
            "expectations": [
                {"type": exp_type, "kwargs": kwargs, "meta": {"baton": {"name": name}}}
                for name, (exp_type, kwargs) in CASES.items()
            ],
        }
    )


@pytest.fixture(scope="module")
def ge_unexpected(frame, suite):
    """GE's unexpected_count per case, from a single validation run."""
    evaluator = GreatExpectationsEvaluator({"result_format": "SUMMARY", "partial_unexpected_count": 0})
    validation = evaluator.validate(frame, suite, PARAMETERS)
    counts = {}
    for result in validation["results"]:
        assert result["success"] is not None and "unexpected_count" in result["result"], result
        counts[result["expectation_config"]["meta"]["baton"]["name"]] = result["result"]["unexpected_count"]
    return counts


@pytest.fixture(scope="module")
def resolved(suite):
    """Each case's kwargs as the gate passes them: loaded as a suite, parameters resolved."""
    return {exp.name: (exp.type, kwargs) for exp, kwargs in suite.resolve(PARAMETERS)}


@pytest.mark.parametrize("case", list(CASES))
def test_predicate_counts_what_ge_counts(frame, ge_unexpected, resolved, case):
    exp_type, kwargs = resolved[case]
    condition = unexpected_condition(exp_type, kwargs, frame.columns)
    assert filter_unexpected(frame, condition).count() == ge_unexpected[case]


def test_the_cases_do_find_unexpected_rows(ge_unexpected):
    """Guard against a vacuous comparison: most cases must flag something."""
    assert sum(1 for count in ge_unexpected.values() if count) >= len(CASES) - 6


def test_map_predicates_work_in_a_plain_filter(frame):
    condition = unexpected_condition("expect_column_values_to_not_be_null", {"column": "x"}, frame.columns)
    assert frame.filter(condition).count() == 1


def test_the_condition_is_never_null(frame):
    condition = unexpected_condition(
        "expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "a", "column_B": "b"}, frame.columns
    )
    assert frame.filter(condition.isNull()).count() == 0


@pytest.mark.parametrize(
    "exp_type, kwargs",
    [
        ("expect_table_row_count_to_be_between", {"min_value": 1}),
        ("expect_column_mean_to_be_between", {"column": "x", "min_value": 1}),
        ("expect_table_columns_to_match_set", {"column_set": ["x"]}),
    ],
)
def test_table_level_expectations_have_no_predicate(exp_type, kwargs):
    assert unexpected_condition(exp_type, kwargs, ["x"]) is None


def test_unknown_column_is_named():
    with pytest.raises(PredicateError, match=r"unknown column\(s\) \['dep_tme'\]"):
        unexpected_condition("expect_column_values_to_not_be_null", {"column": "dep_tme"}, ["dep_time"])


def test_unsupported_row_level_type_says_what_to_do():
    with pytest.raises(PredicateError, match="no row-level Spark predicate.*on_fail 'warn'"):
        unexpected_condition("expect_column_values_to_be_increasing", {"column": "x"}, ["x"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"column": "x", "min_value": 5, "max_value": 1}, "greater than max_value"),
        ({"column": "x", "min_value": "2024-01-02", "max_value": "2024-01-31T10:00"}, "cannot be compared"),
    ],
)
def test_bad_bounds_are_rejected(kwargs, message):
    with pytest.raises(PredicateError, match=message):
        unexpected_condition("expect_column_values_to_be_between", kwargs, ["x"])


def test_kwargs_ge_rejects_are_reported():
    with pytest.raises(PredicateError, match="Great Expectations rejects these kwargs"):
        unexpected_condition("expect_column_values_to_be_between", {"column": "x", "mostly": 2}, ["x"])


@pytest.mark.parametrize(("ddl", "rows", "values"), [
    ("v STRING", ["it's", "back\\slash", "\\u0041", "new\nline", "ünï ✈", "", "`x`", None, "A"],
     ["it's", "back\\slash", "\\u0041", "new\nline", "ünï ✈", "", "`x`", "a"]),
    ("v STRING", ["a", None], ["a", None]),
    ("v BIGINT", [1, 2**40, -1, None, 7], [1, 2**40, -1, 3]),
    ("v DOUBLE", [1.5, float("nan"), float("inf"), -0.0, 1e300, None, 2.0],
     [1.5, float("nan"), float("inf"), 0.0, 1e300]),
    ("v BOOLEAN", [True, False, None], [True]),
    ("v STRING", ["1", "2", None], [1, 2]),  # an int value set on a string column: Spark's own coercion, both ways
    ("v DATE", [datetime(2024, 1, 2).date(), None], [datetime(2024, 1, 2).date()]),  # no literal here: isin
    ("v STRING", ["a"], []),
])
def test_is_in_agrees_with_column_isin(spark, ddl, rows, values):
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(r,) for r in rows], ddl)
    got = df.select(is_in("v", values).alias("fast"), F.col("v").isin(values).alias("isin")).collect()
    assert [row.fast for row in got] == [row.isin for row in got]


def test_is_in_parses_one_expression_for_a_long_value_set(spark, monkeypatch):
    from pyspark.sql import Column

    def one_call_per_value(*_args):
        raise AssertionError("Column.isin makes one Py4J call per value")

    monkeypatch.setattr(Column, "isin", one_call_per_value)
    values = [f"N{i:05d}'s" for i in range(5000)]
    df = spark.createDataFrame([("N00042's",), ("N9",), (None,)], "v STRING")
    assert [row[0] for row in df.select(is_in("v", values)).collect()] == [True, False, None]
