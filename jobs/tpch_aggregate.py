"""TPC-H revenue marts, per order year: by month, by nation, by order priority and by ship mode.

Revenue is the exact ``decimal`` sum of ``l_extendedprice * (1 - l_discount)`` (see transforms/tpch.py).

    spark-submit jobs/tpch_aggregate.py --execution-id demo-1 --current-stage Aggregate \\
        --previous-stage Denormalize --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from baton.stage import JobSpec, StageContext, main_entry, run_stage
from jobs.tpch_denormalize import DATASET
from transforms import tpch as t

MARTS = {"revenue_by_month": t.MONTH_KEYS, "revenue_by_nation": t.NATION_KEYS,
         "revenue_by_priority": t.PRIORITY_KEYS, "revenue_by_ship_mode": t.SHIP_MODE_KEYS}


def aggregate(ctx: StageContext) -> None:
    sales = ctx.read(DATASET)
    for table, keys in MARTS.items():
        ctx.write(table, sales.transform(t.revenue_mart(keys)))


SPEC = JobSpec(name="tpch_aggregate", body=aggregate, description="TPC-H revenue marts")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
