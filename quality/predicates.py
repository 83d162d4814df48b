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
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Iterable, Mapping
from functools import reduce
from itertools import combinations
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

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


class PredicateError(ValueError):
    """An expectation cannot be turned into a row predicate (unknown column, unsupported type, bad kwargs)."""


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


def _col(name: str) -> Column:
    return F.col(_quoted(name))


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


# --- comparisons across types: Spark 4's ANSI coercion, with try_cast ----------------------

Types = Mapping[str, T.DataType]
_INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
_FRACTIONAL = (T.FloatType, T.DoubleType, T.DecimalType)


def _string_target(other: T.DataType | None) -> T.DataType | None:
    """The type Spark 4 (ANSI) casts a STRING operand to when it is compared with ``other`` (measured
    on the analysed plans: ``cast(s AS BIGINT) = 1``, ``cast(s AS DOUBLE) = 1.5``); None: no cast."""
    if isinstance(other, _INTEGRAL):
        return T.LongType()
    if isinstance(other, _FRACTIONAL):
        return T.DoubleType()
    if isinstance(other, T.DateType | T.TimestampType | T.TimestampNTZType | T.BooleanType):
        return other
    return None


def _literal_type(value: Any) -> T.DataType | None:
    """The Spark type of ``F.lit(value)``, as far as the coercion of strings cares."""
    if isinstance(value, bool):
        return T.BooleanType()
    if isinstance(value, int):
        return T.LongType()
    if isinstance(value, float | decimal.Decimal):
        return T.DoubleType()
    if isinstance(value, datetime.datetime):
        return T.TimestampType()
    if isinstance(value, datetime.date):
        return T.DateType()
    if isinstance(value, str):
        return T.StringType()
    return None


def _coerced(operand: Column, own: T.DataType | None, other: T.DataType | None) -> tuple[Column, Column | None]:
    """``operand`` as Spark compares it with a value of type ``other``, cast with ``try_cast`` where Spark
    would cast a string; and TRUE where that cast fails (Spark's cast would raise), None if it cannot."""
    target = _string_target(other) if isinstance(own, T.StringType) else None
    if target is None:
        return operand, None
    cast = operand.try_cast(target)
    return cast, operand.isNotNull() & cast.isNull()


def _value_type(values: Iterable[Any]) -> T.DataType | None:
    """The type a list of literals is compared as: double if any is fractional, else its first
    non-string value's (Spark widens strings to it), else string."""
    types = [_literal_type(value) for value in values if value is not None]
    others = [t for t in types if not isinstance(t, T.StringType)]
    if any(isinstance(t, T.DoubleType) for t in others):
        return T.DoubleType()
    return others[0] if others else (types[0] if types else None)


def _either(*conditions: Column | None) -> Column | None:
    present = [condition for condition in conditions if condition is not None]
    return reduce(lambda a, b: a | b, present) if present else None


# --- column-map expectations: nulls are skipped -------------------------------------------


def _column_map(expected: Callable[[Column, Mapping[str, Any], Types], tuple[Column, Column | None]]) -> Callable:
    """GE's column-map rule: unexpected = in domain AND value not null AND NOT expected.

    ``expected`` returns the condition and where it cannot be evaluated (see :func:`_coerced`).
    """

    def build(kwargs: Mapping[str, Any], in_domain: Column, types: Types) -> tuple[Column, Column | None]:
        column = _col(kwargs["column"])
        condition, unevaluable = expected(column, kwargs, types)
        considered = in_domain & column.isNotNull()
        return considered & ~condition, None if unevaluable is None else considered & unevaluable

    return build


def _set_comparison(column: Column, kwargs: Mapping[str, Any], types: Types) -> tuple[Column, Column | None]:
    """``column IN value_set`` as Spark compares them, and where that comparison would raise.

    A string column meeting numbers (or dates, booleans) is cast as in :func:`_coerced`; a string
    literal meeting a non-string type is cast with ``try_cast`` too: if it cannot be cast, GE's query
    raises whatever the row, so every row is unevaluable.
    """
    name, values = kwargs["column"], list(kwargs["value_set"])
    own, value_type = types.get(name), _value_type(values)
    operand, unevaluable = _coerced(column, own, value_type)
    target = _set_literal_target(own, value_type)
    if target is None or not any(isinstance(value, str) for value in values):
        return is_in(name if operand is column else operand, values), unevaluable
    cast = [F.lit(value).try_cast(target) if isinstance(value, str) else value for value in values]
    bad = [literal.isNull() for literal, value in zip(cast, values, strict=True) if isinstance(value, str)]
    return is_in(operand, cast), _either(unevaluable, *bad)


def _set_literal_target(own: T.DataType | None, value_type: T.DataType | None) -> T.DataType | None:
    """The type a value set's string literals are cast to when compared with a column of type ``own``."""
    return _string_target(own) or (_string_target(value_type) if isinstance(own, T.StringType) else None)


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


def _in_set(column: Column, kwargs: Mapping[str, Any], types: Types) -> tuple[Column, Column | None]:
    if kwargs["value_set"] is None:
        return F.lit(True), None
    return _set_comparison(column, kwargs, types)


def _not_in_set(column: Column, kwargs: Mapping[str, Any], types: Types) -> tuple[Column, Column | None]:
    if kwargs["value_set"] is None:
        return F.lit(True), None
    contained, unevaluable = _set_comparison(column, kwargs, types)
    return ~contained, unevaluable


def is_in(column: str | Column, values: Iterable[Any]) -> Column:
    """``Column.isin(values)`` on ``column`` (a name, or an expression), built in one call to the JVM.

    ``Column.isin`` makes one Py4J call per value: 2 to 3 s for the 4,000 tail numbers of the flights suite,
    paid each time the predicate is built. Where every value has an exact Spark SQL literal (str, int, float,
    bool, None) and ``column`` is a name, this parses one ``IN (...)`` expression instead; Spark's optimizer
    turns either into the same hash-set lookup (``InSet``). Other values (dates, decimals) take ``Column.isin``.
    """
    values = list(values)
    operand = _col(column) if isinstance(column, str) else column
    literals = [_sql_literal(value) for value in values]
    if not isinstance(column, str) or any(literal is None for literal in literals):
        return operand.isin(values)
    if not literals:
        return operand.isin([])
    return F.expr(f"{_quoted(column)} IN ({', '.join(literals)})")


def _sql_literal(value: Any) -> str | None:
    """``value`` as the Spark SQL literal of the type ``F.lit(value)`` gives it, or None if there is none here."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # F.lit: int within 32 bits is INT, else BIGINT; SQL types a bare integer literal the same way
        return str(value) if -(2**63) <= value < 2**63 else None
    if isinstance(value, float):
        return f"CAST('{value!r}' AS DOUBLE)"  # 'nan', 'inf' and '1e+300' included; folded to a literal
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return None


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _bounds(value: Column, kwargs: Mapping[str, Any], literal: Callable[[Any], Any]) -> Column:
    """``min_value <= value <= max_value`` honouring strict_min/strict_max and a None bound."""
    low, high = kwargs["min_value"], kwargs["max_value"]
    if low is None and high is None:
        raise PredicateError("min_value and max_value cannot both be None")
    try:
        inverted = low is not None and high is not None and low > high
    except TypeError as exc:
        raise PredicateError(f"min_value {low!r} and max_value {high!r} cannot be compared") from exc
    if inverted:
        raise PredicateError(f"min_value {low!r} is greater than max_value {high!r}")
    conditions = []
    if low is not None:
        conditions.append(value > literal(low) if kwargs["strict_min"] else value >= literal(low))
    if high is not None:
        conditions.append(value < literal(high) if kwargs["strict_max"] else value <= literal(high))
    return reduce(lambda a, b: a & b, conditions)


def _between(column: Column, kwargs: Mapping[str, Any], types: Types) -> tuple[Column, Column | None]:
    bounds = [kwargs[key] for key in ("min_value", "max_value") if kwargs[key] is not None]
    operand, unevaluable = _coerced(column, types.get(kwargs["column"]), _value_type(bounds))
    return _bounds(operand, kwargs, F.lit), unevaluable


def _lengths_between(column: Column, kwargs: Mapping[str, Any], _types: Types) -> tuple[Column, Column | None]:
    return _bounds(F.length(column), kwargs, lambda bound: bound), None


def _matches(column: Column, kwargs: Mapping[str, Any], _types: Types) -> tuple[Column, Column | None]:
    return column.rlike(kwargs["regex"]), None


def _not_matches(column: Column, kwargs: Mapping[str, Any], _types: Types) -> tuple[Column, Column | None]:
    return ~column.rlike(kwargs["regex"]), None


def _null_check(expect_null: bool) -> Callable:
    """Null expectations do not skip nulls."""

    def build(kwargs: Mapping[str, Any], in_domain: Column, _types: Types) -> tuple[Column, Column | None]:
        column = _col(kwargs["column"])
        return in_domain & (column.isNotNull() if expect_null else column.isNull()), None

    return build


# --- window (uniqueness) expectations ----------------------------------------------------


def _duplicated(partition: Column, considered: Column) -> Column:
    """TRUE for considered rows whose partition key occurs more than once among considered rows."""
    occurrences = F.count(F.when(considered, F.lit(1))).over(Window.partitionBy(partition))
    return considered & (occurrences > 1)


def _unique_key(kwargs: Mapping[str, Any], in_domain: Column) -> tuple[Column, Column]:
    column = _col(kwargs["column"])
    return F.struct(column.alias("c0")), in_domain & column.isNotNull()


def _unique(kwargs: Mapping[str, Any], in_domain: Column, _types: Types) -> tuple[Column, None]:
    column = _col(kwargs["column"])
    return _duplicated(column, in_domain & column.isNotNull()), None


def _kept_by_ignore_row_if(kwargs: Mapping[str, Any], columns: list[str]) -> Column:
    """Rows GE keeps under ``ignore_row_if`` for pair and multicolumn expectations."""
    mode = kwargs["ignore_row_if"]
    nulls = [_col(name).isNull() for name in columns]
    if mode in ("both_values_are_missing", "all_values_are_missing"):
        return ~reduce(lambda a, b: a & b, nulls)
    if mode in ("either_value_is_missing", "any_value_is_missing"):
        return ~reduce(lambda a, b: a | b, nulls)
    if mode in ("neither", "never"):
        return F.lit(True)
    raise PredicateError(f"unrecognised ignore_row_if {mode!r}")


def _compound_unique_key(kwargs: Mapping[str, Any], in_domain: Column) -> tuple[Column, Column]:
    columns = list(kwargs["column_list"])
    considered = in_domain & _kept_by_ignore_row_if(kwargs, columns)
    return F.struct(*[_col(name).alias(f"c{n}") for n, name in enumerate(columns)]), considered


def _compound_unique(kwargs: Mapping[str, Any], in_domain: Column, _types: Types) -> tuple[Column, None]:
    return _duplicated(*_compound_unique_key(kwargs, in_domain)), None


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


# --- pair and multicolumn map expectations: no null skipping, ignore_row_if instead -------------


def _pair(x: str, y: str, types: Types) -> tuple[Column, Column, Column | None]:
    """Columns ``x`` and ``y`` as Spark compares them, and where that comparison would raise."""
    a, a_unevaluable = _coerced(_col(x), types.get(x), types.get(y))
    b, b_unevaluable = _coerced(_col(y), types.get(y), types.get(x))
    return a, b, _either(a_unevaluable, b_unevaluable)


def _a_greater_than_b(kwargs: Mapping[str, Any], in_domain: Column, types: Types) -> tuple[Column, Column | None]:
    a, b, unevaluable = _pair(kwargs["column_A"], kwargs["column_B"], types)
    kept = in_domain & _kept_by_ignore_row_if(kwargs, [kwargs["column_A"], kwargs["column_B"]])
    expected = ((a >= b) | a.eqNullSafe(b)) if kwargs["or_equal"] else (a > b)
    return kept & ~expected, None if unevaluable is None else kept & unevaluable


def _unique_within_record(kwargs: Mapping[str, Any], in_domain: Column, types: Types) -> tuple[Column, Column | None]:
    columns = list(kwargs["column_list"])
    kept = in_domain & _kept_by_ignore_row_if(kwargs, columns)
    pairs = [_pair(x, y, types) for x, y in combinations(columns, 2)]
    repeats = [a.eqNullSafe(b) for a, b, _ in pairs]
    unevaluable = _either(*[pair_unevaluable for _, _, pair_unevaluable in pairs])
    return kept & reduce(lambda a, b: a | b, repeats, F.lit(False)), None if unevaluable is None else kept & unevaluable


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
