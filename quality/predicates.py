"""Spark predicates that select exactly the rows Great Expectations 1.24 counts as unexpected.

Each predicate mirrors GE's own Spark implementation (``expectations/metrics/*_map_metrics``
and ``SparkDFExecutionEngine.get_domain_records``):

* kwargs are read through GE's pydantic model of the expectation, as GE does before it
  computes anything: defaults are filled in and values coerced (``between`` bounds become
  floats, or dates/datetimes for ISO strings; length bounds become ints; a string
  ``row_condition`` becomes GE's Condition object);
* rows outside ``row_condition`` are never unexpected (GE filters them out first). A string
  condition is Spark SQL, whatever ``condition_parser`` says, except ``great_expectations``,
  whose ``col("x") > 1`` syntax GE parses itself;
* column-map expectations skip nulls (a null is never unexpected), except
  ``expect_column_values_to_(not_)be_null``. NaN is *not* null: it is compared like any
  value, with Spark's NaN semantics (NaN equals NaN and is larger than every number);
* pair and multicolumn expectations skip nothing but the rows ``ignore_row_if`` drops;
* uniqueness is a window count over the rows GE considers, so the predicate of
  ``expect_column_values_to_be_unique`` and ``expect_compound_columns_to_be_unique``
  contains a window function. Spark refuses window functions inside ``WHERE``:
  use :func:`filter_unexpected` (or put the condition in a projection first);
* where GE's condition evaluates to NULL the row is not counted; the returned Column is
  therefore never NULL;
* the predicates are total: given the DataFrame's schema, every comparison of a string with a
  number, date, timestamp or boolean casts the string with ``try_cast`` to the type Spark 4's
  ANSI coercion would cast it to (``cast(s AS BIGINT) = 1``), so no data value can raise.
  Where Spark's cast would raise (GE's evaluation errors on that row), the row counts as
  unexpected: :func:`unevaluable_condition` is TRUE for exactly those rows.

The Column is TRUE exactly for the rows in GE's ``unexpected_count`` whenever
:func:`unevaluable_condition` holds for no row.

The predicates of each family are in :mod:`quality.predicate_columns` (column-map expectations and null
checks) and :mod:`quality.predicate_multicolumn` (uniqueness, pair and multicolumn expectations); what
they share, comparisons across types included, is in :mod:`quality.predicate_base`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from quality.predicate_base import PredicateError, Types, _sql_literal, _value_type
from quality.predicate_base import _col as _col  # re-exported: quality/compiled imports it from here
from quality.predicate_columns import (
    _between,
    _column_map,
    _in_set,
    _lengths_between,
    _matches,
    _not_in_set,
    _not_matches,
    _null_check,
    _set_literal_target,
)
from quality.predicate_columns import is_in as is_in  # re-exported: quality/compiled imports it from here
from quality.predicate_multicolumn import (
    _a_greater_than_b,
    _compound_unique,
    _compound_unique_key,
    _unique,
    _unique_key,
    _unique_within_record,
)
from quality.predicate_multicolumn import (  # re-exported: quality/compiled imports it from here
    _kept_by_ignore_row_if as _kept_by_ignore_row_if,
)

# Expectations with no row-level meaning: GE 1.24's BatchExpectation and ColumnAggregateExpectation
# types, plus the type checks, which GE evaluates on the Spark schema rather than per value.
_TABLE_LEVEL_TYPES = frozenset(
    {
        "expect_column_bootstrapped_ks_test_p_value_to_be_greater_than",
        "expect_column_chi_square_test_p_value_to_be_greater_than",
        "expect_column_distinct_values_to_be_in_set",
        "expect_column_distinct_values_to_contain_set",
        "expect_column_distinct_values_to_equal_set",
        "expect_column_kl_divergence_to_be_less_than",
        "expect_column_max_to_be_between",
        "expect_column_mean_to_be_between",
        "expect_column_median_to_be_between",
        "expect_column_min_to_be_between",
        "expect_column_most_common_value_to_be_in_set",
        "expect_column_pair_cramers_phi_value_to_be_less_than",
        "expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than",
        "expect_column_proportion_of_non_null_values_to_be_between",
        "expect_column_proportion_of_unique_values_to_be_between",
        "expect_column_quantile_values_to_be_between",
        "expect_column_stdev_to_be_between",
        "expect_column_sum_to_be_between",
        "expect_column_to_exist",
        "expect_column_type_to_be",
        "expect_column_unique_value_count_to_be_between",
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_be_of_type",
        "expect_query_results_to_match_comparison",
        "expect_table_column_count_to_be_between",
        "expect_table_column_count_to_equal",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
        "expect_table_row_count_to_be_between",
        "expect_table_row_count_to_equal",
        "expect_table_row_count_to_equal_other_table",
        "unexpected_rows_expectation",
    }
)



def unexpected_condition(
    exp_type: str, kwargs: Mapping[str, Any], df_columns: Iterable[str] | T.StructType
) -> Column | None:
    """TRUE for exactly the rows GE 1.24 counts as unexpected; None for table-level/aggregate types.

    ``kwargs`` must be resolved (no ``$PARAMETER`` references); ``df_columns`` are the
    DataFrame's column names, used to reject unknown columns with a clear message, or its
    schema: then comparisons across types never raise, and a row whose value cannot be compared
    is unexpected (see :func:`unevaluable_condition`).
    """
    built = _build(exp_type, kwargs, df_columns)
    if built is None:
        return None
    unexpected, unevaluable = built
    return F.coalesce(unexpected if unevaluable is None else unexpected | unevaluable, F.lit(False))


def unevaluable_condition(exp_type: str, kwargs: Mapping[str, Any], schema: T.StructType) -> Column | None:
    """TRUE for the rows where GE's Spark evaluation of the expectation would raise (an ANSI cast of a
    string that is no number, date or boolean); None when no row can make it raise."""
    built = _build(exp_type, kwargs, schema)
    if built is None or built[1] is None:
        return None
    return F.coalesce(built[1], F.lit(False))


def _build(
    exp_type: str, kwargs: Mapping[str, Any], df_columns: Iterable[str] | T.StructType
) -> tuple[Column, Column | None] | None:
    """``(unexpected, unevaluable or None)`` of a row-level type, None for table-level/aggregate types."""
    builder = _BUILDERS.get(exp_type)
    if builder is None:
        if exp_type in _TABLE_LEVEL_TYPES:
            return None
        raise PredicateError(
            f"{exp_type}: no row-level Spark predicate is implemented for this expectation type "
            f"(supported: {', '.join(sorted(_BUILDERS))}); use a supported type or on_fail 'warn'"
        )
    types = {f.name: f.dataType for f in df_columns.fields} if isinstance(df_columns, T.StructType) else {}
    _check_columns(exp_type, kwargs, list(types) or list(df_columns))
    params = ge_kwargs(exp_type, kwargs)
    in_domain = _row_condition(params["row_condition"])
    return builder(params, in_domain, types)


def ge_kwargs(exp_type: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` as GE's pydantic model of ``exp_type`` validates them (defaults filled, values coerced)."""
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        model = get_expectation_impl(exp_type)(**kwargs)
    except (ValueError, TypeError) as exc:
        raise PredicateError(f"{exp_type}: Great Expectations rejects these kwargs: {exc}") from exc
    return {name: getattr(model, name) for name in model.__fields__}


def filter_unexpected(df: DataFrame, condition: Column) -> DataFrame:
    """Rows of ``df`` where ``condition`` holds; works for window conditions too."""
    flag = "__baton_unexpected"
    return df.withColumn(flag, condition).filter(F.col(flag)).drop(flag)


def _check_columns(exp_type: str, kwargs: Mapping[str, Any], df_columns: list[str]) -> None:
    names = [kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs]
    names += list(kwargs.get("column_list") or [])
    if not names:
        raise PredicateError(
            f"{exp_type}: kwargs name no column (expected 'column', 'column_A'/'column_B' "
            f"or 'column_list'); got {sorted(kwargs)}"
        )
    missing = [name for name in names if name not in df_columns]
    if missing:
        raise PredicateError(f"{exp_type}: unknown column(s) {missing}; the DataFrame has {df_columns}")


def _row_condition(condition: Any) -> Column:
    """The rows GE keeps after applying its validated ``row_condition`` (a GE Condition or None)."""
    if condition is None:
        return F.lit(True)
    return F.expr(_condition_sql(condition.dict()))


def _condition_sql(condition: Mapping[str, Any]) -> str:
    """Spark SQL of a serialised GE Condition, as ``SparkDFExecutionEngine.condition_to_filter_clause``."""
    from great_expectations.execution_engine.sparkdf_execution_engine import _quote_spark_identifier

    kind = condition.get("type")
    if kind == "pass_through":
        return condition["pass_through_filter"]
    if kind in ("and", "or"):
        parts = [_condition_sql(part) for part in condition["conditions"]]
        return "(" + f" {kind.upper()} ".join(parts) + ")"
    column = _quote_spark_identifier(condition["column"]["name"])
    if kind == "nullity":
        return f"{column} IS NULL" if condition["is_null"] else f"{column} IS NOT NULL"
    if kind == "comparison":
        operator, value = str(condition["operator"]), condition["parameter"]
        if operator in ("IN", "NOT_IN"):
            connector = "IN" if operator == "IN" else "NOT IN"
            return f"{column} {connector} ({', '.join(map(repr, value))})"
        return f"{column} {operator} {value!r}"
    raise PredicateError(f"unknown row_condition type {kind!r} in {dict(condition)!r}")


def uncastable_literals(exp_type: str, kwargs: Mapping[str, Any], schema: T.StructType,
                        spark: SparkSession) -> list[str]:
    """The strings of an in-set or not-in-set ``value_set`` that Spark cannot cast to the type they are
    compared as (``'abc'`` against a double column).

    GE's query casts them under ANSI mode and raises whatever the rows, even when no row is compared
    (an empty frame, an all-null column), so this is decided from the suite and the schema rather than
    counted over rows. The casts are constant-folded into a local relation: no Spark job runs.
    """
    if exp_type not in _SET_TYPES:
        return []
    params = ge_kwargs(exp_type, kwargs)
    values = params["value_set"]
    strings = [value for value in values or () if isinstance(value, str)]
    own = {f.name: f.dataType for f in schema.fields}.get(params["column"])
    target = _set_literal_target(own, _value_type(values or ()))
    if target is None or not strings:
        return []
    casts = ", ".join(f"try_cast({_sql_literal(value)} AS {target.simpleString()}) IS NULL" for value in strings)
    failed = spark.sql(f"SELECT {casts}").first()
    return [value for value, bad in zip(strings, failed, strict=True) if bad]


def uniqueness_key(exp_type: str, kwargs: Mapping[str, Any], df_columns: Iterable[str]) -> tuple[Column, Column]:
    """``(key, considered)`` of a :data:`WINDOW_TYPES` expectation: GE counts a row as unexpected
    when it is considered and its key (a struct of the columns) occurs on more than one considered
    row. Spark compares struct keys field by field with NULL equal to NULL (as GE's window does),
    and normalizes NaN and -0.0 in keys, in groupings, joins and windows alike. For the compiler,
    which finds duplicated keys with one aggregation instead of a window per key."""
    builders = {"expect_column_values_to_be_unique": _unique_key,
                "expect_compound_columns_to_be_unique": _compound_unique_key}
    if exp_type not in builders:
        raise PredicateError(f"{exp_type} is not a uniqueness expectation ({sorted(builders)})")
    _check_columns(exp_type, kwargs, list(df_columns))
    params = ge_kwargs(exp_type, kwargs)
    key, considered = builders[exp_type](params, _row_condition(params["row_condition"]))
    return key, F.coalesce(considered, F.lit(False))


Builder = Callable[[Mapping[str, Any], Column, Types], tuple[Column, Column | None]]
_BUILDERS: dict[str, Builder] = {
    "expect_column_values_to_not_be_null": _null_check(expect_null=False),
    "expect_column_values_to_be_null": _null_check(expect_null=True),
    "expect_column_values_to_be_in_set": _column_map(_in_set),
    "expect_column_values_to_not_be_in_set": _column_map(_not_in_set),
    "expect_column_values_to_be_between": _column_map(_between),
    "expect_column_values_to_match_regex": _column_map(_matches),
    "expect_column_values_to_not_match_regex": _column_map(_not_matches),
    "expect_column_value_lengths_to_be_between": _column_map(_lengths_between),
    "expect_column_values_to_be_unique": _unique,
    "expect_compound_columns_to_be_unique": _compound_unique,
    "expect_column_pair_values_a_to_be_greater_than_b": _a_greater_than_b,
    "expect_select_column_values_to_be_unique_within_record": _unique_within_record,
}

ROW_LEVEL_TYPES = frozenset(_BUILDERS)
# value_set expectations whose GE query casts the set's strings to the column's type (the distinct-value
# ones included: delegating them to GE when a string cannot be cast gives GE's own result either way)
_SET_TYPES = frozenset({"expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
                        "expect_column_distinct_values_to_be_in_set", "expect_column_distinct_values_to_contain_set",
                        "expect_column_distinct_values_to_equal_set"})
# types whose predicate holds a window function (one shuffle per distinct key)
WINDOW_TYPES = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})
