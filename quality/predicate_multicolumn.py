"""Uniqueness (window) expectations, and pair and multicolumn map expectations (no null skipping,
``ignore_row_if`` instead), as row predicates for :mod:`quality.predicates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce
from itertools import combinations
from typing import Any

from pyspark.sql import Column, Window
from pyspark.sql import functions as F

from quality.predicate_base import PredicateError, Types, _coerced, _col, _either

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


