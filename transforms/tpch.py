"""Pure DataFrame transforms for TPC-H (the tables tpchgen-cli generates).

Every public transform is a factory returning ``Callable[[DataFrame], DataFrame]`` so stages chain::

    lineitem.transform(denormalize_sales(orders, customer, nation)).transform(revenue_mart(("year", "month")))

No I/O, no Spark configuration, no session: callers read, write and configure.

Money is exact, and stays exact:

* Money columns (prices, balances, costs) and ``l_quantity``, ``l_discount``, ``l_tax`` are ``decimal(15,2)``,
  as the TPC-H specification declares them. ``conform_table`` refuses a column that arrives as a float type
  instead of casting it: a double has already lost the cents.
* Revenue is ``l_extendedprice * (1 - l_discount)``. Spark types that product ``decimal(32,4)`` and its sum
  ``decimal(38,4)``: at the 38-digit ceiling, past the 18 digits a 64-bit long holds (Spark then computes
  with BigDecimal), and any further arithmetic on the sum (a ratio, an average) must cut its scale to stay
  within 38 digits. ``line_revenue`` casts the product to ``decimal(18,4)`` instead, which loses nothing: a
  product of two 2-decimal numbers has exactly 4 decimals, and TPC-H keeps it far below 10^14
  (``p_retailprice`` <= 2,099.00 and ``l_quantity`` <= 50, so ``l_extendedprice`` <= 104,950.00, and
  ``1 - l_discount`` is in [0.90, 1.00]: at most 10 of the 18 digits). Each line's revenue is then a 64-bit
  unscaled long and the sum is ``decimal(28,4)``: 24 integral digits, room for any scale factor. Spark 4
  runs in ANSI mode, so a value that did not fit would fail the cast, never wrap or turn null.
* Traps avoided: in doubles, 1.25 * (1 - 0.06) is 1.1749999999999998, a cent short once rounded to cents
  (the exact 1.1750 rounds up). Polars has a trap of its own: its decimal product silently truncates the
  result to cents, so ``price * (1 - discount)`` on two ``Decimal(15, 2)`` columns drops the last two
  decimals of every line before the sum.

Joins after the gate are inner joins: the Validate stage quarantines a line whose order, an order whose
customer and a customer whose nation is missing from the validated parent table, so no line is lost here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, DecimalType, DoubleType, FloatType, StringType, StructType

Transform = Callable[[DataFrame], DataFrame]

MONEY = DecimalType(15, 2)
LINE_REVENUE = DecimalType(18, 4)

# What denormalize_sales keeps of the four tables: what the marts need, nothing more.
SALES_COLUMNS = ("l_orderkey", "l_linenumber", "o_orderdate", "year", "month", "n_name", "o_orderpriority",
                 "l_shipmode", "l_quantity", "l_extendedprice", "l_discount")


class ConformError(ValueError):
    """A column is missing, or has a type that ``conform_table`` must not convert."""

    def __init__(self, message: str, column: str):
        super().__init__(message)
        self.column = column


# --------------------------------------------------------------------------- conform


def conform_table(schema: StructType) -> Transform:
    """``schema``'s columns in its order (others are dropped), strings trimmed, every column of its declared type.

    A column of another type is cast, except a float column declared decimal: that raises
    ``ConformError``, as does a missing column. Decimals, dates and integers pass unchanged when they
    already have their declared type (they do when read with the same schema).
    """

    def _apply(df: DataFrame) -> DataFrame:
        missing = [c for c in schema.names if c not in df.columns]
        if missing:
            raise ConformError(f"the {missing} columns are not included in the DataFrame with the following "
                               f"columns {df.columns}", missing[0])
        found = {f.name: f.dataType for f in df.schema.fields}
        return df.select(*[_conformed(f.name, found[f.name], f.dataType) for f in schema.fields])

    return _apply


def _conformed(name: str, found: DataType, declared: DataType) -> Column:
    if isinstance(declared, DecimalType) and isinstance(found, FloatType | DoubleType):
        raise ConformError(f"column {name} has type {found.simpleString()}, expected {declared.simpleString()}: "
                           "a float cannot be made exact again; read it as a decimal", name)
    column = F.col(name) if found == declared else F.col(name).cast(declared)
    return (F.trim(column) if isinstance(declared, StringType) else column).alias(name)


# --------------------------------------------------------------------------- denormalize


def denormalize_sales(orders: DataFrame, customer: DataFrame, nation: DataFrame) -> Transform:
    """Line items joined with their order, the order's customer and the customer's nation.

    Columns: ``SALES_COLUMNS``, with ``year`` and ``month`` of ``o_orderdate``. Each side is pruned to the
    columns the joins or the marts need before it joins (6 of lineitem's 16, 4 of orders' 9), so Parquet reads
    and the shuffle of the line-to-order join carry only those.
    Inner joins: a line without an order, customer or nation is dropped (after the gate there is none).
    """

    def _apply(lineitem: DataFrame) -> DataFrame:
        nations = F.broadcast(nation.select("n_nationkey", "n_name"))
        # 150,000 customers (a key and a name) per scale factor: broadcast, so orders are not shuffled for them
        customers = F.broadcast(customer.select("c_custkey", "c_nationkey").join(
            nations, F.col("c_nationkey") == F.col("n_nationkey")).select("c_custkey", "n_name"))
        sold = orders.select("o_orderkey", "o_custkey", "o_orderdate", "o_orderpriority").join(
            customers, F.col("o_custkey") == F.col("c_custkey"))
        lines = lineitem.select("l_orderkey", "l_linenumber", "l_shipmode", "l_quantity", "l_extendedprice",
                                "l_discount")
        joined = lines.join(sold, F.col("l_orderkey") == F.col("o_orderkey"))
        return (joined.withColumn("year", F.year("o_orderdate")).withColumn("month", F.month("o_orderdate"))
                .select(*SALES_COLUMNS))

    return _apply


# --------------------------------------------------------------------------- aggregate


def line_revenue() -> Column:
    """``l_extendedprice * (1 - l_discount)`` as an exact ``decimal(18,4)`` (see the module docstring)."""
    return (F.col("l_extendedprice") * (F.lit(1) - F.col("l_discount"))).cast(LINE_REVENUE)


def exact_sum(column: Column, scale: int, precision: int) -> Column:
    """The exact sum of a ``decimal(p, scale)`` column (p <= 18) as ``decimal(precision, scale)``.

    Spark adds such decimals in a ``decimal(p+10, scale)`` buffer: past 18 digits it is a BigDecimal per row, 3x
    slower per mart at TPC-H SF1 than adding longs. Here each value's unscaled long (exact: p <= 18 digits fit
    a long) is summed (:func:`checked_long_sum`) and the total is scaled back once per group (:func:`from_units`).
    """
    return from_units(checked_long_sum(units(column, scale)), scale, precision)


def units(column: Column, scale: int) -> Column:
    """A ``decimal(p, scale)`` value (p <= 18) as its exact unscaled long: 12.34 at scale 2 is 1234."""
    return (column * F.lit(10 ** scale)).cast("long")


def checked_long_sum(column: Column) -> Column:
    """``sum`` of a long column that fails the job rather than wrap past a long's range, ANSI mode or not.

    The check is a bound, not a second sum: ``|sum| <= max(|value|) * count``, so the sum cannot overflow
    when that product (in a double, with a factor-of-two margin for its rounding) stays below 2^62; a group
    past it fails with a clear error. (``try_sum`` checks every addition and made the marts' sums 1.9x slower.)
    NULL when every value is NULL, as ``sum``.
    """
    bound = F.max(F.abs(column)).cast("double") * F.count(column).cast("double")
    return F.when(bound >= F.lit(float(2 ** 62)), F.raise_error(
        F.concat(F.lit(f"the sum of {column} may exceed a 64-bit long: "), F.count(column).cast("string"),
                 F.lit(" values up to "), F.max(F.abs(column)).cast("string")))).otherwise(F.sum(column))


def from_units(total: Column, scale: int, precision: int) -> Column:
    """An unscaled long total back as the exact ``decimal(precision, scale)``."""
    scaled = total.cast(DecimalType(precision, 0)) * F.lit(Decimal(1).scaleb(-scale)).cast(DecimalType(scale, scale))
    return scaled.cast(DecimalType(precision, scale))


def revenue_mart(keys: Sequence[str]) -> Transform:
    """Revenue of denormalized sales per ``keys`` (a mart's keys in ``domains.tpch.MARTS``).

    Columns: ``keys``, ``orders`` (distinct orders), ``lines``, ``quantity`` (sum of ``l_quantity``,
    ``decimal(25,2)``) and ``revenue`` (sum of ``line_revenue``, exact, ``decimal(28,4)``). Row order is
    unspecified. Both sums add 64-bit longs (``exact_sum``).

    The distinct orders are counted apart from the sums and joined to them by ``keys`` (null-safe): one
    aggregation holding ``count(DISTINCT l_orderkey)`` next to the sums is planned as an Expand that doubles
    every line before two shuffles (at TPC-H SF1, 9.6 s for the ship-mode mart against 5.9 s apart).
    """
    # A bare string is a Sequence[str] too, and would group by its characters.
    if isinstance(keys, str):
        raise TypeError(f"keys must be a sequence of column names, not the string {keys!r}")
    key_cols = list(keys)

    def _apply(sales: DataFrame) -> DataFrame:
        sums = sales.groupBy(*key_cols).agg(
            F.count(F.lit(1)).alias("lines"),
            exact_sum(F.col("l_quantity").cast(MONEY), 2, 25).alias("quantity"),
            exact_sum(line_revenue(), 4, 28).alias("revenue"),
        )
        orders = (sales.select("l_orderkey", *key_cols).distinct().groupBy(*key_cols)
                  .agg(F.count("l_orderkey").alias("orders")))
        same_keys = reduce(lambda a, b: a & b, [sums[k].eqNullSafe(orders[k]) for k in key_cols], F.lit(True))
        return sums.join(orders, same_keys).select(*[sums[k] for k in key_cols], "orders", "lines", "quantity",
                                                   "revenue")

    return _apply
