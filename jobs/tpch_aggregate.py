"""TPC-H revenue marts, per order year: by month, by nation, by order priority and by ship mode.

Revenue is the exact ``decimal`` sum of ``l_extendedprice * (1 - l_discount)`` (see transforms/tpch.py).

    spark-submit jobs/tpch_aggregate.py --execution-id demo-1 --current-stage Aggregate \\
        --previous-stage Denormalize --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.tpch import MARTS, SALES
from transforms import tpch as t


def aggregate(ctx: StageContext) -> None:
    sales = ctx.read(SALES)
    for table, keys in MARTS.items():
        ctx.write(table, sales.transform(t.revenue_mart(keys)))


SPEC = JobSpec(name="tpch_aggregate", body=aggregate, description="TPC-H revenue marts")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
