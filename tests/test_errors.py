"""One error vocabulary: every user-facing error derives from BatonError and names what it is about."""

from __future__ import annotations

import pytest

from baton import paths
from baton.errors import (
    ArgumentError,
    BadInputError,
    BatonError,
    EmptyInputError,
    InjectedFault,
    InvalidNameError,
    MissingInputError,
    SettingError,
)
from orchestration import cli, pipelines
from orchestration.cli import executions
from orchestration.deploy.remote import ExecutionNotFound
from orchestration.generate import ExpressNotAllowed
from orchestration.local import RunRefused
from orchestration.pipeline import DeclarationError, UnknownPipeline
from quality.suite import SuiteError


@pytest.mark.parametrize(("error", "text"), [
    (ArgumentError("missing", argument="--workflow-bucket", stage="Conform"),
     "stage Conform, argument --workflow-bucket: missing"),
    (SettingError("missing", setting="spark.master", conf_file="conf/dev.json"),
     "setting spark.master in conf/dev.json: missing"),
    (BadInputError("not a number", stage="Ingest", path="s3://raw/flights.csv", column="dep_delay"),
     "stage Ingest, file s3://raw/flights.csv, column dep_delay: not a number"),
    (MissingInputError("run Ingest first", stage="Conform", path="s3://b/executions/x/Ingest/output/f/_SUCCESS"),
     "stage Conform, file s3://b/executions/x/Ingest/output/f/_SUCCESS: run Ingest first"),
    (EmptyInputError("no rows", input="initialData.rawPath"), "input initialData.rawPath: no rows"),
    (InjectedFault("injected failure", stage="Conform"), "stage Conform: injected failure"),
    (ExecutionNotFound("ExecutionDoesNotExist", execution="run-1"), "execution run-1: ExecutionDoesNotExist"),
    (UnknownPipeline("unknown", pipeline="shop"), "pipeline shop: unknown"),
    (DeclarationError("duplicate stage names", path="orchestration/declarations/shop.py"),
     "file orchestration/declarations/shop.py: duplicate stage names"),
    (RunRefused("give --runs-per-day N"), "give --runs-per-day N"),
    (ExpressNotAllowed("Express runs only request-response tasks"), "Express runs only request-response tasks"),
    (SuiteError("suite.json: 'expectations' must be a list"), "suite.json: 'expectations' must be a list"),
])
def test_each_error_kind_names_what_it_is_about(error, text):
    assert isinstance(error, BatonError)
    assert str(error) == text


def test_an_invalid_name_is_named_once():
    with pytest.raises(InvalidNameError) as raised:
        paths.validate_name("../x", "execution id")
    assert str(raised.value).startswith("invalid execution id '../x': expected 1 to 80 characters")


def test_an_unknown_pipeline_is_a_baton_error():
    with pytest.raises(UnknownPipeline, match=r"^pipeline shop: unknown; known pipelines: \['flights', 'tpch'"):
        pipelines.get("shop")


def test_the_cli_prints_a_baton_error_and_exits_with_its_code(capsys):
    assert cli.main(["status", "../x"]) == 2
    assert capsys.readouterr().err == ("error: invalid execution id '../x': expected 1 to 80 characters of A-Z, "
                                       "a-z, 0-9, '_' or '-' (no '/', no '..', not empty)\n")


def test_the_cli_lets_a_bug_show_its_traceback(monkeypatch):
    def broken(_args):
        raise KeyError("a bug")

    monkeypatch.setattr(executions, "cmd_list", broken)
    with pytest.raises(KeyError, match="a bug"):
        cli.main(["list"])


def test_deploying_without_an_environment_names_the_argument(monkeypatch, capsys):
    monkeypatch.delenv("BATON_ENV", raising=False)
    assert cli.main(["synth", "flights"]) == 2
    assert capsys.readouterr().err.startswith("error: argument --env: missing: say which environment to deploy")
