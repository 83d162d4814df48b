"""Load the on-time performance marts into the warehouse, partitioned by year and month.

Only the partitions this execution produced are replaced; others stay as they are.

    spark-submit jobs/flights_load.py --execution-id demo-1 --current-stage Load \\
        --previous-stage Aggregate --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.flights import MARTS, PARTITION_BY


def load(ctx: StageContext) -> None:
    for table in MARTS:
        ctx.publish(table, ctx.read(table), PARTITION_BY)


SPEC = JobSpec(name="flights_load", body=load, description="warehouse tables, partition overwrite")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
