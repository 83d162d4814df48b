"""The states of a pipeline's definition (JSONPath): see :mod:`orchestration.generate` for their shape.

Entry and resume, the extraction's Parallel, each stage's job task (Glue or EMR) with Retry and Catch,
the gated stages' verdict Choice and correction, the transient EMR cluster, and the failure notification.
"""

from __future__ import annotations

from typing import Any

from baton.errors import SettingError
from orchestration.deployment import Deployment
from orchestration.pipeline import TASK_RETRY, Job, Pipeline, RetryPolicy, Stage
from quality.verdict import CORRECTABLE, PASSED, REASON

GLUE_SYNC = "arn:aws:states:::glue:startJobRun.sync"
EMR_ADD_STEP_SYNC = "arn:aws:states:::elasticmapreduce:addStep.sync"
EMR_CREATE_CLUSTER_SYNC = "arn:aws:states:::elasticmapreduce:createCluster.sync"
EMR_TERMINATE_CLUSTER_SYNC = "arn:aws:states:::elasticmapreduce:terminateCluster.sync"
S3_GET_OBJECT = "arn:aws:states:::aws-sdk:s3:getObject"
S3_PUT_OBJECT = "arn:aws:states:::s3:putObject"  # a Distributed Map's ResultWriter
SNS_PUBLISH = "arn:aws:states:::sns:publish"
SYNC_RESOURCES = (GLUE_SYNC, EMR_ADD_STEP_SYNC, EMR_CREATE_CLUSTER_SYNC, EMR_TERMINATE_CLUSTER_SYNC)
QUALITY_ERROR = "DataQualityFailed"


def _literal(value: str) -> str:
    """``value`` as a string literal of an intrinsic function (escape \\, ', { and })."""
    escaped = "".join("\\" + ch if ch in "\\'{}" else ch for ch in value)
    return f"'{escaped}'"



class StatesBuilder:
    """The JSONPath states of one pipeline: entry and resume, job tasks, quality routing, failure path."""

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
