"""Executions for the view tests, made in a second: the flights definition on fake task handlers.

Each leaves what a local run leaves (definition, history, execution record, manifests, verdicts,
a Data Docs page) in a local workflow bucket, with hostile values in the execution input, in task
outputs and in an error cause. No Spark: the handlers answer as Glue, EMR, S3 and SNS would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from deployments import deployment

from baton import paths
from baton.storage import LocalStorage, write_json
from orchestration.asl.clock import FakeClock
from orchestration.asl.errors import TaskFailure
from orchestration.asl.executor import load_definition
from orchestration.executions import DEFINITION, EXECUTION, HISTORY
from orchestration.generate import generate
from orchestration.pipeline_states import EMR_ADD_STEP_SYNC, GLUE_SYNC, S3_GET_OBJECT, SNS_PUBLISH
from orchestration.pipelines import FLIGHTS
from orchestration.views.report import write_report

PWNED = "document.documentElement.setAttribute('data-pwned', '1')"
HOSTILE = (f"<script>{PWNED}</script><img src=x onerror=\"{PWNED}\"></script><svg onload=\"{PWNED}\">"
           f"<a href=\"javascript:{PWNED}\">link</a> & \u2028 {{{{not a placeholder}}}}")
JOB_SECONDS = 40  # each fake job advances the fake clock by this much


@dataclass
class FakeJobs:
    """Task handlers by state name: ``failures`` pops one failure per attempt, then the task succeeds."""

    failures: dict[str, list[TaskFailure]] = field(default_factory=dict)
    verdict: dict[str, Any] = field(default_factory=lambda: {"passed": True, "correctable": False})

    def job(self, parameters: dict[str, Any], context: Any) -> dict[str, Any]:
        context.clock.sleep(JOB_SECONDS)
        pending = self.failures.get(context.state_name)
        if pending:
            raise pending.pop(0)
        return {"JobRunState": "SUCCEEDED", "Id": "jr_1", "ExecutionTime": JOB_SECONDS, "note": HOSTILE,
                "Step": {"Id": "s-1", "Status": {"State": "COMPLETED"}}}

    def verdict_object(self, parameters: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"Body": json.dumps(self.verdict)}

    def registry(self) -> dict[str, Any]:
        return {GLUE_SYNC: self.job, EMR_ADD_STEP_SYNC: self.job,
                S3_GET_OBJECT: self.verdict_object, SNS_PUBLISH: lambda parameters, context: {"MessageId": "m-1"}}


def glue_failure(error: str, message: str) -> TaskFailure:
    return TaskFailure(error, json.dumps({"JobRunState": "FAILED", "ErrorMessage": f"{error}: {message}"}))


SCENARIOS = {  # fresh handlers for each execution: they count attempts
    # Conform fails once (retried), everything else passes.
    "succeeded": lambda: FakeJobs({"Conform": [glue_failure("InjectedFault", "a transient fault")]}),
    # Validate's verdict fails and is not correctable: the run stops at DataQualityFailed.
    "quality": lambda: FakeJobs(verdict={"passed": False, "correctable": False,
                                 "reason": f"41 of 100 rows failed; {HOSTILE}"}),
    # Enrich fails on a bad argument (never retried): the Catch routes it to the notification, then Failed.
    "caught": lambda: FakeJobs({"Enrich": [glue_failure("ArgumentError", f"bad --date {HOSTILE}")]}),
}

EXPECTED = {  # state -> the status its history gives it
    "succeeded": {"Conform": "retried", "IngestFlightsCsv": "succeeded", "IngestCsv": "succeeded",
                  "ValidateVerdict": "succeeded", "Load": "succeeded", "Succeeded": "succeeded",
                  "Correct": "not-entered", "NotifyFailure": "not-entered", "IngestJson": "not-entered"},
    "quality": {"Validate": "succeeded", "ValidateQualityFailed": "succeeded", "NotifyQualityFailure": "succeeded",
                "DataQualityFailed": "failed", "Enrich": "not-entered", "Correct": "not-entered"},
    "caught": {"Aggregate": "not-entered", "Enrich": "caught", "EnrichCaught": "succeeded",
               "NotifyFailure": "succeeded", "Failed": "failed", "Conform": "succeeded"},
}


def make_execution(storage: LocalStorage, scenario: str) -> str:
    """Run ``scenario`` and leave its files under ``executions/{scenario}/``; return the execution id."""
    definition = generate(FLIGHTS, deployment("s3://baton-test"))
    execution = load_definition(definition, name="baton-flights").execute(
        {"initialData": {"format": "csv", "note": HOSTILE}}, name=scenario,
        handlers=SCENARIOS[scenario]().registry(), clock=FakeClock())
    prefix = paths.execution_prefix(scenario)
    write_json(storage, f"{prefix}/{DEFINITION}", definition)
    for event in execution.history:
        storage.append_line(f"{prefix}/{HISTORY}", json.dumps(event))
    write_json(storage, f"{prefix}/{EXECUTION}", {"executionId": scenario, "pipeline": "flights",
                                                   "status": execution.status, "runs": []})
    _stage_files(storage, scenario)
    return scenario


def _stage_files(storage: LocalStorage, execution_id: str) -> None:
    for stage, dataset, rows in (("Ingest", "flights", 100), ("Conform", "flights", 100)):
        _commit(storage, paths.StagePaths(execution_id, stage).output(dataset), rows)
    validate = paths.StagePaths(execution_id, "Validate")
    _commit(storage, validate.output("flights"), 59)
    _commit(storage, validate.quarantine("flights"), 41)
    failed = [{"dataset": "flights", "name": f"dep_time_valid {HOSTILE}", "type": "expect_column_values_to_be_between",
               "onFail": "quarantine", "unexpectedCount": 41, "success": False}]
    write_json(storage, validate.verdict, {"passed": execution_id != "quality", "correctable": False, "rows": 100,
                                           "failedRows": 41, "correctableRows": 0, "failedExpectations": failed,
                                           "reason": f"41 of 100 rows failed {HOSTILE}"})
    storage.write_bytes(f"{validate.prefix}/quality/index.html", b"<html><body>Data Docs</body></html>")


def _commit(storage: LocalStorage, dataset_key: str, rows: int) -> None:
    write_json(storage, paths.manifest_key(dataset_key), {"rows": rows, "startedAt": "2024-01-01T00:00:00+00:00",
                                                          "endedAt": "2024-01-01T00:00:40+00:00"})
    storage.write_bytes(paths.success_key(dataset_key), b"")


@pytest.fixture(scope="session")
def executions(tmp_path_factory: pytest.TempPathFactory) -> LocalStorage:
    """A workflow bucket with the three executions of ``SCENARIOS``, each with its report written."""
    storage = LocalStorage(tmp_path_factory.mktemp("view-bucket"))
    for scenario in SCENARIOS:
        write_report(storage, make_execution(storage, scenario))
    return storage
