"""The CLI's AWS backend (boto3): start an execution of a deployed pipeline, upload the code.

Names and ARNs come from the same settings the stacks are built from, so ``baton start`` reaches
the state machine ``baton deploy`` created.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import boto3

from orchestration.deploy.app import stage_code
from orchestration.deploy.settings import DeploySettings

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
