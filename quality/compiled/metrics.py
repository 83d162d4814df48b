"""The aggregate metrics: which GE metrics the compiler computes, and their Spark aggregate expressions.

Every expression only sees the expectation's domain (its ``row_condition``), as GE computes each
metric on ``get_domain_records``; the values then become GE's metric values (:func:`aggregate_metric`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from quality.compiled.items import Item
from quality.predicates import ROW_LEVEL_TYPES, _col, _kept_by_ignore_row_if, _row_condition, is_in

_NUMERIC = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType, T.DecimalType)

_INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)

# GE's column.mean raises TypeError for any other type (expectations/metrics/column_aggregate_metrics/column_mean.py).
_MEAN_TYPES = (T.DecimalType, T.IntegerType, T.DoubleType, T.FloatType, T.LongType)

_ATOMIC = (T.AtomicType,)


# Aggregate and schema expectations the compiler covers, with the column types it accepts.
AGGREGATE_TYPES: dict[str, tuple[type, ...] | None] = {
    "expect_column_to_exist": None,
    "expect_table_columns_to_match_ordered_list": None,
    "expect_table_columns_to_match_set": None,
    "expect_table_column_count_to_equal": None,
    "expect_table_column_count_to_be_between": None,
    "expect_table_row_count_to_be_between": None,
    "expect_table_row_count_to_equal": None,
    "expect_column_values_to_be_of_type": None,
    "expect_column_values_to_be_in_type_list": None,
    "expect_column_min_to_be_between": _ATOMIC,
    "expect_column_max_to_be_between": _ATOMIC,
    "expect_column_mean_to_be_between": _MEAN_TYPES,
    "expect_column_sum_to_be_between": _NUMERIC,
    "expect_column_stdev_to_be_between": _NUMERIC,
    "expect_column_proportion_of_unique_values_to_be_between": _ATOMIC,
    "expect_column_unique_value_count_to_be_between": _ATOMIC,
    "expect_column_distinct_values_to_be_in_set": _ATOMIC,
}
COMPILED_TYPES = frozenset(ROW_LEVEL_TYPES | set(AGGREGATE_TYPES))


# GE counts these by filtering and counting (0 on an empty domain), as it does the uniqueness
# types (counted by quality.compiled.uniqueness.find_duplicates); the other map metrics sum a CASE over the
# domain, which is NULL when the domain has no rows (expectations/metrics/map_metric_provider/).
_COUNTED_AFTER_FILTER = frozenset(
    {
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_select_column_values_to_be_unique_within_record",
    }
)
_SCHEMA_METRICS = frozenset({"table.columns", "table.column_types", "table.column_count"})


def metric_kind(item: Item, name: str) -> str | None:
    """How the compiler gets GE metric ``name`` of ``item``: aggregate, schema, sample, none, or None."""
    map_metric = getattr(item.expectation, "map_metric", None)
    if name in _SCHEMA_METRICS:
        return "schema"
    if name in ("column.distinct_values.not_in_set",) or (map_metric and name == f"{map_metric}.unexpected_values"):
        return "sample"
    if map_metric and name in (f"{map_metric}.unexpected_index_list", f"{map_metric}.unexpected_index_query"):
        return "none"  # only filled for unexpected_index_column_names / return_unexpected_index_query
    if (
        name == "table.row_count"
        or name in _AGGREGATE_METRICS
        or (map_metric and name in (f"{map_metric}.unexpected_count", f"{map_metric}.filtered_row_count"))
    ):
        return "aggregate"
    return None


def aggregate_metric(
    item: Item, name: str, mc: Any, schema: T.StructType
) -> tuple[list[Column], Callable[[list], Any]]:
    """Aggregate expressions for one GE metric and how to turn their values into GE's metric value.

    Every expression only sees the expectation's domain (its ``row_condition``), as GE
    computes each metric on ``get_domain_records``.
    """
    in_domain = _row_condition(getattr(item.expectation, "row_condition", None))
    domain = mc.metric_domain_kwargs
    map_metric = getattr(item.expectation, "map_metric", None)
    if map_metric and name == f"{map_metric}.unexpected_count":
        flag = F.col(item.flag)
        if item.config.type in _COUNTED_AFTER_FILTER:
            return [F.count(F.when(flag, 1))], first
        return [_case_sum(in_domain, flag)], first
    if map_metric and name == f"{map_metric}.filtered_row_count":
        columns = domain.get("column_list") or [domain["column_A"], domain["column_B"]]
        kept = _kept_by_ignore_row_if(domain, list(columns))
        return [F.count(F.when(in_domain & kept, 1))], first
    if name == "table.row_count":
        return [F.count(F.when(in_domain, 1))], first
    return _AGGREGATE_METRICS[name](in_domain, domain["column"], mc.metric_value_kwargs or {}, schema)


def first(values: list) -> Any:
    """The metric is the single aggregate's value."""
    return values[0]


def _case_sum(in_domain: Column, condition: Column) -> Column:
    """GE's ``sum(CASE WHEN condition THEN 1 ELSE 0 END)`` over the domain: NULL when it has no rows."""
    return F.sum(F.when(in_domain, F.when(condition, 1).otherwise(0)))


def _column_aggregate(function: Callable[[Column], Column]) -> Callable:
    """A GE column aggregate that is one Spark aggregate function over the domain's values."""

    def build(in_domain: Column, column: str, _value_kwargs: Mapping, _schema: T.StructType):
        return [function(F.when(in_domain, _col(column)))], first

    return build


def _null_count(in_domain: Column, column: str, _value_kwargs: Mapping, _schema: T.StructType):
    """GE's ``column_values.nonnull.unexpected_count``: the domain's nulls (NULL for an empty domain)."""
    return [_case_sum(in_domain, _col(column).isNull())], first


def _sum(in_domain: Column, column: str, _value_kwargs: Mapping, schema: T.StructType):
    """GE on Spark 4 sums integral columns as doubles (column_aggregate_metrics/column_sum.py)."""
    values = _col(column)
    if isinstance(schema[column].dataType, _INTEGRAL):
        values = values.cast(T.DoubleType())
    return [F.sum(F.when(in_domain, values))], first


def _unique_proportion(in_domain: Column, column: str, _value_kwargs: Mapping, _schema: T.StructType):
    """GE's ``unique_proportion`` of the domain's row count, distinct count and null count."""
    from great_expectations.expectations.metrics.column_aggregate_metrics.column_proportion_of_unique_values import (
        unique_proportion,
    )

    values = _col(column)
    expressions = [
        F.count(F.when(in_domain, 1)),
        F.countDistinct(F.when(in_domain, values)),
        _case_sum(in_domain, values.isNull()),
    ]

    def finish(counts: list) -> Any:
        rows, distinct, nulls = counts
        return unique_proportion(
            {
                "table.row_count": rows,
                "column.distinct_values.count": distinct,
                "column_values.nonnull.unexpected_count": nulls,
            }
        )

    return expressions, finish


def _distinct_not_in_set_count(in_domain: Column, column: str, value_kwargs: Mapping, _schema: T.StructType):
    """GE's count of distinct non-null values outside ``value_set`` (column_distinct_values_not_in_set.py)."""
    values = _col(column)
    outside = in_domain & values.isNotNull()
    if value_kwargs.get("value_set"):
        outside = outside & ~is_in(column, value_kwargs["value_set"])
    return [F.countDistinct(F.when(outside, values))], lambda counts: counts[0] or 0


# Column metrics by GE metric name; row counts and map metrics are built in aggregate_metric.
_AGGREGATE_METRICS: dict[str, Callable] = {
    "column_values.nonnull.unexpected_count": _null_count,
    "column.min": _column_aggregate(F.min),
    "column.max": _column_aggregate(F.max),
    "column.mean": _column_aggregate(F.mean),
    "column.standard_deviation": _column_aggregate(F.stddev_samp),
    "column.distinct_values.count": _column_aggregate(F.countDistinct),
    "column.sum": _sum,
    "column.unique_proportion": _unique_proportion,
    "column.distinct_values.not_in_set.count": _distinct_not_in_set_count,
}
