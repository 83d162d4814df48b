"""Local task handlers, keyed by the resource ARNs the generated ASL uses.

Each handler does locally what the AWS integration does, and answers in the same shape:

- ``glue:startJobRun.sync``: runs the Glue job's module (its ``SPEC``) in this process's one
  SparkSession; returns a GetJobRun-shaped ``JobRun``.
- ``elasticmapreduce:addStep.sync``: reads the ``spark-submit`` arguments of the
  command-runner step and runs that job the same way; returns a DescribeStep-shaped result.
- ``elasticmapreduce:createCluster.sync`` / ``terminateCluster.sync`` (transient EMR mode): the local
  "cluster" is this process's SparkSession; they record the cluster's life in ``clusters`` and answer
  as AWS does (a ClusterId, then an empty result).
- ``aws-sdk:s3:getObject``: reads from the workflow bucket.
- ``sns:publish``: appends to ``executions/{id}/_notifications.jsonl`` and prints.
- ``lambda:invoke``: imports ``module:function`` and calls it with the payload.

A failed job raises ``TaskFailure(error, cause)`` with an AWS-shaped cause (the JobRun or Step
as JSON, with the error message), as Step Functions reports it. The error name is the job's own
error class for a ``BatonError`` (``ArgumentError``, ``BadInputError``...), so that the Retry of
the generated definition can tell the errors worth retrying; any other exception is a job bug,
reported as ``States.TaskFailed``, the name AWS gives every failed Glue job run and EMR step.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from baton import paths
from baton.errors import BatonError
from baton.faults import Faults
from baton.stage import run_stage
from baton.storage import Storage
from orchestration.asl.errors import TASK_FAILED, TaskFailure
from orchestration.pipeline import Job
from orchestration.pipeline_states import (
    EMR_ADD_STEP_SYNC,
    EMR_CREATE_CLUSTER_SYNC,
    EMR_TERMINATE_CLUSTER_SYNC,
    GLUE_SYNC,
    S3_GET_OBJECT,
    SNS_PUBLISH,
)

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


@dataclass
class JobAttempt:
    """One run of a job, as the run summary reports it."""

    stage: str
    source: str | None
    job: str
    engine: str
    seconds: float
    succeeded: bool
    error: str | None = None


@dataclass(frozen=True)
class JobFailure:
    """How a job run failed: the Step Functions error name and the job's own message."""

    error: str
    message: str


@dataclass
class LocalHandlers:
    """The handlers of one local run: the jobs they may run, where the bucket is, the faults to inject."""

    jobs: dict[str, Job]
    bucket: paths.WorkflowBucket
    storage: Storage
    echo: Callable[[str], None] = print
    faults: Faults = field(default_factory=Faults)
    attempts: list[JobAttempt] = field(default_factory=list)
    clusters: dict[str, str] = field(default_factory=dict)  # cluster id -> WAITING | TERMINATED

    def registry(self) -> dict[str, Callable[..., Any]]:
        return {GLUE_SYNC: self.glue_start_job_run, EMR_ADD_STEP_SYNC: self.emr_add_step,
                EMR_CREATE_CLUSTER_SYNC: self.emr_create_cluster,
                EMR_TERMINATE_CLUSTER_SYNC: self.emr_terminate_cluster,
                S3_GET_OBJECT: self.s3_get_object, SNS_PUBLISH: self.sns_publish, LAMBDA_INVOKE: self.lambda_invoke}

    # -- transient cluster ---------------------------------------------------------------
    def emr_create_cluster(self, parameters: dict[str, Any], context: Any) -> dict[str, Any]:
        cluster_id = f"j-LOCAL{uuid.uuid4().hex[:8].upper()}"
        self.clusters[cluster_id] = "WAITING"
        self.echo(f"EMR cluster {cluster_id} ({parameters.get('Name')}): the local SparkSession")
        # The execution's region and account (arn:aws:states:REGION:ACCOUNT:execution:...) name the cluster.
        region, account = context.execution_arn.split(":")[3:5]
        arn = f"arn:aws:elasticmapreduce:{region}:{account}:cluster/{cluster_id}"
        return {"ClusterId": cluster_id, "ClusterArn": arn}

    def emr_terminate_cluster(self, parameters: dict[str, Any], context: Any) -> dict[str, Any]:
        cluster_id = parameters["ClusterId"]
        if cluster_id not in self.clusters:
            raise TaskFailure("EMR.InvalidRequestException",
                              json.dumps({"errorMessage": f"Cluster id '{cluster_id}' is not valid."}))
        self.clusters[cluster_id] = "TERMINATED"
        self.echo(f"EMR cluster {cluster_id} terminated")
        return {}

    # -- jobs ----------------------------------------------------------------------------
    def glue_start_job_run(self, parameters: dict[str, Any], context: Any) -> dict[str, Any]:
        name = parameters["JobName"]
        job = self._job(name)
        argv = [job.script]
        for key, value in {**job.arguments, **parameters.get("Arguments", {})}.items():
            argv += [key, str(value)]
        run_id = f"jr_{uuid.uuid4().hex}"
        started = _now()
        failure, seconds = self._run(job, argv, "glue")
        run = {"Id": run_id, "JobName": name, "Attempt": 0, "Arguments": parameters.get("Arguments", {}),
               "StartedOn": started, "LastModifiedOn": _now(), "CompletedOn": _now(),
               "JobRunState": "FAILED" if failure else "SUCCEEDED", "ExecutionTime": round(seconds),
               "GlueVersion": "5.0", "WorkerType": "local"}
        if failure:
            raise TaskFailure(failure.error, json.dumps(run | {"ErrorMessage": failure.message}))
        return run

    def emr_add_step(self, parameters: dict[str, Any], context: Any) -> dict[str, Any]:
        step = parameters["Step"]
        args = [str(a) for a in step["HadoopJarStep"]["Args"]]
        script_at = next((i for i, a in enumerate(args) if a.endswith(".py") and "/jobs/" in f"/{a}"), None)
        if args[:1] != ["spark-submit"] or script_at is None:
            raise TaskFailure("States.TaskFailed", json.dumps(
                {"Step": {"Name": step.get("Name"), "Status": {"State": "FAILED", "FailureDetails": {
                    "Message": f"not a spark-submit step of a Baton job: {args[:8]}"}}}}))
        module = args[script_at].rsplit("/", 1)[1][:-3]
        job = next((j for j in self.jobs.values() if j.module == module), None) or Job(module, module)
        step_id = f"s-{uuid.uuid4().hex[:13].upper()}"
        started = _now()
        failure, _ = self._run(job, [job.script, *args[script_at + 1:]], "emr")
        status = {"State": "FAILED" if failure else "COMPLETED",
                  "Timeline": {"CreationDateTime": started, "StartDateTime": started, "EndDateTime": _now()}}
        if failure:
            status["FailureDetails"] = {"Reason": "Job failed", "Message": failure.message}
        result = {"Step": {"Id": step_id, "Name": step.get("Name"), "ActionOnFailure": step.get("ActionOnFailure"),
                           "Config": {"Jar": step["HadoopJarStep"]["Jar"], "Args": args}, "Status": status}}
        if failure:
            raise TaskFailure(failure.error, json.dumps(result))
        return result

    def _job(self, name: str) -> Job:
        if name not in self.jobs:
            raise TaskFailure("Glue.EntityNotFoundException",
                              json.dumps({"errorMessage": f"Job {name} not found", "knownJobs": sorted(self.jobs)}))
        return self.jobs[name]

    def _run(self, job: Job, argv: list[str], engine: str) -> tuple[JobFailure | None, float]:
        """Run the job module's ``SPEC`` here, as its ``main(argv)`` would; return (how it failed or None, seconds)."""
        stage = _arg(argv, "--current-stage") or job.name
        module = importlib.import_module(f"jobs.{job.module}")
        started = time.monotonic()
        failure = None
        try:
            run_stage(module.SPEC, argv, faults=self.faults)
        except BatonError as err:
            failure = JobFailure(type(err).__name__, f"{type(err).__name__}: {err}")
        except Exception as err:  # a job bug: report it the way a Glue job run would
            failure = JobFailure(TASK_FAILED, f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=8)}")
        seconds = time.monotonic() - started
        self.attempts.append(JobAttempt(stage, _arg(argv, "--source"), job.name, engine, seconds, failure is None,
                                        failure and failure.message))
        return failure, seconds

    # -- small services ------------------------------------------------------------------
    def s3_get_object(self, parameters: dict[str, Any], context: Any) -> dict[str, Any]:
        bucket, key = parameters["Bucket"], parameters["Key"]
        if bucket != self.bucket.root:
            raise TaskFailure("S3.NoSuchBucketException", json.dumps(
                {"errorMessage": f"bucket {bucket!r} is not this run's workflow bucket {self.bucket.root!r}"}))
        relative = key[len(self.bucket.prefix) + 1:] if self.bucket.prefix else key
        if not self.storage.exists(relative):
            raise TaskFailure("S3.NoSuchKeyException",
                              json.dumps({"errorMessage": "The specified key does not exist.", "Key": key}))
        body = self.storage.read_bytes(relative)
        return {"Body": body.decode("utf-8"), "ContentLength": len(body), "ContentType": "application/json",
                "ETag": f'"{hashlib.md5(body).hexdigest()}"', "LastModified": _now()}

    def sns_publish(self, parameters: dict[str, Any], context: Any) -> dict[str, Any]:
        message_id = str(uuid.uuid4())
        record = {"MessageId": message_id, "TopicArn": parameters.get("TopicArn"),
                  "Subject": parameters.get("Subject"), "Message": parameters.get("Message"), "Timestamp": _now()}
        self.storage.append_line(paths.notifications(context.execution_name), json.dumps(record))
        self.echo(f"NOTIFICATION {record['Subject']}: {record['Message']}")
        return {"MessageId": message_id}

    def lambda_invoke(self, parameters: dict[str, Any], context: Any) -> dict[str, Any]:
        module_name, _, function = parameters["FunctionName"].partition(":")
        try:
            handler = getattr(importlib.import_module(module_name), function or "handler")
            payload = handler(parameters.get("Payload"), context)
        except Exception as err:
            raise TaskFailure("Lambda.Unknown", json.dumps(
                {"errorMessage": str(err), "errorType": type(err).__name__})) from None
        return {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": payload}


def _arg(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv[:-1] else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
