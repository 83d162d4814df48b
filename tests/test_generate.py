"""The generated ASL: valid (statelint), complete (Retry/Catch everywhere), and as the issue describes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from deployments import deployment

from orchestration.generate import ExpressNotAllowed, generate, to_json
from orchestration.pipeline import GLUE_RETRY, RetryPolicy
from orchestration.pipeline_states import EMR_ADD_STEP_SYNC, GLUE_SYNC, S3_GET_OBJECT, SNS_PUBLISH
from orchestration.pipelines import FLIGHTS, PIPELINES

STATELINT = Path(sys.executable).parent / "statelint"
DEPLOYMENTS = [deployment("s3://baton-prod-workflow"),
               deployment("s3://baton-dev/team/flights", emr_cluster_id="j-1ABC"), deployment("/tmp/baton workflow")]


def all_states(states: dict):
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from all_states(branch["States"])


def statelint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(STATELINT), *map(str, paths)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=["s3", "s3-prefix", "local"])
def test_statelint_accepts_every_generated_definition(tmp_path, deployment):
    """Every declared pipeline, as Standard and, where it is allowed, as Express."""
    paths, refused = [], []
    for name, pipeline in PIPELINES.items():
        for workflow_type in ("standard", "express"):
            try:
                definition = generate(pipeline, deployment, workflow_type)
            except ExpressNotAllowed:
                refused.append(name)
                continue
            paths.append(tmp_path / f"{name}.{workflow_type}.asl.json")
            paths[-1].write_text(to_json(definition))
    assert len(paths) + len(refused) == 2 * len(PIPELINES) and len(paths) >= len(PIPELINES)
    proc = statelint(*paths)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_statelint_catches_a_broken_definition(tmp_path):
    definition = generate(FLIGHTS, DEPLOYMENTS[0])
    definition["States"]["Conform"]["Next"] = "NoSuchState"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(definition))
    assert statelint(path).returncode != 0


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


@pytest.mark.parametrize("pipeline", PIPELINES.values(), ids=list(PIPELINES))
def test_every_task_retries_and_every_top_level_task_is_caught(pipeline):
    states = generate(pipeline, DEPLOYMENTS[0])["States"]
    for name, state in all_states(states):
        if state["Type"] == "Task":
            assert state["Retry"] and state["Retry"][-1]["ErrorEquals"] == ["States.ALL"], name
            assert state["TimeoutSeconds"] > 0, name
    for name, state in states.items():
        if state["Type"] in ("Task", "Parallel"):
            catch = state["Catch"][0]
            assert catch["ErrorEquals"] == ["States.ALL"], name
            assert catch["Next"] in (f"{name}Caught", "Failed", "DataQualityFailed"), name


NEVER_RETRIED = {"ErrorEquals": ["ArgumentError", "BadInputError", "EmptyInputError", "InvalidNameError",
                                  "MissingInputError"], "MaxAttempts": 0}


def test_glue_waits_five_minutes_before_a_retry_and_other_tasks_twenty_seconds():
    states = generate(FLIGHTS, DEPLOYMENTS[0])["States"]
    assert states["Conform"]["Retry"] == [NEVER_RETRIED, {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 300,
                                                          "MaxAttempts": 2, "BackoffRate": 2.0}]
    assert states["Validate"]["Retry"][-1]["IntervalSeconds"] == 20
    assert states["ReadValidateVerdict"]["Retry"] == [RetryPolicy().to_asl()]


@pytest.mark.parametrize("pipeline", PIPELINES.values(), ids=list(PIPELINES))
def test_one_retry_layer_the_ingest_branches_retry_as_glue_jobs_and_the_parallel_not(pipeline):
    states = generate(pipeline, DEPLOYMENTS[0])["States"]
    parallels = [s for s in states.values() if s["Type"] == "Parallel"]
    assert parallels
    for parallel in parallels:
        assert "Retry" not in parallel
        for branch in parallel["Branches"]:
            for name, task in branch["States"].items():
                assert task["Retry"] == GLUE_RETRY.job_retry(), name
    for name, state in all_states(states):
        if state["Type"] == "Task" and state["Resource"] in (GLUE_SYNC, EMR_ADD_STEP_SYNC):
            assert state["Retry"][0] == NEVER_RETRIED, name


def test_jobs_get_the_contract_arguments():
    states = generate(FLIGHTS, DEPLOYMENTS[1])["States"]
    args = states["Conform"]["Parameters"]["Arguments"]
    assert args == {"--execution-id.$": "$.execution.id", "--initial-data.$": "States.JsonToString($.initialData)",
                    "--current-stage": "Conform", "--workflow-bucket": "s3://baton-dev/team/flights",
                    "--warehouse": "warehouse", "--previous-stage": "Ingest"}
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
