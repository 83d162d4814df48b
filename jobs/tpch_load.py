"""Load the TPC-H revenue marts into the warehouse, partitioned by order year.

Only the years this execution produced are replaced; others stay as they are.

    spark-submit jobs/tpch_load.py --execution-id demo-1 --current-stage Load \\
        --previous-stage Aggregate --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.tpch import MARTS, PARTITION_BY


def load(ctx: StageContext) -> None:
    for table in MARTS:
        ctx.publish(table, ctx.read(table), PARTITION_BY)


SPEC = JobSpec(name="tpch_load", body=load, description="warehouse revenue tables, partition overwrite by year")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
