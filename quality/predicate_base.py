"""What every family of :mod:`quality.predicates` uses: the error, column references and SQL literals,
and comparisons across types (Spark 4's ANSI coercion, with ``try_cast``), so no data value can raise.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping
from functools import reduce
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from baton.errors import BatonError


class PredicateError(BatonError):
    """An expectation cannot be turned into a row predicate (unknown column, unsupported type, bad kwargs)."""


def _col(name: str) -> Column:
    return F.col(_quoted(name))


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


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


