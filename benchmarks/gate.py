"""Benchmark of the quality gate against Great Expectations and a hand-written single pass.

    python benchmarks/gate.py [--rows 2000000] [--repeats 3] [--skip-flights] [--record]

Contenders, each on a fresh read of the same Parquet data, in one SparkSession (local[2]):
  ge_default      GE 1.24 validation, default result format (SUMMARY, 20 partial unexpected values)
  ge_tuned        GE with partial_unexpected_count=0 (the fastest GE setting measured in the notes)
  ge_row_level    GE COMPLETE + unexpected_index_column_names=["id"] (how GE gives the failing rows)
  baton_verdict   Baton's gate (quality.gate.evaluate, default evaluator) and the verdict's row counts
  baton_split     the same plus the quarantine split (passing and quarantined rows, fully computed)
  single_pass     one hand-written df.agg computing the same metrics (exact distinct counts included)
Suites: 14 expectations (3 of them uniqueness checks) and the same without those 3, on synthetic rows
like those of ../shared/notes/great-expectations-on-spark.md; then the flights Conform output with
its suite (flights_validate). Reports wall and CPU seconds (Python + JVM), Spark jobs, SQL executions
and the JVM's resident memory; the ratios come last. ``--record`` appends the tables to
docs/benchmarks.md. Nothing here asserts on time: targets are printed as met or not.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from baton.spark import get_spark
from conf.settings import SparkSettings
from quality.gate import GreatExpectationsEvaluator, evaluate
from quality.spark_metrics import measure
from quality.suite import Suite, suite_from_dict

ROOT = Path(__file__).resolve().parents[1]
UNIQUENESS = ("id_unique", "category_distinct", "category_email_unique")


# -- data and suites ---------------------------------------------------------------------------
def synthetic(spark: SparkSession, rows: int, path: Path) -> None:
    """id unique; amount 1% null and 40 rows at -1.0; 20 categories; a timestamp; 20 bad emails."""
    df = spark.range(rows).select(
        F.col("id"),
        F.when(F.col("id") % 100 == 7, None)
         .when(F.col("id") % (rows // 40) == 3, F.lit(-1.0))
         .otherwise(F.round((F.col("id") * 7919 % 1_000_000) / 100.0, 2)).alias("amount"),
        F.format_string("cat_%02d", (F.col("id") % 20).cast("int")).alias("category"),
        F.timestamp_seconds(F.lit(1_700_000_000) + F.col("id")).alias("ts"),
        F.when(F.col("id") % (rows // 20) == 5, F.concat(F.lit("bad_email_"), F.col("id")))
         .otherwise(F.concat(F.lit("user"), F.col("id"), F.lit("@example.com"))).alias("email"),
    )
    df.repartition(4).write.mode("overwrite").parquet(str(path))


def synthetic_suite(rows: int, with_uniqueness: bool) -> Suite:
    def exp(name: str, kind: str, **kwargs: Any) -> dict:
        return {"type": kind, "kwargs": kwargs, "meta": {"baton": {"name": name}}}

    expectations = [
        exp("row_count", "expect_table_row_count_to_be_between",
            min_value=int(rows * 0.95), max_value=int(rows * 1.05)),
        exp("columns", "expect_table_columns_to_match_set", column_set=["id", "amount", "category", "ts", "email"]),
        exp("id_present", "expect_column_values_to_not_be_null", column="id"),
        exp("ts_present", "expect_column_values_to_not_be_null", column="ts"),
        exp("amount_present", "expect_column_values_to_not_be_null", column="amount", mostly=0.98),
        exp("id_unique", "expect_column_values_to_be_unique", column="id"),
        exp("amount_range", "expect_column_values_to_be_between", column="amount", min_value=0, max_value=10_000),
        exp("amount_mean", "expect_column_mean_to_be_between", column="amount", min_value=4000, max_value=6000),
        exp("category_set", "expect_column_values_to_be_in_set", column="category",
            value_set=[f"cat_{i:02d}" for i in range(20)]),
        exp("category_distinct", "expect_column_proportion_of_unique_values_to_be_between", column="category",
            min_value=0, max_value=0.001),
        exp("email_format", "expect_column_values_to_match_regex", column="email", regex=r"^[a-z0-9]+@example\.com$"),
        exp("email_length", "expect_column_value_lengths_to_be_between", column="email", min_value=5, max_value=64),
        exp("ts_max", "expect_column_max_to_be_between", column="ts", min_value="2023-01-01T00:00:00",
            max_value="2030-01-01T00:00:00"),
        exp("category_email_unique", "expect_compound_columns_to_be_unique", column_list=["category", "email"]),
    ]
    if not with_uniqueness:
        expectations = [e for e in expectations if e["meta"]["baton"]["name"] not in UNIQUENESS]
    name = "synthetic" if with_uniqueness else "synthetic_no_unique"
    return suite_from_dict({"name": name, "expectations": expectations, "meta": {"baton": {"tolerance": 0.05}}})


def single_pass(df: DataFrame, with_uniqueness: bool) -> list:
    """The same metrics as the synthetic suite, written by hand as one aggregation."""
    amount, email = F.col("amount"), F.col("email")
    metrics = [
        F.count(F.lit(1)), F.count_if(F.col("id").isNull()), F.count_if(F.col("ts").isNull()),
        F.count_if(amount.isNull()), F.count_if(amount.isNotNull() & ((amount < 0) | (amount > 10_000))),
        F.avg(amount), F.count_if(F.col("category").isNotNull() & ~F.col("category").isin(
            *[f"cat_{i:02d}" for i in range(20)])),
        F.count_if(email.isNotNull() & ~email.rlike(r"^[a-z0-9]+@example\.com$")),
        F.count_if(email.isNotNull() & ((F.length(email) < 5) | (F.length(email) > 64))), F.max("ts"),
    ]
    if with_uniqueness:
        metrics += [F.count_distinct("id"), F.count_distinct("category"), F.count_distinct("category", "email")]
    return df.agg(*metrics).collect()


# -- measuring ---------------------------------------------------------------------------------
@dataclass
class Measure:
    wall: float
    cpu: float
    jobs: int
    sql: int
    jvm_rss_mb: float


class Meter:
    """Wall, CPU (this process and the JVM), Spark jobs and SQL executions of one call."""

    def __init__(self, spark: SparkSession):
        self.spark = spark
        self.sc = spark.sparkContext
        self.jvm_pid = int(self.sc._jvm.ProcessHandle.current().pid())

    def jvm_cpu(self) -> float:
        fields = Path(f"/proc/{self.jvm_pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def jvm_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.jvm_pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def run(self, call: Callable[[], Any]) -> Measure:
        cpu_before = self.jvm_cpu() + time.process_time()
        with measure(self.spark) as cost:  # the gate's own job and SQL execution counter
            started = time.perf_counter()
            call()
            wall = time.perf_counter() - started
        cpu = self.jvm_cpu() + time.process_time() - cpu_before
        return Measure(wall, cpu, cost.spark_jobs, cost.sql_executions, self.jvm_rss_mb())


def contenders(suite: Suite, parameters: dict, with_uniqueness: bool | None) -> dict[str, Callable]:
    ge = {"ge_default": GreatExpectationsEvaluator({"result_format": "SUMMARY"}),
          "ge_tuned": GreatExpectationsEvaluator({"result_format": "SUMMARY", "partial_unexpected_count": 0}),
          "ge_row_level": GreatExpectationsEvaluator({"result_format": "COMPLETE",
                                                      "unexpected_index_column_names": ["id"]})}
    calls: dict[str, Callable] = {name: (lambda df, e=e: e.validate(df, suite, parameters)) for name, e in ge.items()}

    def verdict(df: DataFrame) -> None:
        result = evaluate(df, suite, parameters)
        result.row_counts()
        result.release()

    def split(df: DataFrame) -> None:
        result = evaluate(df, suite, parameters, storage_level=StorageLevel.MEMORY_AND_DISK)
        result.row_counts()
        result.passing().write.format("noop").mode("overwrite").save()
        result.quarantined().write.format("noop").mode("overwrite").save()
        result.release()

    calls |= {"baton_verdict": verdict, "baton_split": split}
    if with_uniqueness is not None:
        calls["single_pass"] = lambda df: single_pass(df, with_uniqueness)
    return calls


def bench(meter: Meter, read: Callable[[], DataFrame], calls: dict[str, Callable], repeats: int) -> dict:
    results: dict[str, list[Measure]] = {name: [] for name in calls}
    for call in calls.values():  # warm-up: imports, JIT, GE's first context; not measured
        call(read())
    for _ in range(repeats):
        for name, call in calls.items():  # interleaved, so load changes hit every contender alike
            results[name].append(meter.run(lambda c=call: c(read())))
    return {name: Measure(statistics.median(m.wall for m in runs), statistics.median(m.cpu for m in runs),
                          runs[-1].jobs, runs[-1].sql, max(m.jvm_rss_mb for m in runs))
            for name, runs in results.items()}


# -- reporting ---------------------------------------------------------------------------------
def table(title: str, results: dict[str, Measure]) -> list[str]:
    lines = [f"#### {title}", "", "| contender | wall s | CPU s | Spark jobs | SQL executions | JVM RSS MB |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {name} | {m.wall:.2f} | {m.cpu:.2f} | {m.jobs} | {m.sql} | {m.jvm_rss_mb:.0f} |"
              for name, m in results.items()]
    return lines + [""]


def ratios(label: str, r: dict[str, Measure]) -> list[str]:
    lines = []
    split_vs_rows = r["ge_row_level"].wall / r["baton_split"].wall
    ge_vs_verdict = r["ge_default"].wall / r["baton_verdict"].wall
    lines.append(f"{label}: GE default / Baton verdict = {ge_vs_verdict:.2f}x (target >= 3: "
                 f"{'met' if ge_vs_verdict >= 3 else 'NOT met'})")
    if "single_pass" in r:
        verdict_vs_pass = r["baton_verdict"].wall / r["single_pass"].wall
        lines.append(f"{label}: Baton verdict / single pass = {verdict_vs_pass:.2f}x (target <= 1.2: "
                     f"{'met' if verdict_vs_pass <= 1.2 else 'NOT met'})")
    lines.append(f"{label}: GE row-level / Baton verdict+split = {split_vs_rows:.2f}x (target >= 8: "
                 f"{'met' if split_vs_rows >= 8 else 'NOT met'})")
    return lines


def flights_conform(spark: SparkSession, workdir: Path) -> tuple[Callable[[], DataFrame], dict]:
    """Run Ingest and Conform of the flights jobs once; return a reader of conformed flights and the parameters."""
    from domains.flights import SOURCES, reference_parameters
    from jobs import flights_conform as conform
    from jobs import flights_ingest as ingest

    common = ["job", "--execution-id", "bench", "--workflow-bucket", str(workdir), "--initial-data", "{}"]
    for source in SOURCES:
        ingest.main([*common, "--current-stage", "Ingest", "--source", source])
    conform.main([*common, "--current-stage", "Conform", "--previous-stage", "Ingest"])
    base = workdir / "executions" / "bench" / "Conform" / "output"
    parameters = reference_parameters(*(spark.read.parquet(str(base / t)) for t in ("airports", "planes", "airlines")))
    return (lambda: spark.read.parquet(str(base / "flights"))), parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-flights", action="store_true")
    parser.add_argument("--record", action="store_true", help="append the results to docs/benchmarks.md")
    args = parser.parse_args(argv)

    spark = get_spark("baton-bench-gate", SparkSettings(master="local[2]", shuffle_partitions=4, driver_memory="4g"))
    meter = Meter(spark)
    lines = [f"### Quality gate (`python benchmarks/gate.py --rows {args.rows} --repeats {args.repeats}`)", "",
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.platform()}, {os.cpu_count()} CPUs; "
             f"Python {platform.python_version()}; Spark {spark.version}; local[2], 4 shuffle partitions; "
             f"medians of {args.repeats} interleaved runs.", ""]
    summary = []
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
        data = Path(tmp) / "synthetic"
        synthetic(spark, args.rows, data)
        for with_uniqueness in (True, False):
            suite = synthetic_suite(args.rows, with_uniqueness)
            label = f"{args.rows:,} rows, {len(suite.expectations)} expectations"
            results = bench(meter, lambda: spark.read.parquet(str(data)), contenders(suite, {}, with_uniqueness),
                            args.repeats)
            lines += table(label, results)
            summary += ratios(label, results)
        if not args.skip_flights:
            read, parameters = flights_conform(spark, Path(tmp) / "flights")
            from quality.checkpoint import load

            suite = load("flights_validate")
            results = bench(meter, read, contenders(suite, parameters, None), args.repeats)
            label = f"flights Conform output, {len(suite.expectations)} expectations"
            lines += table(label, results)
            summary += ratios(label, results)
    lines += [f"peak Python RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", "", "```",
              *summary, "```", ""]
    if args.record:
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + "\n".join(lines))
    print("\n".join(lines[:-len(summary) - 3]))
    print("\n".join(summary))  # the ratios, last
    return 0


if __name__ == "__main__":
    sys.exit(main())
