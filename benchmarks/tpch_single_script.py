"""The TPC-H pipeline's work as one plain Spark script, with no stage hand-off: the baseline that
measures Baton's overhead (Parquet between stages, staging and commits, manifests, reports, the
state machine).

    python benchmarks/tpch_single_script.py RAW_CSV_DIR OUT_DIR [--no-checks]

Reads the tpchgen-cli CSVs with the same schemas and conforms them; gates every table with the
same suites and reference flags as the Validate stage (Baton's gate, called as a library: the same
checks, no reports), keeping each table's conformed rows in Spark's cache instead of writing them;
then denormalizes the passing rows, aggregates the same four revenue marts and writes them as
Parquet partitioned by year. ``--no-checks`` reads only the four tables the marts use and gates
nothing: the transforms alone.
"""

from __future__ import annotations

import argparse

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from baton.spark import get_spark
from conf.settings import SparkSettings
from domains.tpch import MARTS, SUITES, TABLES, schema
from jobs.tpch_validate import REFERENCES
from quality.checkpoint import load
from quality.gate import evaluate
from quality.references import flag_known_keys
from transforms import tpch as t

MART_TABLES = ("nation", "customer", "orders", "lineitem")


def conformed(spark: SparkSession, raw: str, name: str) -> DataFrame:
    declared = schema(name)
    df = spark.read.option("header", True).option("mode", "FAILFAST").schema(declared).csv(f"{raw}/{name}.csv")
    return df.transform(t.conform_table(declared))


def gated(tables: dict[str, DataFrame]) -> dict[str, DataFrame]:
    """Each table's passing rows, parents first (as the Validate stage), the inputs cached once."""
    passed: dict[str, DataFrame] = {}
    for name in TABLES:
        df = tables[name].persist(StorageLevel.MEMORY_AND_DISK)
        for ref in REFERENCES.get(name, ()):
            df = df.transform(flag_known_keys(passed[ref.parent], ref.key, ref.parent_key, ref.flag))
        result = evaluate(df, load(SUITES[name]), {}, storage_level=StorageLevel.MEMORY_AND_DISK,
                          drop=[ref.flag for ref in REFERENCES.get(name, ())])
        rows, failed, _ = result.row_counts()
        print(f"{name}: {rows} rows, {failed} failed", flush=True)
        passed[name] = result.passing()
    return passed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw")
    parser.add_argument("out")
    parser.add_argument("--no-checks", action="store_true")
    args = parser.parse_args(argv)
    spark = get_spark("tpch-single-script", SparkSettings(master="local[2]", shuffle_partitions=4, driver_memory="2g"))
    names = MART_TABLES if args.no_checks else TABLES
    tables = {name: conformed(spark, args.raw, name) for name in names}
    if not args.no_checks:
        tables = gated(tables)
    sales = tables["lineitem"].transform(t.denormalize_sales(tables["orders"], tables["customer"], tables["nation"]))
    sales = sales.persist(StorageLevel.MEMORY_AND_DISK)
    for table, keys in MARTS.items():
        sales.transform(t.revenue_mart(keys)).write.mode("overwrite").partitionBy("year").parquet(
            f"{args.out}/{table}")
    spark.stop()


if __name__ == "__main__":
    main()
