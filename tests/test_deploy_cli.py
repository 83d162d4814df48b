"""``baton synth`` writes the cloud assembly; ``baton deploy`` runs the CDK CLI on the same app."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from orchestration import cli
from orchestration.deploy.main import CDK_CLI, deploy_command


def test_synth_writes_the_shared_and_pipeline_templates(tmp_path, capsys):
    out = tmp_path / "cdk.out"
    assert cli.main(["synth", "tpch", "--env", "prod", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Baton-prod-shared:" in printed and "Baton-prod-tpch:" in printed
    template = json.loads((out / "Baton-prod-tpch.template.json").read_text())
    assert any(r["Type"] == "AWS::StepFunctions::StateMachine" for r in template["Resources"].values())


def test_synth_refuses_an_environment_without_deployment_settings(tmp_path, capsys):
    assert cli.main(["synth", "flights", "--env", "local", "--out", str(tmp_path)]) == 2
    assert "error: setting deployment in conf/local.json: missing" in capsys.readouterr().err


def test_deploy_runs_the_cdk_cli_on_the_same_app(tmp_path):
    command = deploy_command("flights", "prod", tmp_path, python="python3")
    assert command[:4] == ["npx", "--yes", CDK_CLI, "deploy"]
    app = command[command.index("--app") + 1]
    assert shlex.split(app) == ["python3", "-m", "orchestration.deploy.main", "--env", "prod", "flights"]
    assert command[-2:] == ["Baton-prod-shared", "Baton-prod-flights"]
    assert command[command.index("--output") + 1] == str(tmp_path)


def test_deploy_print_shows_the_command(capsys):
    assert cli.main(["--env", "dev", "deploy", "tpch", "--print"]) == 0
    printed = shlex.split(capsys.readouterr().out)
    assert printed == deploy_command("tpch", "dev", Path("cdk.out"), python=sys.executable)


def test_deploy_needs_an_environment(capsys, monkeypatch):
    monkeypatch.delenv("BATON_ENV", raising=False)
    assert cli.main(["deploy", "flights", "--print"]) == 2
    assert capsys.readouterr().err.startswith("error: argument --env: missing: say which environment to deploy")
