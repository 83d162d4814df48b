"""``baton start`` and ``baton upload`` against moto (in-process): the names and input the stacks expect."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from orchestration import cli
from orchestration.deploy.pipeline_stack import ALERT_TOPIC_ARN, deployed_definition
from orchestration.deploy.remote import state_machine_arn
from orchestration.deploy.settings import load as load_settings
from orchestration.pipelines import FLIGHTS


@pytest.fixture
def aws(monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"),
                        ("MOTO_ACCOUNT_ID", load_settings("prod").account)):  # the account conf deploys to
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


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
