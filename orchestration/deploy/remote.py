"""The CLI's AWS backend (boto3): start, describe, list, resume, redrive executions of deployed pipelines;
upload the code.

``baton status|history|list|resume --env ENV`` use it when conf/<env>.json has a ``deployment`` section, and
print what they print for local executions (the same ``--json`` shapes).

Names and ARNs come from the same settings the stacks are built from, so ``baton start`` reaches
the state machine ``baton deploy`` created.
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import boto3

from baton.errors import BatonError
from conf.settings import Settings
from orchestration import pipelines
from orchestration.asl.clock import format_timestamp
from orchestration.deploy.code import stage_code
from orchestration.deploy.settings import DeploySettings
from orchestration.failure import failure_of
from orchestration.local import LocalRun

log = logging.getLogger("baton")


def state_machine_arn(settings: DeploySettings, pipeline: str) -> str:
    return settings.arn("states", f"stateMachine:{settings.name_prefix}-{pipeline}")


def start(settings: DeploySettings, pipeline: str, input: dict[str, Any], name: str,
          client: Any = None) -> dict[str, Any]:
    """StartExecution with the input exactly as a local run gets it; returns executionArn and startDate."""
    client = client or boto3.client("stepfunctions", region_name=settings.region)
    answer = client.start_execution(stateMachineArn=state_machine_arn(settings, pipeline), name=name,
                                    input=json.dumps(input))
    return {"executionArn": answer["executionArn"], "startDate": answer["startDate"].isoformat()}


def upload(settings: DeploySettings, staging: Path, client: Any = None) -> list[str]:
    """Put the jobs zip and every job script where Glue and EMR read them (conf ``artifacts``)."""
    client = client or boto3.client("s3", region_name=settings.region)
    code = stage_code(staging)
    keys = []
    for path in sorted(p for p in code.rglob("*") if p.is_file()):
        key = "/".join(part for part in (settings.artifacts_prefix, path.relative_to(code).as_posix()) if part)
        client.upload_file(str(path), settings.artifacts_bucket, key)
        keys.append(key)
    log.info("uploaded %d files to s3://%s/%s", len(keys), settings.artifacts_bucket, settings.artifacts_prefix)
    return keys


def _client(settings: DeploySettings, client: Any) -> Any:
    return client or boto3.client("stepfunctions", region_name=settings.region)


def execution_arn(settings: DeploySettings, pipeline: str, execution_id: str) -> str:
    return settings.arn("states", f"execution:{settings.name_prefix}-{pipeline}:{execution_id}")


def find(settings: DeploySettings, execution_id: str, client: Any = None) -> tuple[str, dict[str, Any]]:
    """(pipeline, DescribeExecution) of ``execution_id``, looked up in each declared pipeline's machine."""
    client = _client(settings, client)
    for pipeline in sorted(pipelines.PIPELINES):
        try:
            return pipeline, client.describe_execution(executionArn=execution_arn(settings, pipeline, execution_id))
        except client.exceptions.ExecutionDoesNotExist:
            continue
    raise ExecutionNotFound(f"ExecutionDoesNotExist: not in any of {sorted(pipelines.PIPELINES)} in "
                            f"{settings.region}", execution=execution_id)


class ExecutionNotFound(BatonError):
    """No deployed pipeline of the environment has an execution of that name."""


def history(settings: DeploySettings, execution_id: str, client: Any = None) -> list[dict[str, Any]]:
    """GetExecutionHistory, oldest first, with timestamps written as the local history writes them."""
    client = _client(settings, client)
    pipeline, _ = find(settings, execution_id, client)
    events = []
    for page in client.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn(settings, pipeline, execution_id)):
        events += [event | {"timestamp": format_timestamp(event["timestamp"])} for event in page["events"]]
    return events


def describe(settings: DeploySettings, execution_id: str, client: Any = None) -> dict[str, Any]:
    """DescribeExecution in the shape of a local execution record (``baton status``)."""
    client = _client(settings, client)
    pipeline, described = find(settings, execution_id, client)
    failure = failure_of(history(settings, execution_id, client)) if described["status"] != "RUNNING" else None
    stop = described.get("stopDate")
    return {"executionId": execution_id, "pipeline": pipeline, "status": described["status"],
            "startDate": format_timestamp(described["startDate"]), "stopDate": stop and format_timestamp(stop),
            "failedState": failure and failure.state, "error": failure and failure.error,
            "cause": failure and failure.cause, "workflowBucket": settings.deployment.workflow_bucket,
            "executionArn": described["executionArn"]}


def executions(settings: DeploySettings, client: Any = None) -> list[dict[str, Any]]:
    """ListExecutions of every deployed pipeline's machine, as ``baton list`` prints them."""
    client = _client(settings, client)
    found = []
    for pipeline in sorted(pipelines.PIPELINES):
        pages = client.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn(settings, pipeline))
        try:
            found += [{"executionId": e["name"], "pipeline": pipeline, "status": e["status"],
                       "startDate": format_timestamp(e["startDate"])} for page in pages for e in page["executions"]]
        except client.exceptions.StateMachineDoesNotExist:
            continue  # a pipeline not deployed to this environment
    return sorted(found, key=lambda record: record["startDate"])


def redrive(settings: DeploySettings, execution_id: str, client: Any = None) -> dict[str, Any]:
    """RedriveExecution: the failed execution again from its failed state, same name."""
    client = _client(settings, client)
    pipeline, _ = find(settings, execution_id, client)
    answer = client.redrive_execution(executionArn=execution_arn(settings, pipeline, execution_id))
    return {"executionArn": execution_arn(settings, pipeline, execution_id),
            "redriveDate": format_timestamp(answer["redriveDate"])}


class RemoteExecutions:
    """The executions of a deployed environment, with the methods of ``LocalRun`` the CLI reads."""

    def __init__(self, settings: DeploySettings, client: Any = None):
        self.settings = settings
        self.client = _client(settings, client)

    def describe(self, execution_id: str) -> dict[str, Any]:
        return describe(self.settings, execution_id, self.client)

    def history(self, execution_id: str) -> list[dict[str, Any]]:
        return history(self.settings, execution_id, self.client)

    def list(self) -> list[dict[str, Any]]:
        return executions(self.settings, self.client)


def resume(settings: DeploySettings, env_settings: Settings, execution_id: str, stage: str,
           client: Any = None) -> dict[str, Any]:
    """A new execution that re-enters ``execution_id`` at ``stage`` from its committed outputs in S3.

    The input is built as a local resume builds it (``LocalRun.resume_input``, which also checks the
    outputs the stage reads). The stages write under the original execution id.
    """
    client = _client(settings, client)
    pipeline, described = find(settings, execution_id, client)
    first = json.loads(described["input"])
    original = first.get("execution", {}).get("id", execution_id)
    input = LocalRun(pipelines.get(pipeline), env_settings).resume_input(original, stage, first)
    name = f"{original[:50]}-{stage[:20]}-{uuid.uuid4().hex[:6]}"
    return start(settings, pipeline, input, name, client) | {"executionId": original, "name": name}
