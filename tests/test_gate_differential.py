"""Differential tests on awkward column types: the compiled gate against Great Expectations 1.24.1 itself.

Hypothesis draws a frame whose columns ``v`` and ``w`` each take one awkward type: strings holding
numbers (and some that are not), dates and timestamps as strings, booleans, decimals, integers,
doubles with NaN and infinities, unicode text; any of them may be all null, and the frame may be
empty. Every supported expectation type runs on them in ONE suite (numeric and date bounds
alike), once by GE and once compiled: ``success``, whether GE raised, and every result field must be
equal. Where GE refuses a column type or raises on a value, the compiled result must be GE's error,
never a guess.

The row split is drawn the same way: for any suite of routed expectations on any such frame, the
passing and quarantined rows add up to the input and nothing raises, with both evaluators.
"""

from __future__ import annotations

import datetime
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_quality_compiled import _comparable, _name

from quality.compiled import COMPILED_TYPES
from quality.gate import evaluate
from quality.suite import suite_from_dict

NUMBER_STRINGS = ["5", "6", "60", "-1", "1.5", "1e3", " 7", "abc", "", "NaN", "Infinity", "0x1F", "９"]
DATE_STRINGS = ["2001-01-01", "2030-12-31", "2020-02-29", "2020-01-01 10:00:00", "2020-01-01T10:00:00Z", "01/02/2020",
                "2021-13-01", "later"]
UNICODE = ["é", "日本語", "😀", "a\u0000b", "ß", "İ", "ﬁ", "a" * 300, "A1", ""]

# (Spark type, values): each column of a drawn frame takes one of them
KINDS = {
    "number_strings": ("string", st.sampled_from(NUMBER_STRINGS)),
    "date_strings": ("string", st.sampled_from(DATE_STRINGS)),
    "unicode": ("string", st.sampled_from(UNICODE) | st.text(max_size=4)),
    "booleans": ("boolean", st.booleans()),
    "decimals": ("decimal(10,2)", st.decimals(-9999, 9999, places=2, allow_nan=False)),
    "integers": ("bigint", st.sampled_from([0, 1, -1, 5, 10, 2**40]) | st.integers(-100, 100)),
    "doubles": ("double", st.sampled_from([0.0, -0.0, 1.5, 10.0, math.nan, math.inf, -math.inf, 1e308])),
    "dates": ("date", st.dates(datetime.date(1990, 1, 1), datetime.date(2040, 12, 31))),
    "timestamps": ("timestamp", st.datetimes(datetime.datetime(1990, 1, 1), datetime.datetime(2040, 12, 31))),
}


@st.composite
def frames(draw):
    """``(schema, rows)``: ``id`` plus two awkward columns ``v`` and ``w``; all-null or empty at times."""
    kinds = [draw(st.sampled_from(sorted(KINDS))) for _ in range(2)]
    all_null = [draw(st.booleans()) and draw(st.booleans()) for _ in range(2)]
    values = [st.none() if null else st.none() | KINDS[kind][1] for kind, null in zip(kinds, all_null, strict=True)]
    rows = draw(st.lists(st.tuples(*values), max_size=12))
    schema = f"id int, v {KINDS[kinds[0]][0]}, w {KINDS[kinds[1]][0]}"
    return schema, [(i, *row) for i, row in enumerate(rows)]


def _exp(exp_type, name, on_fail="warn", **kwargs):
    return {"type": exp_type, "kwargs": kwargs, "meta": {"baton": {"name": name, "on_fail": on_fail}}}


BOUNDS = {"numbers": (1, 10), "dates": ("2000-01-01", "2030-12-31")}  # GE takes no other bounds
EXPECTATIONS = [
    *[_exp("expect_column_values_to_be_between", f"between_{k}", column="v", min_value=lo, max_value=hi, mostly=0.5)
      for k, (lo, hi) in BOUNDS.items()],
    _exp("expect_column_values_to_be_between", "between_min_only", column="v", min_value=0, strict_min=True),
    _exp("expect_column_values_to_be_in_set", "in_set_numbers", column="v", value_set=[5, 6, 1.5]),
    _exp("expect_column_values_to_be_in_set", "in_set_strings", column="v", value_set=["5", "abc", "é", "true"]),
    _exp("expect_column_values_to_be_in_set", "in_set_booleans", column="v", value_set=[True]),
    _exp("expect_column_values_to_not_be_in_set", "not_in_set_numbers", column="v", value_set=[0, 60]),
    _exp("expect_column_values_to_not_be_in_set", "not_in_set_strings", column="v", value_set=["", "later"]),
    _exp("expect_column_values_to_match_regex", "regex", column="v", regex="^[0-9]+$"),
    _exp("expect_column_values_to_not_match_regex", "not_regex", column="v", regex="-"),
    _exp("expect_column_value_lengths_to_be_between", "lengths", column="v", min_value=1, max_value=3),
    _exp("expect_column_values_to_not_be_null", "not_null", column="v"),
    _exp("expect_column_values_to_be_null", "null", column="w"),
    _exp("expect_column_values_to_be_unique", "unique", column="v"),
    _exp("expect_compound_columns_to_be_unique", "compound", column_list=["v", "w"]),
    _exp("expect_column_pair_values_a_to_be_greater_than_b", "v_gt_w", column_A="v", column_B="w", or_equal=True),
    _exp("expect_select_column_values_to_be_unique_within_record", "within", column_list=["v", "w"]),
    *[_exp(f"expect_column_{m}_to_be_between", f"{m}_{k}", column="v", min_value=lo, max_value=hi)
      for m in ("min", "max") for k, (lo, hi) in BOUNDS.items()],
    *[_exp(f"expect_column_{m}_to_be_between", f"{m}_numbers", column="v", min_value=-1e300, max_value=1e300)
      for m in ("mean", "sum", "stdev")],
    _exp("expect_column_proportion_of_unique_values_to_be_between", "unique_share", column="v", min_value=0.5),
    _exp("expect_column_unique_value_count_to_be_between", "distinct_count", column="v", min_value=1, max_value=5),
    _exp("expect_column_distinct_values_to_be_in_set", "distinct_numbers", column="v", value_set=[5, 6]),
    _exp("expect_column_distinct_values_to_be_in_set", "distinct_strings", column="v", value_set=["5", "é"]),
    _exp("expect_column_values_to_be_of_type", "of_type", column="v", type_="StringType"),
    _exp("expect_column_values_to_be_in_type_list", "in_type_list", column="w", type_list=["LongType", "DateType"]),
    _exp("expect_column_to_exist", "exists", column="w"),
    _exp("expect_table_row_count_to_be_between", "rows", min_value=1),
    _exp("expect_table_row_count_to_equal", "rows_equal", value=3),
    _exp("expect_table_columns_to_match_set", "columns_set", column_set=["id", "v", "w"]),
    _exp("expect_table_columns_to_match_ordered_list", "columns_list", column_list=["id", "w", "v"]),
    _exp("expect_table_column_count_to_equal", "column_count", value=3),
    _exp("expect_table_column_count_to_be_between", "column_count_between", min_value=4),
]
ROUTED = [dict(exp, meta={"baton": {**exp["meta"]["baton"], "on_fail": on_fail}})
          for exp, on_fail in zip(EXPECTATIONS, ["quarantine", "correct", "warn"] * len(EXPECTATIONS), strict=False)]
AWKWARD = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
}


def test_every_compiled_type_meets_the_awkward_types():
    assert {exp["type"] for exp in EXPECTATIONS} == COMPILED_TYPES


@settings(max_examples=3, **AWKWARD)
@given(frame=frames())
def test_awkward_types_equal_ge_field_by_field(spark, ge, compiled, frame):
    schema, rows = frame
    df = spark.createDataFrame(rows, schema)
    suite = suite_from_dict({"name": "awkward", "expectations": EXPECTATIONS})
    expected, actual = ge.validate(df, suite, {}), compiled.validate(df, suite, {})
    assert [_name(r) for r in actual["results"]] == [exp.name for exp in suite.expectations]
    wanted = {_name(r): _without_error_text(r) for r in expected["results"]}
    for result in actual["results"]:
        assert _without_error_text(result) == wanted[_name(result)], _name(result)
    assert actual["statistics"] == expected["statistics"]


def _without_error_text(result):
    """Every field, with ``exception_info`` reduced to whether GE raised.

    Where several bundled aggregates fail in one round of GE's graph resolution, GE retries each alone and
    reports the error of the last one to fail (``ExecutionEngine._process_direct_and_bundled_metric_computation_
    configurations``) for all of them. That order is a ``set`` of ``MetricConfiguration`` objects hashed by
    identity, so GE itself gives different texts for the same suite on the same rows from one run to the
    next; Baton delegates all such expectations in one sub-suite, so its text is one GE gives.
    ``test_quality_compiled`` and ``test_gate_correctness`` compare the text where it is determined.
    """
    comparable = _comparable(result)
    info = comparable["exception_info"]
    raised = bool(info) if isinstance(info, list) else info["raised_exception"]
    return dict(comparable, exception_info=raised)


@settings(max_examples=10, **AWKWARD)
@given(frame=frames(), picked=st.sets(st.sampled_from(range(len(ROUTED))), min_size=1, max_size=8),
       use_ge=st.sampled_from([False, False, False, True]))
def test_the_split_of_any_routed_suite_adds_up_and_never_raises(spark, ge, compiled, frame, picked, use_ge):
    schema, rows = frame
    df = spark.createDataFrame(rows, schema)
    suite = suite_from_dict({"name": "split", "expectations": [ROUTED[i] for i in sorted(picked)]})
    gated = evaluate(df, suite, evaluator=ge if use_ge else compiled)
    try:
        passing, quarantined = gated.passing().count(), gated.quarantined().count()
        assert passing + quarantined == len(rows)
        assert gated.row_counts()[:2] == (len(rows), quarantined)
    finally:
        gated.release()

