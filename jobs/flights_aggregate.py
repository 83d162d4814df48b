"""On-time performance marts: by route (carrier, origin, destination, weather) and by carrier, per month.

    spark-submit jobs/flights_aggregate.py --execution-id demo-1 --current-stage Aggregate \\
        --previous-stage Enrich --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.flights import MARTS
from transforms import flights as t


def aggregate(ctx: StageContext) -> None:
    flights = ctx.read("flights")
    for table, keys in MARTS.items():
        ctx.write(table, flights.transform(t.on_time_performance(keys)))


SPEC = JobSpec(name="flights_aggregate", body=aggregate, description="on-time performance marts")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
