"""The generated ASL: valid (statelint), complete (Retry/Catch everywhere), and as the issue describes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.generate import (
    EMR_ADD_STEP_SYNC,
    GLUE_SYNC,
    S3_GET_OBJECT,
    SNS_PUBLISH,
    Deployment,
    ExpressNotAllowed,
    generate,
    to_json,
)
from orchestration.pipelines import FLIGHTS

STATELINT = Path(sys.executable).parent / "statelint"
DEPLOYMENTS = [Deployment("s3://baton-prod-workflow"), Deployment("s3://baton-dev/team/flights", "j-1ABC"),
               Deployment("/tmp/baton workflow")]


def all_states(states: dict):
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from all_states(branch["States"])


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=["s3", "s3-prefix", "local"])
def test_statelint_accepts_every_generated_definition(tmp_path, deployment):
    path = tmp_path / "flights.asl.json"
    path.write_text(to_json(generate(FLIGHTS, deployment)))
    proc = subprocess.run([str(STATELINT), str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_statelint_catches_a_broken_definition(tmp_path):
    definition = generate(FLIGHTS, DEPLOYMENTS[0])
    definition["States"]["Conform"]["Next"] = "NoSuchState"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(definition))
    assert subprocess.run([str(STATELINT), str(path)], capture_output=True, timeout=60).returncode != 0


def test_flights_has_both_engines_parallel_verdict_and_resume():
    states = generate(FLIGHTS, DEPLOYMENTS[0])["States"]
    resources = {s.get("Resource") for _, s in all_states(states)}
    assert {GLUE_SYNC, EMR_ADD_STEP_SYNC, S3_GET_OBJECT, SNS_PUBLISH} <= resources
    assert states["IngestCsv"]["Type"] == "Parallel" and len(states["IngestCsv"]["Branches"]) == 5
    assert states["Validate"]["Resource"] == EMR_ADD_STEP_SYNC
    verdict = states["ValidateVerdict"]
    assert [c["Next"] for c in verdict["Choices"]] == ["ValidatePassed", "Correct"]
    assert verdict["Default"] == "ValidateQualityFailed"
    assert states["DataQualityFailed"] == states["DataQualityFailed"] | {"Type": "Fail", "Error": "DataQualityFailed"}
    resume = [c["Next"] for c in states["Resume"]["Choices"]]
    assert resume == ["Conform", "Validate", "Correct", "Enrich", "Aggregate", "Load"]
    formats = [c["Next"] for c in states["IngestFormat"]["Choices"]]
    assert formats == ["IngestCsv", "IngestJson", "IngestParquet"]


def test_every_task_retries_and_every_top_level_task_is_caught():
    states = generate(FLIGHTS, DEPLOYMENTS[0])["States"]
    for name, state in all_states(states):
        if state["Type"] == "Task":
            assert state["Retry"] and state["Retry"][0]["ErrorEquals"] == ["States.ALL"], name
            assert state["TimeoutSeconds"] > 0, name
    for name, state in states.items():
        if state["Type"] in ("Task", "Parallel"):
            catch = state["Catch"][0]
            assert catch["ErrorEquals"] == ["States.ALL"], name
            assert catch["Next"] in (f"{name}Caught", "Failed", "DataQualityFailed"), name


def test_glue_waits_five_minutes_before_a_retry_and_other_tasks_twenty_seconds():
    states = generate(FLIGHTS, DEPLOYMENTS[0])["States"]
    assert states["Conform"]["Retry"] == [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 300, "MaxAttempts": 2,
                                           "BackoffRate": 2.0}]
    assert states["Validate"]["Retry"][0]["IntervalSeconds"] == 20


def test_jobs_get_the_contract_arguments():
    states = generate(FLIGHTS, DEPLOYMENTS[1])["States"]
    args = states["Conform"]["Parameters"]["Arguments"]
    assert args == {"--execution-id.$": "$.execution.id", "--initial-data.$": "States.JsonToString($.initialData)",
                    "--current-stage": "Conform", "--workflow-bucket": "s3://baton-dev/team/flights",
                    "--previous-stage": "Ingest"}
    assert states["Enrich"]["Parameters"]["Step"]["HadoopJarStep"]["Jar"] == "command-runner.jar"
    step_args = states["Enrich"]["Parameters"]["Step"]["HadoopJarStep"]["Args.$"]
    assert "'--previous-stage', $.gated.Validate" in step_args and "jobs/flights_enrich.py" in step_args
    assert states["ReadValidateVerdict"]["Parameters"]["Bucket"] == "baton-dev"
    assert states["ReadValidateVerdict"]["Parameters"]["Key.$"].startswith("States.Format('team/flights/executions/")


def test_results_are_kept_small():
    for name, state in all_states(generate(FLIGHTS, DEPLOYMENTS[0])["States"]):
        if state["Type"] == "Task":
            assert "ResultSelector" in state or state["Resource"] == SNS_PUBLISH, name


def test_express_is_refused_for_sync_tasks():
    with pytest.raises(ExpressNotAllowed, match="Express runs only request-response tasks.*Conform"):
        generate(FLIGHTS, DEPLOYMENTS[0], workflow_type="express")
