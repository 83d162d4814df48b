"""Denormalize + Aggregate of TPC-H on the same Parquet, by Spark (Baton's transforms) or by DuckDB.

    python benchmarks/tpch_engine.py spark|duckdb VALIDATED_PARQUET_DIR OUT_DIR
    python benchmarks/tpch_engine.py profile VALIDATED_PARQUET_DIR OUT_DIR   # Spark's time, phase by phase

VALIDATED_PARQUET_DIR holds orders/, customer/, nation/ and lineitem/ (a Validate stage's output).
Both engines compute the four revenue marts exactly (decimal) and write them as Parquet.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

MART_SQL = """
    SELECT {keys}, count(DISTINCT l_orderkey) AS orders, count(*) AS lines, sum(l_quantity) AS quantity,
           sum(CAST(l_extendedprice * (1 - l_discount) AS DECIMAL(18, 4))) AS revenue
    FROM sales GROUP BY {keys}
"""
SALES_SQL = """
    CREATE TEMP VIEW sales AS
    SELECT l_orderkey, l_linenumber, o_orderdate, year(o_orderdate) AS year, month(o_orderdate) AS month,
           n_name, o_orderpriority, l_shipmode, l_quantity, l_extendedprice, l_discount
    FROM read_parquet('{d}/lineitem/*.parquet') l
    JOIN read_parquet('{d}/orders/*.parquet') o ON l_orderkey = o_orderkey
    JOIN read_parquet('{d}/customer/*.parquet') c ON o_custkey = c_custkey
    JOIN read_parquet('{d}/nation/*.parquet') n ON c_nationkey = n_nationkey
"""


def run_spark(data: Path, out: Path) -> None:
    from baton.spark import get_spark
    from conf.settings import SparkSettings
    from domains.tpch import MARTS
    from transforms import tpch as t

    spark = get_spark("tpch-engine", SparkSettings(master="local[2]", shuffle_partitions=4, driver_memory="2g"))
    read = {n: spark.read.parquet(str(data / n)) for n in ("lineitem", "orders", "customer", "nation")}
    sales = read["lineitem"].transform(t.denormalize_sales(read["orders"], read["customer"], read["nation"])).cache()
    for table, keys in MARTS.items():
        sales.transform(t.revenue_mart(keys)).write.mode("overwrite").parquet(str(out / "spark" / table))
    spark.stop()


def profile_spark(data: Path, out: Path) -> None:
    """The Spark contender's phases, one at a time (each phase's wall seconds): where its time goes."""
    from baton.spark import get_spark
    from conf.settings import SparkSettings
    from domains.tpch import MARTS
    from transforms import tpch as t

    marks = [time.perf_counter()]

    def lap(phase: str) -> None:
        marks.append(time.perf_counter())
        print(f"{phase:<44} {marks[-1] - marks[-2]:6.1f} s", flush=True)

    spark = get_spark("tpch-engine-profile", SparkSettings(master="local[2]", shuffle_partitions=4, driver_memory="2g"))
    lap("JVM and session start")
    read = {n: spark.read.parquet(str(data / n)) for n in ("lineitem", "orders", "customer", "nation")}
    lines = read["lineitem"].select("l_orderkey", "l_linenumber", "l_shipmode", "l_quantity", "l_extendedprice",
                                    "l_discount")
    lines.write.format("noop").mode("overwrite").save()
    lap("scan lineitem's 6 columns (cold)")
    lines.write.format("noop").mode("overwrite").save()
    lap("scan lineitem's 6 columns (warm)")
    sales = read["lineitem"].transform(t.denormalize_sales(read["orders"], read["customer"], read["nation"]))
    sales.write.format("noop").mode("overwrite").save()
    lap("denormalize: the joins, output discarded")
    sales = sales.cache()
    sales.count()
    lap("denormalize again, into Spark's cache")
    for table, keys in MARTS.items():
        sales.transform(t.revenue_mart(keys)).write.mode("overwrite").parquet(str(out / "profile" / table))
        lap(f"mart {table} from the cache")
    print(f"{'total':<44} {marks[-1] - marks[0]:6.1f} s")
    spark.stop()


def run_duckdb(data: Path, out: Path) -> None:
    import duckdb

    from domains.tpch import MARTS

    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(SALES_SQL.format(d=data))
    for table, keys in MARTS.items():
        target = out / "duckdb" / table
        target.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({MART_SQL.format(keys=', '.join(keys))}) TO '{target}/part-0.parquet' (FORMAT parquet)")


if __name__ == "__main__":
    engine, data, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    {"spark": run_spark, "duckdb": run_duckdb, "profile": profile_spark}[engine](data, out)
