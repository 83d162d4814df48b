"""Gate the conformed TPC-H tables with their Great Expectations suites.

Each table is evaluated against ``quality/suites/tpch_validate_<table>.json``: keys present and unique,
foreign keys known, dates in order, quantities, discounts and prices in TPC-H's ranges. Passing rows go to
``output/``, failing rows to ``quarantine/`` with the expectations they failed, GE's validation results and
Data Docs to ``quality/``, and the stage's verdict to ``quality/verdict.json``.

Referential integrity is a join, not a value set: each foreign key gets a boolean column
``<key>_in_<parent>`` (true when the key is in the parent's *validated* output), and the suite expects it to be
true. A ``$PARAMETER`` value set would put every parent key into the Spark plan, into GE's validation result and
into its Data Docs page: 150,000 customer and 1.5 M order keys per scale factor. A broadcast join costs one
pass and a hash set of the keys; past ``BROADCAST_PARENT_ROWS`` parent rows, the table's keys that have no parent
are found first (one shuffle of distinct keys) and only they are joined. Spark drops either join from every GE
query that does not read the flag. The flags and the orphan report (counts and a sample of the keys without a
parent, in the verdict) are ``quality.references``'s, the shared helper any job can use. Tables are
gated parents first, so a row whose parent was quarantined is quarantined too, and the inner joins of
Denormalize lose nothing. The flags are the suite's, not the data's: the committed tables are without them, so a
table where no row failed is its Conform output unchanged (committed by copying its files, no rewrite).

    spark-submit jobs/tpch_validate.py --execution-id demo-1 --current-stage Validate \\
        --previous-stage Conform --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import DataFrame

from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.tpch import SUITES, TABLES
from quality import checkpoint
from quality.references import KeyReference, flag_known_keys, flag_unknown_keys, unknown_keys

# Parents with more rows are not broadcast for the referential checks (TPC-H SF10 has 15 M orders; a
# broadcast of their keys ran the 2 GiB local heap out of memory). SF10's 2 M parts are still broadcast.
BROADCAST_PARENT_ROWS = 2_000_000


REFERENCES: dict[str, tuple[KeyReference, ...]] = {
    "nation": (KeyReference("n_regionkey", "region", "r_regionkey"),),
    "supplier": (KeyReference("s_nationkey", "nation", "n_nationkey"),),
    "customer": (KeyReference("c_nationkey", "nation", "n_nationkey"),),
    "partsupp": (KeyReference("ps_partkey", "part", "p_partkey"), KeyReference("ps_suppkey", "supplier", "s_suppkey")),
    "orders": (KeyReference("o_custkey", "customer", "c_custkey"),),
    "lineitem": (KeyReference("l_orderkey", "orders", "o_orderkey"),),
}


def with_reference_flags(ctx: StageContext, table: str, df: DataFrame, persisted: list[DataFrame]) -> DataFrame:
    """``df`` with one flag per foreign key, checked against the parent this stage already committed.

    A parent of more than :data:`BROADCAST_PARENT_ROWS` rows (its commit manifest's count) is not
    broadcast: the keys of ``df`` without a parent are found first (one shuffle of each side's
    distinct keys), persisted and appended to ``persisted`` for the caller to release, and only
    those are joined.
    """
    for ref in REFERENCES.get(table, ()):
        parent = ctx.read(ref.parent, ctx.current_stage)
        if ctx.committed_manifest(ref.parent, ctx.current_stage)["rows"] > BROADCAST_PARENT_ROWS:
            unknown = df.transform(unknown_keys(parent, ref.key, ref.parent_key)).persist(
                StorageLevel.MEMORY_AND_DISK)
            persisted.append(unknown)
            unknown.count()
            df = df.transform(flag_unknown_keys(unknown, ref.key, ref.flag))
        else:
            df = df.transform(flag_known_keys(parent, ref.key, ref.parent_key, ref.flag))
    return df


def validate(ctx: StageContext) -> None:
    verdicts = {}
    for table in TABLES:  # parents first
        persisted: list[DataFrame] = []
        try:
            df = with_reference_flags(ctx, table, ctx.read(table), persisted)
            refs = REFERENCES.get(table, ())
            verdicts[table] = checkpoint.gate_dataset(
                ctx, table, df, checkpoint.load(SUITES[table]), drop=[ref.flag for ref in refs],
                references={ref: ctx.read(ref.parent, ctx.current_stage) for ref in refs}, pass_through=True)
        finally:
            for unknown in persisted:
                unknown.unpersist()
    checkpoint.write_stage_verdict(ctx, verdicts)


SPEC = JobSpec(name="tpch_validate", body=validate, description="GE suite gate of the TPC-H tables")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
