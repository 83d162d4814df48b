"""Denormalize validated TPC-H line items: each with its order, customer and nation, pruned to what the marts need.

    spark-submit jobs/tpch_denormalize.py --execution-id demo-1 --current-stage Denormalize \\
        --previous-stage Validate --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.tpch import SALES
from transforms import tpch as t


def denormalize(ctx: StageContext) -> None:
    sales = ctx.read("lineitem").transform(t.denormalize_sales(ctx.read("orders"), ctx.read("customer"),
                                                               ctx.read("nation")))
    ctx.write(SALES, sales)


SPEC = JobSpec(name="tpch_denormalize", body=denormalize, description="line items with order, customer, nation")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
