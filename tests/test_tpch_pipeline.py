"""`baton run tpch` at scale factor 0.01, checked against DuckDB on the same generated CSV files.

The revenue marts must equal an independent DuckDB computation exactly (decimal to decimal, per group), and
the Validate verdict must report every expectation of the suites; a second Validate run on seeded defects must
quarantine them, with their parents' children, under the names of the expectations they failed.
"""

import contextlib
import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from pyspark.sql import functions as F

from baton.stage import StageContext
from domains.tpch import MARTS, TABLES, generated_dir
from jobs import tpch_validate
from orchestration import cli
from quality import checkpoint

pytestmark = pytest.mark.slow
SCALE_FACTOR = 0.01
EXECUTION = "tpch-sf001"
MONEY = "DECIMAL(15,2)"
DUCKDB_TYPES = {"lineitem": {"l_quantity": MONEY, "l_extendedprice": MONEY, "l_discount": MONEY}}
DUCKDB_KEYS = {"revenue_by_month": "year(o_orderdate), month(o_orderdate)",
               "revenue_by_nation": "year(o_orderdate), n_name",
               "revenue_by_priority": "year(o_orderdate), o_orderpriority",
               "revenue_by_ship_mode": "year(o_orderdate), l_shipmode"}


@pytest.fixture(scope="module")
def run(tmp_path_factory, spark):
    """The workflow bucket of one `baton run tpch --json`, and the summary it printed."""
    root = tmp_path_factory.mktemp("tpch")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli.main(["--workflow-bucket", str(root), "run", "tpch", "--execution-id", EXECUTION, "--json",
                         "--input", json.dumps({"initialData": {"scaleFactor": SCALE_FACTOR}})])
    assert code == 0
    return root, json.loads(printed.getvalue())


@pytest.fixture(scope="module")
def bucket(run):
    return run[0]


@pytest.fixture(scope="module")
def raw(bucket):
    """DuckDB over the CSV files the run generated, with money read as exact decimals."""
    con = duckdb.connect()
    for table in TABLES:
        path = generated_dir(bucket, SCALE_FACTOR) / f"{table}.csv"
        types = DUCKDB_TYPES.get(table, {})
        con.execute(f"create view {table} as select * from read_csv('{path}', header = true, types = {types})")
    return con


def stage_file(bucket: Path, stage: str, *parts: str, execution: str = EXECUTION) -> dict:
    return json.loads((bucket / "executions" / execution / stage / Path(*parts)).read_text())


def count(raw, table: str, where: str = "true") -> int:
    return raw.execute(f"select count(*) from {table} where {where}").fetchone()[0]


def duckdb_mart(raw, table: str) -> dict[tuple, tuple]:
    rows = raw.execute(f"""
        select {DUCKDB_KEYS[table]}, count(distinct l_orderkey), count(*), sum(l_quantity),
               sum(l_extendedprice * (1 - l_discount))
        from lineitem join orders on l_orderkey = o_orderkey join customer on o_custkey = c_custkey
                      join nation on c_nationkey = n_nationkey
        group by all""").fetchall()
    return {tuple(r[:2]): tuple(r[2:]) for r in rows}


def warehouse_mart(bucket: Path, table: str) -> dict[tuple, tuple]:
    files = bucket / "warehouse" / table / "*" / "*.parquet"
    keys = ", ".join(MARTS[table])
    rows = duckdb.sql(f"select {keys}, orders, lines, quantity, revenue "
                      f"from read_parquet('{files}', hive_partitioning = true)").fetchall()
    return {tuple(r[:2]): tuple(r[2:]) for r in rows}


def test_the_run_succeeds_and_every_stage_commits(bucket, raw):
    record = json.loads((bucket / "executions" / EXECUTION / "_execution.json").read_text())
    assert record["status"] == "SUCCEEDED" and record["pipeline"] == "tpch"
    for table in TABLES:
        rows = count(raw, table)
        for stage in ("Ingest", "Conform", "Validate"):
            assert stage_file(bucket, stage, "output", table, "_manifest.json")["rows"] == rows, (stage, table)
    assert stage_file(bucket, "Denormalize", "output", "sales", "_manifest.json")["rows"] == count(raw, "lineitem")


def test_the_summary_counts_every_table_of_a_stage(run, raw):
    summary = run[1]
    stages = {s["stage"]: s for s in summary["stages"]}
    assert set(stages["Validate"]["datasets"]) == set(TABLES)
    assert stages["Validate"]["rowsOut"] == sum(count(raw, table) for table in TABLES)
    assert stages["Validate"]["rowsQuarantined"] == 0
    assert stages["Ingest orders"]["rowsOut"] == count(raw, "orders")
    assert set(stages["Ingest orders"]["datasets"]) == {"orders"}
    assert set(summary["quality"]["Validate"]["datasets"]) == set(TABLES)
    assert summary["quality"]["Validate"]["droppedRows"] == 0


@pytest.mark.parametrize("table", sorted(MARTS))
def test_marts_equal_duckdb_exactly(bucket, raw, table):
    loaded, expected = warehouse_mart(bucket, table), duckdb_mart(raw, table)
    assert loaded == expected
    revenue = [v[3] for v in loaded.values()]
    assert all(isinstance(r, Decimal) and r.as_tuple().exponent == -4 for r in revenue)
    assert sum(revenue) == raw.execute("select sum(l_extendedprice * (1 - l_discount)) from lineitem").fetchone()[0]


def test_marts_are_exact_decimals_partitioned_by_year(bucket, spark):
    mart = spark.read.parquet(str(bucket / "warehouse" / "revenue_by_nation"))
    assert mart.schema["revenue"].dataType.simpleString() == "decimal(28,4)"
    assert mart.schema["quantity"].dataType.simpleString() == "decimal(25,2)"
    loaded = stage_file(bucket, "Load", "output", "revenue_by_nation", "_manifest.json")
    assert loaded["partitions"] == [f"year={y}" for y in range(1992, 1999)]


def test_the_verdict_reports_every_expectation_of_the_suites(bucket, raw):
    verdict = stage_file(bucket, "Validate", "quality", "verdict.json")
    assert verdict["passed"] is True and verdict["failedRows"] == 0
    assert sorted(verdict["datasets"]) == sorted(TABLES)
    for table in TABLES:
        result = stage_file(bucket, "Validate", "quality", table, "validation_result.json")
        reported = {r["expectation_config"]["meta"]["baton"]["name"]: r for r in result["results"]}
        assert sorted(reported) == sorted(e.name for e in checkpoint.load(f"tpch_validate_{table}").expectations)
        failed = [n for n, r in reported.items() if not r["success"]]
        assert failed == (["delivered_by_commit_date"] if table == "lineitem" else []), table
        for ref in tpch_validate.REFERENCES.get(table, ()):  # every row's foreign key was looked up
            checked = reported[ref.flag]["result"]
            assert (checked["element_count"], checked["unexpected_count"]) == (count(raw, table), 0), ref
    late = count(raw, "lineitem", "l_receiptdate > l_commitdate")
    assert verdict["failedExpectations"] == [
        {"dataset": "lineitem", "name": "delivered_by_commit_date", "onFail": "warn", "unexpectedCount": late,
         "success": False, "type": "expect_column_pair_values_a_to_be_greater_than_b"}]


@pytest.mark.parametrize("parents", ["broadcast", "unknown keys"])
def test_validate_quarantines_seeded_defects_and_the_children_of_quarantined_parents(bucket, spark, parents,
                                                                                    monkeypatch):
    execution = f"tpch-defects-{parents.replace(' ', '-')}"
    if parents == "unknown keys":  # what SF10's 15 M orders take: no parent is broadcast
        monkeypatch.setattr(tpch_validate, "BROADCAST_PARENT_ROWS", 0)
    conform = StageContext(spark, {"execution-id": execution, "current-stage": "Conform",
                                   "workflow-bucket": str(bucket)}, "test")
    conformed = {table: spark.read.parquet(str(bucket / "executions" / EXECUTION / "Conform" / "output" / table))
                 for table in TABLES}
    orders, lineitem = conformed.pop("orders"), conformed.pop("lineitem")
    for table, df in conformed.items():
        conform.write(table, df)
    conform.write("orders", orders.withColumn(  # order 1: an unknown customer; order 2: listed twice
        "o_custkey", F.when(F.col("o_orderkey") == 1, 999_999).otherwise(F.col("o_custkey")))
        .unionByName(orders.filter("o_orderkey = 2")))
    conform.write("lineitem", lineitem.withColumn(  # order 3, line 1: received before shipped; line 2: discount 0.5
        "l_receiptdate", F.when((F.col("l_orderkey") == 3) & (F.col("l_linenumber") == 1),
                                F.col("l_shipdate") - timedelta(days=1)).otherwise(F.col("l_receiptdate")))
        .withColumn("l_discount", F.when((F.col("l_orderkey") == 3) & (F.col("l_linenumber") == 2),
                                         F.lit(Decimal("0.50"))).otherwise(F.col("l_discount"))))
    tpch_validate.main(["job", "--execution-id", execution, "--current-stage", "Validate", "--previous-stage",
                        "Conform", "--workflow-bucket", str(bucket), "--initial-data", "{}"])

    verdict = stage_file(bucket, "Validate", "quality", "verdict.json", execution=execution)
    failed = {(e["dataset"], e["name"]): e["unexpectedCount"] for e in verdict["failedExpectations"]}
    lines_of = {k: lineitem.filter(f"l_orderkey = {k}").count() for k in (1, 2)}
    assert failed[("orders", "o_custkey_in_customer")] == 1
    assert failed[("orders", "o_orderkey_unique")] == 2
    assert failed[("lineitem", "l_orderkey_in_orders")] == lines_of[1] + lines_of[2]
    assert failed[("lineitem", "received_after_shipped")] == 1
    assert failed[("lineitem", "l_discount_range")] == 1
    assert verdict["datasets"]["orders"]["failedRows"] == 3
    orphans = verdict["datasets"]["orders"]["orphans"]
    assert orphans == [{"column": "o_custkey", "parent": "customer", "parentColumn": "c_custkey", "orphanRows": 1,
                        "orphanKeys": 1, "sample": [{"key": 999_999, "rows": 1}]}]
    lines = verdict["datasets"]["lineitem"]["orphans"][0]
    assert (lines["orphanRows"], lines["orphanKeys"]) == (lines_of[1] + lines_of[2], 2)  # orders 1, 2 quarantined
    assert verdict["datasets"]["lineitem"]["failedRows"] == lines_of[1] + lines_of[2] + 2
    assert verdict["passed"] is True  # within the tolerance of 0.1% of orders and of lines
    quarantined = spark.read.parquet(
        str(bucket / "executions" / execution / "Validate" / "quarantine" / "lineitem"))
    reasons = {r._baton_reason for r in quarantined.select("_baton_reason").distinct().collect()}
    assert "l_orderkey not found in o_orderkey of the validated orders table" in reasons
