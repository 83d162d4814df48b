"""Bad input: each case names the file, stage and column, and leaves committed outputs untouched."""

import subprocess
import sys
from pathlib import Path

import pytest

from baton import paths
from baton.errors import ArgumentError, BadInputError, EmptyInputError, InvalidNameError, MissingInputError
from jobs import flights_conform, flights_ingest

ROOT = Path(__file__).resolve().parents[1]
HEADER = "carrier,name\n"


def ingest(raw: Path, bucket: Path, source="airlines", execution="bad-1"):
    return flights_ingest.main([
        "flights_ingest.py", "--execution-id", execution, "--current-stage", "Ingest",
        "--workflow-bucket", str(bucket), "--initial-data", f'{{"rawPath": "{raw}"}}', "--source", source])


@pytest.fixture
def committed(tmp_path):
    """A workflow bucket where Ingest already committed a good airlines table; returns a snapshot fn."""
    good = tmp_path / "good"
    good.mkdir()
    (good / "airlines.csv").write_text(HEADER + "AA,American Airlines Inc.\nUA,United Air Lines Inc.\n")
    bucket = tmp_path / "wf"
    ingest(good, bucket)
    out = bucket / paths.StagePaths("bad-1", "Ingest").output("airlines")

    def snapshot():
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())}

    return bucket, snapshot


def write_raw(tmp_path: Path, name: str, text: str) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / name).write_text(text)
    return raw


def test_malformed_line_names_file_stage_and_column(tmp_path, committed):
    bucket, snapshot = committed
    before = snapshot()
    raw = write_raw(tmp_path, "airlines.csv", HEADER + 'AA,American\nUA,"United, "Air" Lines",extra\n')
    with pytest.raises(BadInputError) as err:
        ingest(raw, bucket)
    message = str(err.value)
    assert "stage Ingest" in message and "airlines.csv" in message and "malformed line" in message
    assert err.value.column == "name"
    assert snapshot() == before
    staging = bucket / paths.StagePaths("bad-1", "Ingest").staging_root
    assert not [p for p in staging.rglob("*.parquet") if "airlines" in p.parts], "the refused write was left staged"


def test_missing_column_is_named(tmp_path, committed):
    bucket, snapshot = committed
    before = snapshot()
    raw = write_raw(tmp_path, "airlines.csv", "carrier,title\nAA,American\n")
    with pytest.raises(BadInputError, match=r"missing column\(s\) \['name'\]") as err:
        ingest(raw, bucket)
    assert err.value.column == "name" and err.value.stage == "Ingest" and "airlines.csv" in err.value.path
    assert snapshot() == before


def test_wrong_type_is_named(tmp_path, committed):
    bucket, _ = committed
    header = "faa,name,lat,lon,alt,tz,dst,tzone\n"
    raw = write_raw(tmp_path, "airports.csv",
                    header + "JFK,John F Kennedy Intl,40.63,-73.77,13,-5,A,America/New_York\n"
                             "EWR,Newark,forty,-74.16,18,-5,A,America/New_York\n")
    with pytest.raises(BadInputError, match="'forty' is not of type double") as err:
        ingest(raw, bucket, source="airports")
    assert err.value.column == "lat" and "airports.csv" in err.value.path
    assert not (bucket / paths.StagePaths("bad-1", "Ingest").output("airports") / "_SUCCESS").exists()


@pytest.mark.parametrize("content", ["", HEADER])
def test_empty_input_is_refused(tmp_path, committed, content):
    bucket, snapshot = committed
    before = snapshot()
    raw = write_raw(tmp_path, "airlines.csv", content)
    with pytest.raises(EmptyInputError) as err:
        ingest(raw, bucket)
    assert err.value.stage == "Ingest" and "airlines.csv" in err.value.path
    assert snapshot() == before


def test_no_input_file_is_refused(tmp_path, committed):
    bucket, _ = committed
    (tmp_path / "nothing").mkdir()
    with pytest.raises(EmptyInputError, match="no input files"):
        ingest(tmp_path / "nothing", bucket)


def test_missing_previous_output_is_refused(tmp_path):
    with pytest.raises(MissingInputError, match="does not exist") as err:
        flights_conform.main(["c.py", "--execution-id", "bad-2", "--current-stage", "Conform",
                              "--previous-stage", "Ingest", "--workflow-bucket", str(tmp_path)])
    assert err.value.stage == "Conform" and err.value.path.endswith("Ingest/output/flights/_SUCCESS")


def test_partial_previous_output_is_refused(tmp_path, committed):
    bucket, _ = committed
    partial = bucket / paths.StagePaths("bad-1", "Ingest").output("flights")
    partial.mkdir(parents=True)
    (partial / "part-00000.snappy.parquet").write_bytes(b"PAR1 cut short by a crash")
    with pytest.raises(MissingInputError, match="flights/ of stage Ingest is partial"):
        flights_conform.main(["c.py", "--execution-id", "bad-1", "--current-stage", "Conform",
                              "--previous-stage", "Ingest", "--workflow-bucket", str(bucket)])


@pytest.mark.parametrize(("flag", "value", "error"), [
    ("--execution-id", "../escape", InvalidNameError), ("--current-stage", "In/gest", InvalidNameError),
    ("--source", "nope", ArgumentError)])
def test_invalid_ids_stage_names_and_sources(tmp_path, flag, value, error):
    args = ["i.py", "--execution-id", "ok-1", "--current-stage", "Ingest", "--workflow-bucket", str(tmp_path),
            "--source", "airlines"]
    args[args.index(flag) + 1] = value
    with pytest.raises(error):
        flights_ingest.main(args)
    assert not (tmp_path / "executions").exists() or not any((tmp_path / "executions").rglob("_SUCCESS"))


@pytest.mark.slow
def test_a_bad_input_exits_non_zero_with_the_error_on_stderr(tmp_path):
    raw = write_raw(tmp_path, "airlines.csv", "carrier\nAA\n")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "jobs" / "flights_ingest.py"), "--execution-id", "bad-3",
         "--current-stage", "Ingest", "--workflow-bucket", str(tmp_path / "wf"),
         "--initial-data", f'{{"rawPath": "{raw}"}}', "--source", "airlines"],
        capture_output=True, text=True, timeout=300, env={"SPARK_LOCAL_IP": "127.0.0.1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "stage Ingest" in proc.stderr and "column name" in proc.stderr and "missing column" in proc.stderr
