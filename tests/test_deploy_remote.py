"""``baton start|status|history|list|resume|redrive|upload --env ENV`` against moto's server in this process
on 127.0.0.1: the names and input the stacks expect, the shapes the local commands print."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
import requests
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from orchestration import cli
from orchestration.deploy.pipeline_stack import ALERT_TOPIC_ARN, deployed_definition
from orchestration.deploy.remote import redrive, state_machine_arn
from orchestration.deploy.settings import load as load_settings
from orchestration.pipelines import FLIGHTS
from quality.verdict import Verdict


@pytest.fixture(scope="module")
def moto_server():
    """moto's server in this process, on 127.0.0.1; the CLI's boto3 clients reach it by AWS_ENDPOINT_URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_ENDPOINT_URL", moto_server),
                        ("MOTO_ACCOUNT_ID", load_settings("prod").account)):  # the account conf deploys to
        monkeypatch.setenv(name, value)
    yield
    requests.post(f"{moto_server}/moto-api/reset", timeout=10)


def _deployed_flights(settings) -> None:
    """The state machine as the stack creates it: its name and the deployed definition."""
    definition = deployed_definition(FLIGHTS, settings).replace("${" + ALERT_TOPIC_ARN + "}",
                                                                settings.deployment.alert_topic)
    client = boto3.client("stepfunctions", region_name=settings.region)
    client.create_state_machine(name=f"{settings.name_prefix}-flights", definition=definition,
                                roleArn=f"arn:aws:iam::{settings.account}:role/baton-prod-flights-machine")


def test_start_runs_the_deployed_machine_with_the_input_a_local_run_gets(aws, capsys):
    settings = load_settings("prod")
    _deployed_flights(settings)
    code = cli.main(["--env", "prod", "start", "flights", "--execution-id", "flights-1", "--json",
                     "--input", json.dumps({"rawPath": "s3://baton-prod-workflow/raw/2026-12-05/"})])
    assert code == 0
    started = json.loads(capsys.readouterr().out)
    assert started["executionArn"].endswith(":execution:baton-prod-flights:flights-1")
    client = boto3.client("stepfunctions", region_name=settings.region)
    described = client.describe_execution(executionArn=started["executionArn"])
    assert described["stateMachineArn"] == state_machine_arn(settings, "flights")
    assert json.loads(described["input"]) == {"initialData": {"rawPath": "s3://baton-prod-workflow/raw/2026-12-05/"}}


def test_upload_puts_the_code_where_glue_and_emr_read_it(aws, tmp_path, capsys):
    settings = load_settings("prod")
    s3 = boto3.client("s3", region_name=settings.region)
    s3.create_bucket(Bucket=settings.artifacts_bucket)
    assert cli.main(["--env", "prod", "upload", "--staging", str(tmp_path / "code")]) == 0
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=settings.artifacts_bucket)["Contents"]}
    assert {"baton/baton-jobs.zip", "baton/jobs/flights_conform.py", "baton/jobs/tpch_load.py"} <= keys
    assert "uploaded" in capsys.readouterr().out


def _start(capsys, execution_id="flights-1") -> None:
    assert cli.main(["--env", "prod", "start", "flights", "--execution-id", execution_id, "--input", "{}"]) == 0
    capsys.readouterr()


def test_status_list_and_history_of_a_deployed_environment_read_aws(aws, capsys):
    settings = load_settings("prod")
    _deployed_flights(settings)
    _start(capsys)
    assert cli.main(["--env", "prod", "status", "flights-1", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert {k: record[k] for k in ("executionId", "pipeline", "status", "workflowBucket")} == {
        "executionId": "flights-1", "pipeline": "flights", "status": "RUNNING",
        "workflowBucket": "s3://baton-prod-workflow"}
    assert record["startDate"].endswith("Z")
    assert cli.main(["--env", "prod", "list"]) == 0
    assert capsys.readouterr().out.split()[:3] == ["flights-1", "flights", "RUNNING"]
    assert cli.main(["--env", "prod", "history", "flights-1", "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert events and all(isinstance(e["timestamp"], str) and e["timestamp"].endswith("Z") for e in events)


def test_status_of_an_unknown_execution_names_what_was_searched(aws, capsys):
    _deployed_flights(load_settings("prod"))
    assert cli.main(["--env", "prod", "status", "nope"]) == 2
    assert "error: execution nope: ExecutionDoesNotExist: not in any of ['flights', 'tpch']" in \
        capsys.readouterr().err


def test_redrive_asks_step_functions_to_redrive_the_named_execution():
    """moto has no RedriveExecution: botocore's Stubber checks the request against the service model."""
    settings = load_settings("prod")
    client = boto3.client("stepfunctions", region_name=settings.region, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    arn = "arn:aws:states:us-east-1:111122223333:execution:baton-prod-flights:flights-1"
    moment = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    with Stubber(client) as stub:
        stub.add_response("describe_execution", {
            "executionArn": arn, "stateMachineArn": state_machine_arn(settings, "flights"), "status": "FAILED",
            "startDate": moment}, {"executionArn": arn})
        stub.add_response("redrive_execution", {"redriveDate": moment}, {"executionArn": arn})
        assert redrive(settings, "flights-1", client) == {"executionArn": arn, "redriveDate": "2026-12-05T12:00:00Z"}


def _commit(s3, bucket: str, execution: str, stage: str, verdict: dict | None = None) -> None:
    """A committed stage output in the workflow bucket, as a job leaves it."""
    s3.put_object(Bucket=bucket, Key=f"executions/{execution}/{stage}/output/data/_SUCCESS", Body=b"")
    if verdict is not None:
        s3.put_object(Bucket=bucket, Key=f"executions/{execution}/{stage}/quality/verdict.json",
                      Body=json.dumps(verdict).encode())


def test_resume_starts_a_new_execution_that_reenters_the_original_at_the_stage(aws, capsys):
    settings = load_settings("prod")
    _deployed_flights(settings)
    _start(capsys)
    s3 = boto3.client("s3", region_name=settings.region)
    s3.create_bucket(Bucket=settings.workflow_bucket)
    passed = Verdict(passed=True, correctable=False, rows=1, failed_rows=0, correctable_rows=0,
                     failed_expectations=(), reason="all datasets passed their suites")
    _commit(s3, settings.workflow_bucket, "flights-1", "Validate", passed.to_json())
    assert cli.main(["--env", "prod", "resume", "flights-1", "--from", "Enrich", "--json"]) == 0
    started = json.loads(capsys.readouterr().out)
    assert started["executionId"] == "flights-1" and started["name"].startswith("flights-1-Enrich-")
    client = boto3.client("stepfunctions", region_name=settings.region)
    described = client.describe_execution(executionArn=started["executionArn"])
    assert json.loads(described["input"]) == {"initialData": {}, "execution": {"id": "flights-1"},
                                              "resumeFromStage": "Enrich", "gated": {"Validate": "Validate"}}


def test_resume_refuses_a_stage_whose_input_is_not_committed(aws, capsys):
    settings = load_settings("prod")
    _deployed_flights(settings)
    _start(capsys)
    boto3.client("s3", region_name=settings.region).create_bucket(Bucket=settings.workflow_bucket)
    assert cli.main(["--env", "prod", "resume", "flights-1", "--from", "Aggregate"]) == 2
    assert "cannot resume Aggregate: stage Enrich of execution 'flights-1' has no committed output" in (
        capsys.readouterr().err)
