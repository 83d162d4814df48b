"""Enrich validated flights with the weather at departure, the plane and the destination airport.

Reads the gated stage's output (Validate, or Correct when corrections ran).

    spark-submit jobs/flights_enrich.py --execution-id demo-1 --current-stage Enrich \\
        --previous-stage Correct --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from baton.stage import JobSpec, StageContext, main_entry, run_stage
from transforms import flights as t


def enrich(ctx: StageContext) -> None:
    flights = ctx.read("flights")
    enriched = flights.transform(t.enrich_flights(ctx.read("weather"), ctx.read("planes"), ctx.read("airports")))
    ctx.write("flights", enriched)


SPEC = JobSpec(name="flights_enrich", body=enrich, description="flights joined with weather, planes, airports")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
