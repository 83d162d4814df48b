"""Amazon States Language (JSONPath mode) generated from a pipeline declaration.

The same definition is deployed to AWS Step Functions and run by Baton's local executor.
Its shape, for the flights pipeline::

    Start (Choice: $.execution.id given?) -> NameExecution (Pass) -> Resume (Choice on $.resumeFromStage)
    Resume -> IngestFormat (Choice on $.initialData.format) -> Ingest<Format> (Parallel: one job per source)
           -> Conform (glue) -> Validate (emr) -> ReadValidateVerdict (s3:getObject) -> ValidateVerdict (Choice)
              passed:      ValidatePassed (Pass) -> Enrich
              correctable: Correct (glue) -> ReadCorrectVerdict -> CorrectVerdict -> CorrectPassed -> Enrich
              otherwise:   <Stage>QualityFailed (Pass) -> NotifyQualityFailure (sns) -> DataQualityFailed (Fail)
           -> Enrich (emr) -> Aggregate (glue) -> Load (glue) -> Succeeded
    every Task: Retry and Catch-all -> <State>Caught (Pass: names the state) -> NotifyFailure -> Failed

With a transient EMR cluster (conf ``emr.mode``), ``CreateCluster`` (createCluster.sync) runs before
the first EMR stage, or on resuming at a stage that needs the cluster (then ``ClusterReady`` routes
again), ``TerminateCluster`` after the last, and every failure ending terminates a cluster that is
still up (``<Fail>ClusterUp`` -> ``TerminateClusterBefore<Fail>``) before it fails.

One retry layer (DESIGN 8): each job task retries under its engine's policy (Glue: 5 minutes apart),
except the errors ``baton.errors.NOT_RETRYABLE`` names; the Parallel around the ingest tasks has no
Retry, so a failed branch never runs the other branches again. docs/operations.md says what is
retried locally and on AWS.

State data stays small: task results go through ResultSelector into ``$.results.<Stage>``.
The execution id the jobs write under is ``$.execution.id``: the execution's name, set at
the start, or given in the input to resume an earlier execution from a later stage.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from baton.errors import BatonError, SettingError
from baton.paths import WorkflowBucket, validate_warehouse
from conf.settings import Settings
from orchestration.asl.intrinsics import is_intrinsic, parse_intrinsic
from orchestration.pipeline import TASK_RETRY, Job, Pipeline, RetryPolicy, Stage
from quality.verdict import CORRECTABLE, PASSED, REASON

GLUE_SYNC = "arn:aws:states:::glue:startJobRun.sync"
EMR_ADD_STEP_SYNC = "arn:aws:states:::elasticmapreduce:addStep.sync"
EMR_CREATE_CLUSTER_SYNC = "arn:aws:states:::elasticmapreduce:createCluster.sync"
EMR_TERMINATE_CLUSTER_SYNC = "arn:aws:states:::elasticmapreduce:terminateCluster.sync"
EMR_MODES = ("existing", "transient")
S3_GET_OBJECT = "arn:aws:states:::aws-sdk:s3:getObject"
S3_PUT_OBJECT = "arn:aws:states:::s3:putObject"  # a Distributed Map's ResultWriter
SNS_PUBLISH = "arn:aws:states:::sns:publish"
SYNC_RESOURCES = (GLUE_SYNC, EMR_ADD_STEP_SYNC, EMR_CREATE_CLUSTER_SYNC, EMR_TERMINATE_CLUSTER_SYNC)
TYPES = ("standard", "express")
QUERY_LANGUAGES = ("jsonpath", "jsonata")
QUALITY_ERROR = "DataQualityFailed"


class ExpressNotAllowed(BatonError):
    """Express workflows cannot run .sync (run-a-job) integrations."""


@dataclass(frozen=True)
class TransientCluster:
    """The cluster a transient-mode definition creates (conf ``emr.cluster``; names of roles the stack creates)."""

    releaseLabel: str  # noqa: N815 (conf's own key names)
    instanceType: str  # noqa: N815
    coreInstances: int  # noqa: N815
    serviceRole: str  # noqa: N815
    instanceProfile: str  # noqa: N815
    logUri: str  # noqa: N815

    def create_parameters(self, pipeline: str) -> dict[str, Any]:
        """The createCluster request (RunJobFlow's shape; Step Functions requires KeepJobFlowAliveWhenNoSteps)."""
        return {
            "Name.$": f"States.Format('baton-{pipeline}-{{}}', $.execution.id)",
            "ReleaseLabel": self.releaseLabel, "Applications": [{"Name": "Spark"}],
            "ServiceRole": self.serviceRole, "JobFlowRole": self.instanceProfile, "LogUri": self.logUri,
            "VisibleToAllUsers": True, "Tags": [{"Key": "baton:pipeline", "Value": pipeline}],
            "Instances": {"KeepJobFlowAliveWhenNoSteps": True, "InstanceGroups": [
                {"Name": "Primary", "InstanceRole": "MASTER", "InstanceType": self.instanceType, "InstanceCount": 1},
                {"Name": "Core", "InstanceRole": "CORE", "InstanceType": self.instanceType,
                 "InstanceCount": self.coreInstances}]}}


@dataclass(frozen=True)
class Deployment:
    """Where a definition points: bucket, warehouse, EMR cluster, alert topic, uploaded code."""

    workflow_bucket: str
    emr_cluster_id: str | None  # emr.mode existing: the cluster the steps run on
    alert_topic: str
    artifacts: str
    warehouse: str  # the prefix of the workflow bucket the loads write to
    emr_mode: str  # "transient": the definition creates and terminates its own cluster
    emr_cluster: TransientCluster | None

    def __post_init__(self) -> None:
        if self.emr_mode not in EMR_MODES:
            raise SettingError(f"must be one of {EMR_MODES}, got {self.emr_mode!r}", setting="emr.mode")
        if self.emr_mode == "existing" and self.emr_cluster_id is None:
            raise SettingError("emr.mode existing needs the cluster id", setting="emr.clusterId")
        if self.emr_mode == "transient" and self.emr_cluster is None:
            raise SettingError("emr.mode transient needs the cluster (releaseLabel, instanceType, ...)",
                               setting="emr.cluster")

    @classmethod
    def from_settings(cls, settings: Settings, workflow_bucket: str | None = None) -> Deployment:
        """The environment's deployment; ``workflow_bucket`` (``--workflow-bucket``) replaces its bucket."""
        cluster = settings.emr.cluster
        return cls(workflow_bucket=workflow_bucket or settings.workflow_bucket,
                   warehouse=validate_warehouse(settings.warehouse),
                   emr_cluster_id=settings.emr.cluster_id, emr_mode=settings.emr.mode,
                   emr_cluster=None if cluster is None else TransientCluster(
                       releaseLabel=cluster.release_label, instanceType=cluster.instance_type,
                       coreInstances=cluster.core_instances, serviceRole=cluster.service_role,
                       instanceProfile=cluster.instance_profile, logUri=cluster.log_uri),
                   alert_topic=settings.notifications.topic, artifacts=settings.artifacts)

    @property
    def bucket(self) -> WorkflowBucket:
        return WorkflowBucket.parse(self.workflow_bucket)


def generate(pipeline: Pipeline, deployment: Deployment, workflow_type: str = "standard",
             query_language: str = "jsonpath") -> dict[str, Any]:
    """The state machine definition of ``pipeline``; refuses Express for .sync tasks.

    ``query_language`` ``jsonata`` gives the same machine in JSONata form (:func:`to_jsonata`).
    """
    if workflow_type not in TYPES:
        raise ValueError(f"workflow type must be one of {TYPES}, got {workflow_type!r}")
    if query_language not in QUERY_LANGUAGES:
        raise ValueError(f"query language must be one of {QUERY_LANGUAGES}, got {query_language!r}")
    states = _Builder(pipeline, deployment).build()
    definition = {
        "Comment": f"Baton pipeline {pipeline.name} ({workflow_type.upper()}): {pipeline.description}",
        "StartAt": "Start",
        "States": states,
    }
    if query_language == "jsonata":
        definition = {"QueryLanguage": "JSONata", **definition, "States": to_jsonata(states)}
    if workflow_type == "express":
        sync = sorted(n for n, s in states.items() if _uses_sync(s))
        if sync:
            raise ExpressNotAllowed(
                f"pipeline {pipeline.name} cannot be an Express workflow: Express runs only request-response "
                f"tasks, and these states wait for a job to finish (.sync): {', '.join(sync)}. "
                "Use --type standard.")
    return definition


def generate_backfill(pipeline: Pipeline, deployment: Deployment, max_concurrency: int | None = None,
                      tolerated_failure_percentage: float | None = None) -> dict[str, Any]:
    """The backfill machine of ``pipeline``: a Distributed Map whose every child runs the pipeline's
    own states (those :func:`generate` gives) on one partition.

    Its input names the partitions and what every child's ``initialData`` starts from::

        {"partitions": [{"month": "2013-01"}, {"month": "2013-02"}], "initialData": {"format": "csv"}}

    The child of ``{"month": "2013-02"}`` in execution ``bf-1`` is the pipeline execution ``bf-1-2013-02``
    with ``initialData`` ``{"format": "csv", "month": "2013-02"}``. The children's results are written
    under ``backfills/<map run id>/`` of the workflow bucket (ResultWriter); the limits default to the
    pipeline's :class:`~orchestration.pipeline.Backfill` declaration.
    """
    backfill = pipeline.backfill
    if backfill is None:
        raise ValueError(f"pipeline {pipeline.name} declares no backfill (Pipeline(backfill=Backfill(...)))")
    bucket = deployment.bucket
    key = backfill.partition_key
    child = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Start",
             "States": _Builder(pipeline, deployment).build()}
    backfill_map = {
        "Type": "Map",
        "Comment": f"One execution of the {pipeline.name} pipeline per {key}; its {backfill.filtered_at} "
                   f"keeps that {key}'s rows and its Load replaces that {key}'s partitions only.",
        "ItemsPath": "$.partitions",
        "ItemSelector": {
            "execution": {"id.$": f"States.Format('{{}}-{{}}', $$.Execution.Name, $$.Map.Item.Value.{key})"},
            "initialData.$": "States.JsonMerge($.initialData, $$.Map.Item.Value, false)"},
        "ItemProcessor": child,
        "MaxConcurrency": backfill.max_concurrency if max_concurrency is None else max_concurrency,
        "ToleratedFailurePercentage": _number(backfill.tolerated_failure_percentage
                                              if tolerated_failure_percentage is None
                                              else tolerated_failure_percentage),
        "ResultWriter": {"Resource": S3_PUT_OBJECT, "Parameters": {
            "Bucket": bucket.root, "Prefix": "/".join(p for p in (bucket.prefix, "backfills") if p)}},
        "End": True}
    return {"Comment": f"Baton backfill of pipeline {pipeline.name}, one child execution per {key}",
            "StartAt": "Backfill", "States": {"Backfill": backfill_map}}


def _number(value: float) -> float | int:
    """A whole number as an integer (statelint wants ToleratedFailurePercentage 5, not 5.0)."""
    return int(value) if float(value).is_integer() else value


def _uses_sync(state: dict[str, Any]) -> bool:
    if state.get("Resource") in SYNC_RESOURCES:
        return True
    return any(_uses_sync(s) for b in state.get("Branches", []) for s in b["States"].values())


def _literal(value: str) -> str:
    """``value`` as a string literal of an intrinsic function (escape \\, ', { and })."""
    escaped = "".join("\\" + ch if ch in "\\'{}" else ch for ch in value)
    return f"'{escaped}'"


def to_json(definition: dict[str, Any]) -> str:
    return json.dumps(definition, indent=2) + "\n"


class _Builder:
    def __init__(self, pipeline: Pipeline, deployment: Deployment):
        self.pipeline = pipeline
        self.deployment = deployment
        self.bucket = deployment.bucket
        self.states: dict[str, Any] = {}
        self.caught: dict[str, Any] = {}  # the <State>Caught passes, placed after the main path
        self.cluster_stages = self._cluster_stages()

    def _cluster_stages(self) -> list[str]:
        """Transient mode: the stages, first to last EMR stage, that run while the cluster is up."""
        if self.deployment.emr_mode != "transient":
            return []
        if self.pipeline.extraction.engine == "emr":
            raise SettingError(f"pipeline {self.pipeline.name}: a transient EMR cluster starts after the "
                               "extraction; run the extraction on Glue or use emr.mode existing", setting="emr.mode")
        names = [stage.name for stage in self.pipeline.all_stages()]
        emr = [i for i, stage in enumerate(self.pipeline.all_stages()) if stage.engine == "emr"]
        return names[emr[0]:emr[-1] + 1] if emr else []

    def _entry(self, stage: str) -> str:
        """The state that enters ``stage`` on the main path: the cluster is created before the first EMR stage."""
        return "CreateCluster" if self.cluster_stages and stage == self.cluster_stages[0] else stage

    def build(self) -> dict[str, Any]:
        stages = self.pipeline.stages
        self._start()
        self._resume()
        self._extraction(next_state=self._entry(stages[0].name))
        last_emr = self.cluster_stages[-1] if self.cluster_stages else None
        for index, stage in enumerate(stages):
            after = self._entry(stages[index + 1].name) if index + 1 < len(stages) else "Succeeded"
            if stage.name == last_emr or (stage.correction and stage.correction.name == last_emr):
                self._terminate_cluster(after)
                after = "TerminateCluster"
            self._stage(stage, after)
        if self.cluster_stages:
            self._create_cluster()
        self.states["Succeeded"] = {"Type": "Succeed"}
        self.states.update(self.caught)
        self._failure_path()
        return self.states

    # -- entry -------------------------------------------------------------------------------
    def _start(self) -> None:
        self.states["Start"] = {
            "Type": "Choice",
            "Comment": "An input that names an execution resumes it; otherwise this execution's name is its id.",
            "Choices": [{"Variable": "$.execution.id", "IsPresent": True, "Next": "Resume"}],
            "Default": "NameExecution",
        }
        self.states["NameExecution"] = {
            "Type": "Pass", "Parameters": {"id.$": "$$.Execution.Name"}, "ResultPath": "$.execution",
            "Next": "Resume"}

    def _resume(self) -> None:
        choices = []
        for stage in self.pipeline.all_stages():
            # A Choice on a missing path is a runtime error on AWS: test presence first.
            rules = [{"Variable": "$.resumeFromStage", "IsPresent": True},
                     {"Variable": "$.resumeFromStage", "StringEquals": stage.name}]
            gate = self.pipeline.gate_of(stage)
            if gate is not None:  # which output to read (gate or correction) must be known
                rules.append({"Variable": f"$.gated.{gate.name}", "IsPresent": True})
            choices.append({"And": rules, "Next": stage.name})
        self.states["Resume"] = {
            "Type": "Choice",
            "Comment": "Start at any stage from the outputs an earlier run of this execution committed.",
            "Choices": [choice | {"Next": "CreateCluster"} if choice["Next"] in self.cluster_stages else choice
                        for choice in choices],
            "Default": "IngestFormat"}
        if self.cluster_stages:
            self.resume_in_cluster = [choice for choice in choices if choice["Next"] in self.cluster_stages]

    # -- transient EMR cluster ---------------------------------------------------------------------
    def _create_cluster(self) -> None:
        cluster = self.deployment.emr_cluster
        self.states["CreateCluster"] = {
            "Type": "Task", "Resource": EMR_CREATE_CLUSTER_SYNC,
            "Comment": "A cluster for this execution's EMR stages, terminated after the last or on failure.",
            "Parameters": cluster.create_parameters(self.pipeline.name),
            "ResultSelector": {"id.$": "$.ClusterId"}, "ResultPath": "$.cluster",
            "TimeoutSeconds": 3600, "Retry": [TASK_RETRY.to_asl()], "Catch": self._catch("CreateCluster"),
            "Next": "ClusterReady"}
        self.states["ClusterReady"] = {
            "Type": "Choice", "Comment": "Resuming at a stage that runs on the cluster: go there.",
            "Choices": self.resume_in_cluster, "Default": self.cluster_stages[0]}

    def _terminate_cluster(self, after: str) -> None:
        self.states["TerminateCluster"] = {
            "Type": "Task", "Resource": EMR_TERMINATE_CLUSTER_SYNC, "Parameters": {"ClusterId.$": "$.cluster.id"},
            "ResultSelector": {"terminated": True}, "ResultPath": "$.cluster",
            "TimeoutSeconds": 3600, "Retry": [TASK_RETRY.to_asl()], "Catch": self._catch("TerminateCluster"),
            "Next": after}

    def _extraction(self, next_state: str) -> None:
        extraction = self.pipeline.extraction
        formats = list(extraction.jobs_by_format)
        self.states["IngestFormat"] = {
            "Type": "Choice",
            "Comment": "Route by the declared format of the raw data (default: "
                       f"{extraction.default_format}).",
            "Choices": [{"And": [{"Variable": "$.initialData.format", "IsPresent": True},
                                 {"Variable": "$.initialData.format", "StringEquals": fmt}],
                         "Next": f"{extraction.name}{fmt.capitalize()}"} for fmt in formats],
            "Default": f"{extraction.name}{extraction.default_format.capitalize()}"}
        for fmt in formats:
            job = extraction.job_for(fmt)
            branches = []
            for source in extraction.sources:
                name = f"{extraction.name}{source.capitalize()}{fmt.capitalize()}"
                # No Catch inside a branch (a branch cannot leave its Parallel): the Parallel state catches.
                # No Retry on the Parallel: it would run every branch again (DESIGN 8, one retry layer).
                task = self._job_task(job, extraction.engine, extraction.name, None, extraction.timeout_seconds,
                                      extraction.retry_policy, {"--source": source}, result_path="$.result",
                                      catch=False)
                task.update({"OutputPath": "$.result", "End": True})
                branches.append({"StartAt": name, "States": {name: task}})
            state_name = f"{extraction.name}{fmt.capitalize()}"
            self.states[state_name] = {
                "Type": "Parallel", "Comment": f"Extract every source from {fmt} in parallel.",
                "Branches": branches, "ResultPath": f"$.results.{extraction.name}",
                "Catch": self._catch(state_name), "Next": next_state}

    # -- stages ------------------------------------------------------------------------------
    def _stage(self, stage: Stage, after: str) -> None:
        previous_path = f"$.gated.{gate.name}" if (gate := self.pipeline.gate_of(stage)) else None
        task = self._job_task(stage.job, stage.engine, stage.name, stage.previous, stage.timeout_seconds,
                              stage.retry_policy, previous_path=previous_path)
        if not stage.gated:
            self.states[stage.name] = task | {"Next": after}
            return
        self.states[stage.name] = task | {"Next": f"Read{stage.name}Verdict"}
        passed = f"{stage.name}Passed"
        self.states[passed] = {"Type": "Pass", "Result": stage.name, "ResultPath": f"$.gated.{stage.name}",
                               "Next": after}
        correction = stage.correction
        self._verdict(stage, passed, correction.name if correction else None)
        if correction is not None:
            fix = self._job_task(correction.job, correction.engine, correction.name, stage.name,
                                 correction.timeout_seconds, correction.retry_policy)
            self.states[correction.name] = fix | {"Next": f"Read{correction.name}Verdict"}
            self.states[f"{correction.name}Passed"] = {
                "Type": "Pass", "Result": correction.name, "ResultPath": f"$.gated.{stage.name}", "Next": after}
            self._verdict(correction, f"{correction.name}Passed", None)

    def _verdict(self, stage: Stage, passed: str, correction: str | None) -> None:
        read = f"Read{stage.name}Verdict"
        key = self.bucket.prefix + "/" if self.bucket.prefix else ""
        self.states[read] = {
            "Type": "Task", "Resource": S3_GET_OBJECT,
            "Comment": f"The small verdict the {stage.name} job wrote last.",
            "Parameters": {"Bucket": self.bucket.root,
                           "Key.$": f"States.Format('{key}executions/{{}}/{stage.name}/quality/verdict.json', "
                                    "$.execution.id)"},
            "ResultSelector": {"verdict.$": "States.StringToJson($.Body)"},
            "ResultPath": f"$.quality.{stage.name}",
            "TimeoutSeconds": 60, "Retry": [TASK_RETRY.to_asl()], "Catch": self._catch(read),
            "Next": f"{stage.name}Verdict"}
        verdict = f"$.quality.{stage.name}.verdict"
        choices = [{"Variable": f"{verdict}.{PASSED}", "BooleanEquals": True, "Next": passed}]
        if correction:
            choices.append({"Variable": f"{verdict}.{CORRECTABLE}", "BooleanEquals": True, "Next": correction})
        failed = f"{stage.name}QualityFailed"
        self.states[f"{stage.name}Verdict"] = {"Type": "Choice", "Choices": choices, "Default": failed}
        self.states[failed] = {
            "Type": "Pass", "Comment": "Shape the verdict like a caught error for the notification.",
            "Parameters": {"Error": QUALITY_ERROR, "Cause.$": f"{verdict}.{REASON}", "State": stage.name},
            "ResultPath": "$.error", "Next": "NotifyQualityFailure"}

    # -- tasks -------------------------------------------------------------------------------
    def _job_task(self, job: Job, engine: str, stage: str, previous: str | None, timeout: int,
                  retry: RetryPolicy, extra: dict[str, str] | None = None, previous_path: str | None = None,
                  result_path: str | None = None, catch: bool = True) -> dict[str, Any]:
        arguments: dict[str, str] = {"--current-stage": stage, "--workflow-bucket": str(self.bucket),
                                     "--warehouse": self.deployment.warehouse}
        arguments |= job.arguments | (extra or {})
        if previous_path:
            arguments["--previous-stage.$"] = previous_path
        elif previous:
            arguments["--previous-stage"] = previous
        task = (self._glue(job, arguments) if engine == "glue" else self._emr(job, stage, arguments))
        task |= {"TimeoutSeconds": timeout, "ResultPath": result_path or f"$.results.{stage}",
                 "Retry": retry.job_retry()}
        return task | {"Catch": self._catch(stage)} if catch else task

    @staticmethod
    def _glue(job: Job, arguments: dict[str, str]) -> dict[str, Any]:
        return {
            "Type": "Task", "Resource": GLUE_SYNC,
            "Parameters": {"JobName": job.name, "Arguments": {
                "--execution-id.$": "$.execution.id",
                "--initial-data.$": "States.JsonToString($.initialData)", **arguments}},
            "ResultSelector": {"JobRunId.$": "$.Id", "JobRunState.$": "$.JobRunState",
                               "ExecutionTime.$": "$.ExecutionTime"},
        }

    def _emr(self, job: Job, stage: str, arguments: dict[str, str]) -> dict[str, Any]:
        artifacts = self.deployment.artifacts.rstrip("/")
        args = [_literal(a) for a in ("spark-submit", "--deploy-mode", "cluster", "--py-files",
                                      f"{artifacts}/baton-jobs.zip", f"{artifacts}/{job.script}")]
        args += ["'--execution-id'", "$.execution.id", "'--initial-data'", "States.JsonToString($.initialData)"]
        for name, value in arguments.items():
            if name.endswith(".$"):
                args += [_literal(name[:-2]), value]
            else:
                args += [_literal(name), _literal(value)]
        return {
            "Type": "Task", "Resource": EMR_ADD_STEP_SYNC,
            "Parameters": {**self._cluster_id(), "Step": {
                "Name": f"{job.name} {stage}", "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {"Jar": "command-runner.jar", "Args.$": f"States.Array({', '.join(args)})"}}},
            "ResultSelector": {"StepId.$": "$.Step.Id", "State.$": "$.Step.Status.State"},
        }

    def _cluster_id(self) -> dict[str, str]:
        return {"ClusterId.$": "$.cluster.id"} if self.cluster_stages else {"ClusterId": self.deployment.emr_cluster_id}

    def _catch(self, state: str) -> list[dict[str, Any]]:
        caught = f"{state}Caught"
        self.caught[caught] = {
            "Type": "Pass", "Comment": f"Name the failed state ({state}) for the notification.",
            "Parameters": {"Error.$": "$.caught.Error", "Cause.$": "$.caught.Cause", "State": state},
            "ResultPath": "$.error", "Next": "NotifyFailure"}
        return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": caught}]

    def _failure_path(self) -> None:
        for name, fail, error in (("NotifyFailure", "Failed", "StageFailed"),
                                  ("NotifyQualityFailure", QUALITY_ERROR, QUALITY_ERROR)):
            then = self._before_failing(fail)
            self.states[name] = {
                "Type": "Task", "Resource": SNS_PUBLISH,
                "Parameters": {
                    "TopicArn": self.deployment.alert_topic,
                    "Subject": f"Baton {self.pipeline.name} failed",
                    "Message.$": "States.Format('Baton pipeline " + self.pipeline.name
                                 + ": execution {} failed in state {}: {}: {}', $.execution.id, "
                                 "$.error.State, $.error.Error, $.error.Cause)"},
                "ResultPath": "$.notification", "TimeoutSeconds": 60, "Retry": [TASK_RETRY.to_asl()],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.notificationError",
                           "Next": then}],
                "Next": then}
            self.states[fail] = {"Type": "Fail", "Error": error,
                                 "Cause": "See the notification and the execution history for the failed state."}

    def _before_failing(self, fail: str) -> str:
        """Transient mode: a cluster still up is terminated before the execution fails."""
        if not self.cluster_stages:
            return fail
        up, terminate = f"{fail}ClusterUp", f"TerminateClusterBefore{fail}"
        self.states[up] = {"Type": "Choice", "Choices": [
            {"Variable": "$.cluster.id", "IsPresent": True, "Next": terminate}], "Default": fail}
        self.states[terminate] = {
            "Type": "Task", "Resource": EMR_TERMINATE_CLUSTER_SYNC, "Parameters": {"ClusterId.$": "$.cluster.id"},
            "ResultPath": None, "TimeoutSeconds": 3600, "Retry": [TASK_RETRY.to_asl()],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.terminateError", "Next": fail}],
            "Next": fail}
        return up


# -- the JSONata form ------------------------------------------------------------------------------
# What a state produces and only later states read (task results, verdicts, caught errors) becomes a
# variable (Assign); what an execution's input may give (execution, initialData, gated, resumeFromStage)
# and the $.error the failure report reads from the notification's input (orchestration/failure.py) stay
# in the state's data, set with Output.
_VARIABLE_ROOTS = {"results": 2, "quality": 2, "caught": 1, "notification": 1, "notificationError": 1}  # keys
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def to_jsonata(states: dict[str, Any]) -> dict[str, Any]:
    """The JSONata form of the JSONPath states :class:`_Builder` generates (Arguments, Output, Assign).

    Every state keeps its name, type, transitions, Retry and timeouts; Parameters become Arguments,
    ResultSelector and ResultPath become Assign (a variable named after the path: ``$.quality.Conform``
    -> ``$quality_Conform``) or Output, Choice rules become Conditions. Raises ``ValueError`` on a
    construct outside what the builder emits.
    """
    return {name: _JsonataState(spec).convert() for name, spec in states.items()}


class _JsonataState:
    _KEPT = ("Type", "Comment", "Resource", "TimeoutSeconds", "HeartbeatSeconds", "Retry", "Next", "End",
             "Default", "Error", "Cause")
    _ORDER = ("Type", "Comment", "Resource", "Arguments", "Branches", "Choices", "Default", "TimeoutSeconds",
              "HeartbeatSeconds", "Assign", "Output", "Retry", "Catch", "Error", "Cause", "Next", "End")

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec

    def convert(self) -> dict[str, Any]:
        spec = self.spec
        unknown = set(spec) - set(self._KEPT) - {"Parameters", "Result", "ResultSelector", "ResultPath",
                                                 "OutputPath", "Catch", "Branches", "Choices"}
        if unknown:
            raise ValueError(f"no JSONata form for the fields {sorted(unknown)}")
        out = {key: spec[key] for key in self._KEPT if key in spec}
        kind = spec["Type"]
        if kind == "Choice":
            out["Choices"] = [{"Condition": f"{{% {_condition(rule)} %}}", "Next": rule["Next"]}
                              for rule in spec["Choices"]]
            return {key: out[key] for key in self._ORDER if key in out}
        if kind == "Parallel":
            out["Branches"] = [{"StartAt": branch["StartAt"], "States": to_jsonata(branch["States"])}
                               for branch in spec["Branches"]]
        if "Parameters" in spec and kind != "Pass":
            out["Arguments"] = _template(spec["Parameters"], "$states.input")
        if kind in ("Task", "Parallel", "Pass"):
            out |= self._result(kind)
        if "Catch" in spec:
            out["Catch"] = [{"ErrorEquals": catcher["ErrorEquals"],
                             **_place(catcher.get("ResultPath", "$"), "{% $states.errorOutput %}",
                                      "$states.errorOutput", keeps_input=False),
                             "Next": catcher["Next"]} for catcher in spec["Catch"]]
        return {key: out[key] for key in self._ORDER if key in out}

    def _result(self, kind: str) -> dict[str, Any]:
        """Where the state's result goes: Output and/or Assign, from ResultSelector/ResultPath/OutputPath."""
        spec = self.spec
        if kind == "Pass":
            if "Result" in spec:
                value = spec["Result"]
            elif "Parameters" in spec:
                value = _template(spec["Parameters"], "$states.input")
            else:
                return {}
        else:
            value = _template(spec["ResultSelector"], "$states.result") if "ResultSelector" in spec \
                else "{% $states.result %}"
        result_path = spec.get("ResultPath", "$")
        if "OutputPath" in spec:
            if spec["OutputPath"] != result_path:
                raise ValueError(f"no JSONata form for OutputPath {spec['OutputPath']!r} after ResultPath "
                                 f"{result_path!r}")
            return {"Output": value}
        return _place(result_path, value, _expression(value), keeps_input=kind == "Pass")


def _place(result_path: str | None, value: Any, expression: str, keeps_input: bool) -> dict[str, Any]:
    """Output/Assign that put a result where ResultPath would: replace, discard, a variable, or a merge."""
    if result_path == "$":
        return {"Output": value}
    unchanged = {} if keeps_input else {"Output": "{% $states.input %}"}
    if result_path is None:
        return unchanged
    keys = _keys(result_path)
    if keys[0] in _VARIABLE_ROOTS:
        if len(keys) != _VARIABLE_ROOTS[keys[0]]:
            raise ValueError(f"no JSONata form for the ResultPath {result_path!r}")
        return {"Assign": {"_".join(keys): value}, **unchanged}
    return {"Output": f"{{% {_merged('$states.input', keys, expression)} %}}"}


def _merged(base: str, keys: list[str], value: str) -> str:
    """``base`` with ``value`` set at ``keys``, missing objects created (as ResultPath does)."""
    if not keys:
        return value
    child = f"{base}.{_name(keys[0])}"
    return f"$merge([{base}, {{{json.dumps(keys[0])}: {_merged(child, keys[1:], value)}}}])"


def _keys(path: str) -> list[str]:
    if not path.startswith("$.") or not all(_IDENTIFIER.fullmatch(key) for key in path[2:].split(".")):
        raise ValueError(f"no JSONata form for the path {path!r} (only $.name.name...)")
    return path[2:].split(".")


def _name(key: str) -> str:
    return key if _IDENTIFIER.fullmatch(key) else f"`{key}`"


def _read(path: str, root: str) -> str:
    """A JSONPath read as JSONata: ``$`` is ``root``, ``$$`` the context, a variable's path its variable."""
    if path == "$":
        return root
    if path.startswith("$$."):
        return "$states.context." + ".".join(_name(key) for key in path[3:].split("."))
    keys = _keys(path)
    depth = _VARIABLE_ROOTS.get(keys[0]) if root == "$states.input" else None
    if depth is not None:
        return ".".join(["$" + "_".join(keys[:depth]), *(_name(key) for key in keys[depth:])])
    return ".".join([root, *(_name(key) for key in keys)])


def _template(spec: Any, root: str) -> Any:
    """A Parameters/ResultSelector template as a JSONata field value: ``key.$`` becomes ``key: "{% ... %}"``."""
    if isinstance(spec, dict):
        return {(key[:-2] if key.endswith(".$") else key):
                (f"{{% {_dynamic(value, root)} %}}" if key.endswith(".$") else _template(value, root))
                for key, value in spec.items()}
    if isinstance(spec, list):
        return [_template(value, root) for value in spec]
    return spec


def _dynamic(text: str, root: str) -> str:
    if is_intrinsic(text):
        return parse_intrinsic(text).to_jsonata(lambda path: _read(path, root))
    return _read(text, root)


def _expression(value: Any) -> str:
    """A JSONata field value (JSON with ``{% %}`` strings) as one expression."""
    if isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
        return value[2:-2].strip()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {_expression(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_expression(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


_EQUALITIES = ("StringEquals", "BooleanEquals", "NumericEquals")


def _condition(rule: dict[str, Any]) -> str:
    """A JSONPath Choice rule as a JSONata Condition."""
    if "And" in rule or "Or" in rule:
        word = "And" if "And" in rule else "Or"
        return "(" + f" {word.lower()} ".join(_condition(item) for item in rule[word]) + ")"
    if "Not" in rule:
        return f"$not({_condition(rule['Not'])})"
    path = _read(rule["Variable"], "$states.input")
    if "IsPresent" in rule:
        return f"$exists({path})" if rule["IsPresent"] else f"$not($exists({path}))"
    operator = next((name for name in _EQUALITIES if name in rule), None)
    if operator is None:
        raise ValueError(f"no JSONata form for the Choice rule {rule}")
    return f"({path} = {json.dumps(rule[operator])})"
