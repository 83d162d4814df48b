"""The `baton` command line: `run --input` (the execution input the executor starts with) and `--env`."""

import json

import pytest

from orchestration import cli
from orchestration.cli.common import read_input
from orchestration.executions import RunRefused


def test_a_job_parameter_at_the_top_level_is_initial_data():
    assert read_input('{"scaleFactor": 0.1}') == {"initialData": {"scaleFactor": 0.1}}


def test_the_full_form_and_the_execution_keys_are_kept():
    value = {"execution": {"id": "tpch-1"}, "resumeFromStage": "Load", "gated": {"Validate": "Validate"},
             "initialData": {"scaleFactor": 1}}
    assert read_input(json.dumps(value)) == value


def test_both_forms_together_merge():
    assert read_input('{"initialData": {"rawPath": "raw"}, "scaleFactor": 1}') == {
        "initialData": {"rawPath": "raw", "scaleFactor": 1}}


def test_no_input_is_empty_initial_data():
    assert read_input(None) == {"initialData": {}}


@pytest.mark.parametrize("raw, message", [
    ('{"initialData": {"scaleFactor": 1}, "scaleFactor": 2}', "scaleFactor given both"),
    ('{"initialData": [1]}', "initialData must be a JSON object"),
    ("[1]", "must be a JSON object"),
    ("{", "is not JSON"),
])
def test_bad_input_is_refused(raw, message):
    with pytest.raises(RunRefused, match=message):
        read_input(raw)


@pytest.mark.parametrize(("argv", "env"), [
    (["asl", "flights"], None),
    (["--env", "dev", "asl", "flights"], "dev"),
    (["asl", "flights", "--env", "prod"], "prod"),
    (["--env", "dev", "asl", "flights", "--env", "prod"], "prod"),  # the subcommand's value wins
    (["--env", "dev", "status", "run-1"], "dev"),
    (["list", "--env", "prod"], "prod"),
])
def test_env_is_accepted_before_and_after_the_subcommand(argv, env):
    assert cli.build_parser().parse_args(argv).env == env


def test_asl_with_env_after_the_subcommand_uses_that_environment(capsys):
    assert cli.main(["asl", "flights", "--env", "prod"]) == 0
    definition = json.loads(capsys.readouterr().out)
    assert definition["States"]["Conform"]["Parameters"]["Arguments"]["--workflow-bucket"] == "s3://baton-prod-workflow"
