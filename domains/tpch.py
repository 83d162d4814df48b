"""The TPC-H domain (tables from tpchgen-cli): its tables, schemas, raw files, suites and marts.

Importing this module imports no pyspark: ``schema(table)`` builds the Spark schema when a job
or a test asks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

# The tables and their columns, parents before children: the order in which the Validate stage gates them.
# ``MONEY`` stands for TPC-H's ``decimal(15,2)`` (transforms.tpch.MONEY).
DDL: dict[str, str] = {
    "region": "r_regionkey BIGINT, r_name STRING, r_comment STRING",
    "nation": "n_nationkey BIGINT, n_name STRING, n_regionkey BIGINT, n_comment STRING",
    "supplier": (
        "s_suppkey BIGINT, s_name STRING, s_address STRING, s_nationkey BIGINT, s_phone STRING, s_acctbal MONEY, "
        "s_comment STRING"),
    "customer": (
        "c_custkey BIGINT, c_name STRING, c_address STRING, c_nationkey BIGINT, c_phone STRING, c_acctbal MONEY, "
        "c_mktsegment STRING, c_comment STRING"),
    "part": (
        "p_partkey BIGINT, p_name STRING, p_mfgr STRING, p_brand STRING, p_type STRING, p_size INT, "
        "p_container STRING, p_retailprice MONEY, p_comment STRING"),
    "partsupp": "ps_partkey BIGINT, ps_suppkey BIGINT, ps_availqty INT, ps_supplycost MONEY, ps_comment STRING",
    "orders": (
        "o_orderkey BIGINT, o_custkey BIGINT, o_orderstatus STRING, o_totalprice MONEY, o_orderdate DATE, "
        "o_orderpriority STRING, o_clerk STRING, o_shippriority INT, o_comment STRING"),
    "lineitem": (
        "l_orderkey BIGINT, l_partkey BIGINT, l_suppkey BIGINT, l_linenumber INT, l_quantity MONEY, "
        "l_extendedprice MONEY, l_discount MONEY, l_tax MONEY, l_returnflag STRING, l_linestatus STRING, "
        "l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, l_shipinstruct STRING, l_shipmode STRING, "
        "l_comment STRING"),
}
TABLES = tuple(DDL)
# tpchgen-cli writes no empty field and no NA: an empty field is a missing value.
NULL_VALUE = ""
GENERATED_ROOT = "raw/tpch"  # where tpchgen-cli's tables are kept, under a local workflow bucket
DEFAULT_SCALE_FACTOR = 1

SUITES = {table: f"tpch_validate_{table}" for table in TABLES}  # quality/suites/<suite>.json
SALES = "sales"  # the line items with their order, customer and nation: Denormalize writes it, Aggregate reads it

# The warehouse marts (table -> grouping keys), every one per order year, partitioned by year.
MARTS: dict[str, tuple[str, ...]] = {
    "revenue_by_month": ("year", "month"),
    "revenue_by_nation": ("year", "n_name"),
    "revenue_by_priority": ("year", "o_orderpriority"),
    "revenue_by_ship_mode": ("year", "l_shipmode"),
}
PARTITION_BY = ("year",)


def schema(table: str) -> StructType:
    """The Spark schema of ``table`` (pyspark is imported here, not when this module is)."""
    return schema_of(DDL[table])


def schema_of(ddl: str) -> StructType:
    """``baton.sources.schema`` of ``ddl``, where the type ``MONEY`` stands for TPC-H's ``decimal(15,2)``.

    (``schema`` splits columns on commas, so it cannot read ``DECIMAL(15,2)`` itself.)
    """
    from pyspark.sql import types as T

    from baton.sources import schema as from_ddl
    from transforms.tpch import MONEY

    money = {part.split()[0] for part in ddl.split(",") if part.split()[1] == "MONEY"}
    plain = from_ddl(ddl.replace(" MONEY", " STRING"))
    return T.StructType([T.StructField(f.name, MONEY) if f.name in money else f for f in plain.fields])


def generated_dir(bucket_root: str | Path, factor: float) -> Path:
    """Where tpchgen-cli's tables of scale factor ``factor`` are kept under a local workflow bucket."""
    return Path(bucket_root, GENERATED_ROOT, f"sf{factor:g}")
