"""A failed execution shows its cause: the failed state, its error and the job's own message.

And a job that fails on bad arguments runs once: the Retry of the generated definition never
retries ``baton.errors.NOT_RETRYABLE``, and the Parallel around the ingest tasks has no Retry.
"""

import json

import pytest
from deployments import deployment

from baton.paths import WorkflowBucket
from baton.storage import storage_for
from orchestration import cli
from orchestration.asl.clock import FakeClock
from orchestration.asl.errors import TaskFailure
from orchestration.asl.executor import load_definition
from orchestration.failure import Failure, failure_of, job_message
from orchestration.generate import generate
from orchestration.handlers import LocalHandlers
from orchestration.pipeline_states import EMR_ADD_STEP_SYNC, GLUE_SYNC, S3_GET_OBJECT, SNS_PUBLISH
from orchestration.pipelines import TPCH


class Handlers:
    """Glue and EMR jobs that succeed, except the ingest of ``failing`` with ``error``."""

    def __init__(self, failing: str | None = None, error: str = "ArgumentError", verdict: dict | None = None):
        self.failing = failing
        self.error = error
        self.verdict = verdict or {"passed": True, "correctable": False, "reason": "ok"}
        self.calls: dict[str, int] = {}

    def glue(self, parameters, context):
        name = parameters["Arguments"].get("--source") or parameters["Arguments"]["--current-stage"]
        self.calls[name] = self.calls.get(name, 0) + 1
        if name == self.failing:
            raise TaskFailure(self.error, json.dumps({"JobRunState": "FAILED",
                                                      "ErrorMessage": f"{self.error}: scaleFactor must be positive"}))
        return {"Id": "jr_1", "JobRunState": "SUCCEEDED", "ExecutionTime": 1}

    def emr(self, parameters, context):
        return {"Step": {"Id": "s-1", "Status": {"State": "COMPLETED"}}}

    def s3(self, parameters, context):
        return {"Body": json.dumps(self.verdict)}

    def registry(self):
        return {GLUE_SYNC: self.glue, EMR_ADD_STEP_SYNC: self.emr, S3_GET_OBJECT: self.s3,
                SNS_PUBLISH: lambda parameters, context: {"MessageId": "m-1"}}


def execute(handlers, clock=None):
    machine = load_definition(generate(TPCH, deployment("s3://baton-test")), name="baton-tpch")
    return machine.execute({"initialData": {}}, name="run-1", handlers=handlers.registry(),
                           clock=clock or FakeClock())


def test_a_bad_argument_runs_once_and_the_other_branches_are_not_run_again():
    handlers = Handlers(failing="lineitem")
    execution = execute(handlers)
    assert execution.status == "FAILED" and execution.error == "StageFailed"
    assert handlers.calls["lineitem"] == 1 and set(handlers.calls.values()) == {1}
    assert failure_of(execution.history) == Failure("IngestLineitemCsv", "ArgumentError",
                                                    "ArgumentError: scaleFactor must be positive")


def test_a_transient_failure_retries_only_its_branch_five_minutes_apart():
    handlers, clock = Handlers(failing="orders", error="InjectedFault"), FakeClock()
    execution = execute(handlers, clock)
    assert handlers.calls["orders"] == 3  # the first attempt and the Glue policy's 2 retries
    assert {n for t, n in handlers.calls.items() if t != "orders"} == {1}  # branches run once at most
    waited = (execution.stop_date - execution.start_date).total_seconds()
    assert waited >= 300 + 600
    assert failure_of(execution.history).state == "IngestOrdersCsv"


def test_a_quality_failure_names_the_gate_and_the_verdict_reason():
    handlers = Handlers(verdict={"passed": False, "correctable": False, "reason": "12 rows fail o_orderkey"})
    execution = execute(handlers)
    assert execution.error == "DataQualityFailed"
    assert failure_of(execution.history) == Failure("Validate", "DataQualityFailed", "12 rows fail o_orderkey")


def test_a_succeeded_execution_has_no_failure():
    assert failure_of(execute(Handlers()).history) is None


@pytest.mark.parametrize("cause, message", [
    (json.dumps({"JobRunState": "FAILED", "ErrorMessage": "BadInputError: x"}), "BadInputError: x"),
    (json.dumps({"Step": {"Status": {"State": "FAILED", "FailureDetails": {"Message": "EmptyInputError: y"}}}}),
     "EmptyInputError: y"),
    (json.dumps({"errorMessage": "boom", "errorType": "KeyError"}), "boom"),
    ("not JSON at all", "not JSON at all"),
    (json.dumps(["a list"]), '["a list"]'),
    (None, None),
])
def test_the_job_message_is_read_from_glue_emr_and_other_causes(cause, message):
    assert job_message(cause) == message


def test_the_local_glue_handler_names_the_error_by_the_job_error_class(spark, tmp_path):
    bucket = WorkflowBucket.parse(str(tmp_path))
    handlers = LocalHandlers(TPCH.jobs(), bucket, storage_for(bucket), echo=lambda line: None)
    arguments = {"--execution-id": "run-1", "--current-stage": "Ingest", "--workflow-bucket": str(tmp_path),
                 "--initial-data": json.dumps({"scaleFactor": -1}), "--source": "nation"}
    with pytest.raises(TaskFailure) as failed:
        handlers.glue_start_job_run({"JobName": "baton-tpch-ingest-csv", "Arguments": arguments}, None)
    assert failed.value.error == "ArgumentError"
    run = json.loads(failed.value.cause)
    assert run["JobRunState"] == "FAILED" and "scaleFactor must be a positive number" in run["ErrorMessage"]


def test_a_run_that_fails_on_a_bad_argument_shows_the_state_error_and_message(spark, tmp_path, capsys):
    args = ["--workflow-bucket", str(tmp_path), "run", "tpch", "--execution-id", "bad-1",
            "--input", json.dumps({"scaleFactor": -1})]
    assert cli.main([*args, "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "FAILED" and result["error"] == "ArgumentError"
    assert result["failedState"].startswith("Ingest") and result["failedState"].endswith("Csv")
    assert result["cause"].startswith("ArgumentError: ") and "scaleFactor must be a positive number" in result["cause"]
    assert [s["attempts"] for s in result["stages"]] == [1] * len(result["stages"])
    assert cli.main(["--workflow-bucket", str(tmp_path), "status", "bad-1"]) == 0
    status = capsys.readouterr().out
    assert f"failedState: {result['failedState']}" in status and "scaleFactor must be" in status
    assert cli.main([*args[:-3], "bad-2", *args[-2:]]) == 1
    table = capsys.readouterr().out
    assert f"error: state {result['failedState']}: ArgumentError: stage Ingest, " in table
