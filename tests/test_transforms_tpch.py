"""The TPC-H transforms on tiny inline DataFrames."""

from datetime import date
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from domains.tpch import MARTS, schema_of
from transforms import tpch as t

LINES = "l_orderkey BIGINT, l_linenumber INT, l_shipmode STRING, l_quantity MONEY, l_extendedprice MONEY, " \
        "l_discount MONEY"
ORDERS = "o_orderkey BIGINT, o_custkey BIGINT, o_orderdate DATE, o_orderpriority STRING"
SALES = "l_orderkey BIGINT, l_linenumber INT, o_orderdate DATE, year INT, month INT, n_name STRING, " \
        "o_orderpriority STRING, l_shipmode STRING, l_quantity MONEY, l_extendedprice MONEY, l_discount MONEY"


def frame(spark, ddl, rows):
    return spark.createDataFrame(rows, schema_of(ddl))


def test_conform_trims_strings_and_keeps_exact_money_and_dates(spark):
    declared = schema_of("o_orderkey BIGINT, o_clerk STRING, o_totalprice MONEY, o_orderdate DATE")
    raw = spark.createDataFrame(
        [(date(1996, 1, 2), 1, "  Clerk#000000951 ", Decimal("172799.49"), "extra")],
        "o_orderdate DATE, o_orderkey INT, o_clerk STRING, o_totalprice DECIMAL(15,2), o_comment STRING")
    expected = spark.createDataFrame([(1, "Clerk#000000951", Decimal("172799.49"), date(1996, 1, 2))], declared)
    assert_df_equality(raw.transform(t.conform_table(declared)), expected, ignore_nullable=True)


def test_conform_refuses_money_that_arrives_as_a_float(spark):
    declared = schema_of("c_custkey BIGINT, c_acctbal MONEY")
    raw = spark.createDataFrame([(1, 711.56)], "c_custkey BIGINT, c_acctbal DOUBLE")
    with pytest.raises(t.ConformError, match="c_acctbal has type double, expected decimal.15,2.") as err:
        raw.transform(t.conform_table(declared))
    assert err.value.column == "c_acctbal"


def test_conform_names_a_missing_column(spark):
    declared = schema_of("c_custkey BIGINT, c_acctbal MONEY")
    raw = spark.createDataFrame([(1,)], "c_custkey BIGINT")
    with pytest.raises(t.ConformError, match=r"the \['c_acctbal'\] columns are not included") as err:
        raw.transform(t.conform_table(declared))
    assert err.value.column == "c_acctbal"


def test_denormalize_joins_order_customer_and_nation_and_prunes_columns(spark):
    lines = frame(spark, LINES, [(1, 1, "AIR", Decimal("17"), Decimal("24710.35"), Decimal("0.04")),
                                 (1, 2, "MAIL", Decimal("36"), Decimal("56688.12"), Decimal("0.09")),
                                 (2, 1, "TRUCK", Decimal("1"), Decimal("1000.00"), Decimal("0.00"))])
    orders = frame(spark, ORDERS, [(1, 7, date(1996, 1, 2), "5-LOW"), (2, 8, date(1997, 12, 31), "1-URGENT")])
    customers = spark.createDataFrame([(7, 3, "Customer#7"), (8, 0, "Customer#8")],
                                      "c_custkey BIGINT, c_nationkey BIGINT, c_name STRING")
    nations = spark.createDataFrame([(0, "ALGERIA", 0), (3, "CANADA", 1)],
                                    "n_nationkey BIGINT, n_name STRING, n_regionkey BIGINT")
    sales = lines.transform(t.denormalize_sales(orders, customers, nations))
    expected = frame(spark, SALES, [
        (1, 1, date(1996, 1, 2), 1996, 1, "CANADA", "5-LOW", "AIR", Decimal("17"), Decimal("24710.35"),
         Decimal("0.04")),
        (1, 2, date(1996, 1, 2), 1996, 1, "CANADA", "5-LOW", "MAIL", Decimal("36"), Decimal("56688.12"),
         Decimal("0.09")),
        (2, 1, date(1997, 12, 31), 1997, 12, "ALGERIA", "1-URGENT", "TRUCK", Decimal("1"), Decimal("1000.00"),
         Decimal("0.00"))])
    assert tuple(sales.columns) == t.SALES_COLUMNS
    assert_df_equality(sales, expected, ignore_row_order=True, ignore_nullable=True)


def test_line_revenue_is_exact_where_a_double_is_a_cent_short(spark):
    lines = frame(spark, "l_extendedprice MONEY, l_discount MONEY", [(Decimal("1.25"), Decimal("0.06"))])
    row = lines.select(t.line_revenue().alias("exact"), F.round(
        F.col("l_extendedprice").cast("double") * (1 - F.col("l_discount").cast("double")), 2).alias("double"),
    ).first()
    assert row.exact == Decimal("1.1750")  # rounds half up to 1.18
    assert row.double == 1.17  # 1.1749999999999998 in doubles
    assert lines.select(t.line_revenue()).schema[0].dataType == T.DecimalType(18, 4)


def test_revenue_mart_sums_exact_decimals(spark):
    tenth = (Decimal("0.10"), Decimal("0.00"))  # 0.1 has no exact double: ten of them do not sum to 1.0
    rows = [(1, n, date(1995, 3, 1), 1995, 3, "FRANCE", "2-HIGH", "AIR", Decimal("1"), *tenth) for n in range(1, 8)]
    rows += [(2, n, date(1995, 3, 9), 1995, 3, "FRANCE", "2-HIGH", "AIR", Decimal("1"), *tenth) for n in range(1, 4)]
    rows += [(3, 1, date(1995, 4, 1), 1995, 4, "FRANCE", "2-HIGH", "AIR", Decimal("2.50"), Decimal("1.25"),
              Decimal("0.06"))]
    mart = frame(spark, SALES, rows).transform(t.revenue_mart(MARTS["revenue_by_month"]))
    expected = spark.createDataFrame(
        [(1995, 3, 2, 10, Decimal("10.00"), Decimal("1.0000")), (1995, 4, 1, 1, Decimal("2.50"), Decimal("1.1750"))],
        "year INT, month INT, orders BIGINT, lines BIGINT, quantity DECIMAL(25,2), revenue DECIMAL(28,4)")
    assert_df_equality(mart, expected, ignore_row_order=True, ignore_nullable=True)


def test_revenue_mart_counts_each_order_once_per_group_null_keys_included(spark):
    """Order 1 ships by AIR and RAIL, order 2 by AIR twice; order 3 has no ship mode (a NULL key)."""
    line = (date(1995, 3, 1), 1995, 3, "FRANCE", "2-HIGH")
    money = (Decimal("1"), Decimal("10.00"), Decimal("0.00"))
    rows = [(1, 1, *line, "AIR", *money), (1, 2, *line, "RAIL", *money), (1, 3, *line, "AIR", *money),
            (2, 1, *line, "AIR", *money), (2, 2, *line, "AIR", *money), (3, 1, *line, None, *money),
            (4, 1, *line, None, *money)]
    mart = frame(spark, SALES, rows).transform(t.revenue_mart(MARTS["revenue_by_ship_mode"]))
    expected = spark.createDataFrame(
        [(1995, "AIR", 2, 4, Decimal("4.00"), Decimal("40.0000")), (1995, "RAIL", 1, 1, Decimal("1.00"),
                                                                    Decimal("10.0000")),
         (1995, None, 2, 2, Decimal("2.00"), Decimal("20.0000"))],
        "year INT, l_shipmode STRING, orders BIGINT, lines BIGINT, quantity DECIMAL(25,2), revenue DECIMAL(28,4)")
    assert_df_equality(mart, expected, ignore_row_order=True, ignore_nullable=True)


def test_revenue_mart_refuses_a_bare_string_as_keys():
    with pytest.raises(TypeError, match="not the string 'year'"):
        t.revenue_mart("year")


def test_exact_sum_adds_longs_and_scales_back_exactly(spark):
    values = spark.createDataFrame([(Decimal("0.0001"),)] * 3 + [(Decimal("-99999999999999.9999"),), (None,)],
                                    "v DECIMAL(18,4)")
    row = values.agg(t.exact_sum(F.col("v"), 4, 28).alias("total")).first()
    assert row.total == Decimal("-99999999999999.9996")
    assert values.agg(t.exact_sum(F.col("v"), 4, 28)).schema[0].dataType == T.DecimalType(28, 4)
    nulls = spark.createDataFrame([(None,)], "v DECIMAL(18,4)")
    assert nulls.agg(t.exact_sum(F.col("v"), 4, 28).alias("total")).first().total is None


@pytest.mark.parametrize("ansi", ["true", "false"])  # Glue 5 (Spark 3.5) runs with ANSI mode off
def test_exact_sum_fails_rather_than_wrap_past_a_long(spark, ansi):
    big = spark.createDataFrame([(Decimal("99999999999999.9999"),)] * 10, "v DECIMAL(18,4)")  # 10 * ~1e18 unscaled
    before = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", ansi)
    try:
        # ANSI mode: Spark's own overflow error; otherwise the bound's
        with pytest.raises(Exception, match="ARITHMETIC_OVERFLOW|may exceed a 64-bit long"):
            big.agg(t.exact_sum(F.col("v"), 4, 28)).collect()
    finally:
        spark.conf.set("spark.sql.ansi.enabled", before)
