"""The TPC-H pipeline's transforms as one plain Spark script, with no stage hand-off: the baseline
that measures Baton's overhead (staging, manifests, the gate, the state machine).

    python benchmarks/tpch_single_script.py RAW_CSV_DIR OUT_DIR

Reads the tpchgen-cli CSVs with the same schemas, conforms them, denormalizes, aggregates the
same four revenue marts and writes them as Parquet partitioned by year. No quality checks.
"""

from __future__ import annotations

import sys

from baton.spark import get_spark
from jobs.tpch_aggregate import MARTS
from jobs.tpch_ingest import SCHEMAS
from transforms import tpch as t


def main(raw: str, out: str) -> None:
    spark = get_spark("tpch-single-script", master="local[2]", shuffle_partitions=4,
                      extra_conf={"spark.driver.memory": "2g"})
    tables = {}
    for name in ("nation", "customer", "orders", "lineitem"):
        df = spark.read.option("header", True).schema(SCHEMAS[name]).csv(f"{raw}/{name}.csv")
        tables[name] = df.transform(t.conform_table(SCHEMAS[name]))
    sales = tables["lineitem"].transform(t.denormalize_sales(tables["orders"], tables["customer"], tables["nation"]))
    sales = sales.cache()
    for table, keys in MARTS.items():
        sales.transform(t.revenue_mart(keys)).write.mode("overwrite").partitionBy("year").parquet(f"{out}/{table}")
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
