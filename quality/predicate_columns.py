"""Column-map expectations (nulls are skipped) and the null checks, as row predicates for :mod:`quality.predicates`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import reduce
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from quality.predicate_base import (
    PredicateError,
    Types,
    _coerced,
    _col,
    _either,
    _quoted,
    _sql_literal,
    _string_target,
    _value_type,
)


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


