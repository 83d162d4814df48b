"""One error vocabulary: every user-facing error derives from BatonError and names what it is about."""

from __future__ import annotations

import json

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
from orchestration import check, cli, pipelines
from orchestration.cli import executions
from orchestration.deploy.remote import ExecutionNotFound
from orchestration.executions import RunRefused
from orchestration.generate import ExpressNotAllowed
from orchestration.pipeline import DeclarationError, UnknownPipeline
from quality.suite import SuiteError, suite_from_dict


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


def test_an_input_that_is_not_json_is_refused_by_the_cli(tmp_path, capsys):
    assert cli.main(["--workflow-bucket", str(tmp_path), "run", "flights", "--input", "{bad"]) == 2
    assert capsys.readouterr().err.startswith("error: --input is not JSON: Expecting property name")


def test_an_input_json_cannot_carry_is_refused_before_the_run_is_recorded(tmp_path, capsys):
    bucket = tmp_path / "wf"
    assert cli.main(["--workflow-bucket", str(bucket), "run", "flights", "--input", '{"limit": NaN}']) == 2
    assert capsys.readouterr().err.startswith("error: argument --input: the execution input is not JSON: ")
    assert not bucket.exists()


def test_an_input_over_256_kib_is_refused_before_the_run_is_recorded(tmp_path, capsys):
    bucket = tmp_path / "wf"
    big = tmp_path / "input.json"
    big.write_text(json.dumps({"initialData": {"note": "x" * 262_144}}))
    assert cli.main(["--workflow-bucket", str(bucket), "run", "flights", "--input", f"@{big}"]) == 2
    assert capsys.readouterr().err == ("error: argument --input: the execution input is 262171 bytes of JSON; "
                                       "Step Functions accepts at most 262144 bytes (256 KiB)\n")
    assert not bucket.exists()


def test_an_input_file_that_cannot_be_read_is_named(tmp_path, capsys):
    missing = tmp_path / "missing.json"
    assert cli.main(["--workflow-bucket", str(tmp_path), "run", "flights", "--input", f"@{missing}"]) == 2
    assert capsys.readouterr().err == (f"error: argument --input, file {missing}: cannot read the input file: "
                                       "No such file or directory\n")


@pytest.fixture
def tiny_parquet(spark, tmp_path):
    path = tmp_path / "tiny.parquet"
    spark.createDataFrame([(1, 2.0)], "id long, x double").write.parquet(str(path))
    return str(path)


def test_a_suite_naming_a_column_the_data_lacks_names_suite_file_and_expectation(tiny_parquet, capsys):
    assert cli.main(["check", "tpch_validate_region", tiny_parquet]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: suite 'tpch_validate_region' (quality/suites/tpch_validate_region.json): "
                          "expectation '")
    assert "unknown column(s)" in err


def _warn_only_suite(exp_type, **kwargs):
    return suite_from_dict({"name": "bad", "expectations": [
        {"type": exp_type, "kwargs": kwargs, "meta": {"baton": {"name": "bounds", "on_fail": "warn"}}}]},
        source="quality/suites/bad.json")


def test_a_suite_great_expectations_rejects_names_suite_and_expectation(tiny_parquet, monkeypatch, capsys):
    monkeypatch.setattr(check, "load", lambda name: _warn_only_suite("expect_column_values_to_be_between",
                                                                     column="x", mostly=2))
    assert cli.main(["check", "bad", tiny_parquet]) == 2
    assert capsys.readouterr().err.startswith(
        "error: quality/suites/bad.json: expectation #0 ('bounds'): kwargs that expect_column_values_to_be_between "
        "refuses: mostly: ensure this value is less than or equal to 1.0")


def test_check_parameters_that_are_not_json_are_refused(capsys):
    assert cli.main(["check", "tpch_validate_region", "data", "--parameters", "{min_year: 2013}"]) == 2
    assert capsys.readouterr().err.startswith("error: argument --parameters: is not JSON: Expecting property name")
